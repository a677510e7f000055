import CTicklineShims
import Synchronization
import TicklineCore

#if canImport(Glibc)
import Glibc
#endif

/// What the engine needs from a runner whatever its agent and idle strategy types.
public protocol Runner: AnyObject, Sendable {
    var name: String { get }
    var cpu: Int? { get }
    var isBusySpinning: Bool { get }
    /// Failures thrown by `doWork` so far.
    var errorCount: Int { get }
    /// Duty cycles run so far (useful to see that a thread is alive).
    var dutyCycles: Int { get }
    func start() throws
    /// Asks the thread to stop, waits for it to close its agent and exit.
    func stop()
}

public enum RunnerError: Error, Equatable, CustomStringConvertible {
    case alreadyStarted(String)
    case threadCreateFailed(name: String, errno: Int32)
    case pinFailed(name: String, cpu: Int, errno: Int32)
    case onStartFailed(name: String, message: String)

    public var description: String {
        switch self {
        case .alreadyStarted(let n): return "runner \(n) was already started"
        case .threadCreateFailed(let n, let e): return "runner \(n): pthread_create failed (errno \(e))"
        case .pinFailed(let n, let cpu, let e): return "runner \(n): cannot pin to CPU \(cpu) (errno \(e))"
        case .onStartFailed(let n, let m): return "runner \(n): agent failed to start: \(m)"
        }
    }
}

/// One OS thread running one agent in a duty-cycle loop (Agrona's `AgentRunner`): read the
/// clock once, `doWork`, let the idle strategy act on the result.
///
/// Generic over the agent and idle strategy so the loop is specialised, with no dynamic
/// dispatch in it. The thread is named (≤ 15 bytes), optionally pinned to a CPU before the agent
/// starts, and survives errors thrown by `doWork`: each is counted and passed to `errorHandler`
/// (which runs on the runner's thread: keep it cheap and non-blocking).
public final class AgentRunner<A: Agent, I: IdleStrategy>: Runner, @unchecked Sendable {
    public let name: String
    public let cpu: Int?
    public let agent: A
    public var isBusySpinning: Bool { I.isBusySpinning }

    private let idleStrategy: I
    private let errorHandler: (@Sendable (any Error) -> Void)?
    private let stackBytes: Int
    /// 0 idle, 1 starting, 2 running, 3 start failed, 4 stopped.
    private let state = Atomic<Int>(0)
    private let stopRequested = Atomic<Bool>(false)
    private let errors = Atomic<Int>(0)
    private let cycles = Atomic<Int>(0)
    private var startFailure: RunnerError?
    private var thread: pthread_t?

    public init(agent: A, idleStrategy: I, name: String? = nil, cpu: Int? = nil, stackBytes: Int = 1 << 20,
                errorHandler: (@Sendable (any Error) -> Void)? = nil) {
        self.agent = agent
        self.idleStrategy = idleStrategy
        self.name = String((name ?? agent.roleName).utf8.prefix(15))!
        self.cpu = cpu
        self.stackBytes = stackBytes
        self.errorHandler = errorHandler
    }

    public var errorCount: Int { errors.load(ordering: .relaxed) }
    public var dutyCycles: Int { cycles.load(ordering: .relaxed) }
    public var isRunning: Bool { state.load(ordering: .acquiring) == 2 }

    /// Starts the thread and returns once it is pinned and the agent's `onStart` has run; throws
    /// if either failed (the thread has then exited).
    public func start() throws {
        guard state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
            throw RunnerError.alreadyStarted(name)
        }
        let tid: pthread_t
        switch OSThread.spawn(stackBytes: stackBytes, { [self] in threadMain() }) {
        case .success(let t): tid = t
        case .failure(let e):
            state.store(3, ordering: .releasing)
            throw RunnerError.threadCreateFailed(name: name, errno: e.errno)
        }
        thread = tid
        // Wait (yielding) for the thread to report; start-up is not a hot path.
        while state.load(ordering: .acquiring) == 1 { sched_yield() }
        if state.load(ordering: .acquiring) == 3 {
            OSThread.join(tid)
            thread = nil
            throw startFailure!
        }
    }

    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        idleStrategy.wakeUp()
        if let t = thread {
            OSThread.join(t)
            thread = nil
        }
    }

    private func threadMain() {
        _ = name.withCString { tickline_set_current_thread_name($0) }
        if let cpu {
            let rc = tickline_pin_current_thread(Int32(cpu))
            if rc != 0 {
                startFailure = .pinFailed(name: name, cpu: cpu, errno: rc)
                state.store(3, ordering: .releasing)
                return
            }
        }
        do {
            try agent.onStart()
        } catch {
            startFailure = .onStartFailed(name: name, message: String(describing: error))
            state.store(3, ordering: .releasing)
            return
        }
        state.store(2, ordering: .releasing)
        runLoop()
        agent.onClose()
        state.store(4, ordering: .releasing)
    }

    private func runLoop() {
        var idle = idleStrategy
        let clock = LiveClock()
        var n = 0
        while !stopRequested.load(ordering: .relaxed) {
            let work: Int
            do {
                work = try agent.doWork(nowNs: clock.nowNs())
            } catch {
                errors.add(1, ordering: .relaxed)
                errorHandler?(error)
                work = 0
            }
            idle.idle(workCount: work)
            n &+= 1
            // Publish the cycle count now and then, not every cycle: it is only for liveness.
            if n & 1023 == 0 { cycles.store(n, ordering: .relaxed) }
        }
        cycles.store(n, ordering: .relaxed)
    }
}

/// The CPUs the calling thread may run on (`sched_getaffinity`), for tests and diagnostics.
public func currentThreadAffinity() -> [Int] {
    var cpus = [Int32](repeating: 0, count: 1024)
    let n = tickline_current_thread_cpus(&cpus, Int32(cpus.count))
    return n < 0 ? [] : cpus.prefix(Int(n)).map(Int.init)
}

/// The OS name of the calling thread.
public func currentThreadName() -> String {
    var buf = [CChar](repeating: 0, count: 32)
    _ = tickline_get_current_thread_name(&buf, buf.count)
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// CPUs this process may use.
public var availableCPUCount: Int { Int(tickline_available_cpu_count()) }

public func isCPUAvailable(_ cpu: Int) -> Bool { tickline_cpu_is_available(Int32(cpu)) != 0 }
