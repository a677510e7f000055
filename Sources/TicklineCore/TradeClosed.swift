/// Risk booking the fill that brought a position's quantity back to zero (128 bytes: 95 of
/// content). The store closes the trade `TradeOpened` inserted for the same `positionID`.
///
/// Prices are at the symbol's price scale, quantities at its quantity scale, and the quote
/// amounts (`realizedPnL`, `fees`, `funding`) at the symbol's price scale, rounded half-even
/// from risk's 8-place books — the `ExecutionReport` / `TradeRecord` conventions.
@frozen
public struct TradeClosed: Sendable, BitwiseCopyable, Equatable {
    /// The ingress time of the closing fill (or of the rejection that found the position gone).
    public var ingressNs: UInt64
    /// The closing fill's venue event time (ms since the Unix epoch).
    public var exitTimeMs: Int64
    /// The `TradeOpened.entryTimeMs` of this position.
    public var entryTimeMs: Int64
    public var positionID: UInt64
    /// The order whose fill closed the position: risk's reduce-only close, or the venue-side
    /// STOP_MARKET / TAKE_PROFIT_MARKET.
    public var exitClientOrderID: UInt64
    /// Every entry fill's quantity, and their volume-weighted average price (half-even).
    public var quantity: Quantity
    public var entryPrice: Price
    /// Volume-weighted average of the closing fills (half-even); a close the venue rejected
    /// because the position was already gone (-2022) counts at the last mark.
    public var exitPrice: Price
    /// Price PnL + funding − every commission (entry and exit): what the wallet gained.
    public var realizedPnL: Price
    /// Every commission paid, entry and exit.
    public var fees: Price
    /// Funding income realized over the position's life (negative when it paid).
    public var funding: Price
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    /// StopLoss / TakeProfit (risk's own check, or the venue's protective order that filled),
    /// MarginCall, Manual, Signal.
    public var reason: CloseReason
    /// The position was adopted at start-up: its books (fees, PnL, funding) start at the
    /// take-over, not at the venue's opening.
    public var adopted: Bool
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64, UInt64)>((0, 0, 0, 0))

    @inlinable
    public init(ingressNs: UInt64, exitTimeMs: Int64, entryTimeMs: Int64, positionID: UInt64, account: AccountID,
                symbol: SymbolID, side: Side, reason: CloseReason, quantity: Quantity, entryPrice: Price,
                exitPrice: Price, realizedPnL: Price, fees: Price = .zero, funding: Price = .zero,
                exitClientOrderID: UInt64 = 0, adopted: Bool = false) {
        self.ingressNs = ingressNs
        self.exitTimeMs = exitTimeMs
        self.entryTimeMs = entryTimeMs
        self.positionID = positionID
        self.exitClientOrderID = exitClientOrderID
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.realizedPnL = realizedPnL
        self.fees = fees
        self.funding = funding
        self.account = account
        self.symbol = symbol
        self.side = side
        self.reason = reason
        self.adopted = adopted
    }
}
