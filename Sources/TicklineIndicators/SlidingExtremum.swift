/// The largest (or smallest) of the last `window` inputs, by a monotonic deque: each input is
/// pushed and popped at most once, so an update is amortised O(1) (worst case O(window) for
/// one update), against TA-Lib's rescan of the whole window when the extreme leaves it.
///
/// Entries are (index, value) pairs in index order with values strictly decreasing (for a
/// maximum); storage for `window` entries is allocated at init.
@usableFromInline
struct SlidingExtremum: Sendable {
    @usableFromInline let window: Int
    @usableFromInline let isMaximum: Bool
    @usableFromInline var indices: [Int]
    @usableFromInline var values: [Double]
    @usableFromInline var front = 0
    @usableFromInline var count = 0

    @inlinable
    init(window: Int, maximum: Bool) {
        precondition(window >= 1, "SlidingExtremum window must be ≥ 1")
        self.window = window
        isMaximum = maximum
        indices = [Int](repeating: 0, count: window)
        values = [Double](repeating: 0, count: window)
    }

    @inlinable
    func slot(_ i: Int) -> Int {
        var j = front &+ i
        if j >= window { j &-= window }
        return j
    }

    /// Whether `a` is at least as extreme as `b`, so `b` can never be the extreme again.
    @inlinable
    func dominates(_ a: Double, _ b: Double) -> Bool { isMaximum ? a >= b : a <= b }

    /// Adds the input with `index` (one more than the previous push's).
    @inlinable
    mutating func push(index: Int, _ x: Double) {
        while count > 0 && indices[front] <= index &- window {
            front &+= 1
            if front == window { front = 0 }
            count &-= 1
        }
        while count > 0 && dominates(x, values[slot(count &- 1)]) { count &-= 1 }
        let j = slot(count)
        indices[j] = index
        values[j] = x
        count &+= 1
    }

    /// The extreme of the window after the last push; requires a push.
    @inlinable var extreme: Double { values[front] }

    /// What `extreme` would be after `push(index:x)`, without pushing: only the front entry can
    /// be the one leaving the window, so this is O(1).
    @inlinable
    func peek(index: Int, _ x: Double) -> Double {
        guard count > 0 else { return x }
        var j = front
        if indices[j] <= index &- window {
            guard count > 1 else { return x }
            j = slot(1)
        }
        return dominates(x, values[j]) ? x : values[j]
    }
}
