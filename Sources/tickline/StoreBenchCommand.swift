import ArgumentParser
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineRing
import TicklineStore

#if canImport(Glibc)
import Glibc
#endif

/// `tickline bench store`: durable commit latency of the `journal` environment (synced at every
/// commit) per group-commit size, through the engine's own writer.
///
/// Each measured commit is one `JournalWriterAgent.doWork` over rings holding exactly one batch:
/// the agent drains them, encodes the records into LMDB pages (`MDB_RESERVE`) and commits one
/// write transaction with its `fsync` — what the store thread does per duty cycle in the engine.
/// The records are what the engine journals per order: risk's `OrderIntent` on one ring, then
/// the order stage's fill `ExecutionReport` on another (an `orders` row, then a `fills` row and
/// the order row updated), with unique client order ids and venue trade ids. "Single trade" is a
/// batch of one `TradeOpened` (a validated `trades` insert, `noOverwrite`).
///
/// The figures depend on the filesystem and its device's `fsync` latency: the command prints
/// the filesystem type of the store directory. The store is made fresh in a temporary
/// directory and removed afterwards.
struct BenchStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Durable commit latency of the LMDB journal (sync at commit): p50/p95/p99 and records/s per batch size.",
        discussion: """
            Records go through the engine's JournalWriterAgent: each measured commit is one duty \
            cycle that drains a batch (risk's order intents and the order stage's fill reports, \
            alternating, unique keys) and commits it in one synced transaction. "single trade" is a \
            batch of one TradeOpened (a trades row). A fresh store is made in a temporary directory \
            under --dir (default /tmp) and removed afterwards; results depend on that directory's \
            filesystem, printed with them.
            """)

    @Option(help: "Parent directory of the temporary store (its filesystem is what is measured).")
    var dir = "/tmp"

    @Option(help: "Records per commit, comma-separated (each 1...4096).")
    var batches = "1,10,100,1000"

    @Option(help: "Measured commits per batch size (after warm-up commits), and for the single trade.")
    var commits = 500

    @Option(help: "Unmeasured commits before each batch size.")
    var warmup = 20

    @Flag(help: "Keep the store directory (its path is printed).")
    var keep = false

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func run() throws {
        let sizes = batches.split(separator: ",").map { Int(String($0.filter { $0 != " " })) ?? 0 }
        guard !sizes.isEmpty, sizes.allSatisfy({ (1...StoreCommitBenchmark.maxBatch).contains($0) }) else {
            fail("--batches must be a comma-separated list of sizes in 1...\(StoreCommitBenchmark.maxBatch)")
        }
        guard commits >= 1, commits <= 1_000_000, warmup >= 0 else { fail("--commits must be in 1...1000000, --warmup ≥ 0") }
        guard let directory = makeTemporaryDirectory(in: dir, prefix: "tickline-bench-store-") else {
            fail("cannot create a directory in \(dir): \(String(cString: strerror(errno)))")
        }
        defer { if !keep { removeTree(directory) } }
        let result: StoreCommitBenchmark.Result
        do {
            result = try StoreCommitBenchmark(directory: directory).run(batches: sizes, commits: commits, warmup: warmup)
        } catch {
            fail("bench store: \(error)")
        }
        print(json ? result.json : result.table, terminator: json ? "\n" : "")
    }
}

/// Runs the measurement; see `BenchStore`.
struct StoreCommitBenchmark {
    /// Two rings drained evenly out of the writer's default 4 096 records per cycle.
    static let maxBatch = 4096

    struct Row {
        var batch: Int
        var latency: LatencyStats
        var records: Int
        var bytes: Int
    }

    struct Result {
        var directory: String
        var filesystem: String
        var rows: [Row]
        var singleTrade: LatencyStats
        /// Rows found in the tables afterwards (orders, fills, trades): every record committed.
        var verified: (orders: Int, fills: Int, trades: Int)

