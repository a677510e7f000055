import TicklineRing

/// The rules of `tickline tune check`: judges `HostFacts` against the recommendations for a
/// low-latency deployment and cross-checks a layout. Pure: no I/O, so tests feed it fixture or
/// hand-made facts.
///
/// What fails the check (`problem`, exit 1) is what stops the layout from working as designed:
/// a pinned CPU the host lacks, more spinning threads than the host can give, a spinning CPU
/// that is not isolated or takes device interrupts, io_uring switched off for the uring backend,
/// a memlock limit too low to register io_uring buffer rings, LMDB on a network filesystem.
/// Everything else that differs from the recommendation is `advice`; what cannot be read is
/// `unknown` (it never fails the check). Recommendations follow the `tuned` profiles
/// `latency-performance`/`network-latency`/`cpu-partitioning` and the measurements in
/// PLATFORM-NOTES (a sleeping wait costs 30–80 µs on a VM, so trading threads spin).
public enum TuneChecker {
    /// What else the check needs to know from the configuration.
    public struct Context: Sendable {
        /// `[store] enabled`: when false the data directory is not checked.
        public var storeEnabled: Bool
        /// `[venue] backend`: `uring` or `poll`.
        public var ioBackend: String

        public init(storeEnabled: Bool = true, ioBackend: String = "uring") {
            self.storeEnabled = storeEnabled
            self.ioBackend = ioBackend
        }
    }

    /// Memlock below this cannot hold the io_uring buffer rings of the I/O stages (a page each,
    /// pinned and accounted to RLIMIT_MEMLOCK without CAP_IPC_LOCK) with any headroom.
    public static let minimumMemlockBytes: UInt64 = 64 << 10
    /// Exit latency (µs) above which an enabled C-state is worth disabling.
    public static let deepIdleLatencyUs = 10

    public static func check(_ facts: HostFacts, layout: Layout, context: Context = Context()) -> TuneReport {
        let l = LayoutFacts(layout)
        var settings: [TuneSetting] = []
        settings += cpuSettings(facts, l)
        settings += isolationSettings(facts, l)
        settings += powerSettings(facts)
        settings += memorySettings(facts)
        settings += interruptSettings(facts, l)
        settings += networkSettings(facts)
        settings += storageAndLimitSettings(facts, context)
        let checks = layoutChecks(facts, l)
        return TuneReport(
            root: facts.root,
            host: .init(cpusOnline: facts.onlineCPUs?.count, numaNodes: facts.numaNodes?.count,
                        isolatedCPUs: facts.isolatedCPUs?.cpulist, kernel: facts.kernelRelease),
            layout: .init(name: layout.name, source: layout.source, threads: layout.threads.count,
                          pinnedCPUs: l.pinned.cpulist, spinningCPUs: l.spinningCPUs.cpulist,
                          spinningThreads: layout.spinningThreadCount),
            settings: settings, layoutChecks: checks)
    }

    /// The layout's CPUs, by role.
    struct LayoutFacts {
        let layout: Layout
        let pinned: CPUSet
        /// CPUs of pinned busy-spinning threads.
        let spinningCPUs: CPUSet
        /// Threads by CPU, for messages.
        let threadsOnCPU: [Int: [ThreadLayout]]
        /// CPUs the host needs: every pinned CPU exists, and the spinning threads leave one free.
        let neededCPUs: Int

        init(_ layout: Layout) {
            self.layout = layout
            pinned = CPUSet(layout.threads.compactMap(\.cpu))
            spinningCPUs = CPUSet(layout.threads.filter { $0.idle.isBusySpinning }.compactMap(\.cpu))
            threadsOnCPU = Dictionary(grouping: layout.threads.filter { $0.cpu != nil }, by: { $0.cpu! })
            neededCPUs = max((pinned.cpus.last ?? -1) + 1, layout.spinningThreadCount + 1)
        }

        /// `CPU 2 ('parse')` or `CPUs 2-6 ('parse', 'indicator', …)`.
        func describe(_ cpus: CPUSet) -> String {
            let threads = cpus.cpus.map { names(on: $0) }.filter { !$0.isEmpty }.joined(separator: ", ")
            return (cpus.count == 1 ? "CPU " : "CPUs ") + cpus.cpulist + (threads.isEmpty ? "" : " (\(threads))")
        }

