import TicklineCore

/// A trading switch flipped by a command (for the `tradingSwitched` event).
public struct TradingSwitch: Sendable, Equatable, BitwiseCopyable {
    public var account: AccountID
    public var isGlobal: Bool
    public var enabled: Bool
    public var requestID: UInt64
}

/// Everything one `RiskEngine` call decided, for the stage to push to its rings: order intents
/// (order ring, journal), denials (journal, events), position updates and margin-call closures
/// (events, journal), switch changes (events), log records (log ring) and alerts (critical
/// records for the alert sinks); trades opened and closed, and portfolio snapshots (account rows
/// and their position rows), for the journal.
///
/// Each entry point of the engine empties the outbox first, so it holds exactly the last call's
/// actions: drain it after every call, reading it in place (`engine.outbox.intents`). Do not keep
/// a copy across calls: emptying a shared buffer would copy it, the one allocation this design
/// otherwise avoids. Capacities are reserved at start-up and sized so that no single call can fill
/// the intent list; log records beyond capacity are dropped and counted.
public struct RiskOutbox {
    public internal(set) var intents: BoundedList<OrderIntent>
    public internal(set) var denials: BoundedList<OrderDenied>
    public internal(set) var positionUpdates: BoundedList<PositionUpdate>
    public internal(set) var marginCallClosures: BoundedList<MarginCallClosure>
    public internal(set) var switches: BoundedList<TradingSwitch>
    public internal(set) var logs: BoundedList<LogRecord>
    public internal(set) var alerts: BoundedList<LogRecord>
    /// A position's first entry fill, or its adoption (`adoptPosition` appends without clearing,
    /// so adoptions accumulate until the next call: drain after adopting).
    public internal(set) var tradesOpened: BoundedList<TradeOpened>
    /// A position's quantity back to zero.
    public internal(set) var tradesClosed: BoundedList<TradeClosed>
    /// Portfolio snapshots from `poll`: one per account due, each followed (in
    /// `snapshotPositions`, in the same account order) by its open positions.
    public internal(set) var accountSnapshots: BoundedList<AccountSnapshot>
    public internal(set) var snapshotPositions: BoundedList<PositionUpdate>

    init(accounts: Int, slots: Int) {
        intents = BoundedList(capacity: 3 * slots + accounts + 8)
        denials = BoundedList(capacity: accounts + 1)
        positionUpdates = BoundedList(capacity: slots + 1)
        marginCallClosures = BoundedList(capacity: slots + 1)
        switches = BoundedList(capacity: 4)
        logs = BoundedList(capacity: 3 * slots + 16)
        alerts = BoundedList(capacity: accounts + 4)
        tradesOpened = BoundedList(capacity: slots + 1)
        tradesClosed = BoundedList(capacity: slots + 1)
        accountSnapshots = BoundedList(capacity: accounts)
        snapshotPositions = BoundedList(capacity: slots)
    }

    mutating func clear() {
        intents.removeAll()
        denials.removeAll()
        positionUpdates.removeAll()
        marginCallClosures.removeAll()
        switches.removeAll()
        logs.removeAll()
        alerts.removeAll()
        tradesOpened.removeAll()
        tradesClosed.removeAll()
        accountSnapshots.removeAll()
        snapshotPositions.removeAll()
    }

    /// Whether the last call produced nothing.
    public var isEmpty: Bool {
        intents.isEmpty && denials.isEmpty && positionUpdates.isEmpty && marginCallClosures.isEmpty
            && switches.isEmpty && logs.isEmpty && alerts.isEmpty && tradesOpened.isEmpty && tradesClosed.isEmpty
            && accountSnapshots.isEmpty && snapshotPositions.isEmpty
    }
}
