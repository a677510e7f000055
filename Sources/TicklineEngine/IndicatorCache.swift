import Synchronization
import TicklineCore

/// The latest `IndicatorUpdate` per (symbol, interval), written by the indicator stage just after
/// it has handed the update to the signal stage, and read by any thread without locks: the
/// control plane's `/indicators`. A seqlock per slot (like `PriceCache`): the writer makes the
/// sequence odd, stores the update's 24 words, makes it even; a reader retries while a write is
/// in progress or happened during its read.
public final class IndicatorCache: @unchecked Sendable {
    @usableFromInline static let updateWords = MemoryLayout<IndicatorUpdate>.stride / 8
    @usableFromInline static let slotWords = updateWords + 8  // sequence + update, padded to whole lines
    @usableFromInline let words: UnsafeMutablePointer<Atomic<UInt64>>
    public let symbolCount: Int
    /// Updates written so far (all slots): a reader can tell whether anything changed.
    @usableFromInline let writes: UnsafeMutablePointer<Atomic<UInt64>>

    public init(symbolCount: Int) {
        self.symbolCount = max(1, symbolCount)
        let count = self.symbolCount * Interval.allCases.count * Self.slotWords + 8
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 8, alignment: 64)
        words = raw.bindMemory(to: Atomic<UInt64>.self, capacity: count)
        for i in 0..<count { (words + i).initialize(to: Atomic(0)) }
        writes = words + (count - 8)
    }

    deinit { UnsafeMutableRawPointer(words).deallocate() }

    @inlinable
    func slot(_ symbol: SymbolID, _ interval: Interval) -> UnsafeMutablePointer<Atomic<UInt64>> {
        words + (symbol.index * Interval.allCases.count + Int(interval.rawValue)) * Self.slotWords
    }

    /// Writer (the indicator stage's thread only).
    @inlinable
    public func write(_ update: IndicatorUpdate) {
        guard update.symbol.index < symbolCount else { return }
        let slot = slot(update.symbol, update.interval)
        let s = slot.pointee.load(ordering: .relaxed)
        slot.pointee.store(s &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        withUnsafeBytes(of: update) { bytes in
            for i in 0..<Self.updateWords {
                (slot + 1 + i).pointee.store(bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self), ordering: .relaxed)
            }
        }
        slot.pointee.store(s &+ 2, ordering: .releasing)
        writes.pointee.wrappingAdd(1, ordering: .relaxed)
    }

    /// Any thread: the latest update of (symbol, interval), nil before the first.
    public func read(_ symbol: SymbolID, _ interval: Interval) -> IndicatorUpdate? {
        guard symbol.index < symbolCount else { return nil }
        let slot = slot(symbol, interval)
        var copy = [UInt64](repeating: 0, count: Self.updateWords)
        while true {
            let s1 = slot.pointee.load(ordering: .acquiring)
            if s1 == 0 { return nil }
            if s1 & 1 == 1 { continue }
            for i in 0..<Self.updateWords { copy[i] = (slot + 1 + i).pointee.load(ordering: .relaxed) }
            atomicMemoryFence(ordering: .acquiring)
            if slot.pointee.load(ordering: .relaxed) == s1 { break }
        }
        return copy.withUnsafeBytes { $0.loadUnaligned(as: IndicatorUpdate.self) }
    }

    /// Updates written so far.
    public var writeCount: UInt64 { writes.pointee.load(ordering: .relaxed) }
}