        var table: String {
            func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
            var out = "store \(directory) on \(filesystem): journal environment, fsync at every commit\n"
            out += "records: order intent (risk ring) and its fill report (order ring), alternating; "
                + "JournalWriterAgent duty cycle = one commit\n"
            out += pad("batch", 6) + pad("commits", 9) + pad("p50 µs", 10) + pad("p95 µs", 10) + pad("p99 µs", 10)
                + pad("max µs", 10) + pad("records/s", 12) + pad("B/record", 10) + "\n"
            for r in rows {
                out += pad(String(r.batch), 6) + pad(String(r.latency.count), 9)
                    + [r.latency.p50Ns, r.latency.p95Ns, r.latency.p99Ns, r.latency.maxNs].map { pad(micros($0), 10) }.joined()
                    + pad(String(recordsPerSecond(r)), 12) + pad(String(r.bytes / max(1, r.records)), 10) + "\n"
            }
            let t = singleTrade
            out += "single trade (batch 1, TradeOpened → trades row): \(t.count) commits, p50 \(micros(t.p50Ns)) µs, "
                + "p95 \(micros(t.p95Ns)) µs, p99 \(micros(t.p99Ns)) µs, max \(micros(t.maxNs)) µs\n"
            out += "verified: \(verified.orders) orders, \(verified.fills) fills, \(verified.trades) trades stored\n"
            out += "(figures depend on the filesystem and the device's fsync latency; compare within one run)\n"
            return out
        }

        var json: String {
            func lat(_ s: LatencyStats) -> String {
                "\"commits\":\(s.count),\"p50_us\":\(micros(s.p50Ns)),\"p95_us\":\(micros(s.p95Ns)),"
                    + "\"p99_us\":\(micros(s.p99Ns)),\"max_us\":\(micros(s.maxNs))"
            }
            let rowsJSON = rows.map {
                "{\"batch\":\($0.batch)," + lat($0.latency) + ",\"records\":\($0.records),"
                    + "\"records_per_s\":\(recordsPerSecond($0)),\"bytes_per_record\":\($0.bytes / max(1, $0.records))}"
            }.joined(separator: ",")
            return "{\"directory\":\"\(jsonEscaped(directory))\",\"filesystem\":\"\(jsonEscaped(filesystem))\","
                + "\"environment\":\"journal\",\"sync\":\"every commit\",\"batches\":[" + rowsJSON + "],"
                + "\"single_trade\":{" + lat(singleTrade) + "},"
                + "\"verified\":{\"orders\":\(verified.orders),\"fills\":\(verified.fills),\"trades\":\(verified.trades)}}"
        }

