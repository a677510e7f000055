/// A position's state as risk last marked it (64 bytes): journaled as portfolio snapshots
/// and published as `position_updated` events.
@frozen
public struct PositionUpdate: Sendable, BitwiseCopyable, Equatable {
    public var timeNs: UInt64
    public var eventTimeMs: Int64
    public var quantity: Quantity
    public var entryPrice: Price
    public var markPrice: Price
    /// Unrealized PnL including accrued funding, quote asset at the symbol's price scale.
    public var unrealizedPnL: Price
    public var accruedFunding: Price
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    @usableFromInline var _padding = Padding<(UInt8, UInt8, UInt8)>((0, 0, 0))

    @inlinable
    public init(timeNs: UInt64, eventTimeMs: Int64, account: AccountID, symbol: SymbolID, side: Side,
                quantity: Quantity, entryPrice: Price, markPrice: Price, unrealizedPnL: Price, accruedFunding: Price) {
        self.timeNs = timeNs
        self.eventTimeMs = eventTimeMs
        self.account = account
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.markPrice = markPrice
        self.unrealizedPnL = unrealizedPnL
        self.accruedFunding = accruedFunding
    }
}
