import Foundation
import Testing
import TicklineRing
@testable import TicklineTuning

/// `TuneChecker` on the fixture trees under Fixtures/ (see Fixtures/README.md) and on this host.
@Suite struct TuneCheckTests {
    static let dataDirectory = "/var/lib/tickline/data"

    func report(_ fixture: String, layout: String = "dedicated", context: TuneChecker.Context = .init()) throws
        -> TuneReport
    {
        let reader = HostReader(root: fixtures.appendingPathComponent(fixture).path)
        let facts = HostFacts.read(reader, dataDirectory: context.storeEnabled ? Self.dataDirectory : nil)
        return TuneChecker.check(facts, layout: try preset(layout), context: context)
    }

    /// A tuned 8-core host (isolcpus/nohz_full/rcu_nocbs 2-6, IRQs on 0-1,7, performance
    /// governor, …) suits the dedicated layout, with every setting at its recommendation.
    @Test func tunedHostSuitsDedicated() throws {
        let r = try report("tuned-8")
        #expect(r.suitsLayout, "\(r.problems)")
        #expect(r.unknown.isEmpty, "\(r.unknown)")
        for s in r.settings { #expect(s.status == .ok || s.status == .info, "\(s.key): \(s.current)") }
        for c in r.layoutChecks { #expect(c.status == .ok, "\(c.key): \(c.detail)") }
        #expect(r.host.cpusOnline == 8)
        #expect(r.host.isolatedCPUs == "2-6")
        #expect(r.setting("store.filesystem")?.current.hasPrefix("xfs on /var/lib/tickline") == true)
        #expect(r.setting("limit.memlock")?.current == "unlimited soft, unlimited hard")
        #expect(r.setting("cmdline.isolcpus")?.current == "2-6 (managed_irq,domain)")
        #expect(r.setting("irq.default_affinity")?.current == "0-1,7")
        #expect(r.table.hasSuffix("host suits layout 'dedicated'\n"))
    }

    /// A stock 8-thread host: no isolation, IRQs everywhere, io_uring switched off, LMDB on NFS.
    @Test func untunedHostFailsWithTheExpectedProblems() throws {
        let r = try report("untuned-8")
        #expect(!r.suitsLayout)
        let problemKeys = r.settings.filter { $0.status == .problem }.map(\.key)
            + r.layoutChecks.filter { $0.status == .problem }.map(\.key)
        #expect(problemKeys == ["store.filesystem", "kernel.io_uring_disabled", "layout.isolated", "layout.irqs"])
        #expect(r.problems.count == 4)
        #expect(r.problems.contains { $0.hasPrefix("spinning CPUs isolated: CPUs 2-6 ('parse', 'indicator'") })
        #expect(r.problems.contains { $0.hasPrefix("no IRQs on spinning CPUs: IRQ 0 (timer), 8 (rtc0), 9 (acpi), 124 (nvme0q0) and 3 more") })
        #expect(r.problems.contains { $0.hasPrefix("LMDB data directory: nfs4 on /var/lib/tickline (filer01:/export/tickline)") })
        #expect(r.problems.contains { $0.hasPrefix("io_uring: 2 (disabled)") })
        let advice = Set(r.settings.filter { $0.status == .advice }.map(\.key))
        for key in ["cpu.smt", "cmdline.isolcpus", "cmdline.nohz_full", "cmdline.rcu_nocbs", "cpu.governor", "cpu.boost",
                    "cpu.cstates", "vm.transparent_hugepage", "vm.swappiness", "kernel.timer_migration", "timer_slack",
                    "irqbalance", "irq.default_affinity", "irq.affinity", "net.core.rmem_max", "net.core.busy_read",
                    "net.core.busy_poll", "limit.memlock"] {
            #expect(advice.contains(key), "\(key)")
        }
        #expect(r.layoutCheck("layout.smt")?.detail.contains("CPU 2's sibling 6 runs 'order'") == true)
        #expect(r.unknown.isEmpty, "\(r.unknown)")
        #expect(r.table.contains("4 problems:\n  - "))
    }

    /// The same host with the poll backend and no store: only the layout problems remain.
    @Test func contextDecidesWhatMatters() throws {
        let r = try report("untuned-8", context: .init(storeEnabled: false, ioBackend: "poll"))
        #expect(r.setting("kernel.io_uring_disabled")?.status == .advice)
        #expect(r.setting("store.filesystem")?.current == "store disabled")
        #expect(r.layoutChecks.filter { $0.status == .problem }.map(\.key) == ["layout.isolated", "layout.irqs"])
        #expect(r.problems.count == 2)
    }

    /// Pinned CPUs the host does not have, and more spinners than cores.
    @Test func layoutTooBigForTheHost() throws {
        var f = tunedFacts(cores: 4, isolated: CPUSet([2, 3]))
        f.allowedCPUs = CPUSet(0..<4)
        let r = TuneChecker.check(f, layout: try preset("dedicated"))
        #expect(r.layoutCheck("layout.cpus_exist")?.status == .problem)
        #expect(r.layoutCheck("layout.cpus_exist")?.detail
                == "CPUs 4-6 ('signal', 'risk', 'order') not online; this host has 4 (0-3)")
        #expect(r.layoutCheck("layout.spinning_fit")?.status == .problem)
        #expect(r.setting("cpu.online")?.recommended == "≥ 7 for 'dedicated'")
    }

    /// Isolating every CPU leaves nothing for the kernel: a problem even though each spinner fits.
    @Test func noHousekeepingCPU() throws {
        let f = tunedFacts(cores: 4, isolated: CPUSet(0..<4))
        let r = TuneChecker.check(f, layout: try preset("cores-4"))
        #expect(r.layoutCheck("layout.spinning_fit")?.status == .problem)
        #expect(r.layoutCheck("layout.spinning_fit")?.detail.hasPrefix("no CPU left") == true)
    }

    /// nohz_full without isolcpus (tuned's cpu-partitioning) counts as isolated.
    @Test func nohzFullAloneIsolates() throws {
        var f = tunedFacts(cores: 8, isolated: CPUSet(2...6))
        f.isolatedSysfs = .empty
        f.commandLine = KernelCommandLine("ro nohz_full=2-6")
        let r = TuneChecker.check(f, layout: try preset("dedicated"))
        #expect(r.layoutCheck("layout.isolated")?.status == .ok)
        #expect(r.setting("cmdline.isolcpus")?.status == .advice)
        #expect(r.setting("cmdline.rcu_nocbs")?.status == .ok)
        #expect(r.suitsLayout)
    }

    /// An empty tree: every fact unknown, nothing crashes, unknowns do not fail the check.
    @Test func emptyRootIsAllUnknown() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-empty-root-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let facts = HostFacts.read(HostReader(root: dir.path), dataDirectory: "data")
        let r = TuneChecker.check(facts, layout: try preset("dedicated"))
        #expect(r.suitsLayout)
        #expect(r.settings.allSatisfy { $0.status == .unknown || $0.status == .ok }, "\(r.settings.filter { $0.status != .unknown })")
        for key in ["cpu.online", "cmdline.isolcpus", "cpu.governor", "irq.affinity", "vm.swappiness", "limit.memlock",
                    "store.filesystem", "kernel.io_uring_disabled", "layout.cpus_exist", "layout.isolated", "layout.irqs"] {
            #expect(r.unknown.contains(key), "\(key)")
        }
        #expect(r.setting("vm.swappiness")?.current == "unknown")
        #expect(r.table.contains("unknown: "))
    }

