import TicklineCore

/// One (account, symbol) position in one-way mode, with the orders in flight for it. Stored in
/// a flat array of accounts × symbols allocated at start-up; a free slot is all zeros.
///
/// Money fields are `Int64` at `RiskEngine.moneyScale` (8 places).
struct PositionSlot: BitwiseCopyable {
    /// Counts toward the account's open positions: a position is open or an entry is in flight.
    var occupied = false
    var side: Side = .buy
    /// Filled quantity (≥ 0).
    var quantity = Quantity.zero
    /// Σ fill quantity × fill price of the open quantity: the entry price is `costBasis ÷ quantity`,
    /// kept as a sum so partial fills average exactly.
    var costBasis: Int64 = 0
    /// Funding income accrued since the position opened (negative when it paid).
    var funding: Int64 = 0
    /// At the last mark: price PnL + funding, and |quantity| × mark.
    var unrealized: Int64 = 0
    var notional: Int64 = 0
    var markPrice = Price.zero
    var stopLoss = Price.zero
    var takeProfit = Price.zero
    var positionID: UInt64 = 0
    var signalID: UInt64 = 0
    /// Entry order in flight (0: none), its ordered and filled quantities, the price it was
    /// sized at and the margin + fee reserved for its unfilled part.
    var entryOrderID: UInt64 = 0
    var entryQuantity = Quantity.zero
    var entryFilled = Quantity.zero
    var entryPrice = Price.zero
    var reserve: Int64 = 0
    /// Reduce-only close in flight (0: none), why, and how much of it has filled.
    var closeOrderID: UInt64 = 0
    var closeReason: CloseReason = .none
    var closeFilled = Quantity.zero
    /// Exchange-side protective orders (closePosition STOP_MARKET / TAKE_PROFIT_MARKET).
    var stopOrderID: UInt64 = 0
    var takeProfitOrderID: UInt64 = 0
    /// PnL booked by partial closes of this position (price PnL + funding − commissions).
    var realized: Int64 = 0
    var openedNs: UInt64 = 0
    var nextUpdateNs: UInt64 = 0
    /// The funding settlement (its time) last applied, the amount, and whether the venue's
    /// FUNDING_FEE has yet to confirm it.
    var fundingTimeMs: Int64 = 0
    var lastFunding: Int64 = 0
    var fundingAwaitingVenue = false
    /// The trade's books for `TradeOpened` / `TradeClosed`: the first fill's venue time, every
    /// entry fill (quantity, Σ notional), every closing fill (quantity, Σ notional: the exit
    /// price's volume weighting), every commission and the funding realized, money at 8 places.
    var entryTimeMs: Int64 = 0
    var enteredQuantity = Quantity.zero
    var enteredNotional: Int64 = 0
    var exitedQuantity = Quantity.zero
    var exitedNotional: Int64 = 0
    var fees: Int64 = 0
    var fundingRealized: Int64 = 0
    /// A `TradeClosed` went out for this slot: a later entry fill starts a new trade (new id).
    var tradeClosed = false
    /// Taken over from the venue at start-up (`adoptPosition`).
    var adopted = false

    /// Still exposed to the market: has quantity and no close in flight. Pending closes are
    /// treated as closed at the mark by the margin-call recomputation.
    var isLive: Bool { quantity.raw > 0 && closeOrderID == 0 }
}

/// What phase a position is in, as `RiskPosition` reports it.
public enum PositionPhase: UInt8, Sendable, BitwiseCopyable {
    /// The entry order is in flight and nothing has filled yet.
    case opening = 1
    case open
    /// A reduce-only close is in flight.
    case closing
}

/// A read-only view of one position (tests, snapshots, the control plane via published copies).
public struct RiskPosition: Sendable, Equatable {
    public var positionID: UInt64
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    public var phase: PositionPhase
    public var quantity: Quantity
    /// Weighted average of the fills, at the symbol's price scale (half-even).
    public var averageEntryPrice: Price
    public var markPrice: Price
    /// Quote amounts at 8 places: price PnL + funding at the last mark; funding accrued (income);
    /// PnL booked by partial closes.
    public var unrealizedPnL: Price
    public var accruedFunding: Price
    public var realizedPnL: Price
    public var stopLoss: Price
    public var takeProfit: Price
    public var closeReason: CloseReason
    public var entryOrderID: UInt64
    public var closeOrderID: UInt64
}

/// An account's balances and margin, quote amounts at 8 places.
public struct RiskAccountSnapshot: Sendable, Equatable {
    public var account: AccountID
    public var walletBalance: Price
    /// Σ unrealized PnL including funding, every position.
    public var unrealizedPnL: Price
    /// Wallet + unrealized.
    public var equity: Price
    /// Σ |quantity| × mark ÷ leverage over positions without a close in flight.
    public var marginUsed: Price
    /// Margin available for a new entry (the venue's `availableBalance` less in-flight entries).
    public var availableMargin: Price
    /// equity ÷ margin used × 100 in hundredths of a percent; nil with no margin used.
    public var marginLevelCentiPercent: Int64?
    public var openPositions: Int
    public var tradingEnabled: Bool
}
