import TicklineCore
import TicklineRing
import TicklineRisk

/// The risk stage: the single writer of trading state. Reads five rings — latest prices (from
/// parse), signals, execution reports, control-plane commands and store status — feeds each
/// message to the pure `RiskEngine` and, after every call, drains the engine's outbox to its
/// rings: order intents to the order ring (and the journal), denials to the journal and events,
/// position updates, margin-call closures and switch changes to events, trades opened and closed
/// and portfolio snapshots (every `snapshotIntervalNs`, a deadline checked by `engine.poll`) to
/// the journal, log records and alerts to the stage log.
///
/// Back pressure: a signal is consumed only when the order ring has room for every intent it may
/// produce (one per account); otherwise it stays on its ring. Intents from other calls (closes,
/// protective orders) that find the order ring full are handed back with `orderNotSent(_:)`, so
/// the engine retries closes on the next price event.
///
/// Per message: no allocation, lock or existential (the outbox is read in place).
public final class RiskStage<C: NanoClock>: Agent {
    public let roleName = "risk"
    public let rings: PipelineRings
    public let clock: C
    public let latency = LatencyRecorder(name: "ingress_to_risk")
    public let log: StageLog
    let commands: SPSCRingHandle<Command>
    let storeStatus: SPSCRingHandle<StoreStatus>
    let prices: SPSCRingHandle<MarketEvent>
    let executions: SPSCRingHandle<ExecutionReport>
    let signals: SPSCRingHandle<Signal>
    let output: SPSCRingHandle<OrderIntent>
    let journal: SPSCRingHandle<JournalRecord>
    let events: SPSCRingHandle<EngineEvent>
    public private(set) var engine: RiskEngine
    /// Signals consumed (accepted or denied).
    public private(set) var signalsHandled = 0
    public private(set) var pricesSeen = 0
    /// Execution reports of kind `.filled`.
    public private(set) var fills = 0
    /// `OrderDenied`s published.
    public private(set) var denied = 0
    /// Intents handed to the order ring (entries, closes, protective orders).
    public private(set) var intentsSent = 0
    /// Intents the order ring had no room for, handed back to the engine.
    public private(set) var intentsNotSent = 0
    /// Events pushed to the event ring: denials, position updates, margin-call closures, switches.
    public private(set) var eventsPublished = 0
    public private(set) var positionUpdates = 0
    public private(set) var marginCallClosures = 0
    public private(set) var sideChannelOverflows = 0
    /// Journal records of trades opened / closed and of portfolio snapshots (account rows and
    /// position rows) pushed or attempted (a full journal ring counts in `sideChannelOverflows`).
    public private(set) var tradesOpened = 0
    public private(set) var tradesClosed = 0
    public private(set) var accountSnapshots = 0
    /// `accountUpdated` events published (the control plane's portfolios).
    public private(set) var accountUpdates = 0
    public private(set) var snapshotPositions = 0
    var journalSequence: UInt64 = 0
    var protectedAdopted = false
    /// Venue positions taken over at start-up.
    public private(set) var adopted = 0

    public var tradingEnabled: Bool { engine.globalTradingEnabled }
    public var storeDegraded: Bool { engine.storeDegraded }

