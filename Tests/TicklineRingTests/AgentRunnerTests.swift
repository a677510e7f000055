import Synchronization
import Testing
import TicklineCore
import TicklineRing

#if canImport(Glibc)
import Glibc
#endif

/// Counts its duty cycles and, optionally, throws on every other one.
final class CountingAgent: Agent, @unchecked Sendable {
    let roleName: String
    let throwEveryOther: Bool
    let cycles = Atomic<Int>(0)
    let started = Atomic<Bool>(false)
    let closed = Atomic<Bool>(false)
    var affinityAtStart: [Int] = []
    var nameAtStart = ""
    var lastNowNs: UInt64 = 0

    struct Failure: Error {}

    init(roleName: String = "counter", throwEveryOther: Bool = false) {
        self.roleName = roleName
        self.throwEveryOther = throwEveryOther
    }

    func onStart() throws {
        affinityAtStart = currentThreadAffinity()
        nameAtStart = currentThreadName()
        started.store(true, ordering: .releasing)
    }

    func doWork(nowNs: UInt64) throws -> Int {
        lastNowNs = nowNs
        let n = cycles.add(1, ordering: .relaxed).newValue
        if throwEveryOther && n % 2 == 0 { throw Failure() }
        return 1
    }

    func onClose() { closed.store(true, ordering: .releasing) }
}

final class FailingStartAgent: Agent {
    let roleName = "bad-start"
    struct Failure: Error, CustomStringConvertible { var description: String { "no socket" } }
    func onStart() throws { throw Failure() }
    func doWork(nowNs: UInt64) throws -> Int { 0 }
}

/// Waits (bounded) until `condition` holds; tests never loop unbounded.
func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<5_000 {
        if condition() { return true }
        var ts = timespec(tv_sec: 0, tv_nsec: 1_000_000)
        nanosleep(&ts, nil)
    }
    return condition()
}

@Suite struct AgentRunnerTests {
    @Test func startStopJoin() throws {
        let agent = CountingAgent()
        let runner = AgentRunner(agent: agent, idleStrategy: YieldingIdleStrategy(), name: "test-runner")
        try runner.start()
        #expect(runner.isRunning)
        #expect(agent.started.load(ordering: .acquiring) == true)
        #expect(eventually { agent.cycles.load(ordering: .relaxed) > 100 })
        runner.stop()
        #expect(agent.closed.load(ordering: .acquiring) == true)
        #expect(!runner.isRunning)
        #expect(agent.nameAtStart == "test-runner")
        #expect(throws: RunnerError.alreadyStarted("test-runner")) { try runner.start() }
    }

    @Test(arguments: [0, 1])
    func pinningIsApplied(cpu: Int) throws {
        try #require(isCPUAvailable(cpu), "this host has no CPU \(cpu)")
        let agent = CountingAgent()
        let runner = AgentRunner(agent: agent, idleStrategy: YieldingIdleStrategy(), cpu: cpu)
        try runner.start()
        runner.stop()
        #expect(agent.affinityAtStart == [cpu])
    }

    @Test func pinningToAMissingCPUFailsTheStart() {
        let runner = AgentRunner(agent: CountingAgent(), idleStrategy: YieldingIdleStrategy(), name: "nowhere", cpu: 1000)
        #expect(throws: RunnerError.self) { try runner.start() }
        #expect(!runner.isRunning)
    }

    @Test func onStartFailureIsReported() {
        let runner = AgentRunner(agent: FailingStartAgent(), idleStrategy: YieldingIdleStrategy())
        #expect(throws: RunnerError.onStartFailed(name: "bad-start", message: "no socket")) { try runner.start() }
    }

    @Test func anAgentThatThrowsKeepsTheRunnerAlive() throws {
        let agent = CountingAgent(throwEveryOther: true)
        let seen = Atomic<Int>(0)
        let runner = AgentRunner(agent: agent, idleStrategy: YieldingIdleStrategy(),
                                 errorHandler: { _ in seen.add(1, ordering: .relaxed) })
        try runner.start()
        #expect(eventually { agent.cycles.load(ordering: .relaxed) > 1_000 })
        runner.stop()
        let cycles = agent.cycles.load(ordering: .relaxed)
        #expect(runner.errorCount == cycles / 2)
        #expect(seen.load(ordering: .relaxed) == runner.errorCount)
        #expect(agent.closed.load(ordering: .acquiring) == true)
    }

    @Test func compositeRunsEveryAgentAndRethrows() throws {
        let good = CountingAgent(roleName: "good"), bad = CountingAgent(roleName: "bad", throwEveryOther: true)
        let composite = CompositeAgent([bad, good])
        #expect(composite.roleName == "bad+good")
        #expect(try composite.doWork(nowNs: 1) == 2)
        #expect(throws: CountingAgent.Failure.self) { try composite.doWork(nowNs: 2) }
        #expect(good.cycles.load(ordering: .relaxed) == 2, "the agent after a failing one still ran")
    }

    @Test func invokerPassesTheManualClock() throws {
        let clock = ManualClock(startNs: 500)
        let agent = CountingAgent(throwEveryOther: true)
        let invoker = AgentInvoker(agent: agent, clock: clock)
        #expect(invoker.invoke() == 0)  // not started yet
        try invoker.start()
        #expect(invoker.invoke() == 1)
        #expect(agent.lastNowNs == 500)
        clock.advance(byNs: 250)
        #expect(invoker.invoke() == 0)  // this cycle throws
        #expect(agent.lastNowNs == 750)
        #expect(invoker.errorCount == 1)
        invoker.close()
        #expect(agent.closed.load(ordering: .acquiring) == true)
    }

    @Test func parkedThreadWakesOnSignal() throws {
        let signal = WakeSignal()
        let agent = CountingAgent()
        // Parks for up to 10 s per idle call: only a wake-up lets it make progress quickly.
        let runner = AgentRunner(agent: IdleOnceAgent(inner: agent), idleStrategy:
            ParkingIdleStrategy(wakeSignal: signal, timeoutNs: 10_000_000_000))
        try runner.start()
        #expect(eventually { agent.cycles.load(ordering: .relaxed) >= 1 })
        for i in 2...5 {
            #expect(eventually { signal.isParked })
            signal.wakeIfParked()
            #expect(eventually { agent.cycles.load(ordering: .relaxed) >= i })
        }
        // stop() wakes the parked thread itself: no 10 s wait for the park to time out.
        let before = LiveClock().nowNs()
        runner.stop()
        #expect(LiveClock().nowNs() - before < 5_000_000_000)
    }

    @Test func backoffSpinsThenYieldsThenParks() {
        var backoff = BackoffIdleStrategy(maxSpins: 2, maxYields: 2, minParkNs: 1_000, maxParkNs: 4_000)
        for _ in 0..<6 { backoff.idle(workCount: 0) }
        #expect(backoff.progress == (spins: 2, yields: 2, parkNs: 4_000))
        backoff.idle(workCount: 3)
        #expect(backoff.progress == (spins: 0, yields: 0, parkNs: 1_000))
    }
}

/// Does one unit of work per duty cycle it is woken for: returns 0 (go idle) after each.
final class IdleOnceAgent: Agent {
    let inner: CountingAgent
    var roleName: String { inner.roleName }
    init(inner: CountingAgent) { self.inner = inner }
    func doWork(nowNs: UInt64) throws -> Int {
        _ = try inner.doWork(nowNs: nowNs)
        return 0
    }
}
