import Foundation
import Testing
@testable import TicklineTuning

/// Tuning/host/ agrees with `tune check`: the sysctl drop-in and the kernel command line set
/// what the checker recommends, the tuned profile builds on network-latency, and
/// irq-affinity.sh is a dry run unless told otherwise.
@Suite struct HostFilesTests {
    static let host = repositoryRoot.appendingPathComponent("Tuning/host")

    /// `key = value` lines of the drop-in (a leading `-` means "skip if missing").
    func dropIn() throws -> [String: String] {
        let text = try String(contentsOf: Self.host.appendingPathComponent("99-tickline.conf"), encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.trimmingWhitespace().isEmpty {
            let parts = line.split(separator: "=", maxSplits: 1)
            try #require(parts.count == 2, "not key = value: \(line)")
            var key = parts[0].trimmingWhitespace()
            if key.hasPrefix("-") { key.removeFirst() }
            values[key] = parts[1].trimmingWhitespace()
        }
        return values
    }

    @Test func sysctlDropInMeetsTheRecommendations() throws {
        let values = try dropIn()
        let checked = HostFacts.sysctlNames.filter { $0 != "kernel.osrelease" && $0 != "kernel.sched_rt_runtime_us" }
        for name in checked { #expect(values[name] != nil, "99-tickline.conf does not set \(name)") }
        // Start from the untuned fixture, apply the drop-in: every sysctl row is then ok.
        var facts = HostFacts.read(HostReader(root: fixtures.appendingPathComponent("untuned-8").path), dataDirectory: nil)
        for (k, v) in values { facts.sysctls[k] = v }
        let report = TuneChecker.check(facts, layout: try preset("dedicated"))
        for name in checked {
            #expect(report.setting(name)?.status == .ok, "\(name) = \(values[name] ?? "?")")
        }
    }

    @Test func kernelCommandLineIsolatesTheDedicatedLayout() throws {
        let text = try String(contentsOf: Self.host.appendingPathComponent("kernel-cmdline.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingWhitespace().isEmpty }
        try #require(lines.count == 1, "one fragment line expected")
        var facts = tunedFacts(cores: 8, isolated: CPUSet(2...6))
        facts.commandLine = KernelCommandLine(String(lines[0]))
        facts.isolatedSysfs = nil
        facts.nohzFullSysfs = nil
        for name in ["dedicated", "cores-8"] {
            let report = TuneChecker.check(facts, layout: try preset(name))
            #expect(report.suitsLayout, "\(name): \(report.problems)")
            for key in ["cmdline.isolcpus", "cmdline.nohz_full", "cmdline.rcu_nocbs", "cpu.cstates"] {
                #expect(report.setting(key)?.status == .ok, "\(name): \(key)")
            }
        }
        #expect(facts.commandLine?.cpus("irqaffinity", lastCPU: 7)?.cpulist == "0-1,7")
    }

    @Test func tunedProfileBuildsOnNetworkLatency() throws {
        let text = try String(contentsOf: Self.host.appendingPathComponent("tuned/tickline-latency/tuned.conf"),
                              encoding: .utf8)
        var sections: [String] = []
        var mainInclude: String?
        var current = ""
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast())
                sections.append(current)
                continue
            }
            try #require(line.contains("="), "not key=value: \(line)")
            if current == "main" && line.hasPrefix("include=") { mainInclude = String(line.dropFirst("include=".count)) }
        }
        #expect(mainInclude == "network-latency")
        #expect(sections.first == "main")
        for s in ["variables", "sysctl", "scheduler", "irqbalance", "systemd", "bootloader"] { #expect(sections.contains(s)) }
        #expect(text.contains("isolated_cores=2-6"))
    }

    /// Dry run by default: prints every change and writes nothing; `--apply` writes, and then
    /// `tune check` finds no IRQ on the spinning CPUs.
    @Test func irqAffinityScript() throws {
        let script = Self.host.appendingPathComponent("irq-affinity.sh")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-irq-\(getpid())")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("untuned-8"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let irq124 = copy.appendingPathComponent("proc/irq/124/smp_affinity_list")

        let dry = try runProcess(URL(fileURLWithPath: "/bin/bash"), [script.path, "--root", copy.path, "0-1,7"])
        #expect(dry.status == 0, "\(dry.err)")
        #expect(dry.out.contains("dry run"))
        #expect(dry.out.contains("IRQ 124 (nvme0q0): 0-7 -> 0-1,7"))
        #expect(dry.out.contains("default_smp_affinity: ff -> 83"))
        #expect(try String(contentsOf: irq124, encoding: .utf8) == "0-7\n")

        let bad = try runProcess(URL(fileURLWithPath: "/bin/bash"), [script.path, "--root", copy.path, "0-9"])
        #expect(bad.status == 2 && bad.err.contains("CPU 8 is not online"))

        let applied = try runProcess(URL(fileURLWithPath: "/bin/bash"), [script.path, "--apply", "--root", copy.path, "0-1,7"])
        #expect(applied.status == 0, "\(applied.err)")
        #expect(try String(contentsOf: irq124, encoding: .utf8) == "0-1,7\n")
        let report = TuneChecker.check(HostFacts.read(HostReader(root: copy.path), dataDirectory: nil),
                                       layout: try preset("dedicated"))
        #expect(report.layoutCheck("layout.irqs")?.status == .ok)
        #expect(report.setting("irq.default_affinity")?.status == .ok)
    }
}