    public init(rings: PipelineRings, clock: C, symbols: SymbolTable,
                configuration: RiskStageConfiguration? = nil) throws(RiskConfigurationError) {
        let config = configuration ?? .paper(symbols: symbols)
        let startNs = clock.nowNs()
        var engine = try RiskEngine(accounts: config.accounts, symbols: config.symbols, symbolCount: symbols.count,
                                    globalTradingEnabled: config.globalTradingEnabled,
                                    firstClientOrderID: config.firstClientOrderID,
                                    firstPositionID: config.firstPositionID,
                                    positionUpdateIntervalNs: config.positionUpdateIntervalNs,
                                    exchangeProtectiveOrders: config.exchangeProtectiveOrders,
                                    snapshotIntervalNs: config.snapshotIntervalNs, startNs: startNs)
        for (i, balance) in config.walletBalances.enumerated() where i < config.accounts.count {
            engine.setWalletBalance(AccountID(UInt16(i)), balance)
        }
        // Adoptions accumulate `TradeOpened`s in the outbox; the first duty cycle drains them.
        let startMs = clock.wallTimeMs()
        var adopted = 0
        for p in config.adoptedPositions {
            if engine.adoptPosition(p.account, p.symbol, side: p.side, quantity: p.quantity, entryPrice: p.entryPrice,
                                    nowNs: startNs, entryTimeMs: startMs) {
                adopted += 1
            }
        }
        precondition(engine.accountCount <= rings.riskToOrder.capacity,
                     "the order ring must hold one intent per account")
        self.engine = engine
        self.adopted = adopted
        self.rings = rings
        self.clock = clock
        self.log = rings.log(.risk)
        self.commands = rings.commandsToRisk.handle
        self.storeStatus = rings.storeStatusToRisk.handle
        self.prices = rings.pricesToRisk.handle
        self.executions = rings.executionsToRisk.handle
        self.signals = rings.signalToRisk.handle
        self.output = rings.riskToOrder.handle
        self.journal = rings.journal(.risk).handle
        self.events = rings.events(.risk).handle
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        var work = 0
        if !protectedAdopted {
            protectedAdopted = true
            drainOutbox(nowNs: nowNs)  // the adoptions' `TradeOpened`s, from init
            engine.protectAdoptedPositions(nowNs: nowNs)
            drainOutbox(nowNs: nowNs)
            publishAccountUpdates(nowNs: nowNs, touched: .max)  // the starting wallets
        }
        work &+= commands.drain(limit: 16) { command in
            engine.handleCommand(command.pointee, nowNs: nowNs)
            drainOutbox(nowNs: nowNs)
            return true
        }
        work &+= storeStatus.drain(limit: 16) { status in
            let wasDegraded = engine.storeDegraded
            engine.handleStoreStatus(status.pointee, nowNs: nowNs)
            drainOutbox(nowNs: nowNs)
            // The alert (critical) and the all-clear, once per episode.
            if engine.storeDegraded && !wasDegraded {
                log.log(.storeDegraded, .critical, nowNs: nowNs, Int64(status.pointee.errorCode),
                        Int64(status.pointee.pendingRecords))
            } else if !engine.storeDegraded && wasDegraded {
                log.log(.storeRecovered, .notice, nowNs: nowNs)
            }
            return true
        }
        let p = prices.drain(limit: 256) { event in
            engine.handleMarketEvent(event.pointee, nowNs: nowNs)
            drainOutbox(nowNs: nowNs)
            return true
        }
        pricesSeen &+= p
        work &+= p
        work &+= executions.drain(limit: 64) { report in
            if report.pointee.kind == .filled { fills &+= 1 }
            engine.handleExecution(report.pointee, nowNs: nowNs)
            drainOutbox(nowNs: nowNs)
            return true
        }
        let accounts = engine.accountCount
        let n = signals.drain(limit: 64) { signal in
            // Room for every intent the signal may produce, or it waits (back pressure).
            guard output.freeCount >= accounts else { return false }
            latency.record(clock.nowNs() &- signal.pointee.ingressNs)
            engine.handleSignal(signal.pointee, nowNs: nowNs)
            drainOutbox(nowNs: nowNs)
            return true
        }
        signalsHandled &+= n
        work &+= n
        // The wall clock is read only when a snapshot is due (it keys the snapshot in the store).
        engine.poll(nowNs: nowNs, wallTimeMs: nowNs >= engine.nextSnapshotDueNs ? clock.wallTimeMs() : 0)
        drainOutbox(nowNs: nowNs)
        return work
    }

