import TicklineCore

/// What the risk engine has done and refused, for metrics. Plain integers, bumped in place.
public struct RiskCounters: Sendable {
    /// Denials by `DenialReason.rawValue` (index 0 unused).
    @usableFromInline var denialsByReason: [Int] = Array(repeating: 0, count: 256)
    public internal(set) var signals = 0
    public internal(set) var entriesSubmitted = 0
    public internal(set) var priceEvents = 0
    public internal(set) var stopLossCloses = 0
    public internal(set) var takeProfitCloses = 0
    public internal(set) var marginCallCloses = 0
    /// Margin-call episodes (the level fell below the trigger and closures went out).
    public internal(set) var marginCalls = 0
    /// A margin call found no further position to close while the level stayed below target.
    public internal(set) var marginCallsExhausted = 0
    public internal(set) var manualCloses = 0
    public internal(set) var fills = 0
    /// Execution reports whose cumulative quantity was already booked.
    public internal(set) var duplicateFills = 0
    /// Fills matching no order risk knows of (e.g. a late safety-net fill for a position already
    /// closed).
    public internal(set) var unmatchedReports = 0
    /// Fills of exchange-side protective orders (or other venue-initiated closes).
    public internal(set) var venueCloseFills = 0
    /// Entry orders that ended other than filled (rejected, canceled, expired; any partial fill kept).
    public internal(set) var entriesRejected = 0
    /// Close orders canceled, expired or rejected with the position still open (retried on the
    /// next price event).
    public internal(set) var closesFailed = 0
    /// Close orders rejected with -2022 (ReduceOnly rejected: the position was already gone).
    public internal(set) var closesAlreadyFlat = 0
    public internal(set) var fundingApplications = 0
    public internal(set) var fundingCorrections = 0
    public internal(set) var intentsNotSent = 0
    public internal(set) var outboxOverflows = 0
    public internal(set) var commandsIgnored = 0
    /// `TradeOpened` / `TradeClosed` put in the outbox (adoptions included).
    public internal(set) var tradesOpened = 0
    public internal(set) var tradesClosed = 0
    /// `AccountSnapshot`s put in the outbox.
    public internal(set) var snapshots = 0

    init() {}

    public func denials(_ reason: DenialReason) -> Int { denialsByReason[Int(reason.rawValue)] }

    public var totalDenials: Int { denialsByReason.reduce(0, +) }
}
