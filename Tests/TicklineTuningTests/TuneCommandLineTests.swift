import Foundation
import Testing

/// `tickline tune check` as a program: exit 0 on a host that suits the layout, 1 with the
/// problems otherwise, 2 for a bad layout; `--json` prints one object.
@Suite struct TuneCommandLineTests {
    func tune(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try #require(FileManager.default.isExecutableFile(atPath: ticklineBinary.path),
                     "build tickline first (or set TICKLINE_BINARY): \(ticklineBinary.path)")
        return try runProcess(ticklineBinary, ["tune", "check"] + args)
    }

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func jsonOnThisHost() throws {
        let r = try tune(["--json"])
        #expect(r.status == 0 || r.status == 1, "\(r.err)")
        #expect(r.err.isEmpty)
        let json = try object(r.out)
        let host = try #require(json["host"] as? [String: Any])
        #expect(host["cpus_online"] as? Int == sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect((json["layout"] as? [String: Any])?["name"] as? String == "split-2")
        let settings = try #require(json["settings"] as? [[String: Any]])
        let keys = settings.compactMap { $0["key"] as? String }
        for key in ["cpu.online", "numa.nodes", "cmdline.isolcpus", "cmdline.nohz_full", "cmdline.rcu_nocbs",
                    "cpu.governor", "cpu.boost", "cpu.cstates", "vm.transparent_hugepage", "vm.swappiness",
                    "irqbalance", "irq.affinity", "timer_slack", "kernel.sched_rt_runtime_us", "net.core.rmem_max",
                    "net.core.wmem_max", "net.core.busy_poll", "net.core.busy_read", "vm.max_map_count",
                    "store.filesystem", "kernel.io_uring_disabled", "limit.memlock"] {
            #expect(keys.contains(key), "\(key)")
        }
        for s in settings {
            for field in ["setting", "current", "recommended", "status", "why"] { #expect(s[field] is String, "\(field)") }
        }
        let problems = try #require(json["problems"] as? [String])
        #expect((json["suits_layout"] as? Bool) == problems.isEmpty)
        #expect((r.status == 0) == problems.isEmpty)
    }

    @Test func fixturesExitZeroAndOne() throws {
        let tuned = try tune(["--json", "--layout", "dedicated", "--root", fixtures.appendingPathComponent("tuned-8").path])
        #expect(tuned.status == 0, "\(tuned.out)")
        #expect(try object(tuned.out)["suits_layout"] as? Bool == true)

        let untuned = try tune(["--layout", "dedicated", "--root", fixtures.appendingPathComponent("untuned-8").path])
        #expect(untuned.status == 1)
        #expect(untuned.out.contains("problems:\n  - "))
        #expect(untuned.out.hasSuffix("host does not suit layout 'dedicated'\n"))
    }

    @Test func badArgumentsExitTwo() throws {
        let r = try tune(["--layout", "turbo"])
        #expect(r.status == 2)
        #expect(r.err.hasPrefix("tickline: error: unknown layout preset 'turbo'"))
        let root = try tune(["--root", "/nonexistent-\(getpid())"])
        #expect(root.status == 2 && root.err.contains("not a directory"))
    }

    /// The config's `[store] directory` is the one whose filesystem is checked.
    @Test func configStoreDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-tune-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("tickline.toml")
        try """
        [layout]
        preset = "cores-8"
        [store]
        directory = "/var/lib/tickline/data"
        """.write(to: config, atomically: true, encoding: .utf8)
        let r = try tune(["--json", "--config", config.path, "--root", fixtures.appendingPathComponent("untuned-8").path])
        #expect(r.status == 1)
        let json = try object(r.out)
        #expect((json["layout"] as? [String: Any])?["name"] as? String == "cores-8")
        let fs = (json["settings"] as? [[String: Any]])?.first { $0["key"] as? String == "store.filesystem" }
        #expect((fs?["current"] as? String)?.hasPrefix("nfs4 on /var/lib/tickline") == true)
        #expect(fs?["status"] as? String == "problem")
    }
}
