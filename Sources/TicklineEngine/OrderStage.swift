import Synchronization
import TicklineCore
import TicklineRing

/// Where the order stage sends orders: the venue's REST API and user-data stream
/// (`BinanceGateway`) or the in-process paper fills (`PaperGateway`).
///
/// The stage calls `submit` once per intent and `poll` once per duty cycle, on its own thread;
/// the gateway answers through `reports` (the stage), any time during either call. Generic, not
/// an existential: the stage is specialized for its gateway.
public protocol OrderGateway: AnyObject {
    /// Whether the gateway can take another intent now (`false` holds intents on the ring: back
    /// pressure toward risk).
    var canSubmit: Bool { get }
    /// Hands `intent` to the venue. When this returns the order's bytes have been handed to the
    /// I/O loop (or the paper fill produced): the tick-to-order point.
    func submit(_ intent: OrderIntent, nowNs: UInt64, reports: some ExecutionReportSink)
    /// Hands the orders submitted since the last call to the kernel now (one system call for a
    /// batch), rather than at the next `poll`.
    func flush()
    /// I/O completions, timers, stream events; returns the work done.
    func poll(nowNs: UInt64, reports: some ExecutionReportSink) -> Int
    /// Per account, the venue's used request weight over its 1-minute limit (any thread).
    var exchangeWeightUsed: [Double] { get }
    /// Per account, whether its user-data stream is open (any thread).
    var userStreamsOpen: [Bool] { get }
    /// Per account, REST requests the venue answered (any thread).
    var exchangeRequests: [Int] { get }
    /// Releases sockets and connections (the stage's thread, after its last duty cycle).
    func shutDown()
}

/// Takes the gateway's execution reports (the order stage).
public protocol ExecutionReportSink: AnyObject {
    func report(_ report: ExecutionReport, nowNs: UInt64)
}

/// What `Pipeline` and the run report read from the order stage, whatever its gateway.
public protocol OrderStageStats: Agent {
    var latency: LatencyRecorder { get }
    var endToEnd: LatencyRecorder { get }
    var ingressToFill: LatencyRecorder { get }
    var handedOff: Int { get }
    var handedOffCounter: Atomic<Int> { get }
    var reportsForwarded: Int { get }
    var fillsForwarded: Int { get }
    var sideChannelOverflows: Int { get }
    /// Per account, the venue's used request weight over its 1-minute limit (0…1); empty on paper.
    /// Any thread.
    var exchangeWeightUsed: [Double] { get }
    /// Per account, whether its user-data stream is open (any thread); empty on paper.
    var userStreamsOpen: [Bool] { get }
    /// Per account, REST requests the venue answered (any thread); empty on paper.
    var exchangeRequests: [Int] { get }
}

/// The order stage: order intents in, handed to the venue through its gateway, execution
/// reports back to risk (and to the journal and event rings).
///
/// Execution reports are never dropped: when risk's ring is full they wait in a local queue (in
/// order) and go first on the next duty cycle; new intents wait meanwhile.
extension OrderGateway {
    /// No venue limits (paper fills).
    public var exchangeWeightUsed: [Double] { [] }
    /// No user-data streams (paper fills).
    public var userStreamsOpen: [Bool] { [] }
    public var exchangeRequests: [Int] { [] }
}