        /// Durable records per second of commit time (commits back to back).
        func recordsPerSecond(_ r: Row) -> Int {
            r.latency.totalNs == 0 ? 0 : Int((Double(r.records) * 1e9 / Double(r.latency.totalNs)).rounded())
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: String

    func run(batches: [Int], commits: Int, warmup: Int) throws -> Result {
        // The engine's store as `tickline run` opens it ([store] defaults), one writer agent with
        // its default options (group commit of whatever one duty cycle drained).
        var settings = StoreSettings()
        settings.directory = directory
        guard let store = try LiveRun.openStore(settings) else { throw Failure(description: "store disabled") }
        let capacity = Self.maxBatch  // per ring; a batch never exceeds half of it per ring
        let riskRing = SPSCRing<JournalRecord>(capacity: capacity, name: "bench_risk_journal")
        let orderRing = SPSCRing<JournalRecord>(capacity: capacity, name: "bench_order_journal")
        let writer = JournalWriterAgent(store: store, rings: [riskRing, orderRing])
        try writer.onStart()
        let clock = LiveClock()
        var records = JournalRecordSource()

        /// Runs one duty cycle over what the rings hold; returns its duration and checks that it
        /// was exactly one commit of `expected` records.
        func commitOnce(expected: Int) throws -> UInt64 {
            let before = writer.stats
            let start = clock.nowNs()
            _ = try writer.doWork(nowNs: start)
            let elapsed = clock.nowNs() &- start
            let after = writer.stats
            guard after.commits == before.commits + 1, after.records == before.records + expected,
                  after.errors == before.errors, after.rejectedRecords == before.rejectedRecords
            else {
                throw Failure(description: "expected one commit of \(expected) records, got \(after.commits - before.commits) "
                              + "commits of \(after.records - before.records) (errors \(after.errors), "
                              + "rejected \(after.rejectedRecords))")
            }
            return elapsed
        }

        var rows: [Row] = []
        for batch in batches {
            var samples: [UInt64] = []
            samples.reserveCapacity(commits)
            var bytes = 0
            for i in 0..<(warmup + commits) {
                for _ in 0..<batch {
                    let (ring, record) = records.nextOrderRecord()
                    guard (ring == 0 ? riskRing : orderRing).tryPush(record) else { throw Failure(description: "ring full") }
                }
                let before = writer.stats.bytes
                let ns = try commitOnce(expected: batch)
                if i >= warmup {
                    samples.append(ns)
                    bytes += writer.stats.bytes - before
                }
            }
            rows.append(Row(batch: batch, latency: LatencyStats(samples), records: commits * batch, bytes: bytes))
        }

        var tradeSamples: [UInt64] = []
        tradeSamples.reserveCapacity(commits)
        for i in 0..<(warmup + commits) {
            guard riskRing.tryPush(records.nextTradeOpened()) else { throw Failure(description: "ring full") }
            let ns = try commitOnce(expected: 1)
            if i >= warmup { tradeSamples.append(ns) }
        }
        writer.onClose()

        let tables = store.tables
        let verified = try store.journal.makeReader().read { txn in
            (try tables.orders.count(in: txn), try tables.fills.count(in: txn), try tables.trades.count(in: txn))
        }
        guard verified.0 == records.intents, verified.1 == records.fills, verified.2 == records.trades else {
            throw Failure(description: "stored \(verified) rows, expected (\(records.intents), \(records.fills), \(records.trades))")
        }
        return Result(directory: directory, filesystem: filesystemDescription(directory), rows: rows,
                      singleTrade: LatencyStats(tradeSamples), verified: verified)
    }
}

/// The journal records of a stream of filled market orders, with the keys a live account
/// would give them: client order ids, venue order ids and venue trade ids all unique and
/// increasing, event times 1 ms apart.
struct JournalRecordSource {
    var intents = 0
    var fills = 0
    var trades = 0
    private var riskSequence: UInt64 = 0
    private var orderSequence: UInt64 = 0
    private var pendingFill: ExecutionReport?
    /// 2026-11-25T00:00:00Z.
    private let baseTimeMs: Int64 = 1_795_564_800_000
    private let account = AccountID(0)
    private let symbol = SymbolID(0)

    /// The next record and its ring (0 risk, 1 order): an intent, then its fill report.
    mutating func nextOrderRecord() -> (ring: Int, record: JournalRecord) {
        if let fill = pendingFill {
            pendingFill = nil
            fills += 1
            orderSequence += 1
            return (1, JournalRecord(producer: .order, sequence: orderSequence, body: .execution(fill)))
        }
        intents += 1
        let n = Int64(intents)
        let side: Side = intents % 2 == 0 ? .sell : .buy
        let quantity = Quantity(raw: 2_000 + n % 1_000)  // 0.002–0.999 BTC at 3 decimals
        let price = Price(raw: 4_325_000 + (n * 37) % 20_000)  // ~43 250.00 at 2 decimals
        let clientOrderID = 0x5449_0000_0000_0000 | UInt64(intents)
        let intent = OrderIntent(ingressNs: UInt64(n) * 1_000, clientOrderID: clientOrderID, signalID: UInt64(n),
                                 account: account, symbol: symbol, side: side, type: .market, quantity: quantity)
        pendingFill = ExecutionReport(
            ingressNs: UInt64(n) * 1_000 + 500, eventTimeMs: baseTimeMs + n, clientOrderID: clientOrderID,
            venueOrderID: 4_000_000_000 + n, account: account, symbol: symbol, side: side, kind: .filled,
            tradeID: 6_000_000_000 + n, lastFillQuantity: quantity, lastFillPrice: price, cumulativeQuantity: quantity,
            averagePrice: price, commission: Price(raw: 1_730 + n % 100))
        riskSequence += 1
        return (0, JournalRecord(producer: .risk, sequence: riskSequence, body: .order(intent)))
    }

