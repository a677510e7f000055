import Synchronization
import TicklineCore
import TicklineRing

/// The control plane's one way into the data plane: commands pushed into risk's command ring
/// (`commandsToRisk`). That ring has one producer; HTTP handlers run on many tasks, so pushes are
/// serialised here — risk, the consumer, never takes this lock.
public final class CommandGate: Sendable {
    let ring: SPSCRingHandle<Command>
    let lock = Mutex<UInt64>(0)  // the last request id
    let nowNs: @Sendable () -> UInt64

    public init(ring: SPSCRing<Command>, nowNs: @escaping @Sendable () -> UInt64) {
        self.ring = ring.handle
        self.nowNs = nowNs
    }

    /// Pushes a command; its request id, or nil when the ring is full (risk is not draining it).
    public func send(_ kind: Command.Kind, account: AccountID = AccountID(0), symbol: SymbolID = SymbolID(0),
                     enabled: Bool = false) -> UInt64? {
        lock.withLock { last in
            let id = last &+ 1
            let command = Command(kind: kind, issuedNs: nowNs(), requestID: id, account: account, symbol: symbol,
                                  enabled: enabled)
            guard ring.tryPush(command) else { return nil }
            last = id
            return id
        }
    }
}
