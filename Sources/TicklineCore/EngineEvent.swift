/// An event for the control plane's WebSocket fan-out (192 bytes), one ring per producer.
///
/// Past tense: these report what already happened; the control plane renders them to JSON
/// off the data plane.
@frozen
public struct EngineEvent: Sendable, BitwiseCopyable {
    public var timeNs: UInt64
    public var body: Body
    public var producer: StageID
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)>((0, 0, 0, 0, 0, 0))

    @frozen
    public enum Body: Sendable, BitwiseCopyable {
        case signalGenerated(Signal)
        case orderDenied(OrderDenied)
        case execution(ExecutionReport)
        case positionUpdated(PositionUpdate)
        case tradingSwitched(account: AccountID, isGlobal: Bool, enabled: Bool)
        /// Risk closing a position to restore the margin level (`margin_call_closure`).
        case marginCallClosure(MarginCallClosure)
        /// A position's first entry fill (or its adoption at start-up): `trade_executed`.
        case tradeOpened(TradeOpened)
        /// A position's last closing fill: `trade_closed`.
        case tradeClosed(TradeClosed)
        /// An account's portfolio after something changed it (positions marked, opened, closed;
        /// a switch): what the control plane serves as the account's portfolio.
        case accountUpdated(AccountSnapshot)
    }

    @inlinable
    public init(producer: StageID, timeNs: UInt64, body: Body) {
        self.producer = producer
        self.timeNs = timeNs
        self.body = body
    }
}