        func names(on cpu: Int) -> String {
            (threadsOnCPU[cpu] ?? []).map { "'\($0.name)'" }.joined(separator: ", ")
        }
    }

    // MARK: CPUs and isolation

    static func cpuSettings(_ f: HostFacts, _ l: LayoutFacts) -> [TuneSetting] {
        var rows: [TuneSetting] = []
        let kernel: (TuneStatus, String) = {
            guard let r = f.kernelRelease else { return (.unknown, "unknown") }
            guard let v = kernelVersion(r) else { return (.info, r) }
            return (v >= (6, 1) ? .ok : .advice, r)
        }()
        rows.append(TuneSetting(
            key: "kernel", setting: "kernel", current: kernel.1, recommended: "≥ 6.1", status: kernel.0,
            why: "io_uring multishot receive and provided buffer rings (the parse and order stages' sockets)"))

        if let online = f.onlineCPUs {
            rows.append(TuneSetting(
                key: "cpu.online", setting: "CPUs online", current: "\(online.count) (\(online.cpulist))",
                recommended: "≥ \(l.neededCPUs) for '\(l.layout.name)'",
                status: online.count >= l.neededCPUs && l.pinned.isSubset(of: online) ? .ok : .advice,
                why: "every pinned CPU must exist, and a core beyond the spinning ones stays for kernel, store, control plane"))
        } else {
            rows.append(TuneSetting(key: "cpu.online", setting: "CPUs online", current: "unknown",
                                    recommended: "≥ \(l.neededCPUs) for '\(l.layout.name)'", status: .unknown,
                                    why: "no /sys/devices/system/cpu/online"))
        }

        rows.append(TuneSetting(
            key: "cpu.allowed", setting: "CPUs allowed (this process)", current: f.allowedCPUs?.description ?? "unknown",
            recommended: l.pinned.isEmpty ? "any" : "⊇ \(l.pinned.cpulist) (service: AllowedCPUs=)",
            status: f.allowedCPUs.map { l.pinned.isSubset(of: $0) ? .ok : .advice } ?? .unknown,
            why: "the engine refuses CPUs outside its affinity mask; the systemd unit sets the service's own mask"))

        let smt: (String, TuneStatus) = {
            switch (f.smtActive, f.smtControl) {
            case (true?, _): return ("on", .advice)
            case (false?, let c?): return (c == "off" ? "off" : "off (\(c))", .ok)
            case (false?, nil): return ("off", .ok)
            case (nil, let c?): return (c, c == "on" ? .advice : .ok)
            case (nil, nil): return ("unknown", .unknown)
            }
        }()
        rows.append(TuneSetting(
            key: "cpu.smt", setting: "SMT (hyperthreads)", current: smt.0,
            recommended: "off, or siblings of spinning CPUs idle", status: smt.1,
            why: "hyperthreads share one core's execution units and caches: a busy sibling slows a spinning stage"))

        if let nodes = f.numaNodes {
            let list = nodes.keys.sorted().map { "node\($0): \(nodes[$0]!.cpulist)" }.joined(separator: ", ")
            rows.append(TuneSetting(
                key: "numa.nodes", setting: "NUMA nodes", current: "\(nodes.count) (\(list))",
                recommended: "trading threads on one node", status: .info,
                why: "a ring hop between nodes crosses the interconnect: keep the trading stages on one node"))
        } else {
            rows.append(TuneSetting(key: "numa.nodes", setting: "NUMA nodes", current: "unknown",
                                    recommended: "trading threads on one node", status: .unknown,
                                    why: "no /sys/devices/system/node"))
        }
        return rows
    }

