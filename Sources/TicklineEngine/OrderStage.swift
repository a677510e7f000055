import Synchronization
import TicklineCore
import TicklineRing

/// The order stage: order intents in, handed to the venue, execution reports back to risk.
///
/// Pass-through for now (the signed REST gateway over io_uring comes with the execution issue,
/// behind `handOff(_:)`): the hand-off is where end-to-end latency is recorded, and each order
/// is answered at once with a fill at its price, so risk's execution ring is exercised.
public final class OrderStage<C: NanoClock>: Agent {
    public let roleName = "order"
    public let rings: PipelineRings
    public let clock: C
    /// Ingress → order stage dequeue.
    public let latency = LatencyRecorder(name: "ingress_to_order")
    /// Ingress → order handed off to the venue: tick-to-order.
    public let endToEnd = LatencyRecorder(name: "end_to_end")
    public private(set) var handedOff = 0
    /// `handedOff`, readable from other threads (updated once per batch).
    public let handedOffCounter = Atomic<Int>(0)
    public private(set) var sideChannelOverflows = 0
    var nextTradeID: Int64 = 0
    let input: SPSCRingHandle<OrderIntent>
    let reports: SPSCRingHandle<ExecutionReport>
    let journal: SPSCRingHandle<JournalRecord>
    let events: SPSCRingHandle<EngineEvent>

    public init(rings: PipelineRings, clock: C) {
        self.rings = rings
        self.clock = clock
        self.input = rings.riskToOrder.handle
        self.reports = rings.executionsToRisk.handle
        self.journal = rings.journal(.order).handle
        self.events = rings.events(.order).handle
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        endToEnd.serviceSwap()
        let n = input.drain(limit: 64) { intent in
            guard let slot = reports.tryClaim() else { return false }
            latency.record(clock.nowNs() &- intent.pointee.ingressNs)
            handOff(intent.pointee)
            endToEnd.record(clock.nowNs() &- intent.pointee.ingressNs)
            let report = fill(intent.pointee)
            slot.initialize(to: report)
            reports.publish()
            if !journal.tryPush(JournalRecord(producer: .order, sequence: UInt64(nextTradeID),
                                                            body: .execution(report))) {
                sideChannelOverflows &+= 1
            }
            if !events.tryPush(EngineEvent(producer: .order, timeNs: nowNs, body: .execution(report))) {
                sideChannelOverflows &+= 1
            }
            return true
        }
        if n > 0 {
            handedOff &+= n
            handedOffCounter.store(handedOff, ordering: .relaxed)
        }
        return n
    }

    /// The seam for the venue gateway. For now: nothing to send.
    func handOff(_ intent: OrderIntent) {}

    func fill(_ intent: OrderIntent) -> ExecutionReport {
        nextTradeID &+= 1
        return ExecutionReport(ingressNs: intent.ingressNs, eventTimeMs: clock.wallTimeMs(),
                               clientOrderID: intent.clientOrderID, venueOrderID: Int64(intent.clientOrderID),
                               account: intent.account, symbol: intent.symbol, side: intent.side, kind: .filled,
                               tradeID: nextTradeID, lastFillQuantity: intent.quantity, lastFillPrice: intent.price,
                               cumulativeQuantity: intent.quantity, averagePrice: intent.price)
    }
}