    /// A position's first fill: one `trades` row.
    mutating func nextTradeOpened() -> JournalRecord {
        trades += 1
        let n = Int64(trades)
        let opened = TradeOpened(
            ingressNs: UInt64(n) * 1_000, entryTimeMs: baseTimeMs + n * 1_000, positionID: UInt64(n), account: account,
            symbol: symbol, side: n % 2 == 0 ? .sell : .buy, quantity: Quantity(raw: 10 + n % 90),
            entryPrice: Price(raw: 4_325_000 + n % 5_000), stopLoss: Price(raw: 4_260_000), takeProfit: Price(raw: 4_455_000),
            fees: Price(raw: 1_730), signalID: UInt64(n), entryClientOrderID: 0x5449_0000_0000_0000 | UInt64(n))
        riskSequence += 1
        return JournalRecord(producer: .risk, sequence: riskSequence, body: .tradeOpened(opened))
    }
}

/// Nearest-rank percentiles of a set of durations.
struct LatencyStats {
    var count: Int
    var p50Ns: UInt64
    var p95Ns: UInt64
    var p99Ns: UInt64
    var maxNs: UInt64
    var totalNs: UInt64

    init(_ samples: [UInt64]) {
        let s = samples.sorted()
        func rank(_ p: Double) -> UInt64 {
            s.isEmpty ? 0 : s[min(s.count - 1, max(0, Int((p * Double(s.count)).rounded(.up)) - 1))]
        }
        count = s.count
        p50Ns = rank(0.50)
        p95Ns = rank(0.95)
        p99Ns = rank(0.99)
        maxNs = s.last ?? 0
        totalNs = s.reduce(0, &+)
    }
}

/// Nanoseconds as microseconds with one decimal.
func micros(_ ns: UInt64) -> String {
    let tenths = (ns + 50) / 100
    return "\(tenths / 10).\(tenths % 10)"
}

/// `s` escaped for the inside of a JSON string (without the quotes).
func jsonEscaped(_ s: String) -> String { String(JSONString.quoted(s).dropFirst().dropLast()) }

// MARK: Directories and filesystems

/// A new directory `<parent>/<prefix>XXXXXX` (`mkdtemp`), or nil with `errno` set.
func makeTemporaryDirectory(in parent: String, prefix: String) -> String? {
    if mkdir(parent, 0o755) != 0, errno != EEXIST { return nil }
    var template = ((parent.hasSuffix("/") ? parent : parent + "/") + prefix + "XXXXXX").utf8CString
    return template.withUnsafeMutableBufferPointer { buf -> String? in
        guard mkdtemp(buf.baseAddress!) != nil else { return nil }
        return String(cString: buf.baseAddress!)
    }
}

/// Removes `path` and everything below it (no symlinks followed). Only for directories this
/// process created.
func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        if let d = opendir(path) {
            var names: [String] = []
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(d)
            for n in names { removeTree(path + "/" + n) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// The filesystem of `path`: the `/proc/self/mounts` entry with the longest mount point
/// containing it (type and device, e.g. `ext4 /dev/vda on /`). Glibc's module map does not
/// export `statfs(2)`, and its magic would not tell ext2, ext3 and ext4 apart anyway.
func filesystemDescription(_ path: String) -> String {
    guard let m = mountEntry(for: path) else { return "unknown filesystem" }
    return "\(m.type) (\(m.device) mounted on \(m.mountPoint))"
}

/// The `/proc/self/mounts` line with the longest mount point containing `path`.
func mountEntry(for path: String) -> (device: String, mountPoint: String, type: String)? {
    guard let resolved = realpath(path, nil) else { return nil }
    let full = String(cString: resolved)
    free(resolved)
    guard let f = fopen("/proc/self/mounts", "r") else { return nil }
    defer { fclose(f) }
    var best: (device: String, mountPoint: String, type: String)?
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, f) > 0, let line {
        let fields = String(cString: line).split(separator: " ")
        guard fields.count >= 3 else { continue }
        let mountPoint = String(fields[1])
        let inside = mountPoint == "/" || full == mountPoint || full.hasPrefix(mountPoint + "/")
        if inside, mountPoint.count >= (best?.mountPoint.count ?? 0) {
            best = (String(fields[0]), mountPoint, String(fields[2]))
        }
    }
    return best
}

// MARK: bench pipeline --journal

/// One synthetic pipeline run of `bench pipeline --journal on|both`.
struct JournaledPipelineRun {
    var report: PipelineReport
    var summary: String
    /// The writer's counters, when the run kept a journal.
    var journal: JournalWriterStats?
    /// Where the journal went (a temporary store, removed after the run) and its filesystem.
    var storeDescription: String?
}

/// `bench pipeline --source synthetic --journal on|both`: the synthetic pipeline with its
/// journal rings written by the LMDB `JournalWriterAgent` into a fresh temporary store (as
/// `tickline run` keeps it: `[store]` map sizes and market sync interval), beside — for `both`,
/// in the same process, one after the other, a fresh pipeline each — the same run with the
/// journal rings counted and dropped. Prints both tables and the tick-to-order p99 ratio.
func benchPipelineJournal(_ configuration: TicklineConfiguration, ticks: Int, rate: Int, timeoutSeconds: Int,
                          mode: String, json: Bool) throws {
    var runs: [(journal: Bool, run: JournaledPipelineRun)] = []
    for journal in mode == "both" ? [false, true] : [mode == "on"] {
        runs.append((journal, try runSyntheticPipeline(configuration, ticks: ticks, rate: rate,
                                                       timeoutSeconds: timeoutSeconds, journal: journal)))
    }
    let off = runs.first { !$0.journal }?.run
    let on = runs.first { $0.journal }?.run
    /// on / off, or nil when a run saw no order (its percentiles are 0, not a latency).
    func ratio(_ a: UInt64, _ b: UInt64) -> Double? { a == 0 || b == 0 ? nil : Double(a) / Double(b) }
    func fixed2(_ x: Double?) -> String {
        guard let x else { return json ? "null" : "n/a (no orders)" }
        let hundredths = Int((x * 100).rounded())
        return "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
    }
    if json {
        var members: [String] = []
        if let off { members.append("\"journal_off\":" + off.report.json) }
        if let on {
            members.append("\"journal_on\":" + on.report.json)
            if let s = on.journal { members.append("\"journal_on_store\":" + journalStatsJSON(s)) }
        }
        if let off, let on {
            members.append("\"p99_ratio\":" + fixed2(ratio(on.report.endToEnd.p99Ns, off.report.endToEnd.p99Ns)))
            members.append("\"p50_ratio\":" + fixed2(ratio(on.report.endToEnd.p50Ns, off.report.endToEnd.p50Ns)))
        }
        print("{" + members.joined(separator: ",") + "}")
        return
    }
    var out = ""
    if let off {
        out += "== journal off (journal rings counted and dropped) ==\n" + off.report.table + off.summary
    }
    if let on {
        out += "== journal on (LMDB: \(on.storeDescription ?? "")) ==\n" + on.report.table + on.summary
        if let s = on.journal { out += journalStatsLine(s) }
    }
    if let off, let on {
        let p99 = ratio(on.report.endToEnd.p99Ns, off.report.endToEnd.p99Ns)
        out += "tick-to-order p99: journal on \(on.report.endToEnd.p99Ns) ns / off \(off.report.endToEnd.p99Ns) ns = "
            + fixed2(p99) + " (goal ≤ 1.1); p50: \(on.report.endToEnd.p50Ns) / \(off.report.endToEnd.p50Ns) ns = "
            + fixed2(ratio(on.report.endToEnd.p50Ns, off.report.endToEnd.p50Ns)) + "\n"
    }
    print(out, terminator: "")
}

func journalStatsLine(_ s: JournalWriterStats) -> String {
    "journal (LMDB): \(s.records) records in \(s.commits) commits (\(s.bytes) bytes), \(s.candleAppends) candles appended, "
        + "\(s.tradesOpened) trades opened, \(s.marketSyncs) market syncs, \(s.errors) failed commits, "
        + "\(s.rejectedRecords) rejected, pending high water \(s.pendingHighWater), state \(s.state)\n"
}

func journalStatsJSON(_ s: JournalWriterStats) -> String {
    "{\"records\":\(s.records),\"commits\":\(s.commits),\"bytes\":\(s.bytes),\"candle_appends\":\(s.candleAppends),"
        + "\"trades_opened\":\(s.tradesOpened),\"market_syncs\":\(s.marketSyncs),\"errors\":\(s.errors),"
        + "\"rejected_records\":\(s.rejectedRecords),\"pending_high_water\":\(s.pendingHighWater)}"
}

/// One synthetic run, with a journal in a fresh temporary store (removed afterwards) or without.
func runSyntheticPipeline(_ configuration: TicklineConfiguration, ticks: Int, rate: Int, timeoutSeconds: Int,
                          journal: Bool) throws -> JournaledPipelineRun {
    guard journal else {
        return try runSyntheticPipeline(configuration, ticks: ticks, rate: rate, timeoutSeconds: timeoutSeconds, store: nil)
    }
    guard let directory = makeTemporaryDirectory(in: "/tmp", prefix: "tickline-bench-pipeline-") else {
        fail("cannot create a store directory in /tmp: \(String(cString: strerror(errno)))")
    }
    defer { removeTree(directory) }
    var settings = configuration.store
    settings.enabled = true
    settings.directory = directory
    var run = try runSyntheticPipeline(configuration, ticks: ticks, rate: rate, timeoutSeconds: timeoutSeconds,
                                       store: settings)
    run.storeDescription = directory + " on " + filesystemDescription(directory) + ", removed afterwards"
    return run
}

/// `runPipeline` with the journal rings written to the store of `store` (nil: counted and
/// dropped, as `runPipeline` does). The store is closed when this returns.
private func runSyntheticPipeline(_ configuration: TicklineConfiguration, ticks: Int, rate: Int, timeoutSeconds: Int,
                                  store settings: StoreSettings?) throws -> JournaledPipelineRun {
    let analysis: AnalysisConfiguration
    do {
        analysis = try AnalysisConfiguration(configuration.strategy, subscribed: configuration.venue.intervals)
    } catch {
        fail("[strategy]: \(error)")
    }
    var store: TicklineStore?
    var options = JournalWriterOptions()
    if let settings {
        do {
            store = try LiveRun.openStore(settings)
        } catch let e as LiveRun.Failure {
            fail(e.description)
        }
        options.marketSyncIntervalNs = UInt64(settings.marketSyncMs) * 1_000_000  // as `tickline run`
    }
    let pipeline = Pipeline(layout: configuration.layout, settings: configuration.pipeline, totalTicks: ticks,
                            ticksPerSecond: rate, logger: makeLogger(), journal: store, journalOptions: options,
                            analysis: analysis)
    let clock = LiveClock()
    try pipeline.start()
    let started = clock.nowNs()
    let finished = pipeline.waitUntilDone(timeoutNs: UInt64(timeoutSeconds) * 1_000_000_000)
    let elapsed = clock.nowNs() - started
    pipeline.stop()
    if !finished {
        fail("pipeline did not process all \(ticks) ticks within \(timeoutSeconds) s "
             + "(\(pipeline.parse.emitted) emitted, \(pipeline.indicator.handled) events through the indicator stage)")
    }
    return JournaledPipelineRun(report: pipeline.report(elapsedNs: elapsed),
                                summary: pipeline.analysisSummary + pipeline.tradingSummary,
                                journal: pipeline.journalWriter?.stats, storeDescription: nil)
}
