/// Something the store must keep, sent by a producing stage on its own journal ring (192 bytes).
///
/// The store writer drains one ring per producer and commits in batches; `sequence` is
/// per-producer and gap-free, so the store can tell a lost record from a quiet stage.
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
        case portfolioSnapshot(PositionUpdate)
    }

    @inlinable
    public init(producer: StageID, sequence: UInt64, body: Body) {
        self.producer = producer
        self.sequence = sequence
        self.body = body
    }
}