    /// Pushes the last engine call's decisions to the rings, reading the outbox in place.
    @inline(__always)
    func drainOutbox(nowNs: UInt64) {
        if engine.outbox.isEmpty { return }
        for i in engine.outbox.intents.indices {
            let intent = engine.outbox.intents[i]
            if output.tryPush(intent) {
                intentsSent &+= 1
                journalSequence &+= 1
                push(JournalRecord(producer: .risk, sequence: journalSequence, body: .order(intent)))
            } else {
                intentsNotSent &+= 1
                engine.orderNotSent(intent)
            }
        }
        for i in engine.outbox.denials.indices {
            let d = engine.outbox.denials[i]
            denied &+= 1
            journalSequence &+= 1
            push(JournalRecord(producer: .risk, sequence: journalSequence, body: .denied(d)))
            push(EngineEvent(producer: .risk, timeNs: nowNs, body: .orderDenied(d)))
        }
        positionUpdates &+= engine.outbox.positionUpdates.count
        marginCallClosures &+= engine.outbox.marginCallClosures.count
        var touched: UInt64 = 0  // accounts whose portfolio changed (see `publishAccountUpdates`)
        for i in engine.outbox.positionUpdates.indices {
            let u = engine.outbox.positionUpdates[i]
            touched |= Self.bit(u.account)
            push(EngineEvent(producer: .risk, timeNs: nowNs, body: .positionUpdated(u)))
        }
        for i in engine.outbox.marginCallClosures.indices {
            push(EngineEvent(producer: .risk, timeNs: nowNs,
                             body: .marginCallClosure(engine.outbox.marginCallClosures[i])))
        }
        for i in engine.outbox.switches.indices {
            let s = engine.outbox.switches[i]
            touched |= s.isGlobal ? .max : Self.bit(s.account)
            push(EngineEvent(producer: .risk, timeNs: nowNs,
                             body: .tradingSwitched(account: s.account, isGlobal: s.isGlobal, enabled: s.enabled)))
        }
        for i in engine.outbox.tradesOpened.indices {
            let t = engine.outbox.tradesOpened[i]
            touched |= Self.bit(t.account)
            tradesOpened &+= 1
            journalSequence &+= 1
            push(JournalRecord(producer: .risk, sequence: journalSequence, body: .tradeOpened(t)))
            push(EngineEvent(producer: .risk, timeNs: nowNs, body: .tradeOpened(t)))
        }
        for i in engine.outbox.tradesClosed.indices {
            let t = engine.outbox.tradesClosed[i]
            touched |= Self.bit(t.account)
            tradesClosed &+= 1
            journalSequence &+= 1
            push(JournalRecord(producer: .risk, sequence: journalSequence, body: .tradeClosed(t)))
            push(EngineEvent(producer: .risk, timeNs: nowNs, body: .tradeClosed(t)))
        }
        if touched != 0 { publishAccountUpdates(nowNs: nowNs, touched: touched) }
        for i in engine.outbox.accountSnapshots.indices {
            accountSnapshots &+= 1
            journalSequence &+= 1
            push(JournalRecord(producer: .risk, sequence: journalSequence,
                               body: .accountSnapshot(engine.outbox.accountSnapshots[i])))
        }
        for i in engine.outbox.snapshotPositions.indices {
            snapshotPositions &+= 1
            journalSequence &+= 1
            push(JournalRecord(producer: .risk, sequence: journalSequence,
                               body: .portfolioSnapshot(engine.outbox.snapshotPositions[i])))
        }
        for i in engine.outbox.logs.indices { pushLog(engine.outbox.logs[i]) }
        for i in engine.outbox.alerts.indices { pushLog(engine.outbox.alerts[i]) }
    }

    /// An `accountUpdated` event for each account in `touched` (the outbox marked, opened or closed
    /// one of its positions, or switched it): a few per second at most, so the snapshot's walk over
    /// the account's positions and the wall-clock read stay off the per-tick path.
    func publishAccountUpdates(nowNs: UInt64, touched: UInt64) {
        let timeMs = clock.wallTimeMs()
        for a in 0..<min(64, engine.accountCount) where touched & (1 << UInt64(a)) != 0 {
            accountUpdates &+= 1
            let v = engine.snapshot(AccountID(UInt16(a)))
            let snapshot = AccountSnapshot(timeNs: nowNs, timeMs: timeMs, account: v.account, equity: v.equity,
                                           cashBalance: v.walletBalance, marginUsed: v.marginUsed,
                                           freeMargin: v.availableMargin, unrealizedPnL: v.unrealizedPnL,
                                           positionCount: UInt16(clamping: v.openPositions))
            push(EngineEvent(producer: .risk, timeNs: nowNs, body: .accountUpdated(snapshot)))
        }
    }

    /// `account`'s bit in a `touched` mask (accounts past 64 get no portfolio events).
    @inline(__always)
    static func bit(_ account: AccountID) -> UInt64 { account.index < 64 ? 1 << UInt64(account.index) : 0 }

    @inline(__always)
    func push(_ record: JournalRecord) {
        if !journal.tryPush(record) { sideChannelOverflows &+= 1 }
    }

    @inline(__always)
    func push(_ event: EngineEvent) {
        if events.tryPush(event) { eventsPublished &+= 1 } else { sideChannelOverflows &+= 1 }
    }

    /// Dropped when the log ring is full (counted by the ring), like every `StageLog` record.
    @inline(__always)
    func pushLog(_ record: LogRecord) {
        _ = log.ring.tryPush(record)
    }
}