public final class OrderStage<C: NanoClock, Gateway: OrderGateway>: Agent, ExecutionReportSink, OrderStageStats {
    public let roleName = "order"
    public let rings: PipelineRings
    public let clock: C
    public let gateway: Gateway
    public var exchangeWeightUsed: [Double] { gateway.exchangeWeightUsed }
    public var userStreamsOpen: [Bool] { gateway.userStreamsOpen }
    public var exchangeRequests: [Int] { gateway.exchangeRequests }
    /// Ingress → order stage dequeue.
    public let latency = LatencyRecorder(name: "ingress_to_order")
    /// Ingress → order bytes handed to the kernel (the batch's `flush`): tick-to-order.
    public let endToEnd = LatencyRecorder(name: "end_to_end")
    /// Ingress → an entry's last fill confirmed to the order stage (the seed's signal-to-fill,
    /// "within 2 seconds"; the `trade_executed` event leaves with it).
    public let ingressToFill = LatencyRecorder(name: "ingress_to_fill")
    public private(set) var handedOff = 0
    /// `handedOff`, readable from other threads (updated once per batch).
    public let handedOffCounter = Atomic<Int>(0)
    public private(set) var reportsForwarded = 0
    public private(set) var fillsForwarded = 0
    public private(set) var sideChannelOverflows = 0
    /// Reports waiting for room in risk's ring (rare: a burst of fills with risk behind).
    var backlog: [ExecutionReport] = []
    var backlogHead = 0
    var journalSequence: UInt64 = 0
    /// Ingress times of the batch being submitted, recorded once the batch is flushed.
    let batchIngress: UnsafeMutablePointer<UInt64>
    static var batchLimit: Int { 64 }
    let input: SPSCRingHandle<OrderIntent>
    let reports: SPSCRingHandle<ExecutionReport>
    let journal: SPSCRingHandle<JournalRecord>
    let events: SPSCRingHandle<EngineEvent>

    public init(rings: PipelineRings, clock: C, gateway: Gateway) {
        self.rings = rings
        self.clock = clock
        self.gateway = gateway
        self.input = rings.riskToOrder.handle
        self.reports = rings.executionsToRisk.handle
        self.journal = rings.journal(.order).handle
        self.events = rings.events(.order).handle
        backlog.reserveCapacity(256)
        batchIngress = .allocate(capacity: Self.batchLimit)
    }

    deinit { batchIngress.deallocate() }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        endToEnd.serviceSwap()
        ingressToFill.serviceSwap()
        var work = gateway.poll(nowNs: nowNs, reports: self)
        work &+= flushBacklog()
        guard backlogHead == backlog.count else { return work }
        var n = 0
        _ = input.drain(limit: Self.batchLimit) { intent in
            guard gateway.canSubmit, reports.freeCount > 0 else { return false }
            latency.record(clock.nowNs() &- intent.pointee.ingressNs)
            gateway.submit(intent.pointee, nowNs: nowNs, reports: self)
            batchIngress[n] = intent.pointee.ingressNs
            n &+= 1
            return true
        }
        if n > 0 {
            gateway.flush()
            let sent = clock.nowNs()
            for i in 0..<n { endToEnd.record(sent &- batchIngress[i]) }
            handedOff &+= n
            handedOffCounter.store(handedOff, ordering: .relaxed)
        }
        return work &+ n
    }

    public func onClose() { gateway.shutDown() }

    /// A report from the gateway: to risk (or the backlog), the journal and the event ring.
    public func report(_ report: ExecutionReport, nowNs: UInt64) {
        reportsForwarded &+= 1
        if report.lastFillQuantity.raw > 0 {
            fillsForwarded &+= 1
            if report.kind == .filled && report.closeReason == .none && report.ingressNs > 0 {
                ingressToFill.record(clock.nowNs() &- report.ingressNs)
            }
        }
        if backlogHead != backlog.count || !reports.tryPush(report) { backlog.append(report) }
        journalSequence &+= 1
        if !journal.tryPush(JournalRecord(producer: .order, sequence: journalSequence, body: .execution(report))) {
            sideChannelOverflows &+= 1
        }
        if !events.tryPush(EngineEvent(producer: .order, timeNs: nowNs, body: .execution(report))) {
            sideChannelOverflows &+= 1
        }
    }

    func flushBacklog() -> Int {
        var n = 0
        while backlogHead < backlog.count, reports.tryPush(backlog[backlogHead]) {
            backlogHead += 1
            n += 1
        }
        if backlogHead == backlog.count, backlogHead > 0 {
            backlog.removeAll(keepingCapacity: true)
            backlogHead = 0
        }
        return n
    }
}