    static func isolationSettings(_ f: HostFacts, _ l: LayoutFacts) -> [TuneSetting] {
        let spinning = l.spinningCPUs
        let want = spinning.isEmpty ? "none needed (no pinned spinning thread)" : spinning.cpulist
        func row(_ key: String, _ name: String, _ set: CPUSet?, extra: String = "", why: String,
                 recommended: String? = nil) -> TuneSetting {
            guard let set else {
                return TuneSetting(key: key, setting: name, current: "unknown", recommended: recommended ?? want,
                                   status: .unknown, why: why)
            }
            return TuneSetting(key: key, setting: name, current: set.description + extra,
                               recommended: recommended ?? want,
                               status: spinning.isSubset(of: set) ? .ok : .advice, why: why)
        }
        var flags = ""
        if let iso = f.commandLine?.isolcpus(lastCPU: f.lastCPU), !iso.flags.isEmpty {
            flags = " (" + iso.flags.joined(separator: ",") + ")"
        }
        return [
            row("cmdline.isolcpus", "isolcpus", f.isolatedCPUs, extra: flags,
                why: "keeps the scheduler's other tasks off the spinning CPUs (managed_irq: managed device IRQs too)",
                recommended: spinning.isEmpty ? want : "managed_irq,domain,\(spinning.cpulist)"),
            row("cmdline.nohz_full", "nohz_full", f.nohzFullCPUs,
                why: "stops the scheduler tick (up to 1000 interrupts/s) on a CPU that runs one task"),
            row("cmdline.rcu_nocbs", "rcu_nocbs", f.rcuNoCallbackCPUs,
                why: "moves RCU callbacks off the spinning CPUs (nohz_full implies it)"),
        ]
    }

    // MARK: Power

    static func powerSettings(_ f: HostFacts) -> [TuneSetting] {
        var rows: [TuneSetting] = []
        if f.governors.isEmpty {
            rows.append(TuneSetting(
                key: "cpu.governor", setting: "CPU frequency governor", current: "unknown (no cpufreq: VM or firmware)",
                recommended: "performance", status: .unknown,
                why: "full clock from the first message: on-demand governors ramp up only after load"))
        } else {
            let byGovernor = Dictionary(grouping: f.governors.keys, by: { f.governors[$0]! })
            let current = byGovernor.keys.sorted().map { "\($0) (\(CPUSet(byGovernor[$0]!).cpulist))" }
                .joined(separator: ", ")
            rows.append(TuneSetting(
                key: "cpu.governor", setting: "CPU frequency governor", current: current, recommended: "performance",
                status: byGovernor.keys.allSatisfy { $0 == "performance" } ? .ok : .advice,
                why: "full clock from the first message: on-demand governors ramp up only after load (costs power)"))
        }
        rows.append(TuneSetting(
            key: "cpu.boost", setting: "CPU boost / turbo",
            current: f.boost.map { ($0 ? "on" : "off") + " (\(f.boostSource ?? "?"))" } ?? "unknown",
            recommended: "off for a steady p99 (on: faster p50)",
            status: f.boost.map { $0 ? .advice : .ok } ?? .unknown,
            why: "turbo clock follows temperature and busy-core count, so per-message cost drifts"))

        // C-states: the deepest enabled state on any online CPU.
        var current = "unknown (no cpuidle)"
        var status = TuneStatus.unknown
        if let cpu = f.idleStates.keys.sorted().first, let states = f.idleStates[cpu] {
            let enabled = f.idleStates.values.flatMap { $0.filter { !$0.disabled } }
            let deepest = enabled.compactMap(\.latencyUs).max() ?? 0
            let listed = states.map { s in
                "\(s.name) \(s.latencyUs.map { "\($0) µs" } ?? "?")" + (s.disabled ? " off" : "")
            }.joined(separator: ", ")
            current = [f.cpuidleDriver, f.cpuidleGovernor].compactMap { $0 }.joined(separator: "/")
            current += (current.isEmpty ? "" : ": ") + listed
            status = deepest > deepIdleLatencyUs ? .advice : .ok
        }
        if let cmd = f.commandLine {
            let params = ["idle", "processor.max_cstate", "intel_idle.max_cstate"].compactMap { n in
                cmd.value(n).map { "\(n)=\($0)" }
            }
            if !params.isEmpty { current += " [" + params.joined(separator: " ") + "]" }
        }
        rows.append(TuneSetting(
            key: "cpu.cstates", setting: "C-states (cpuidle)", current: current,
            recommended: "none enabled deeper than \(deepIdleLatencyUs) µs", status: status,
            why: "a CPU leaving a deep C-state pays its exit latency before running (disabling costs idle power)"))
        return rows
    }

    // MARK: Memory and scheduler

