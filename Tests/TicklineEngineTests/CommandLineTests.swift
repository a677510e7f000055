import Foundation
import Testing
import TicklineCore
import TicklineTestSupport

/// The `tickline` binary's contract: bad layouts are one line on stderr and exit status 2,
/// before any thread starts; `bench pipeline --json` prints the documented members.
@Suite struct CommandLineTests {
    static var binary: URL { ticklineBinary }

    func run(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        try runChildProcess(Self.binary, args, environment: environment, directory: repositoryRoot)
    }

    @Test func unknownPresetExits2() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let r = try run(["bench", "pipeline", "--layout", "turbo", "--ticks", "10"])
        #expect(r.status == 2)
        #expect(r.err == "tickline: error: unknown layout preset 'turbo' (known: cores-16, cores-2, cores-4, cores-8, dedicated, fused-1, split-2)\n")
        #expect(r.out.isEmpty)
    }

    @Test func badLayoutFileNamesFileAndLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-cli-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.toml")
        try """
        [layout]
        [[layout.thread]]
        name = "all"
        stages = ["parse", "indicator", "signal", "risk", "order", "store", "publish"]
        cpu = 4096
        idle = "yield"
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try run(["bench", "pipeline", "--layout", file.path, "--ticks", "10"])
        #expect(r.status == 2)
        #expect(r.err.hasPrefix("tickline: error: \(file.path):2: thread 'all' is pinned to CPU 4096"))
        #expect(r.err.split(separator: "\n").count == 1)
    }

    @Test func benchPipelineJSON() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let r = try run(["bench", "pipeline", "--source", "synthetic", "--layout", "fused-1", "--idle", "yield",
                         "--ticks", "20000", "--rate", "100000", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let e2e = try #require(json["end_to_end"] as? [String: Any])
        for key in ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "messages_per_s"] {
            #expect(e2e[key] is Int, "end_to_end.\(key)")
        }
        let hops = try #require(json["hops"] as? [String: [String: Any]])
        #expect(Set(hops.keys) == ["ingress_to_indicator", "ingress_to_signal", "ingress_to_risk", "ingress_to_order", "ingress_to_fill"])
        for (_, h) in hops { #expect(h["p99_ns"] is Int && h["messages_per_s"] is Int) }
        // The indicator stage records every event: the 20 000 trades, the candles the synthetic
        // parse stage closed from them and its provisional kline updates. With the standard
        // periods the 4h trend filter is not warm after 20 000 s of synthetic time, so no signal
        // reaches risk yet: end to end counts orders only.
        #expect((hops["ingress_to_indicator"]?["count"] as? Int ?? 0) > 20_000)
        #expect(e2e["count"] as? Int == hops["ingress_to_order"]?["count"] as? Int)
    }

    /// `bench store --json`: durable journal commits through the writer agent into a temporary
    /// store (removed afterwards), one row per batch size with the documented members.
    @Test func benchStoreJSON() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let r = try run(["bench", "store", "--batches", "1,10", "--commits", "20", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect((json["filesystem"] as? String)?.isEmpty == false)
        let directory = try #require(json["directory"] as? String)
        #expect(!FileManager.default.fileExists(atPath: directory), "the temporary store is removed")
        let rows = try #require(json["batches"] as? [[String: Any]])
        #expect(rows.map { $0["batch"] as? Int } == [1, 10])
        for row in rows {
            let batch = row["batch"] as? Int ?? 0
            #expect(row["commits"] as? Int == 20)
            #expect(row["records"] as? Int == 20 * batch)
            for key in ["p50_us", "p95_us", "p99_us", "max_us"] {
                #expect((row[key] as? Double ?? 0) > 0, "batches[\(batch)].\(key)")
            }
            #expect((row["records_per_s"] as? Int ?? 0) > 0)
            #expect((row["bytes_per_record"] as? Int ?? 0) > 0)
            #expect((row["p50_us"] as? Double ?? 0) <= (row["p99_us"] as? Double ?? 0))
        }
        let trade = try #require(json["single_trade"] as? [String: Any])
        #expect(trade["commits"] as? Int == 20)
        #expect((trade["p95_us"] as? Double ?? 0) > 0)
        let verified = try #require(json["verified"] as? [String: Int])
        #expect((verified["trades"] ?? 0) >= 20 && (verified["orders"] ?? 0) >= (verified["fills"] ?? 0))
    }

    /// `bench pipeline --source sim`: the real parse stage on the simulator's paced stream, on
    /// both backends: every paced message reaches the order stage, each hop is measured.
    @Test(arguments: ["uring", "poll"])
    func benchPipelineOnTheSimulatorStream(backend: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let r = try run(["bench", "pipeline", "--source", "sim", "--backend", backend, "--layout", "fused-1", "--idle", "yield",
                         "--ticks", "2000", "--rate", "2000", "--json"])
        #expect(r.status == 0, "\(r.err.suffix(2000))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(json["end_to_end"] is [String: Any])
        let hops = try #require(json["hops"] as? [String: [String: Any]])
        // The paced messages plus whatever else the subscribed streams carried meanwhile reach the
        // indicator stage; trades make no signal, so later hops see only candle-close signals.
        #expect((hops["ingress_to_indicator"]?["count"] as? Int ?? 0) >= 2000)
        let first = try #require(hops["ingress_to_indicator"]?["p50_ns"] as? Int)
        #expect(first > 0, "hops are cumulative from the socket")
    }

    /// `tickline run` (what `make run` does): the bundled simulator in-process, the live parse
    /// stage on io_uring WebSockets, events arriving, nothing malformed, the control plane beside.
    @Test func runConnectsToTheBundledSimulator() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-run-\(getpid())")
        defer { try? FileManager.default.removeItem(at: store) }
        let r = try run(["run", "--layout", "split-2", "--idle", "yield", "--seconds", "2", "--store", store.path,
                         "--sim-history", "10", "--port", "0", "--metrics-port", "0"],
                        environment: ["TICKLINE_JWT_SECRET": "command-line-test-secret-0123456789abcdef"])
        #expect(r.status == 0, "\(r.err.suffix(2000))")
        // The control plane came up beside the data plane and said where.
        #expect(r.out.split(separator: "\n").first?.hasPrefix("control plane: REST http://127.0.0.1:") == true, "\(r.out.prefix(300))")
        let line = try #require(r.out.split(separator: "\n").first { $0.hasPrefix("market data from 127.0.0.1:") })
        let events = Int(line.split(separator: ":").last!.split(separator: " ")[0]) ?? 0
        #expect(events > 10)
        #expect(line.contains(" 0 parse errors"))
        #expect(r.out.contains("open,"))
        // The simulator made up 10 min of history: the warm-up loads the closed candles over REST
        // (per symbol at least 9 of 1m and 1 of 5m) and the journal writer commits them.
        let history = Int(line.split(separator: "(")[2].split(separator: " ")[0]) ?? 0
        #expect(history >= 2 * (9 + 1), "\(line)")
        let journal = try #require(r.out.split(separator: "\n").first { $0.hasPrefix("journal (LMDB): ") })
        let records = Int(journal.split(separator: " ")[2]) ?? 0
        #expect(records >= history && journal.contains(" 0 failed commits"), "\(journal)")
        #expect(FileManager.default.fileExists(atPath: store.appendingPathComponent("journal/data.mdb").path))
    }

    /// SIGTERM stops a running engine gracefully: the control plane stops, the stages stop, the
    /// journal commits what is pending, the report is printed, exit status 0 — within seconds.
    @Test func sigtermStopsTheEngineGracefully() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-sigterm-\(getpid())")
        defer { try? FileManager.default.removeItem(at: store) }
        let child = try LineChildProcess(
            path: Self.binary.path,
            arguments: ["run", "--layout", "fused-1", "--idle", "yield", "--seconds", "0", "--store", store.path,
                        "--sim-history", "5", "--port", "0", "--metrics-port", "0"],
            environment: ["TICKLINE_JWT_SECRET": "command-line-test-secret-0123456789abcdef"])
        try child.readLines(timeoutMs: 20_000) { $0.hasPrefix("control plane: REST") }
        usleep(1_500_000)  // market data flowing, candles journaled
        let stopping = LiveClock().nowNs()
        child.send(signal: SIGTERM)
        let out = try child.readLines(timeoutMs: 20_000) { $0.hasPrefix("journal (LMDB): ") }
        #expect(child.waitForExit(timeoutMs: 20_000) == 0, "exit status 0 on SIGTERM")
        #expect(LiveClock().nowNs() - stopping < 15_000_000_000, "stopped within 15 s")
        let journal = try #require(out.last)
        #expect(journal.contains(" 0 pending") && journal.contains(" 0 failed commits"), "\(journal)")
        #expect(FileManager.default.fileExists(atPath: store.appendingPathComponent("journal/data.mdb").path))
    }

    /// Without a JWT secret the control plane cannot start: a start-up error naming the variable,
    /// exit status 2, before anything connects.
    @Test func runWithoutAJWTSecretIsAStartUpError() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let r = try run(["run", "--seconds", "1", "--no-store"], environment: ["TICKLINE_JWT_SECRET": ""])
        #expect(r.status == 2)
        #expect(r.err.hasPrefix("tickline: error: control plane: JWT secret missing: environment variable TICKLINE_JWT_SECRET"),
                "\(r.err)")
        let short = try run(["run", "--seconds", "1", "--no-store"], environment: ["TICKLINE_JWT_SECRET": "too-short"])
        #expect(short.status == 2 && short.err.contains("at least 32 are required"), "\(short.err)")
    }
}