/// Paper fills in process: a market order fills at once, in full, at the latest price the parse
/// stage saw (the ask for a buy and the bid for a sell when the book ticker is known, else the
/// last trade), paying the taker fee; a conditional order is accepted and left to risk's own
/// per-tick stop-loss / take-profit checks. What `tickline bench pipeline` and the synthetic
/// `tickline run` use: no venue, no sockets.
public final class PaperGateway<C: NanoClock>: OrderGateway {
    public let prices: PriceCache
    /// Taker fee in parts per million of the notional (Binance VIP 0: 400 = 0.04 %).
    public let takerFeePpm: Int64
    public let symbols: SymbolTable
    public let clock: C
    var nextTradeID: Int64 = 0
    public private(set) var unpriced = 0

    public init(prices: PriceCache, symbols: SymbolTable, takerFeePpm: Int64 = 400, clock: C) {
        self.prices = prices
        self.symbols = symbols
        self.takerFeePpm = takerFeePpm
        self.clock = clock
    }

    public var canSubmit: Bool { true }

    public func submit(_ intent: OrderIntent, nowNs: UInt64, reports: some ExecutionReportSink) {
        let timeMs = clock.wallTimeMs()
        guard intent.type == .market else {
            reports.report(ExecutionReport(ingressNs: intent.ingressNs, eventTimeMs: timeMs,
                                           clientOrderID: intent.clientOrderID, account: intent.account,
                                           symbol: intent.symbol, side: intent.side, kind: .accepted,
                                           closeReason: intent.closeReason), nowNs: nowNs)
            return
        }
        let quote = prices.read(intent.symbol)
        let touch = intent.side == .buy ? quote.ask : quote.bid
        let price = touch.raw > 0 ? touch : quote.lastTrade
        guard price.raw > 0 else {
            unpriced += 1
            reports.report(ExecutionReport(ingressNs: intent.ingressNs, eventTimeMs: timeMs,
                                           clientOrderID: intent.clientOrderID, account: intent.account,
                                           symbol: intent.symbol, side: intent.side, kind: .rejected,
                                           closeReason: intent.closeReason), nowNs: nowNs)
            return
        }
        nextTradeID &+= 1
        let commission = takerCommission(price: price, quantity: intent.quantity, symbol: symbols[intent.symbol],
                                         feePpm: takerFeePpm)
        reports.report(ExecutionReport(ingressNs: intent.ingressNs, eventTimeMs: timeMs,
                                       clientOrderID: intent.clientOrderID, venueOrderID: Int64(intent.clientOrderID),
                                       account: intent.account, symbol: intent.symbol, side: intent.side, kind: .filled,
                                       tradeID: nextTradeID, lastFillQuantity: intent.quantity, lastFillPrice: price,
                                       cumulativeQuantity: intent.quantity, averagePrice: price,
                                       commission: commission, closeReason: intent.closeReason),
                       nowNs: nowNs)
    }

    public func poll(nowNs: UInt64, reports: some ExecutionReportSink) -> Int { 0 }

    public func flush() {}

    public func shutDown() {}
}

/// The fee of a fill, `price × quantity × feePpm ÷ 10⁶`, at the symbol's price scale (as
/// `ExecutionReport.commission` carries it), truncated once: the quantity is read with six more
/// places so that the fee rate rides in the one exact `Price.notional` product.
func takerCommission(price: Price, quantity: Quantity, symbol: SymbolTable.Entry, feePpm: Int64) -> Price {
    Price.notional(price: price, priceScale: symbol.priceScale, quantity: Quantity(raw: quantity.raw &* feePpm),
                   quantityScale: DecimalScale(places: symbol.quantityScale.places + 6),
                   resultScale: symbol.priceScale, .towardZero) ?? .zero
}
