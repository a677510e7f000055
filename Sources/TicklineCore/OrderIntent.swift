/// A command from risk to the order stage: submit this order (64 bytes).
///
/// Commands are imperative, reports past tense (NautilusTrader's convention): the order stage
/// answers every intent with `ExecutionReport`s.
@frozen
public struct OrderIntent: Sendable, BitwiseCopyable, Equatable {
    public var ingressNs: UInt64
    /// Engine-unique, becomes Binance's `newClientOrderId`.
    public var clientOrderID: UInt64
    public var signalID: UInt64
    public var quantity: Quantity
    /// Limit price (zero for market orders).
    public var price: Price
    /// Trigger price for stop and take-profit orders (zero otherwise).
    public var stopPrice: Price
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    public var reduceOnly: Bool
    public var closeReason: CloseReason
    @usableFromInline var _padding = Padding<(UInt8, UInt8, UInt8, UInt16)>((0, 0, 0, 0))

    @inlinable
    public init(ingressNs: UInt64, clientOrderID: UInt64, signalID: UInt64 = 0, account: AccountID, symbol: SymbolID,
                side: Side, type: OrderType, quantity: Quantity, price: Price = .zero, stopPrice: Price = .zero,
                timeInForce: TimeInForce = .gtc, reduceOnly: Bool = false, closeReason: CloseReason = .none) {
        self.ingressNs = ingressNs
        self.clientOrderID = clientOrderID
        self.signalID = signalID
        self.account = account
        self.symbol = symbol
        self.side = side
        self.type = type
        self.quantity = quantity
        self.price = price
        self.stopPrice = stopPrice
        self.timeInForce = timeInForce
        self.reduceOnly = reduceOnly
        self.closeReason = closeReason
    }
}

public enum OrderType: UInt8, Sendable, BitwiseCopyable {
    case market = 1, limit, stopMarket, takeProfitMarket, stop, takeProfit, trailingStopMarket
}

public enum TimeInForce: UInt8, Sendable, BitwiseCopyable {
    case gtc = 1, ioc, fok, gtx
}

/// Why a position was closed (or `none` for an opening order). Raw values are stored (trades,
/// orders, fills): new cases go last.
public enum CloseReason: UInt8, Sendable, BitwiseCopyable {
    case none = 0, signal, stopLoss, takeProfit, marginCall, manual, liquidation
    /// Closed by start-up reconciliation: the journal held the trade open, the exchange had no
    /// such position (it closed while the engine was not running).
    case reconciled
}