    /// This machine: the real core count, and no crash on whatever it lacks (cpufreq on a VM…).
    @Test func liveHost() throws {
        let facts = HostFacts.read(HostReader(), dataDirectory: "data")
        let r = TuneChecker.check(facts, layout: try preset("split-2"))
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        #expect(r.host.cpusOnline == online)
        #expect(r.setting("cpu.online")?.current.hasPrefix("\(online) (") == true)
        #expect(facts.memlock?.source == "getrlimit")
        #expect(facts.dataDirectory?.filesystem != nil)
        #expect(HostReader().liveFilesystemType(of: "/proc") == "0x9fa0")  // PROC_SUPER_MAGIC: not in the named list
        #expect(HostReader().liveFilesystemType(of: "/nonexistent-\(getpid())") == nil)
        for s in r.settings where s.status == .unknown { #expect(s.current.hasPrefix("unknown")) }
        #expect(r.settings.count >= 30)
        _ = r.table
        _ = r.json
    }

    @Test func mountTableLookup() {
        #expect(HostFacts.absolute("data", in: "/work/main") == "/work/main/data")
        #expect(HostFacts.absolute("../x/./y", in: "/a/b") == "/a/x/y")
        #expect(HostFacts.unescapeMountPath("/mnt/my\\040disk") == "/mnt/my disk")
        #expect(HostFacts.parseMemlock("Max locked memory         8388608              unlimited            bytes")
                == ResourceLimit(soft: .bytes(8 << 20), hard: .unlimited, source: "/proc/self/limits"))
    }
}
