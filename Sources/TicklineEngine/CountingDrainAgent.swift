import TicklineCore
import TicklineRing

/// The `store` role without a store (benchmarks, `[store] enabled = false`): drains every
/// producer's journal ring and counts what arrives, so the wiring stays complete and measurable.
///
/// Deliberately not generic: agents are called through `any Agent` by a composite, and a generic
/// agent's methods then run unspecialised (a metadata lookup per ring access).
public final class CountingDrainAgent: Agent {
    public let roleName: String
    let journalRings: [SPSCRingHandle<JournalRecord>]
    /// Records received per ring (`PipelineRings.journalProducers` order).
    public private(set) var received: [Int]

    public init(roleName: String, journalRings: [SPSCRing<JournalRecord>]) {
        self.roleName = roleName
        self.journalRings = journalRings.map(\.handle)
        self.received = [Int](repeating: 0, count: journalRings.count)
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
        return work
    }

    public var totalReceived: Int { received.reduce(0, +) }
}
