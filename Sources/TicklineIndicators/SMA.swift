/// Simple moving average of the last `period` inputs.
///
/// Warm-up: the first value comes with the `period`-th input (TA-Lib `SMA` lookback
/// `period − 1`); no seeding is involved. The arithmetic is `TA_INT_SMA`'s: a running total of
/// the newest `period − 1` inputs, to which the input is added, the sum divided by `period`, and
/// the input leaving the window subtracted, so values agree with TA-Lib to the last bit until
/// the first re-summation.
///
/// ## Performance
/// O(1) per update. One ring of `period − 1` doubles, allocated at init. Every
/// `resumInterval` commits the total is re-summed from the ring (O(period), so O(period/4096)
/// amortised): a running total's rounding errors only add up, and an engine runs for months.
public struct SMA: Sendable {
    public let period: Int
    /// The newest `period − 1` inputs.
    @usableFromInline var window: RingWindow
    /// Sum of `window`.
    @usableFromInline var partialSum = 0.0
    @usableFromInline var commitsSinceResum = 0
    @usableFromInline var _value: Double?

    /// Commits between exact re-summations of the running total.
    public static let resumInterval = 4096

    public init(period: Int) {
        precondition(period >= 1, "SMA period must be ≥ 1")
        self.period = period
        window = RingWindow(capacity: period - 1)
    }

    /// The value after the last commit, nil during warm-up.
    @inlinable public var value: Double? { _value }

    /// The value `commit(x)` would give, without changing state.
    @inlinable
    public func peek(_ x: Double) -> Double? {
        guard window.isFull else { return nil }
        return (partialSum + x) / Double(period)
    }

    @inlinable @discardableResult
    public mutating func commit(_ x: Double) -> Double? {
        let total = partialSum + x
        let result: Double? = window.isFull ? total / Double(period) : nil
        if let leaving = window.push(x) { partialSum = total - leaving } else { partialSum = total }
        commitsSinceResum &+= 1
        if commitsSinceResum == Self.resumInterval { resum() }
        _value = result
        return result
    }

    @usableFromInline @inline(never)
    mutating func resum() {
        commitsSinceResum = 0
        partialSum = window.sum()
    }
}
