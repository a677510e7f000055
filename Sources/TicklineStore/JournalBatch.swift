import TicklineCore

/// The records drained for one environment and not yet committed, oldest first: one group
/// commit's worth when the store is healthy, the degraded-mode queue when commits fail.
///
/// A fixed array allocated once (`capacity` records); records are copied in from the rings and
/// leave only when the transaction holding them has committed. When it is full the writer stops
/// draining, so the journal rings fill and the producers see back-pressure (counted there):
/// nothing is dropped here.
final class JournalBatch {
    let capacity: Int
    private let slots: UnsafeMutablePointer<JournalRecord>
    private(set) var start = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
    }

    deinit { slots.deallocate() }

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == capacity }

    /// Copies `record` in; false when full.
    @inline(__always)
    func append(_ record: UnsafePointer<JournalRecord>) -> Bool {
        if start + count == capacity {
            if count == capacity { return false }
            compact()
        }
        (slots + start + count).initialize(to: record.pointee)
        count += 1
        return true
    }

    /// The oldest `n` records (valid until the next append or removal).
    func first(_ n: Int) -> UnsafeBufferPointer<JournalRecord> {
        UnsafeBufferPointer(start: slots + start, count: min(n, count))
    }

    /// Drops the oldest `n` records (they committed).
    func removeFirst(_ n: Int) {
        precondition(n <= count)
        start += n
        count -= n
        if count == 0 { start = 0 }
    }

    /// Moves the live records to the front (records are trivial: a memmove).
    private func compact() {
        guard start > 0 else { return }
        // Overlapping ranges: raw copyMemory is a memmove.
        UnsafeMutableRawPointer(slots).copyMemory(from: slots + start,
                                                  byteCount: count * MemoryLayout<JournalRecord>.stride)
        start = 0
    }
}
