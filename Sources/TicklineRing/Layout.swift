import TicklineCore

/// Which stages share a thread, which core each thread gets, and how each thread idles.
///
/// Configuration, not code: the same stage agents run fused on one thread, split over two, or
/// one per core (Aeron's threading modes). Built from a `[layout]` section of `tickline.toml`
/// or a preset file in `Tuning/layouts/` (see `TicklineConfig.LayoutLoader`), then validated
/// against the host before any thread starts.
public struct Layout: Equatable, Sendable {
    public var name: String
    public var threads: [ThreadLayout]
    /// Where the layout came from (file path), for error messages.
    public var source: String?

    public init(name: String, threads: [ThreadLayout], source: String? = nil) {
        self.name = name
        self.threads = threads
        self.source = source
    }

    /// The stages that every layout must place exactly once.
    public static let requiredStages: [StageID] = StageID.allCases

    /// Busy-spinning threads, counting one SQPOLL kernel thread per thread that asks for one.
    public var spinningThreadCount: Int {
        threads.reduce(0) { $0 + ($1.idle.isBusySpinning ? 1 : 0) + ($1.sqpoll ? 1 : 0) }
    }

    /// The thread that runs `stage`, if any.
    public func thread(running stage: StageID) -> ThreadLayout? {
        threads.first { $0.stages.contains(stage) }
    }

    /// The same layout with every busy-spinning thread yielding instead: for tests and for
    /// hosts shared with other work, where a spinning thread would starve its neighbours.
    public func replacingBusySpin(with idle: IdleStrategyConfig) -> Layout {
        var copy = self
        for i in copy.threads.indices where copy.threads[i].idle.isBusySpinning {
            copy.threads[i].idle = idle
        }
        return copy
    }

    /// Checks the layout against the host. Throws the first problem found, naming the file and
    /// line it came from when known.
    ///
    /// - Parameters:
    ///   - cpuCount: cores available to this process.
    ///   - isCPUAvailable: whether a given CPU number is in this process's affinity mask.
    public func validate(cpuCount: Int, isCPUAvailable: (Int) -> Bool) throws(LayoutError) {
        guard !threads.isEmpty else { throw error("layout '\(name)' has no threads", line: nil) }
        var seenNames = Set<String>()
        var placed: [StageID: String] = [:]
        for t in threads {
            guard !t.name.isEmpty, t.name.utf8.count <= 15 else {
                throw error("thread name '\(t.name)' must be 1–15 bytes (the kernel's limit)", line: t.line)
            }
            guard seenNames.insert(t.name).inserted else {
                throw error("thread name '\(t.name)' is used twice", line: t.line)
            }
            guard !t.stages.isEmpty else { throw error("thread '\(t.name)' runs no stages", line: t.line) }
            for s in t.stages {
                if let other = placed[s] {
                    throw error("stage '\(s.name)' is mapped twice (threads '\(other)' and '\(t.name)')", line: t.line)
                }
                placed[s] = t.name
            }
            if let cpu = t.cpu {
                guard cpu >= 0, isCPUAvailable(cpu) else {
                    throw error("thread '\(t.name)' is pinned to CPU \(cpu), which this host does not have "
                                + "(\(cpuCount) CPUs available)", line: t.line)
                }
            }
        }
        for s in Self.requiredStages where placed[s] == nil {
            throw error("stage '\(s.name)' is not mapped to any thread", line: nil)
        }
        let spinning = spinningThreadCount
        if spinning > 0 && spinning >= cpuCount {
            throw error("\(spinning) busy-spinning thread(s) (SQPOLL threads included) need fewer than the "
                        + "\(cpuCount) CPUs available: leave a core for the store, control plane and kernel; "
                        + "use idle = \"backoff\" or \"yield\" on some threads", line: nil)
        }
        for t in threads where t.idle.isBusySpinning {
            guard let cpu = t.cpu else { continue }
            if let other = threads.first(where: { $0.name != t.name && $0.cpu == cpu }) {
                throw error("busy-spinning thread '\(t.name)' shares CPU \(cpu) with thread '\(other.name)'",
                            line: other.line)
            }
        }
    }

    private func error(_ message: String, line: Int?) -> LayoutError {
        LayoutError(message: message, file: source, line: line)
    }
}

/// One thread of a layout.
public struct ThreadLayout: Equatable, Sendable {
    public var name: String
    public var stages: [StageID]
    /// CPU to pin to; nil leaves placement to the scheduler.
    public var cpu: Int?
    public var idle: IdleStrategyConfig
    /// Whether this thread's io_uring uses a kernel SQPOLL thread (a spinning thread too).
    public var sqpoll: Bool
    /// Line in the source file where this thread is defined, for error messages.
    public var line: Int?

    public init(name: String, stages: [StageID], cpu: Int? = nil, idle: IdleStrategyConfig,
                sqpoll: Bool = false, line: Int? = nil) {
        self.name = name
        self.stages = stages
        self.cpu = cpu
        self.idle = idle
        self.sqpoll = sqpoll
        self.line = line
    }
}

/// An idle strategy as configuration (the runtime strategies are generic types).
public enum IdleStrategyConfig: Equatable, Sendable {
    case busySpin
    case yield
    case backoff(maxSpins: Int, maxYields: Int, minParkNs: UInt64, maxParkNs: UInt64)
    case park(timeoutNs: UInt64)

    public static let defaultBackoff = IdleStrategyConfig.backoff(
        maxSpins: 10, maxYields: 5, minParkNs: 1_000, maxParkNs: 1_000_000)

    public var isBusySpinning: Bool { self == .busySpin }

    /// The configuration spelling: `busy-spin`, `yield`, `backoff`, `park`.
    public var name: String {
        switch self {
        case .busySpin: return "busy-spin"
        case .yield: return "yield"
        case .backoff: return "backoff"
        case .park: return "park"
        }
    }
}

/// A layout problem, printed as `file:line: message`.
public struct LayoutError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var file: String?
    public var line: Int?

    public init(message: String, file: String? = nil, line: Int? = nil) {
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String {
        switch (file, line) {
        case let (f?, l?): return "\(f):\(l): \(message)"
        case let (f?, nil): return "\(f): \(message)"
        default: return message
        }
    }
}

extension IdleStrategyConfig {
    /// Builds a runner for `agent` with this idle strategy, specialised for the concrete types.
    public func makeRunner<A: Agent>(agent: A, name: String, cpu: Int?, wakeSignal: WakeSignal? = nil,
                                     errorHandler: (@Sendable (any Error) -> Void)? = nil) -> any Runner {
        switch self {
        case .busySpin:
            return AgentRunner(agent: agent, idleStrategy: BusySpinIdleStrategy(), name: name, cpu: cpu,
                               errorHandler: errorHandler)
        case .yield:
            return AgentRunner(agent: agent, idleStrategy: YieldingIdleStrategy(), name: name, cpu: cpu,
                               errorHandler: errorHandler)
        case let .backoff(spins, yields, minPark, maxPark):
            return AgentRunner(
                agent: agent,
                idleStrategy: BackoffIdleStrategy(maxSpins: spins, maxYields: yields, minParkNs: minPark,
                                                  maxParkNs: maxPark, wakeSignal: wakeSignal),
                name: name, cpu: cpu, errorHandler: errorHandler)
        case let .park(timeout):
            return AgentRunner(
                agent: agent, idleStrategy: ParkingIdleStrategy(wakeSignal: wakeSignal ?? WakeSignal(), timeoutNs: timeout),
                name: name, cpu: cpu, errorHandler: errorHandler)
        }
    }
}
