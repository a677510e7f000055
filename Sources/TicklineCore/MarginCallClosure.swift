/// Risk closing one position because the account's margin level fell below the margin-call
/// threshold (`margin_call_closure` on the control plane's WebSocket). 64 bytes of content; it
/// travels inside `EngineEvent`.
///
/// Account-level amounts (equity, margin used, the position's unrealized PnL) are quote-asset
/// values at 8 decimal places (Binance's balance precision), since they sum positions whose
/// symbols have different price scales; `markPrice` is at the symbol's price scale.
@frozen
public struct MarginCallClosure: Sendable, BitwiseCopyable, Equatable {
    public var positionID: UInt64
    /// The reduce-only market order risk issued for the closure.
    public var clientOrderID: UInt64
    /// The margin level that led to this closure, in hundredths of a percent (10_950 = 109.50 %),
    /// truncated toward zero.
    public var marginLevelCentiPercent: Int64
    public var equity: Price
    public var marginUsed: Price
    /// The closed position's unrealized PnL including accrued funding, 8 places.
    public var unrealizedPnL: Price
    public var quantity: Quantity
    public var markPrice: Price
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side

    @inlinable
    public init(positionID: UInt64, clientOrderID: UInt64, account: AccountID, symbol: SymbolID, side: Side,
                quantity: Quantity, markPrice: Price, unrealizedPnL: Price, marginLevelCentiPercent: Int64,
                equity: Price, marginUsed: Price) {
        self.positionID = positionID
        self.clientOrderID = clientOrderID
        self.account = account
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.markPrice = markPrice
        self.unrealizedPnL = unrealizedPnL
        self.marginLevelCentiPercent = marginLevelCentiPercent
        self.equity = equity
        self.marginUsed = marginUsed
    }
}
