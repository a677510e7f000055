/// Something the store must keep, sent by a producing stage on its own journal ring (192 bytes).
///
/// The store writer drains one ring per producer and commits in batches; `sequence` is
/// per-producer and gap-free, so the store can tell a lost record from a quiet stage.
///
/// The body is at most 128 bytes of payload plus its case tag (an `ExecutionReport`, a
/// `Signal`, a `TradeOpened` or `TradeClosed`), so the record stays three cache lines.
@frozen
public struct JournalRecord: Sendable, BitwiseCopyable {
    public var sequence: UInt64
    public var body: Body
    public var producer: StageID
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)>((0, 0, 0, 0, 0, 0))

    @frozen
    public enum Body: Sendable, BitwiseCopyable {
        case candle(SymbolID, Kline)
        case signal(Signal)
        case order(OrderIntent)
        case denied(OrderDenied)
        case execution(ExecutionReport)
        /// One open position of a portfolio snapshot (`eventTimeMs` = the snapshot's `timeMs`).
        case portfolioSnapshot(PositionUpdate)
        /// The account-level part of a portfolio snapshot; its positions follow as
        /// `.portfolioSnapshot` records.
        case accountSnapshot(AccountSnapshot)
        /// A position's first entry fill (or its adoption at start-up): a trade opens.
        case tradeOpened(TradeOpened)
        /// A position's quantity back to zero: the trade closes.
        case tradeClosed(TradeClosed)
    }

    @inlinable
    public init(producer: StageID, sequence: UInt64, body: Body) {
        self.producer = producer
        self.sequence = sequence
        self.body = body
    }
}
