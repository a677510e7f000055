import TicklineCore
import TicklineIndicators

/// What the strategies see at a candle close of the trading interval: three closed-candle
/// indicator snapshots, all from `IndicatorBank.latest` (or `peek`, for a provisional evaluation).
///
/// - `current`: the trading interval's (e.g. 5m) candle that just closed. Every strategy reads
///   it; the combiner takes the entry (its close) and the ATR for stop and target from it.
/// - `previous`: the trading interval's closed candle before `current`, for what needs a change
///   from one candle to the next: the MACD crossover (the histogram's sign) and the volume
///   confirmation (the close's direction). Nil for the first candle.
/// - `higher`: the latest *closed* candle of the trend interval (4h): the EMA trend filter reads
///   its EMA and ATR. At a 5m close that also closes a 4h candle, that 4h candle is already
///   included (the 4h bank is committed before the evaluation). Nil before the first 4h close.
///
/// A value whose `ready` bit is clear is meaningless; a strategy that needs it gives no score.
/// 3 × 168 bytes plus tags, passed by value; nothing is retained.
@frozen
public struct StrategyInput: Sendable, BitwiseCopyable {
    public var current: IndicatorSnapshot
    public var previous: IndicatorSnapshot?
    public var higher: IndicatorSnapshot?

    @inlinable
    public init(current: IndicatorSnapshot, previous: IndicatorSnapshot? = nil, higher: IndicatorSnapshot? = nil) {
        self.current = current
        self.previous = previous
        self.higher = higher
    }
}