    static func memorySettings(_ f: HostFacts) -> [TuneSetting] {
        var rows: [TuneSetting] = []
        let thp = f.transparentHugePages
        rows.append(TuneSetting(
            key: "vm.transparent_hugepage", setting: "transparent huge pages",
            current: thp.map { v in v + (f.transparentHugePagesDefrag.map { " (defrag \($0))" } ?? "") } ?? "unknown",
            recommended: "never (madvise fine)",
            status: thp.map { $0 == "always" ? .advice : .ok } ?? .unknown,
            why: "'always' lets khugepaged and fault-time compaction stall threads; the engine preallocates"))
        rows.append(sysctlRow(f, "vm.swappiness", recommended: "≤ 10", judge: { $0 <= 10 },
                              why: "keeps preallocated rings and LMDB's hot pages in RAM under page-cache pressure"))
        rows.append(sysctlRow(f, "vm.max_map_count", recommended: "≥ 65530", judge: { $0 >= 65530 },
                              why: "LMDB maps each environment once; thread stacks and the allocator need the rest"))
        let oneNode = (f.numaNodes?.count ?? 2) <= 1
        rows.append(sysctlRow(f, "kernel.numa_balancing", recommended: "0", judge: { $0 == 0 || oneNode },
                              why: "samples memory use by unmapping pages: page faults in the hot loop"
                                  + (oneNode ? " (no effect on one node)" : "")))
        rows.append(sysctlRow(f, "kernel.timer_migration", recommended: "0", judge: { $0 == 0 },
                              why: "keeps timers on the CPU that armed them instead of moving them to busy CPUs"))
        let rt = f.sysctls["kernel.sched_rt_runtime_us"]
        rows.append(TuneSetting(
            key: "kernel.sched_rt_runtime_us", setting: "kernel.sched_rt_runtime_us", current: rt ?? "unknown",
            recommended: "950000; -1 only with SCHED_FIFO", status: rt == nil ? .unknown : .ok,
            why: "RT throttling; the engine's threads are SCHED_OTHER, so it matters only if you chrt them"))
        let slack = f.timerSlackNs
        rows.append(TuneSetting(
            key: "timer_slack", setting: "timer slack (this process)",
            current: slack.map { "\($0) ns" } ?? "unknown", recommended: "≤ 1000 ns (TimerSlackNSec=)",
            status: slack.map { $0 <= 1000 ? .ok : .advice } ?? .unknown,
            why: "a timed sleep may end this much late: a backing-off thread's 1 µs park becomes 50 µs"))
        return rows
    }

    // MARK: Interrupts

    static func interruptSettings(_ f: HostFacts, _ l: LayoutFacts) -> [TuneSetting] {
        var rows: [TuneSetting] = []
        let spinning = l.spinningCPUs
        let housekeeping = f.onlineCPUs.map { $0.subtracting(spinning).cpulist } ?? "CPUs without spinning threads"
        rows.append(TuneSetting(
            key: "irqbalance", setting: "irqbalance",
            current: f.irqbalanceRunning.map { $0 ? "running" : "not running" } ?? "unknown",
            recommended: "stopped (or banned from spinning CPUs)",
            status: f.irqbalanceRunning.map { $0 && !spinning.isEmpty ? .advice : .ok } ?? .unknown,
            why: "re-spreads IRQs every 10 s; irq-affinity.sh pins them once to the housekeeping CPUs"))
        rows.append(TuneSetting(
            key: "irq.default_affinity", setting: "default IRQ affinity",
            current: f.defaultIRQAffinity?.description ?? "unknown", recommended: housekeeping,
            status: f.defaultIRQAffinity.map { $0.intersection(spinning).isEmpty ? .ok : .advice } ?? .unknown,
            why: "where newly registered interrupts may go (irqaffinity= sets it at boot)"))
        if let irqs = f.irqs {
            let onSpinning = irqs.filter { !($0.affinity ?? .empty).intersection(spinning).isEmpty }
            rows.append(TuneSetting(
                key: "irq.affinity", setting: "IRQ affinity",
                current: "\(irqs.count) IRQs, \(onSpinning.count) allowed on spinning CPUs",
                recommended: spinning.isEmpty ? "any" : "none on \(spinning.cpulist)",
                status: onSpinning.isEmpty ? .ok : .advice,
                why: "an interrupt on a spinning CPU stops the stage for the handler and its softirq"))
        } else {
            rows.append(TuneSetting(key: "irq.affinity", setting: "IRQ affinity", current: "unknown",
                                    recommended: spinning.isEmpty ? "any" : "none on \(spinning.cpulist)",
                                    status: .unknown, why: "no /proc/irq"))
        }
        return rows
    }

