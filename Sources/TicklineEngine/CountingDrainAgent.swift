import TicklineCore
import TicklineRing

/// The default consumer of side-channel rings whose real consumer does not exist yet (the store
/// for journal rings, the publisher for event rings): drains every producer's ring and counts
/// what arrives, so the wiring is complete and measurable from the start.
///
/// Deliberately not generic: agents are called through `any Agent` by a composite, and a generic
/// agent's methods then run unspecialised (a metadata lookup per ring access).
public final class CountingDrainAgent: Agent {
    public let roleName: String
    let journalRings: [SPSCRingHandle<JournalRecord>]
    let eventRings: [SPSCRingHandle<EngineEvent>]
    /// Messages received per ring: journal rings first, then event rings.
    public private(set) var received: [Int]

    public init(roleName: String, journalRings: [SPSCRing<JournalRecord>] = [],
                eventRings: [SPSCRing<EngineEvent>] = []) {
        self.roleName = roleName
        self.journalRings = journalRings.map(\.handle)
        self.eventRings = eventRings.map(\.handle)
        self.received = [Int](repeating: 0, count: journalRings.count + eventRings.count)
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        var work = 0
        var i = 0
        while i < journalRings.count {
            let n = journalRings[i].drain(limit: 256) { _ in true }
            received[i] &+= n
            work &+= n
            i &+= 1
        }
        var j = 0
        while j < eventRings.count {
            let n = eventRings[j].drain(limit: 256) { _ in true }
            received[i &+ j] &+= n
            work &+= n
            j &+= 1
        }
        return work
    }

    public var totalReceived: Int { received.reduce(0, +) }
}
