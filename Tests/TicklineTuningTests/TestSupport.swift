import Foundation
import TicklineTestSupport
import TicklineConfig
import TicklineRing
import TicklineTuning

/// The repository root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
let layoutsDirectory = repositoryRoot.appendingPathComponent("Tuning/layouts").path

func preset(_ name: String) throws -> Layout {
    try LayoutLoader.load(name, directories: [layoutsDirectory])
}

/// The `tickline` binary: `$TICKLINE_BINARY`, else the one built beside this test bundle (any
/// `--scratch-path`), else `.build/debug/tickline`.
let ticklineBinary: URL = {
    if let p = ProcessInfo.processInfo.environment["TICKLINE_BINARY"] { return URL(fileURLWithPath: p) }
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("tickline")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return repositoryRoot.appendingPathComponent(".build/debug/tickline")
}()

/// Runs a program to completion; stdout and stderr as text.
func runProcess(_ executable: URL, _ args: [String], environment: [String: String] = [:],
                directory: URL = repositoryRoot) throws -> (status: Int32, out: String, err: String) {
    try runChildProcess(executable, args, environment: environment, directory: directory)
}

/// Facts of a fully tuned `cores`-CPU host whose isolated CPUs are `isolated`: what
/// Tuning/host/ sets up, built by hand so every preset can be checked on its own core count.
func tunedFacts(cores: Int, isolated: CPUSet) -> HostFacts {
    let online = CPUSet(0..<cores)
    let housekeeping = online.subtracting(isolated)
    var f = HostFacts(root: "synthetic")
    f.kernelRelease = "6.12.48-amd64"
    f.onlineCPUs = online
    f.allowedCPUs = online
    f.smtActive = false
    f.smtControl = "off"
    for c in online.cpus { f.threadSiblings[c] = CPUSet([c]) }
    f.numaNodes = [0: online]
    f.commandLine = KernelCommandLine(
        "ro quiet isolcpus=managed_irq,domain,\(isolated.cpulist) nohz_full=\(isolated.cpulist) "
            + "rcu_nocbs=\(isolated.cpulist) irqaffinity=\(housekeeping.cpulist)")
    f.isolatedSysfs = isolated
    f.nohzFullSysfs = isolated
    for c in online.cpus {
        f.governors[c] = "performance"
        f.idleStates[c] = [.init(name: "POLL", latencyUs: 0, disabled: false), .init(name: "C1", latencyUs: 2, disabled: false),
                           .init(name: "C6", latencyUs: 133, disabled: true)]
    }
    f.boost = false
    f.boostSource = "cpufreq/boost"
    f.cpuidleDriver = "intel_idle"
    f.cpuidleGovernor = "menu"
    f.transparentHugePages = "never"
    f.sysctls = [
        "kernel.osrelease": "6.12.48-amd64", "vm.swappiness": "10", "kernel.sched_rt_runtime_us": "950000",
        "net.core.rmem_max": "16777216", "net.core.wmem_max": "16777216", "net.ipv4.tcp_rmem": "4096 131072 16777216",
        "net.ipv4.tcp_wmem": "4096 16384 16777216", "net.core.busy_read": "50", "net.core.busy_poll": "50",
        "vm.max_map_count": "262144", "kernel.io_uring_disabled": "0", "kernel.numa_balancing": "0",
        "kernel.timer_migration": "0",
    ]
    f.irqs = (0..<6).map { HostFacts.IRQ(number: 120 + $0, name: "eth0-TxRx-\($0)", affinity: housekeeping) }
    f.defaultIRQAffinity = housekeeping
    f.irqbalanceRunning = false
    f.timerSlackNs = 1000
    f.memlock = ResourceLimit(soft: .unlimited, hard: .unlimited, source: "test")
    f.dataDirectory = .init(path: "/var/lib/tickline/data", existing: "/var/lib/tickline", filesystem: "xfs",
                            mountPoint: "/var/lib/tickline", mountSource: "/dev/nvme1n1p1")
    return f
}
