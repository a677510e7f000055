import TicklineCore

/// A unit of work a thread runs in a loop: one stage, or a side-channel consumer (Agrona's
/// `Agent`).
///
/// `doWork` does a bounded amount of work and returns how much it did (messages handled, bytes
/// moved); zero lets the runner's idle strategy decide what to do next. It must never block.
/// `nowNs` is read once per duty cycle by whoever drives the agent (runner, invoker) and passed
/// down, so deadline checks inside agents agree and replay can drive time.
///
/// A thrown error is counted and reported by the runner, which then keeps looping: an
/// ordinary failure in one message must not stop a trading thread.
public protocol Agent: AnyObject {
    /// A short name for threads, metrics and errors (≤ 15 bytes shows whole in `top -H`).
    var roleName: String { get }
    func onStart() throws
    func doWork(nowNs: UInt64) throws -> Int
    func onClose()
}

extension Agent {
    public func onStart() throws {}
    public func onClose() {}
}

/// Runs several agents on one thread, in order, every duty cycle (Agrona's `CompositeAgent`):
/// how the five stages share one or two threads on a small host without changing stage code.
///
/// The call to each agent goes through an existential, once per agent per duty cycle (not per
/// message: agents drain batches).
public final class CompositeAgent: Agent {
    public let agents: [any Agent]
    public let roleName: String
    /// One trampoline per agent, reached without reference counting: `agents` and `trampolines`
    /// keep everything alive, and the duty cycle must not retain and release each agent every
    /// time round (an existential call does).
    private let trampolines: [AgentTrampoline]
    private let unmanaged: [Unmanaged<AgentTrampoline>]

    public init(_ agents: [any Agent], roleName: String? = nil) {
        precondition(!agents.isEmpty, "CompositeAgent needs at least one agent")
        self.agents = agents
        self.trampolines = agents.map { makeTrampoline($0) }
        self.unmanaged = trampolines.map { Unmanaged.passUnretained($0) }
        self.roleName = roleName ?? agents.map(\.roleName).joined(separator: "+")
    }

    public func onStart() throws {
        for a in agents { try a.onStart() }
    }

    /// Runs every agent even when one throws, then rethrows the first error: a failing stage
    /// must not starve the others sharing its thread.
    public func doWork(nowNs: UInt64) throws -> Int {
        var work = 0
        var firstError: (any Error)?
        var i = 0
        while i < unmanaged.count {
            do {
                work &+= try unmanaged[i]._withUnsafeGuaranteedRef { try $0.doWork(nowNs: nowNs) }
            } catch {
                if firstError == nil { firstError = error }
            }
            i &+= 1
        }
        if let firstError { throw firstError }
        return work
    }

    public func onClose() {
        for a in agents.reversed() { a.onClose() }
    }
}

/// Calls one agent's `doWork` through a class vtable and an unretained reference.
class AgentTrampoline {
    func doWork(nowNs: UInt64) throws -> Int { 0 }
}

final class AgentTrampolineFor<A: Agent>: AgentTrampoline {
    let agent: Unmanaged<A>
    init(_ agent: A) { self.agent = .passUnretained(agent) }
    override func doWork(nowNs: UInt64) throws -> Int {
        try agent._withUnsafeGuaranteedRef { try $0.doWork(nowNs: nowNs) }
    }
}

/// Opens the existential, so the trampoline knows the agent's concrete type.
func makeTrampoline<A: Agent>(_ agent: A) -> AgentTrampoline { AgentTrampolineFor(agent) }

/// Drives an agent on the caller's thread (Agrona's `AgentInvoker`): tests, single-threaded
/// replay and deterministic simulation, with time from any clock.
public final class AgentInvoker<A: Agent, C: NanoClock> {
    public let agent: A
    public let clock: C
    public private(set) var isStarted = false
    public private(set) var isClosed = false
    public private(set) var errorCount = 0
    public private(set) var lastError: (any Error)?

    public init(agent: A, clock: C) {
        self.agent = agent
        self.clock = clock
    }

    public func start() throws {
        guard !isStarted else { return }
        try agent.onStart()
        isStarted = true
    }

    /// One duty cycle; errors are counted like the runner counts them, and the work is 0.
    @discardableResult
    public func invoke() -> Int {
        guard isStarted, !isClosed else { return 0 }
        do {
            return try agent.doWork(nowNs: clock.nowNs())
        } catch {
            errorCount += 1
            lastError = error
            return 0
        }
    }

    /// Invokes until a duty cycle does no work, at most `maxCycles` times; returns the total work.
    @discardableResult
    public func invokeUntilIdle(maxCycles: Int = 1_000_000) -> Int {
        var total = 0
        for _ in 0..<maxCycles {
            let w = invoke()
            if w == 0 { break }
            total += w
        }
        return total
    }

    public func close() {
        guard isStarted, !isClosed else { return }
        agent.onClose()
        isClosed = true
    }
}
