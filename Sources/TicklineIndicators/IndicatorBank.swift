import TicklineCore

/// Every indicator of one (symbol, interval), fed closed candles, giving the values of
/// `IndicatorUpdate` both for closed candles (`commit`) and provisionally for the candle in
/// progress (`peek`).
///
/// Candles pass `CandleSequence` first: NaN/inf, non-positive prices, negative volume,
/// inconsistent ranges, misaligned, duplicate and out-of-order open times are refused and
/// counted by reason, never folded in; gaps are accepted and counted (see `CandleSequence`).
/// Each indicator has its own warm-up; `IndicatorSnapshot.ready` has the bit of each that has a
/// value, and a value whose bit is clear is 0 and means nothing.
///
/// `peek(c)` returns exactly (bit for bit) what `commit(c)` would, without changing anything, so
/// the in-progress candle can be evaluated on every update and committed once when it closes.
///
/// ## Performance
/// O(1) per candle for each indicator (amortised for the Stochastic's deques and the periodic
/// re-summations). All windows are allocated at init; `commit` and `peek` never allocate, as
/// long as the bank is mutated in place (a copy shares its windows until either is mutated).
/// About 1 KB per bank with the default periods.
public struct IndicatorBank: Sendable {
    public let symbol: SymbolID
    public let interval: Interval
    public let configuration: IndicatorConfiguration
    public var sequence: CandleSequence
    public var sma: SMA
    public var ema: EMA
    public var rsi: RSI
    public var macd: MACD
    public var bollinger: BollingerBands
    public var atr: ATR
    public var stochastic: Stochastic
    public var obv: OBV
    public var vwap: SessionVWAP
    public var volume: VolumeAverage
    public var adx: ADX
    @usableFromInline var _latest: IndicatorSnapshot?

    /// Traps if `configuration.problem` is not nil (validate configuration at start-up).
    public init(symbol: SymbolID, interval: Interval, configuration: IndicatorConfiguration = .standard) {
        if let problem = configuration.problem { preconditionFailure("IndicatorConfiguration: \(problem)") }
        self.symbol = symbol
        self.interval = interval
        self.configuration = configuration
        sequence = CandleSequence(interval: interval)
        sma = SMA(period: configuration.smaPeriod)
        ema = EMA(period: configuration.emaPeriod)
        rsi = RSI(period: configuration.rsiPeriod)
        macd = MACD(fast: configuration.macdFast, slow: configuration.macdSlow, signal: configuration.macdSignal)
        bollinger = BollingerBands(period: configuration.bollingerPeriod, deviationsUp: configuration.bollingerDeviations,
                                   deviationsDown: configuration.bollingerDeviations)
        atr = ATR(period: configuration.atrPeriod)
        stochastic = Stochastic(fastK: configuration.stochasticFastK, slowK: configuration.stochasticSlowK,
                                slowD: configuration.stochasticSlowD)
        obv = OBV()
        vwap = SessionVWAP(sessionMs: configuration.vwapSessionMs)
        volume = VolumeAverage(period: configuration.volumePeriod)
        adx = ADX(period: configuration.adxPeriod)
    }

    /// The values after the last accepted candle, nil before the first.
    @inlinable public var latest: IndicatorSnapshot? { _latest }

    @inlinable public var counters: CandleCounters { sequence.counters }

    // MARK: Closed candles

    /// Admits `candle` and, if accepted, advances every indicator; the new values are `latest`.
    @inlinable @discardableResult
    public mutating func commit(_ candle: Candle) -> CandleAdmission {
        let admission = sequence.admit(candle)
        guard admission.isAccepted else { return admission }
        var s = IndicatorSnapshot(openTimeMs: candle.openTimeMs, close: candle.close)
        if let v = sma.commit(candle.close) { s.ready.insert(.sma); s.values.sma = v }
        if let v = ema.commit(candle.close) { s.ready.insert(.ema); s.values.ema = v }
        if let v = rsi.commit(candle.close) { s.ready.insert(.rsi); s.values.rsi = v }
        if let v = macd.commit(candle.close) { s.ready.insert(.macd); s.values.setMACD(v) }
        if let v = bollinger.commit(candle.close) {
            s.ready.insert(.bollinger)
            s.values.setBollinger(v)
        }
        if let v = atr.commit(high: candle.high, low: candle.low, close: candle.close) { s.ready.insert(.atr); s.values.atr = v }
        if let v = stochastic.commit(high: candle.high, low: candle.low, close: candle.close) {
            s.ready.insert(.stochastic)
            s.values.setStochastic(v)
        }
        s.ready.insert(.obv)
        s.values.obv = obv.commit(close: candle.close, volume: candle.volume)
        if let v = vwap.commit(candle) { s.ready.insert(.vwap); s.values.vwap = v }
        if let v = volume.commit(volume: candle.volume) {
            s.ready.insert(.volume)
            s.values.setVolume(v)
        }
        if let v = adx.commit(high: candle.high, low: candle.low, close: candle.close) { s.ready.insert(.adx); s.values.adx = v }
        _latest = s
        return admission
    }

