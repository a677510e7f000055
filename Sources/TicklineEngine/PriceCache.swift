import Synchronization
import TicklineCore

/// The latest trade, mark, bid and ask price per symbol, written by the parse stage and read by
/// any thread without locks (a seqlock per symbol, one cache line each).
///
/// The writer bumps the slot's sequence to odd, stores the fields, and bumps it to even; a reader
/// retries while the sequence is odd or changed during its read, so it never sees a torn mix of
/// two updates. All fields are atomics with relaxed ordering plus fences, which keeps the
/// protocol free of data races in the Swift memory model.
public final class PriceCache: @unchecked Sendable {
    public struct Snapshot: Equatable, Sendable {
        public var lastTrade: Price
        public var mark: Price
        public var bid: Price
        public var ask: Price
        /// Monotonic time of the update that produced this snapshot.
        public var updatedNs: UInt64

        @inlinable
        public init(lastTrade: Price, mark: Price, bid: Price, ask: Price, updatedNs: UInt64) {
            self.lastTrade = lastTrade
            self.mark = mark
            self.bid = bid
            self.ask = ask
            self.updatedNs = updatedNs
        }
    }

    @usableFromInline static let slotWords = 8  // 64 bytes: seq, trade, mark, bid, ask, ns, 2 spare
    @usableFromInline let words: UnsafeMutablePointer<Atomic<Int64>>
    public let capacity: Int

    public init(symbolCount: Int) {
        capacity = symbolCount
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, symbolCount) * Self.slotWords * 8, alignment: 64)
        words = raw.bindMemory(to: Atomic<Int64>.self, capacity: max(1, symbolCount) * Self.slotWords)
        for i in 0..<(max(1, symbolCount) * Self.slotWords) { (words + i).initialize(to: Atomic(0)) }
    }

    deinit { UnsafeMutableRawPointer(words).deallocate() }

    /// Writer (the parse stage's thread only): updates one or more fields of a symbol.
    @inlinable
    public func update(_ symbol: SymbolID, nowNs: UInt64, lastTrade: Price? = nil, mark: Price? = nil,
                       bid: Price? = nil, ask: Price? = nil) {
        let slot = words + symbol.index * Self.slotWords
        let s = slot.pointee.load(ordering: .relaxed)
        slot.pointee.store(s &+ 1, ordering: .relaxed)
        // Release fence: a reader that sees any field store below also sees the odd sequence.
        atomicMemoryFence(ordering: .releasing)
        if let lastTrade { (slot + 1).pointee.store(lastTrade.raw, ordering: .relaxed) }
        if let mark { (slot + 2).pointee.store(mark.raw, ordering: .relaxed) }
        if let bid { (slot + 3).pointee.store(bid.raw, ordering: .relaxed) }
        if let ask { (slot + 4).pointee.store(ask.raw, ordering: .relaxed) }
        (slot + 5).pointee.store(Int64(bitPattern: nowNs), ordering: .relaxed)
        slot.pointee.store(s &+ 2, ordering: .releasing)
    }

    /// Writer: the price fields `event` carries (trade → last trade, mark price → mark, book
    /// ticker → bid and ask); candles carry none.
    @inlinable
    public func record(_ event: MarketEvent, nowNs: UInt64) {
        guard event.symbol.index < capacity else { return }
        switch event.body {
        case .trade(let t): update(event.symbol, nowNs: nowNs, lastTrade: t.price)
        case .markPrice(let m): update(event.symbol, nowNs: nowNs, mark: m.markPrice)
        case .bookTicker(let b): update(event.symbol, nowNs: nowNs, bid: b.bidPrice, ask: b.askPrice)
        case .klineUpdate, .klineClosed: break
        }
    }

    /// Any thread: a consistent snapshot of one symbol (spins while a write is in progress).
    @inlinable
    public func read(_ symbol: SymbolID) -> Snapshot {
        let slot = words + symbol.index * Self.slotWords
        while true {
            let s1 = slot.pointee.load(ordering: .acquiring)
            if s1 & 1 == 1 { continue }
            let snapshot = Snapshot(
                lastTrade: Price(raw: (slot + 1).pointee.load(ordering: .relaxed)),
                mark: Price(raw: (slot + 2).pointee.load(ordering: .relaxed)),
                bid: Price(raw: (slot + 3).pointee.load(ordering: .relaxed)),
                ask: Price(raw: (slot + 4).pointee.load(ordering: .relaxed)),
                updatedNs: UInt64(bitPattern: (slot + 5).pointee.load(ordering: .relaxed)))
            // Acquire fence: the field loads above happen before the re-check below.
            atomicMemoryFence(ordering: .acquiring)
            if slot.pointee.load(ordering: .relaxed) == s1 { return snapshot }
        }
    }
}
