import TicklineCore
import TicklineRing

/// Where the publish agent hands the data plane's events: the control plane (WebSocket fan-out,
/// the state its REST API serves). Called on the publish agent's thread, one event at a time, in
/// each producer's order; it must not block for long (a slow consumer backs up the event rings,
/// and a full event ring drops events, counted, never stalling a stage).
public protocol EngineEventSink: AnyObject, Sendable {
    func publish(_ event: EngineEvent)
}

/// The `publish` role: drains every producer's event ring and hands each event to the sink
/// (none: counted and dropped, as in benchmarks). Side-channel thread, not on the tick-to-order
/// path; the sink call is an existential call per event, which is fine here.
public final class EventPublisherAgent: Agent {
    public let roleName = "publish"
    let rings: [SPSCRingHandle<EngineEvent>]
    let sink: (any EngineEventSink)?
    /// Events received per ring (`PipelineRings.eventProducers` order).
    public private(set) var received: [Int]

    public init(rings: [SPSCRing<EngineEvent>], sink: (any EngineEventSink)?) {
        self.rings = rings.map(\.handle)
        self.sink = sink
        received = [Int](repeating: 0, count: rings.count)
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        var work = 0
        for i in rings.indices {
            let n = rings[i].drain(limit: 256) { event in
                sink?.publish(event.pointee)
                return true
            }
            received[i] &+= n
            work &+= n
        }
        return work
    }

    public var totalReceived: Int { received.reduce(0, +) }
}
