import TicklineCore
import TicklineRing

/// The signal stage: indicator updates in, `Signal`s out (and to the journal and event rings).
///
/// Pass-through for now (strategies and the combiner come with the strategy issue, behind
/// `signal(for:)`): every update becomes a full-confidence signal alternating long and short,
/// so every tick travels to the order stage.
public final class SignalStage<C: NanoClock>: Agent {
    public let roleName = "signal"
    public let rings: PipelineRings
    public let clock: C
    public let latency = LatencyRecorder(name: "ingress_to_signal")
    public private(set) var handled = 0
    public private(set) var sideChannelOverflows = 0
    var nextSignalID: UInt64 = 0
    let input: SPSCRingHandle<IndicatorUpdate>
    let output: SPSCRingHandle<Signal>
    let journal: SPSCRingHandle<JournalRecord>
    let events: SPSCRingHandle<EngineEvent>

    public init(rings: PipelineRings, clock: C) {
        self.rings = rings
        self.clock = clock
        self.input = rings.indicatorToSignal.handle
        self.output = rings.signalToRisk.handle
        self.journal = rings.journal(.signal).handle
        self.events = rings.events(.signal).handle
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        let n = input.drain(limit: 64) { update in
            guard let slot = output.tryClaim() else { return false }
            latency.record(clock.nowNs() &- update.pointee.ingressNs)
            let s = signal(for: update.pointee, eventTimeMs: clock.wallTimeMs())
            slot.initialize(to: s)
            output.publish()
            if !journal.tryPush(JournalRecord(producer: .signal, sequence: s.signalID, body: .signal(s))) {
                sideChannelOverflows &+= 1
            }
            if !events.tryPush(EngineEvent(producer: .signal, timeNs: nowNs, body: .signalGenerated(s))) {
                sideChannelOverflows &+= 1
            }
            return true
        }
        handled &+= n
        return n
    }

    func signal(for update: IndicatorUpdate, eventTimeMs: Int64) -> Signal {
        nextSignalID &+= 1
        let long = nextSignalID & 1 == 1
        return Signal(ingressNs: update.ingressNs, signalID: nextSignalID, eventTimeMs: eventTimeMs,
                      symbol: update.symbol, interval: update.interval, direction: long ? .long : .short,
                      scoreBp: long ? 10_000 : -10_000, confidenceBp: 10_000, entryPrice: update.close)
    }
}
