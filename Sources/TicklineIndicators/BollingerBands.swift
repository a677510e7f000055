/// Bollinger Bands: middle = SMA(period), upper/lower = middle ± deviations · σ, with σ the
/// population standard deviation of the window (divisor `period`), as TA-Lib `BBANDS` with
/// `matype` SMA.
///
/// Warm-up: the first value comes with the `period`-th input (TA-Lib lookback `period − 1`).
///
/// ## Numerics
/// TA-Lib computes σ² as E[x²] − mean² from running sums of x and x². That subtracts two
/// numbers of size mean² to get one of size σ², losing log10(mean²/σ²) digits: for BTC at
/// 47 000 with σ ≈ 5 that is 8 of the 16. Here the running sums are of the *shifted* inputs
/// d = x − K, with K a recent mean: S1 = Σd, S2 = Σd², σ² = S2/n − (S1/n)². The d are of the
/// size of σ, so neither the sums nor the subtraction lose the price's digits, and each update's
/// rounding error is ε·σ², not ε·price² (a sliding Welford update, tried first, still carries an
/// ε·price error in its running mean each step, which reached 2e-9 of σ on BTCUSDT-PERP-5m).
/// Every `recomputeInterval` commits K moves to the current mean and S1, S2 are re-summed
/// exactly from the window, so drift is bounded by ~1024 ε. The committed value is the one
/// computed before that refresh, so `peek(x)` always equals it.
/// Agreement with TA-Lib: the middle band to ~1e-15 relative; σ differs by TA-Lib's own
/// cancellation error, far below 1e-9 of the band on real series (see the tests).
///
/// ## Performance
/// O(1) per update (amortised, with the periodic recompute); one ring of `period` inputs
/// allocated at init.
public struct BollingerBands: Sendable {
    public let period: Int
    public let deviationsUp: Double
    public let deviationsDown: Double
    @usableFromInline var window: RingWindow
    /// The shift K and the sums of the shifted window inputs.
    @usableFromInline var shift = 0.0
    @usableFromInline var s1 = 0.0
    @usableFromInline var s2 = 0.0
    @usableFromInline var commitsSinceRecompute = 0
    @usableFromInline var _value: Value?

    public static let recomputeInterval = 1024

    @frozen
    public struct Value: Sendable, BitwiseCopyable, Equatable {
        public var upper: Double
        public var middle: Double
        public var lower: Double
        /// The population standard deviation of the window.
        public var standardDeviation: Double
        @inlinable
        public init(upper: Double, middle: Double, lower: Double, standardDeviation: Double) {
            self.upper = upper
            self.middle = middle
            self.lower = lower
            self.standardDeviation = standardDeviation
        }
    }

    public init(period: Int = 20, deviationsUp: Double = 2, deviationsDown: Double = 2) {
        precondition(period >= 1, "Bollinger period must be ≥ 1")
        precondition(deviationsUp.isFinite && deviationsDown.isFinite, "Bollinger deviations must be finite")
        self.period = period
        self.deviationsUp = deviationsUp
        self.deviationsDown = deviationsDown
        window = RingWindow(capacity: period)
    }

    @inlinable public var value: Value? { _value }

    @inlinable
    public func peek(_ x: Double) -> Value? {
        let (n, s1, s2) = next(x)
        return n == period ? bands(s1: s1, s2: s2) : nil
    }

    @inlinable @discardableResult
    public mutating func commit(_ x: Double) -> Value? {
        if window.count == 0 { shift = x }
        let (n, newS1, newS2) = next(x)
        window.push(x)
        s1 = newS1
        s2 = newS2
        let result = n == period ? bands(s1: s1, s2: s2) : nil
        commitsSinceRecompute &+= 1
        if commitsSinceRecompute == Self.recomputeInterval { recompute() }
        _value = result
        return result
    }

    /// Window size and shifted sums after adding `x` (dropping the oldest input when full).
    @inlinable
    func next(_ x: Double) -> (Int, Double, Double) {
        let k = window.count == 0 ? x : shift
        let d = x - k
        if window.isFull {
            let e = window[0] - k
            return (period, s1 + d - e, s2 + d * d - e * e)
        }
        return (window.count + 1, s1 + d, s2 + d * d)
    }

    @inlinable
    func bands(s1: Double, s2: Double) -> Value {
        let n = Double(period)
        let m = s1 / n
        let variance = s2 / n - m * m
        let sigma = variance > 0 ? variance.squareRoot() : 0
        let mean = shift + m
        return Value(upper: mean + deviationsUp * sigma, middle: mean, lower: mean - deviationsDown * sigma,
                     standardDeviation: sigma)
    }

    /// Moves the shift to the window's mean and re-sums exactly.
    @usableFromInline @inline(never)
    mutating func recompute() {
        commitsSinceRecompute = 0
        let n = window.count
        guard n > 0 else { return }
        shift = window.sum() / Double(n)
        var t1 = 0.0, t2 = 0.0
        for i in 0..<n {
            let d = window[i] - shift
            t1 += d
            t2 += d * d
        }
        s1 = t1
        s2 = t2
    }
}
