/// An account's portfolio at one moment, as risk holds it (64 bytes): journaled every snapshot
/// interval (15 minutes by default) for the equity curve and drawdown, followed by one
/// `.portfolioSnapshot(PositionUpdate)` record per open position with the same account and
/// `timeMs`.
///
/// Money fields are quote-asset amounts at 8 decimal places (`RiskEngine.moneyScale`, Binance's
/// balance precision): they sum positions whose symbols have different price scales.
@frozen
public struct AccountSnapshot: Sendable, BitwiseCopyable, Equatable {
    /// The risk stage's monotonic time when the snapshot was taken.
    public var timeNs: UInt64
    /// Wall-clock time of the snapshot (ms since the Unix epoch): the store's key, and the
    /// `eventTimeMs` of the position rows that go with it.
    public var timeMs: Int64
    /// Wallet + unrealized PnL (incl. accrued funding).
    public var equity: Price
    /// The wallet balance.
    public var cashBalance: Price
    /// Σ |quantity| × mark ÷ leverage over positions without a close in flight.
    public var marginUsed: Price
    /// Margin available for a new entry (the venue's `availableBalance` less entries in flight).
    public var freeMargin: Price
    /// Σ unrealized PnL incl. accrued funding.
    public var unrealizedPnL: Price
    public var account: AccountID
    /// Positions with a filled quantity at that time (the position rows that follow).
    public var positionCount: UInt16
    @usableFromInline var _padding = Padding<UInt32>(0)

    @inlinable
    public init(timeNs: UInt64, timeMs: Int64, account: AccountID, equity: Price, cashBalance: Price,
                marginUsed: Price, freeMargin: Price, unrealizedPnL: Price, positionCount: UInt16) {
        self.timeNs = timeNs
        self.timeMs = timeMs
        self.account = account
        self.equity = equity
        self.cashBalance = cashBalance
        self.marginUsed = marginUsed
        self.freeMargin = freeMargin
        self.unrealizedPnL = unrealizedPnL
        self.positionCount = positionCount
    }
}
