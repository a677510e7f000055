/// What happened to an order at the venue, from the order stage back to risk (128 bytes).
@frozen
public struct ExecutionReport: Sendable, BitwiseCopyable, Equatable {
    public var ingressNs: UInt64
    public var eventTimeMs: Int64
    public var clientOrderID: UInt64
    public var venueOrderID: Int64
    /// Venue trade id of the last fill (0 when not a fill).
    public var tradeID: Int64
    public var lastFillQuantity: Quantity
    public var lastFillPrice: Price
    public var cumulativeQuantity: Quantity
    public var averagePrice: Price
    /// Commission of the last fill, in the quote asset at the symbol's price scale.
    public var commission: Price
    public var realizedPnL: Price
    public var account: AccountID
    public var symbol: SymbolID
    public var kind: ExecutionKind
    public var side: Side
    public var closeReason: CloseReason
    /// Binance error code for `.rejected` (e.g. -2019 margin insufficient), else 0.
    public var venueErrorCode: Int16
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64)>((0, 0, 0))

    @inlinable
    public init(ingressNs: UInt64, eventTimeMs: Int64, clientOrderID: UInt64, venueOrderID: Int64 = 0,
                account: AccountID, symbol: SymbolID, side: Side, kind: ExecutionKind, tradeID: Int64 = 0,
                lastFillQuantity: Quantity = .init(raw: 0), lastFillPrice: Price = .zero,
                cumulativeQuantity: Quantity = .init(raw: 0), averagePrice: Price = .zero, commission: Price = .zero,
                realizedPnL: Price = .zero, closeReason: CloseReason = .none, venueErrorCode: Int16 = 0) {
        self.ingressNs = ingressNs
        self.eventTimeMs = eventTimeMs
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.account = account
        self.symbol = symbol
        self.side = side
        self.kind = kind
        self.tradeID = tradeID
        self.lastFillQuantity = lastFillQuantity
        self.lastFillPrice = lastFillPrice
        self.cumulativeQuantity = cumulativeQuantity
        self.averagePrice = averagePrice
        self.commission = commission
        self.realizedPnL = realizedPnL
        self.closeReason = closeReason
        self.venueErrorCode = venueErrorCode
    }
}

public enum ExecutionKind: UInt8, Sendable, BitwiseCopyable {
    case accepted = 1, partiallyFilled, filled, canceled, rejected, expired
    /// Not an order: the venue's FUNDING_FEE for the account's position in `symbol`, income-signed
    /// in `realizedPnL` at 8 decimal places (the final word on funding; risk reconciles its own).
    case funding
}