    // MARK: Network

    static func networkSettings(_ f: HostFacts) -> [TuneSetting] {
        [
            sysctlRow(f, "net.core.rmem_max", recommended: "≥ 4194304", judge: { $0 >= 4 << 20 },
                      why: "caps an explicit SO_RCVBUF: a market-data burst must fit while the parse stage catches up"),
            sysctlRow(f, "net.core.wmem_max", recommended: "≥ 4194304", judge: { $0 >= 4 << 20 },
                      why: "caps an explicit SO_SNDBUF (the control plane's event fan-out)"),
            tripleRow(f, "net.ipv4.tcp_rmem", minimumMax: 6 << 20,
                      why: "receive autotuning grows up to the third value: the room for a burst"),
            tripleRow(f, "net.ipv4.tcp_wmem", minimumMax: 4 << 20, why: "send autotuning limit"),
            sysctlRow(f, "net.core.busy_read", recommended: "50", judge: { $0 >= 50 },
                      why: "socket reads poll the NIC queue for 50 µs instead of waiting for the IRQ (costs CPU)"),
            sysctlRow(f, "net.core.busy_poll", recommended: "50", judge: { $0 >= 50 },
                      why: "the same for poll/epoll (control plane); needs a NAPI driver, not loopback"),
        ]
    }

    // MARK: Storage, io_uring, limits

    static func storageAndLimitSettings(_ f: HostFacts, _ context: Context) -> [TuneSetting] {
        var rows: [TuneSetting] = []
        let fsWhy = "LMDB needs a local filesystem with working mmap, fsync and locks; tmpfs loses it at reboot"
        if !context.storeEnabled {
            rows.append(TuneSetting(key: "store.filesystem", setting: "LMDB data directory", current: "store disabled",
                                    recommended: "local ext4 or xfs", status: .info, why: fsWhy))
        } else if let d = f.dataDirectory, let fs = d.filesystem {
            var current = fs
            if let m = d.mountPoint { current += " on \(m)" }
            if let s = d.mountSource { current += " (\(s))" }
            current += ": \(d.path)"
            if let e = d.existing, e != d.path { current += " (not created yet)" }
            let network = ["nfs", "nfs4", "cifs", "smb2", "smb3", "9p", "ceph", "glusterfs", "virtiofs", "sshfs",
                           "fuse.sshfs", "afs"]
            let local = ["ext4", "ext3", "ext2", "xfs"]
            let status: TuneStatus = network.contains(fs) || fs.hasPrefix("nfs") || fs.hasPrefix("fuse.")
                ? .problem : local.contains(fs) ? .ok : .advice
            rows.append(TuneSetting(key: "store.filesystem", setting: "LMDB data directory", current: current,
                                    recommended: "local ext4 or xfs", status: status, why: fsWhy))
        } else {
            rows.append(TuneSetting(key: "store.filesystem", setting: "LMDB data directory",
                                    current: f.dataDirectory.map { "unknown: \($0.path)" } ?? "unknown",
                                    recommended: "local ext4 or xfs", status: .unknown, why: fsWhy))
        }

        let uring = context.ioBackend == "uring"
        let disabled = f.sysctls["kernel.io_uring_disabled"]
        let io: (String, TuneStatus) = {
            switch disabled {
            case "0"?: return ("0 (enabled)", .ok)
            case "1"?: return ("1 (root and kernel.io_uring_group only)", .advice)
            case "2"?: return ("2 (disabled)", uring ? .problem : .advice)
            case let v?: return (v, .unknown)
            case nil:
                guard let v = f.kernelRelease.flatMap(kernelVersion) else { return ("unknown", .unknown) }
                return v >= (5, 19) ? ("enabled (no sysctl before 6.6)", .ok) : ("kernel too old for buffer rings", .advice)
            }
        }()
        rows.append(TuneSetting(
            key: "kernel.io_uring_disabled", setting: "io_uring", current: io.0, recommended: "0",
            status: io.1, why: "the sockets run on io_uring with backend = \"uring\" (\"poll\" is the fallback)"))

        let memWhy = "io_uring pins its buffer rings against RLIMIT_MEMLOCK (this process's limit; the unit sets its own)"
        if let m = f.memlock {
            let status: TuneStatus = m.soft == .unlimited ? .ok
                : m.soft.isAtLeast(minimumMemlockBytes) ? .advice : .problem
            rows.append(TuneSetting(
                key: "limit.memlock", setting: "memlock limit", current: "\(m.soft) soft, \(m.hard) hard",
                recommended: "unlimited (LimitMEMLOCK=infinity)", status: status, why: memWhy))
        } else {
            rows.append(TuneSetting(key: "limit.memlock", setting: "memlock limit", current: "unknown",
                                    recommended: "unlimited (LimitMEMLOCK=infinity)", status: .unknown, why: memWhy))
        }
        return rows
    }

