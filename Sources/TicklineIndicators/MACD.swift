/// Moving average convergence/divergence: line = EMA(fast) − EMA(slow), signal = EMA(signal)
/// of the line, histogram = line − signal.
///
/// Seeding, exactly as TA-Lib `MACD` (`TA_INT_MACD`), which aligns both averages on the slow
/// one's first value: the slow EMA is seeded with the simple average of inputs 1…slow, and the
/// fast EMA — not with its own first `fast` inputs — with the simple average of the `fast`
/// inputs ending at input `slow` (inputs slow−fast+1…slow). Both start at input `slow`, and so
/// does the line. The signal EMA is seeded with the simple average of the first `signal` line
/// values. The first value (all three parts) comes with input slow + signal − 1 (34 for
/// 12/26/9, TA-Lib lookback 33); values agree with TA-Lib from that first one.
///
/// ## Performance
/// O(1). A ring of `fast − 1` inputs is written only during warm-up (for the fast seed).
public struct MACD: Sendable {
    public let fastPeriod: Int
    public let slowPeriod: Int
    public let signalPeriod: Int
    @usableFromInline let kFast: Double
    @usableFromInline let kSlow: Double
    @usableFromInline let kSignal: Double
    /// The newest `fast − 1` inputs, kept until the fast EMA is seeded.
    @usableFromInline var seedWindow: RingWindow
    @usableFromInline var state = State()

    /// One MACD value.
    @frozen
    public struct Value: Sendable, BitwiseCopyable, Equatable {
        public var macd: Double
        public var signal: Double
        public var histogram: Double
        @inlinable
        public init(macd: Double, signal: Double, histogram: Double) {
            self.macd = macd
            self.signal = signal
            self.histogram = histogram
        }
    }

    @usableFromInline
    struct State: Sendable, BitwiseCopyable {
        /// Inputs seen, saturating at slow; then line values seen, saturating at signal.
        @usableFromInline var seen = 0
        @usableFromInline var linesSeen = 0
        @usableFromInline var slowSeedSum = 0.0
        @usableFromInline var fast = 0.0
        @usableFromInline var slow = 0.0
        @usableFromInline var signalSeedSum = 0.0
        @usableFromInline var signal = 0.0
        @usableFromInline var line = 0.0
        @usableFromInline init() {}
    }

    public init(fast: Int = 12, slow: Int = 26, signal: Int = 9) {
        precondition(fast >= 1 && signal >= 1, "MACD periods must be ≥ 1")
        precondition(fast < slow, "MACD fast period must be below the slow period")
        fastPeriod = fast
        slowPeriod = slow
        signalPeriod = signal
        kFast = 2.0 / Double(fast + 1)
        kSlow = 2.0 / Double(slow + 1)
        kSignal = 2.0 / Double(signal + 1)
        seedWindow = RingWindow(capacity: fast - 1)
    }

    /// The last committed value, nil during warm-up.
    @inlinable
    public var value: Value? {
        guard state.linesSeen >= signalPeriod else { return nil }
        return Value(macd: state.line, signal: state.signal, histogram: state.line - state.signal)
    }

    /// The MACD line alone, available `signal − 1` inputs before `value`.
    @inlinable public var line: Double? { state.seen >= slowPeriod ? state.line : nil }

    @inlinable
    public func peek(_ x: Double) -> Value? {
        var s = state
        return advance(&s, x, fastSeed: s.seen == slowPeriod - 1 ? fastSeed(adding: x) : 0)
    }

    @inlinable @discardableResult
    public mutating func commit(_ x: Double) -> Value? {
        let seed = state.seen == slowPeriod - 1 ? fastSeed(adding: x) : 0
        if state.seen < slowPeriod - 1 { seedWindow.push(x) }
        return advance(&state, x, fastSeed: seed)
    }

    /// The fast seed if `x` is input `slow`: the newest `fast − 1` inputs then `x`, summed in
    /// TA-Lib's order (oldest first, from 0), divided by `fast`.
    @inlinable
    func fastSeed(adding x: Double) -> Double {
        (seedWindow.sum() + x) / Double(fastPeriod)
    }

    @inlinable
    func advance(_ s: inout State, _ x: Double, fastSeed: Double) -> Value? {
        if s.seen < slowPeriod {
            s.slowSeedSum += x
            s.seen &+= 1
            guard s.seen == slowPeriod else { return nil }
            s.slow = s.slowSeedSum / Double(slowPeriod)
            s.fast = fastSeed
        } else {
            s.fast = ((x - s.fast) * kFast) + s.fast
            s.slow = ((x - s.slow) * kSlow) + s.slow
        }
        s.line = s.fast - s.slow
        if s.linesSeen >= signalPeriod {
            s.signal = ((s.line - s.signal) * kSignal) + s.signal
        } else {
            s.signalSeedSum += s.line
            s.linesSeen &+= 1
            guard s.linesSeen == signalPeriod else { return nil }
            s.signal = s.signalSeedSum / Double(signalPeriod)
        }
        return Value(macd: s.line, signal: s.signal, histogram: s.line - s.signal)
    }
}
