/// The last `capacity` inputs of a windowed indicator, oldest first, in storage allocated once at
/// init: pushing never allocates.
///
/// A value type over an `Array` so that an indicator copied for a test keeps value semantics;
/// each write checks uniqueness (one load and compare) and, as long as the owner mutates its
/// state in place, never copies.
@usableFromInline
struct RingWindow: Sendable {
    @usableFromInline var storage: [Double]
    /// Index of the oldest value.
    @usableFromInline var head = 0
    @usableFromInline var count = 0
    @usableFromInline let capacity: Int

    @inlinable
    init(capacity: Int) {
        precondition(capacity >= 0, "RingWindow capacity must be ≥ 0")
        self.capacity = capacity
        storage = [Double](repeating: 0, count: Swift.max(capacity, 1))
    }

    @inlinable var isFull: Bool { count == capacity }

    /// The `i`-th oldest value (0 is the oldest), `i < count`.
    @inlinable
    subscript(i: Int) -> Double {
        var j = head &+ i
        if j >= capacity { j &-= capacity }
        return storage[j]
    }

    /// Appends `x`. When the window was full, the oldest value leaves and is returned; a window
    /// of capacity 0 returns `x` itself.
    @inlinable @discardableResult
    mutating func push(_ x: Double) -> Double? {
        if capacity == 0 { return x }
        if count < capacity {
            var j = head &+ count
            if j >= capacity { j &-= capacity }
            storage[j] = x
            count &+= 1
            return nil
        }
        let leaving = storage[head]
        storage[head] = x
        head &+= 1
        if head == capacity { head = 0 }
        return leaving
    }

    /// The sum oldest to newest, skipping the `dropFirst` oldest values: the order TA-Lib sums a
    /// seed window in, so seeds match it bit for bit.
    @inlinable
    func sum(droppingFirst dropFirst: Int = 0) -> Double {
        var total = 0.0
        var i = dropFirst
        while i < count {
            total += self[i]
            i &+= 1
        }
        return total
    }
}
