/// What `tickline tune check` knows about a host: raw values read from `/proc` and `/sys`
/// (under `HostReader.root`) and, on the live host, from a few syscalls. Nil means "could not
/// be read"; the rules report it as unknown.
///
/// Reading is separate from judging (`TuneChecker`), so tests can check rules on hand-made
/// facts and the reader on fixture trees.
public struct HostFacts: Sendable {
    public var root: String
    /// `kernel.osrelease`.
    public var kernelRelease: String?
    /// `/sys/devices/system/cpu/online` (falls back to `sysconf` live, then `/proc/cpuinfo`).
    public var onlineCPUs: CPUSet?
    /// Where `onlineCPUs` came from.
    public var onlineCPUsSource: String?
    /// `Cpus_allowed_list` of `/proc/self/status`: the mask this process (and what it starts) may use.
    public var allowedCPUs: CPUSet?
    /// `/sys/devices/system/cpu/smt/active` and `control` (`on`, `off`, `forceoff`, `notsupported`).
    public var smtActive: Bool?
    public var smtControl: String?
    /// `cpuN/topology/thread_siblings_list` per online CPU.
    public var threadSiblings: [Int: CPUSet] = [:]
    /// `nodeN/cpulist` per NUMA node; nil when `/sys/devices/system/node` is missing.
    public var numaNodes: [Int: CPUSet]?
    public var commandLine: KernelCommandLine?
    /// `/sys/devices/system/cpu/isolated` (isolcpus domain isolation, as the kernel applied it).
    public var isolatedSysfs: CPUSet?
    /// `/sys/devices/system/cpu/nohz_full` (absent without CONFIG_NO_HZ_FULL).
    public var nohzFullSysfs: CPUSet?
    /// `cpuN/cpufreq/scaling_governor` per CPU that has one.
    public var governors: [Int: String] = [:]
    /// Turbo/boost on, and the file it came from.
    public var boost: Bool?
    public var boostSource: String?
    /// `/sys/devices/system/cpu/cpuidle/current_driver` and `current_governor_ro` (or `current_governor`).
    public var cpuidleDriver: String?
    public var cpuidleGovernor: String?
    /// `cpuN/cpuidle/stateK` per CPU.
    public var idleStates: [Int: [IdleState]] = [:]
    /// `/sys/kernel/mm/transparent_hugepage/enabled` and `defrag`, the bracketed choice.
    public var transparentHugePages: String?
    public var transparentHugePagesDefrag: String?
    /// Sysctls by dotted name (only those that could be read).
    public var sysctls: [String: String] = [:]
    /// `/proc/irq/N`, sorted by number.
    public var irqs: [IRQ]?
    /// `/proc/irq/default_smp_affinity`.
    public var defaultIRQAffinity: CPUSet?
    /// A process named `irqbalance` in `/proc/[pid]/comm`; nil when `/proc` cannot be listed.
    public var irqbalanceRunning: Bool?
    /// `/proc/self/timerslack_ns`: this process's timer slack (children inherit it).
    public var timerSlackNs: Int?
    public var memlock: ResourceLimit?
    public var dataDirectory: DataDirectory?

    public init(root: String) {
        self.root = root
    }

    /// The last online CPU, for `N` in cpulists.
    var lastCPU: Int? { onlineCPUs?.cpus.last }

    /// CPUs isolated from the scheduler: `/sys/devices/system/cpu/isolated` when present and
    /// non-empty, else the cpulist of `isolcpus=` (with the `domain` flag or no flags).
    public var isolatedCPUs: CPUSet? {
        if let s = isolatedSysfs, !s.isEmpty { return s }
        if let cmd = commandLine {
            if let iso = cmd.isolcpus(lastCPU: lastCPU) {
                return iso.flags.isEmpty || iso.flags.contains("domain") ? iso.cpus : .empty
            }
            return isolatedSysfs ?? .empty
        }
        return isolatedSysfs
    }

    /// `nohz_full` CPUs: sysfs when present and non-empty, else the command line.
    public var nohzFullCPUs: CPUSet? {
        if let s = nohzFullSysfs, !s.isEmpty { return s }
        if let cmd = commandLine {
            return cmd.cpus("nohz_full", lastCPU: lastCPU) ?? nohzFullSysfs ?? .empty
        }
        return nohzFullSysfs
    }

    /// `rcu_nocbs` CPUs from the command line; `nohz_full` CPUs are offloaded too (the kernel
    /// implies rcu_nocbs for them).
    public var rcuNoCallbackCPUs: CPUSet? {
        guard let cmd = commandLine else { return nil }
        let explicit = cmd.cpus("rcu_nocbs", lastCPU: lastCPU) ?? .empty
        return explicit.union(nohzFullCPUs ?? .empty)
    }

    public struct IdleState: Equatable, Sendable {
        public var name: String
        /// Exit latency in microseconds (`latency`).
        public var latencyUs: Int?
        /// `disable` = 1.
        public var disabled: Bool

        public init(name: String, latencyUs: Int?, disabled: Bool) {
            self.name = name
            self.latencyUs = latencyUs
            self.disabled = disabled
        }
    }

    public struct IRQ: Equatable, Sendable {
        public var number: Int
        /// The device or chip name from `/proc/interrupts` (last column), when listed.
        public var name: String?
        /// `smp_affinity_list`: the CPUs this interrupt may be delivered to.
        public var affinity: CPUSet?
        /// `effective_affinity_list`: where it goes now.
        public var effectiveAffinity: CPUSet?

        public init(number: Int, name: String? = nil, affinity: CPUSet?, effectiveAffinity: CPUSet? = nil) {
            self.number = number
            self.name = name
            self.affinity = affinity
            self.effectiveAffinity = effectiveAffinity
        }

        var label: String { name.map { "\(number) (\($0))" } ?? "\(number)" }
    }

    /// The LMDB data directory and the filesystem that holds it.
    public struct DataDirectory: Equatable, Sendable {
        /// The configured directory, made absolute.
        public var path: String
        /// The nearest existing directory at or above `path` (live only: the store creates `path`).
        public var existing: String?
        /// Filesystem type (`statfs` live, else the mount table).
        public var filesystem: String?
        public var mountPoint: String?
        public var mountSource: String?
        public var mountOptions: String?

        public init(path: String, existing: String? = nil, filesystem: String? = nil, mountPoint: String? = nil,
                    mountSource: String? = nil, mountOptions: String? = nil) {
            self.path = path
            self.existing = existing
            self.filesystem = filesystem
            self.mountPoint = mountPoint
            self.mountSource = mountSource
            self.mountOptions = mountOptions
        }
    }
}
