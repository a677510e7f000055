/// Average directional index (Wilder), as TA-Lib `ADX`.
///
/// Per candle after the first: +DM = high − previous high and −DM = previous low − low, of which
/// at most one counts (−DM when it is positive and larger, +DM when it is positive and larger,
/// neither on a tie), and the true range. Seeding, as TA-Lib (unstable period 0): candles
/// 2…period add plain sums of +DM, −DM and TR; from candle period + 1 each sum is smoothed the
/// Wilder way (s − s/period + new), DI± = 100 · DM± / TR and DX = 100 · |DI− − DI+| / (DI− + DI+);
/// the first ADX, with candle 2·period (the 28th for 14: TA-Lib lookback 27), is the plain mean
/// of the first `period` DX; after it adx = (adx · (period − 1) + dx) / period. Values agree with
/// TA-Lib from the first one.
///
/// Zero guards: TA-Lib skips a DX (leaving the ADX unchanged) when TR or DI− + DI+ is below 1e-8
/// (`TA_IS_ZERO`); here only when it is exactly 0, so that assets quoted below a cent, whose
/// ranges can be that small, still get an ADX. Real series never hit either guard.
///
/// ## Performance
/// O(1), scalars only.
public struct ADX: Sendable {
    public let period: Int
    @usableFromInline var state = State()

    @usableFromInline
    struct State: Sendable, BitwiseCopyable {
        /// Candles seen, saturating at 2·period.
        @usableFromInline var seen = 0
        @usableFromInline var previousHigh = 0.0
        @usableFromInline var previousLow = 0.0
        @usableFromInline var previousClose = 0.0
        @usableFromInline var plusDM = 0.0
        @usableFromInline var minusDM = 0.0
        @usableFromInline var tr = 0.0
        /// The sum of the first DX during warm-up, then the ADX.
        @usableFromInline var adx = 0.0
        @usableFromInline init() {}
    }

    public init(period: Int = 14) {
        precondition(period >= 1, "ADX period must be ≥ 1")
        self.period = period
    }

    @inlinable public var value: Double? { state.seen >= 2 * period ? state.adx : nil }

    @inlinable
    public func peek(high: Double, low: Double, close: Double) -> Double? {
        var s = state
        return Self.advance(&s, high: high, low: low, close: close, period: period)
    }

    @inlinable @discardableResult
    public mutating func commit(high: Double, low: Double, close: Double) -> Double? {
        Self.advance(&state, high: high, low: low, close: close, period: period)
    }

    /// DX from the smoothed sums, nil where TA-Lib's guards skip it.
    @inlinable
    static func dx(_ s: State) -> Double? {
        guard s.tr != 0 else { return nil }
        let minusDI = 100.0 * (s.minusDM / s.tr)
        let plusDI = 100.0 * (s.plusDM / s.tr)
        let sum = minusDI + plusDI
        guard sum != 0 else { return nil }
        return 100.0 * (abs(minusDI - plusDI) / sum)
    }

    @inlinable
    static func advance(_ s: inout State, high: Double, low: Double, close: Double, period: Int) -> Double? {
        guard s.seen > 0 else {
            s.previousHigh = high
            s.previousLow = low
            s.previousClose = close
            s.seen = 1
            return nil
        }
        let diffP = high - s.previousHigh
        let diffM = s.previousLow - low
        s.previousHigh = high
        s.previousLow = low
        let range = trueRange(high: high, low: low, previousClose: s.previousClose)
        s.previousClose = close
        let p = Double(period)
        if s.seen < period {
            if diffM > 0 && diffP < diffM {
                s.minusDM += diffM
            } else if diffP > 0 && diffP > diffM {
                s.plusDM += diffP
            }
            s.tr += range
            s.seen &+= 1
            return nil
        }
        s.minusDM -= s.minusDM / p
        s.plusDM -= s.plusDM / p
        if diffM > 0 && diffP < diffM {
            s.minusDM += diffM
        } else if diffP > 0 && diffP > diffM {
            s.plusDM += diffP
        }
        s.tr = s.tr - (s.tr / p) + range
        if s.seen < 2 * period {
            if let dx = dx(s) { s.adx += dx }
            s.seen &+= 1
            guard s.seen == 2 * period else { return nil }
            s.adx = s.adx / p
            return s.adx
        }
        if let dx = dx(s) { s.adx = ((s.adx * Double(period - 1)) + dx) / p }
        return s.adx
    }
}
