import TicklineCore
import TicklineIndicators

/// The rule half of the signal stage for one symbol: remembers what the strategies need between
/// candle closes (the previous trading snapshot, the latest trend snapshot) and evaluates each
/// close of the trading interval.
///
/// Feed it in time order: `trendCandleClosed` for each closed candle of the trend interval (4h)
/// before `tradingCandleClosed` for the trading candle that closes at the same moment, so that a
/// 4h close is seen by the 5m evaluation at the same time (as the engine's stages deliver them).
/// Same snapshots in, same evaluations out: no clock, no randomness, no dictionary order.
///
/// ## Performance
/// Two snapshots of state (~350 bytes); an evaluation is a few dozen floating-point operations
/// and allocates nothing.
public struct StrategyEvaluator: Sendable, BitwiseCopyable {
    public let configuration: StrategyConfiguration
    @usableFromInline var _previous: IndicatorSnapshot?
    @usableFromInline var _higher: IndicatorSnapshot?

    /// The last trading-interval snapshot evaluated.
    @inlinable public var previous: IndicatorSnapshot? { _previous }
    /// The latest closed trend-interval snapshot.
    @inlinable public var higher: IndicatorSnapshot? { _higher }

    /// Traps if `configuration.problem` is not nil (validate at start-up).
    public init(configuration: StrategyConfiguration = .standard) {
        if let problem = configuration.problem { preconditionFailure("StrategyConfiguration: \(problem)") }
        self.configuration = configuration
    }

    /// A closed candle of the trend interval.
    @inlinable
    public mutating func trendCandleClosed(_ snapshot: IndicatorSnapshot) { _higher = snapshot }

    /// A closed candle of the trading interval: its evaluation (nil during warm-up), and it
    /// becomes `previous`.
    @inlinable
    public mutating func tradingCandleClosed(_ snapshot: IndicatorSnapshot) -> SignalEvaluation? {
        let result = configuration.evaluate(input(snapshot))
        _previous = snapshot
        return result
    }

    /// What `tradingCandleClosed` would give for the candle in progress (`IndicatorBank.peek`),
    /// without changing anything.
    @inlinable
    public func provisional(_ snapshot: IndicatorSnapshot) -> SignalEvaluation? { configuration.evaluate(input(snapshot)) }

    @inlinable
    public func input(_ snapshot: IndicatorSnapshot) -> StrategyInput {
        StrategyInput(current: snapshot, previous: previous, higher: higher)
    }
}
