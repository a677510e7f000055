/// Risk booking the first entry fill of a position, or taking over a venue position at start-up
/// (128 bytes: 86 of content). The store inserts a trade record from it.
///
/// Prices are at the symbol's price scale, the quantity at its quantity scale, `fees` (the
/// commission of that first fill) in the quote asset at the symbol's price scale — the
/// `ExecutionReport` conventions.
@frozen
public struct TradeOpened: Sendable, BitwiseCopyable, Equatable {
    /// The ingress time of the message that opened it (the fill's), or the adoption time.
    public var ingressNs: UInt64
    /// The first fill's venue event time (ms since the Unix epoch); for an adopted position, the
    /// wall-clock time it was taken over (the venue's own opening time is not known).
    public var entryTimeMs: Int64
    /// Risk's position id, unique within a run: `TradeClosed` names the same one.
    public var positionID: UInt64
    /// The signal that opened it (0 for an adopted position).
    public var signalID: UInt64
    /// The entry order's client order id (0 for an adopted position).
    public var entryClientOrderID: UInt64
    /// The first fill's quantity (partial fills that follow do not send another `TradeOpened`;
    /// `TradeClosed` carries the total).
    public var quantity: Quantity
    /// The first fill's price.
    public var entryPrice: Price
    public var stopLoss: Price
    public var takeProfit: Price
    public var fees: Price
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    /// Taken over from the venue at start-up (`RiskEngine.adoptPosition`) rather than opened by
    /// a signal: the store resumes an open trade of the same account, symbol and side if it has
    /// one ("synced"), else inserts one.
    public var adopted: Bool
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64, UInt64, UInt64)>((0, 0, 0, 0, 0))

    @inlinable
    public init(ingressNs: UInt64, entryTimeMs: Int64, positionID: UInt64, account: AccountID, symbol: SymbolID,
                side: Side, quantity: Quantity, entryPrice: Price, stopLoss: Price = .zero, takeProfit: Price = .zero,
                fees: Price = .zero, signalID: UInt64 = 0, entryClientOrderID: UInt64 = 0, adopted: Bool = false) {
        self.ingressNs = ingressNs
        self.entryTimeMs = entryTimeMs
        self.positionID = positionID
        self.signalID = signalID
        self.entryClientOrderID = entryClientOrderID
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.fees = fees
        self.account = account
        self.symbol = symbol
        self.side = side
        self.adopted = adopted
    }
}