    /// `commit` for a closed kline at its symbol's scales; a kline of another interval is
    /// refused (`.wrongInterval`).
    @inlinable @discardableResult
    public mutating func commit(_ kline: Kline, scales: CandleScales) -> CandleAdmission {
        guard kline.interval == interval else {
            sequence.count(.wrongInterval)
            return .rejected(.wrongInterval)
        }
        return commit(Candle(kline, scales: scales))
    }

    // MARK: The candle in progress

    /// What the values would be if `candle` closed now: identical to `latest` after
    /// `commit(candle)`, without changing state. Nil when `candle` would be refused (check
    /// `sequence.check(candle)` for why); not counted, as peeks repeat for the same candle.
    ///
    /// Called on a bank stored in a class or behind a pointer, Swift copies the bank for the
    /// call (it cannot prove nothing changes it meanwhile): ten window buffers retained and
    /// released, about 100 ns, as much as the peek itself. Use `peek(_:in:)` there.
    @inlinable
    public func peek(_ candle: Candle) -> IndicatorSnapshot? {
        guard sequence.check(candle) == nil else { return nil }
        var s = IndicatorSnapshot(openTimeMs: candle.openTimeMs, close: candle.close)
        if let v = sma.peek(candle.close) { s.ready.insert(.sma); s.values.sma = v }
        if let v = ema.peek(candle.close) { s.ready.insert(.ema); s.values.ema = v }
        if let v = rsi.peek(candle.close) { s.ready.insert(.rsi); s.values.rsi = v }
        if let v = macd.peek(candle.close) { s.ready.insert(.macd); s.values.setMACD(v) }
        if let v = bollinger.peek(candle.close) {
            s.ready.insert(.bollinger)
            s.values.setBollinger(v)
        }
        if let v = atr.peek(high: candle.high, low: candle.low, close: candle.close) { s.ready.insert(.atr); s.values.atr = v }
        if let v = stochastic.peek(high: candle.high, low: candle.low, close: candle.close) {
            s.ready.insert(.stochastic)
            s.values.setStochastic(v)
        }
        s.ready.insert(.obv)
        s.values.obv = obv.peek(close: candle.close, volume: candle.volume)
        if let v = vwap.peek(candle) { s.ready.insert(.vwap); s.values.vwap = v }
        if let v = volume.peek(volume: candle.volume) {
            s.ready.insert(.volume)
            s.values.setVolume(v)
        }
        if let v = adx.peek(high: candle.high, low: candle.low, close: candle.close) { s.ready.insert(.adx); s.values.adx = v }
        return s
    }

    /// `peek(candle)` through an `inout` access, which lets Swift read the bank in place: for banks
    /// held in a stage's class or in a pointer (`IndicatorBank.peek(candle, in: &banks[i])`).
    /// Changes nothing.
    @inlinable
    public static func peek(_ candle: Candle, in bank: inout IndicatorBank) -> IndicatorSnapshot? {
        bank.peek(candle)
    }

    /// `peek` for an in-progress kline at its symbol's scales.
    @inlinable
    public func peek(_ kline: Kline, scales: CandleScales) -> IndicatorSnapshot? {
        guard kline.interval == interval else { return nil }
        return peek(Candle(kline, scales: scales))
    }

    // MARK: Messages

    /// The indicator stage's message for `snapshot` (from `latest` or `peek`).
    @inlinable
    public func update(_ snapshot: IndicatorSnapshot, ingressNs: UInt64, close: Price, isClosed: Bool) -> IndicatorUpdate {
        IndicatorUpdate(ingressNs: ingressNs, symbol: symbol, interval: interval, candleOpenTimeMs: snapshot.openTimeMs,
                        isClosed: isClosed, close: close, ready: snapshot.ready, values: snapshot.values)
    }
}
