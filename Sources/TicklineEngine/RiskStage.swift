import TicklineCore
import TicklineRing

/// The risk stage: the single writer of trading state. Reads five rings — latest prices (from
/// parse), signals, execution reports, control-plane commands and store status — and turns
/// accepted signals into `OrderIntent`s, refused ones into `OrderDenied`.
///
/// Pass-through for now (validation, sizing, positions and margin come with the risk issue,
/// behind `decide(_:)`): every signal becomes a one-step market order unless trading is
/// switched off or the store is degraded. The switches and the store state are already real.
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
    public private(set) var signalsHandled = 0
    public private(set) var pricesSeen = 0
    public private(set) var fills = 0
    public private(set) var denied = 0
    public private(set) var tradingEnabled = true
    public private(set) var storeDegraded = false
    public private(set) var sideChannelOverflows = 0
    /// Latest price per symbol, indexed by `SymbolID`.
    public private(set) var lastPrice: [Price]
    var nextClientOrderID: UInt64 = 0
    var journalSequence: UInt64 = 0

    public init(rings: PipelineRings, clock: C, symbolCount: Int) {
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
        self.lastPrice = [Price](repeating: .zero, count: symbolCount)
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        var work = 0
        work &+= commands.drain(limit: 16) { apply($0.pointee, nowNs: nowNs); return true }
        work &+= storeStatus.drain(limit: 16) {
            storeDegraded = $0.pointee.state == .degraded
            return true
        }
        work &+= prices.drain(limit: 256) { event in
            if let p = event.pointee.lastPrice, event.pointee.symbol.index < lastPrice.count {
                lastPrice[event.pointee.symbol.index] = p
            }
            pricesSeen &+= 1
            return true
        }
        work &+= executions.drain(limit: 64) { report in
            if report.pointee.kind == .filled { fills &+= 1 }
            return true
        }
        let n = signals.drain(limit: 64) { signal in
            guard let slot = output.tryClaim() else { return false }
            latency.record(clock.nowNs() &- signal.pointee.ingressNs)
            decide(signal.pointee, into: slot, nowNs: nowNs)
            return true
        }
        signalsHandled &+= n
        return work &+ n
    }

    /// Either fills `slot` and publishes an order, or journals an `OrderDenied` (leaving the
    /// claimed slot unpublished for the next order).
    func decide(_ signal: Signal, into slot: UnsafeMutablePointer<OrderIntent>, nowNs: UInt64) {
        let reason: DenialReason? =
            signal.direction == .flat ? .notDirectional
            : !tradingEnabled ? .tradingDisabledGlobally
            : storeDegraded ? .storeDegraded
            : nil
        journalSequence &+= 1
        if let reason {
            denied &+= 1
            let d = OrderDenied(ingressNs: signal.ingressNs, signalID: signal.signalID, eventTimeMs: signal.eventTimeMs,
                                account: AccountID(0), symbol: signal.symbol,
                                side: signal.direction == .short ? .sell : .buy, reason: reason)
            sideChannel(JournalRecord(producer: .risk, sequence: journalSequence, body: .denied(d)),
                        EngineEvent(producer: .risk, timeNs: nowNs, body: .orderDenied(d)))
            return
        }
        nextClientOrderID &+= 1
        let intent = OrderIntent(ingressNs: signal.ingressNs, clientOrderID: nextClientOrderID, signalID: signal.signalID,
                                 account: AccountID(0), symbol: signal.symbol,
                                 side: signal.direction == .long ? .buy : .sell, type: .market,
                                 quantity: Quantity(raw: 1))
        slot.initialize(to: intent)
        output.publish()
        sideChannel(JournalRecord(producer: .risk, sequence: journalSequence, body: .order(intent)), nil)
    }

    func sideChannel(_ record: JournalRecord, _ event: EngineEvent?) {
        if !journal.tryPush(record) { sideChannelOverflows &+= 1 }
        if let event, !events.tryPush(event) { sideChannelOverflows &+= 1 }
    }

    func apply(_ command: Command, nowNs: UInt64) {
        switch command.kind {
        case .setGlobalTrading, .setAccountTrading:
            tradingEnabled = command.enabled
            _ = events.tryPush(EngineEvent(
                producer: .risk, timeNs: nowNs,
                body: .tradingSwitched(account: command.account, isGlobal: command.kind == .setGlobalTrading,
                                       enabled: command.enabled)))
        case .closePosition, .closeAllPositions:
            break  // positions arrive with the risk issue
        }
    }
}
