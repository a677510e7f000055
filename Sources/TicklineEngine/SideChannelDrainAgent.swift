import TicklineCore
import TicklineRing

/// The default consumer of side-channel rings whose real consumer does not exist yet (the store
/// for journal rings, the publisher for event rings): drains every producer's ring and counts
/// what arrives, so the wiring is complete and measurable from the start.
public final class SideChannelDrainAgent<Element: BitwiseCopyable>: Agent {
    public let roleName: String
    public let rings: [SPSCRing<Element>]
    /// Messages received per ring, in `rings` order.
    public private(set) var received: [Int]

    public init(roleName: String, rings: [SPSCRing<Element>]) {
        self.roleName = roleName
        self.rings = rings
        self.received = [Int](repeating: 0, count: rings.count)
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        var work = 0
        for i in rings.indices {
            let n = rings[i].drain(limit: 256) { _ in true }
            received[i] &+= n
            work &+= n
        }
        return work
    }

    public var totalReceived: Int { received.reduce(0, +) }
}