    // MARK: Layout cross-checks

    static func layoutChecks(_ f: HostFacts, _ l: LayoutFacts) -> [TuneLayoutCheck] {
        var checks: [TuneLayoutCheck] = []
        let layout = l.layout

        do {
            try layout.validate(cpuCount: Int.max, isCPUAvailable: { _ in true })
            checks.append(TuneLayoutCheck(key: "layout.valid", check: "layout is well formed", status: .ok,
                                          detail: "\(layout.threads.count) threads; every stage mapped once"))
        } catch {
            checks.append(TuneLayoutCheck(key: "layout.valid", check: "layout is well formed", status: .problem,
                                          detail: error.description))
        }

        // Pinned CPUs exist.
        if l.pinned.isEmpty {
            checks.append(TuneLayoutCheck(key: "layout.cpus_exist", check: "pinned CPUs exist", status: .ok,
                                          detail: "no thread is pinned"))
        } else if let online = f.onlineCPUs {
            let missing = l.pinned.subtracting(online)
            if missing.isEmpty {
                checks.append(TuneLayoutCheck(key: "layout.cpus_exist", check: "pinned CPUs exist", status: .ok,
                                              detail: "threads pinned to \(l.pinned.cpulist), all online"))
            } else {
                checks.append(TuneLayoutCheck(
                    key: "layout.cpus_exist", check: "pinned CPUs exist", status: .problem,
                    detail: "\(l.describe(missing)) not online; this host has \(online.count) (\(online.cpulist))"))
            }
        } else {
            checks.append(TuneLayoutCheck(key: "layout.cpus_exist", check: "pinned CPUs exist", status: .unknown,
                                          detail: "online CPUs unknown"))
        }

        // Spinning threads fit, leaving a housekeeping CPU.
        let spinningCount = layout.spinningThreadCount
        if let online = f.onlineCPUs {
            let isolated = f.isolatedCPUs ?? .empty
            let housekeeping = online.subtracting(l.spinningCPUs).subtracting(isolated)
            let unpinned = layout.threads.filter { $0.idle.isBusySpinning && $0.cpu == nil }.map { "'\($0.name)'" }
            if spinningCount > 0 && spinningCount >= online.count {
                checks.append(TuneLayoutCheck(
                    key: "layout.spinning_fit", check: "spinning threads fit", status: .problem,
                    detail: "\(spinningCount) busy-spinning threads need fewer than the \(online.count) CPUs online"))
            } else if housekeeping.isEmpty {
                checks.append(TuneLayoutCheck(
                    key: "layout.spinning_fit", check: "spinning threads fit", status: .problem,
                    detail: "no CPU left for the kernel, store and control plane (online \(online.cpulist), "
                        + "spinning \(l.spinningCPUs.cpulist), isolated \(isolated.cpulist))"))
            } else if !unpinned.isEmpty {
                checks.append(TuneLayoutCheck(
                    key: "layout.spinning_fit", check: "spinning threads fit", status: .advice,
                    detail: "thread \(unpinned.joined(separator: ", ")) spins unpinned: the scheduler may stack it "
                        + "with other work; pin it to an isolated CPU"))
            } else {
                checks.append(TuneLayoutCheck(
                    key: "layout.spinning_fit", check: "spinning threads fit", status: .ok,
                    detail: "\(spinningCount) spinning on \(online.count) CPUs; housekeeping CPUs \(housekeeping.cpulist)"))
            }
        } else {
            checks.append(TuneLayoutCheck(key: "layout.spinning_fit", check: "spinning threads fit", status: .unknown,
                                          detail: "online CPUs unknown"))
        }

        // Spinning CPUs that exist: isolation, tick, IRQs, governor, SMT, NUMA.
        let spinning = f.onlineCPUs.map { l.spinningCPUs.intersection($0) } ?? l.spinningCPUs
        let none = "no pinned busy-spinning thread on this host"

        let isolatedOrTickless: CPUSet? = {
            switch (f.isolatedCPUs, f.nohzFullCPUs) {
            case (nil, nil): return nil
            case let (a, b): return (a ?? .empty).union(b ?? .empty)
            }
        }()
        if spinning.isEmpty {
            checks.append(TuneLayoutCheck(key: "layout.isolated", check: "spinning CPUs isolated", status: .ok,
                                          detail: none))
        } else if let iso = isolatedOrTickless {
            let bare = spinning.subtracting(iso)
            if bare.isEmpty {
                checks.append(TuneLayoutCheck(key: "layout.isolated", check: "spinning CPUs isolated", status: .ok,
                                              detail: "\(spinning.cpulist) isolated"))
            } else {
                checks.append(TuneLayoutCheck(
                    key: "layout.isolated", check: "spinning CPUs isolated", status: .problem,
                    detail: "\(l.describe(bare)) not in isolcpus/nohz_full: other tasks share the core; boot with "
                        + "isolcpus=managed_irq,domain,\(spinning.cpulist) nohz_full=\(spinning.cpulist) "
                        + "(Tuning/host/kernel-cmdline.txt)"))
            }
            let ticking = spinning.subtracting(f.nohzFullCPUs ?? .empty)
            checks.append(TuneLayoutCheck(
                key: "layout.tickless", check: "spinning CPUs tickless", status: ticking.isEmpty ? .ok : .advice,
                detail: ticking.isEmpty ? "nohz_full covers \(spinning.cpulist)"
                    : "the scheduler tick still runs on \(l.describe(ticking)): add nohz_full=\(spinning.cpulist)"))
        } else {
            checks.append(TuneLayoutCheck(key: "layout.isolated", check: "spinning CPUs isolated", status: .unknown,
                                          detail: "no /proc/cmdline or /sys/devices/system/cpu/isolated"))
        }

        if spinning.isEmpty {
            checks.append(TuneLayoutCheck(key: "layout.irqs", check: "no IRQs on spinning CPUs", status: .ok,
                                          detail: none))
        } else if let irqs = f.irqs {
            let hits = irqs.filter { !($0.affinity ?? .empty).intersection(spinning).isEmpty }
            let hitCPUs = hits.reduce(CPUSet.empty) { $0.union(($1.affinity ?? .empty).intersection(spinning)) }
            let shown = hits.prefix(4).map(\.label).joined(separator: ", ")
                + (hits.count > 4 ? " and \(hits.count - 4) more" : "")
            checks.append(TuneLayoutCheck(
                key: "layout.irqs", check: "no IRQs on spinning CPUs", status: hits.isEmpty ? .ok : .problem,
                detail: hits.isEmpty ? "\(irqs.count) IRQs, none allowed on \(spinning.cpulist)"
                    : "IRQ \(shown) may fire on \(l.describe(hitCPUs)) (run Tuning/host/irq-affinity.sh)"))
        } else {
            checks.append(TuneLayoutCheck(key: "layout.irqs", check: "no IRQs on spinning CPUs", status: .unknown,
                                          detail: "no /proc/irq"))
        }

        if !spinning.isEmpty {
            let known = spinning.cpus.filter { f.governors[$0] != nil }
            let slow = known.filter { f.governors[$0] != "performance" }
            checks.append(TuneLayoutCheck(
                key: "layout.governor", check: "spinning CPUs at full clock",
                status: known.isEmpty ? .unknown : slow.isEmpty ? .ok : .advice,
                detail: known.isEmpty ? "no cpufreq governor to read"
                    : slow.isEmpty ? "performance governor on \(spinning.cpulist)"
                        : "\(l.describe(CPUSet(slow))) on \(Set(slow.map { f.governors[$0]! }).sorted().joined(separator: ", "))"))

            if f.smtActive == false {
                checks.append(TuneLayoutCheck(key: "layout.smt", check: "SMT siblings of spinning CPUs idle",
                                              status: .ok, detail: "SMT off"))
            } else if f.threadSiblings.isEmpty {
                checks.append(TuneLayoutCheck(key: "layout.smt", check: "SMT siblings of spinning CPUs idle",
                                              status: .unknown, detail: "no thread_siblings_list"))
            } else {
                var notes: [String] = []
                let isolated = isolatedOrTickless ?? .empty
                for cpu in spinning.cpus {
                    for sibling in (f.threadSiblings[cpu] ?? .empty).cpus where sibling != cpu {
                        if l.threadsOnCPU[sibling] != nil {
                            notes.append("CPU \(cpu)'s sibling \(sibling) runs \(l.names(on: sibling))")
                        } else if !isolated.contains(sibling) {
                            notes.append("CPU \(cpu)'s sibling \(sibling) is not isolated")
                        }
                    }
                }
                checks.append(TuneLayoutCheck(
                    key: "layout.smt", check: "SMT siblings of spinning CPUs idle", status: notes.isEmpty ? .ok : .advice,
                    detail: notes.isEmpty ? "no spinning CPU shares its core with other work" : notes.joined(separator: "; ")))
            }

            if let nodes = f.numaNodes {
                let spanned = nodes.keys.sorted().filter { !nodes[$0]!.intersection(spinning).isEmpty }
                checks.append(TuneLayoutCheck(
                    key: "layout.numa", check: "spinning CPUs on one NUMA node", status: spanned.count <= 1 ? .ok : .advice,
                    detail: spanned.count <= 1 ? "node \(spanned.first.map(String.init) ?? "?")"
                        : "spread over nodes \(spanned.map(String.init).joined(separator: ", ")): ring hops cross the interconnect"))
            } else {
                checks.append(TuneLayoutCheck(key: "layout.numa", check: "spinning CPUs on one NUMA node",
                                              status: .unknown, detail: "no /sys/devices/system/node"))
            }
        }
        return checks
    }

