import TicklineCore
import TicklineIndicators

/// Signals from a file of closed trading-interval candles alone (replay, backtest,
/// `tickline signals`): the trading interval's `IndicatorBank`, a `CandleAggregator` building the
/// trend interval's candles from the same candles (epoch-aligned), the trend interval's bank, and
/// a `StrategyEvaluator`. Live, the trend interval is subscribed and comes closed from the parse
/// stage instead; the evaluation is the same.
///
/// Per candle, in this order: the trading bank commits it (a refused candle stops here: no
/// evaluation); the aggregator adds it, and a trend candle it closes (or flushes past a gap) is
/// committed to the trend bank and handed to the evaluator; then the evaluator evaluates the
/// trading snapshot.
///
/// ## Performance
/// Two banks' windows are allocated at init; `add` allocates nothing.
public struct SignalReplay: Sendable {
    public var trading: IndicatorBank
    public var aggregator: CandleAggregator
    public var trend: IndicatorBank
    public var evaluator: StrategyEvaluator

    /// `configuration.trendInterval` must be a multiple of `interval` (see `CandleAggregator`).
    public init(symbol: SymbolID, interval: Interval, configuration: StrategyConfiguration = .standard,
                indicators: IndicatorConfiguration = .standard) {
        trading = IndicatorBank(symbol: symbol, interval: interval, configuration: indicators)
        aggregator = CandleAggregator(from: interval, to: configuration.trendInterval)
        trend = IndicatorBank(symbol: symbol, interval: configuration.trendInterval, configuration: indicators)
        evaluator = StrategyEvaluator(configuration: configuration)
    }

    /// The evaluation at `candle`'s close, nil during warm-up or when the candle is refused
    /// (`trading.counters` says why).
    @inlinable
    public mutating func add(_ candle: Candle) -> SignalEvaluation? {
        guard trading.commit(candle).isAccepted, let snapshot = trading.latest else { return nil }
        let output = aggregator.add(candle)
        if let flushed = output.flushedByGap { closeTrendCandle(flushed) }
        if let closed = output.closed { closeTrendCandle(closed) }
        return evaluator.tradingCandleClosed(snapshot)
    }

    @inlinable
    mutating func closeTrendCandle(_ candle: Candle) {
        if trend.commit(candle).isAccepted, let s = trend.latest { evaluator.trendCandleClosed(s) }
    }
}