    // MARK: Helpers

    static func sysctlRow(_ f: HostFacts, _ name: String, recommended: String, judge: (Int) -> Bool,
                          why: String) -> TuneSetting {
        guard let v = f.sysctls[name] else {
            return TuneSetting(key: name, setting: name, current: "unknown", recommended: recommended,
                               status: .unknown, why: why)
        }
        guard let n = Int(v) else {
            return TuneSetting(key: name, setting: name, current: v, recommended: recommended, status: .unknown, why: why)
        }
        return TuneSetting(key: name, setting: name, current: v, recommended: recommended,
                           status: judge(n) ? .ok : .advice, why: why)
    }

    /// `min default max` sysctls (`net.ipv4.tcp_rmem`): judged on the max.
    static func tripleRow(_ f: HostFacts, _ name: String, minimumMax: Int, why: String) -> TuneSetting {
        let recommended = "max ≥ \(minimumMax)"
        guard let v = f.sysctls[name] else {
            return TuneSetting(key: name, setting: name, current: "unknown", recommended: recommended,
                               status: .unknown, why: why)
        }
        let fields = v.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let current = fields.joined(separator: " ")
        guard fields.count == 3, let max = Int(fields[2]) else {
            return TuneSetting(key: name, setting: name, current: current, recommended: recommended, status: .unknown,
                               why: why)
        }
        return TuneSetting(key: name, setting: name, current: current, recommended: recommended,
                           status: max >= minimumMax ? .ok : .advice, why: why)
    }

    /// `6.18.5-arch1` → (6, 18).
    static func kernelVersion(_ release: String) -> (Int, Int)? {
        let parts = release.split(whereSeparator: { !($0.isASCII && $0.isNumber) }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        return (parts[0], parts[1])
    }
}
