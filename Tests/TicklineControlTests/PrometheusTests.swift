import TicklineRing
import Foundation
import Histogram
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TicklineEngine
import TicklineTestSupport
@testable import TicklineControl

#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus text exposition, the HdrHistogram → Prometheus histogram conversion, the
/// metrics server, and the two external judges: `promtool check metrics` and a real Prometheus
/// server scraping the endpoint on loopback (both from the Debian `prometheus` package).
@Suite struct PrometheusTests {

    // MARK: Golden text

    @Test func rendersFamiliesAsTextFormat004() throws {
        var orders = try MetricFamily(name: "tickline_orders_submitted_total", help: "Orders sent to the venue.",
                                      type: .counter)
        try orders.add(42 as UInt64, labels: ["symbol": "BTCUSDT", "side": "buy"])
        try orders.add(7 as UInt64, labels: ["symbol": "ETHUSDT", "side": "sell"])
        let depth = try MetricFamily.gauge("tickline_ring_depth", help: "Messages waiting in a ring.", value: 3,
                                           labels: ["ring": "parse_to_indicator"])
        var pnl = try MetricFamily(name: "tickline_unrealized_pnl", help: "Unrealized PnL in the quote asset.",
                                   type: .gauge)
        try pnl.add(-12.5, labels: ["symbol": "BTCUSDT"])
        try pnl.add(0.001005692, labels: ["symbol": "ETHUSDT"])
        try pnl.add(.nan, labels: ["symbol": "SOLUSDT"])
        try pnl.add(.infinity, labels: ["symbol": "XRPUSDT"])
        let start = try MetricFamily.gauge("tickline_start_time_seconds", help: "Unix time the engine started.",
                                           value: 1_700_000_000)
        let empty = try MetricFamily(name: "tickline_unused_total", help: "Renders nothing: no samples.", type: .counter)
        let bounds = try HistogramBounds([0.0005, 0.001, 1])
        let rest = try MetricFamily.histogram(
            "tickline_rest_request_duration_seconds", help: "Signed REST round trips.",
            value: HistogramValue(bounds: bounds, cumulativeCounts: [1, 3, 4], count: 5, sum: 2.75),
            labels: ["endpoint": "order"])
        let unlabelled = try MetricFamily.histogram(
            "tickline_store_commit_duration_seconds", help: "LMDB commits.",
            value: HistogramValue(bounds: bounds, cumulativeCounts: [0, 0, 0], count: 0, sum: 0))

        let text = PrometheusTextWriter.render([orders, depth, pnl, start, empty, rest, unlabelled])

        let expected = """
            # HELP tickline_orders_submitted_total Orders sent to the venue.
            # TYPE tickline_orders_submitted_total counter
            tickline_orders_submitted_total{symbol="BTCUSDT",side="buy"} 42
            tickline_orders_submitted_total{symbol="ETHUSDT",side="sell"} 7
            # HELP tickline_ring_depth Messages waiting in a ring.
            # TYPE tickline_ring_depth gauge
            tickline_ring_depth{ring="parse_to_indicator"} 3
            # HELP tickline_unrealized_pnl Unrealized PnL in the quote asset.
            # TYPE tickline_unrealized_pnl gauge
            tickline_unrealized_pnl{symbol="BTCUSDT"} -12.5
            tickline_unrealized_pnl{symbol="ETHUSDT"} 0.001005692
            tickline_unrealized_pnl{symbol="SOLUSDT"} NaN
            tickline_unrealized_pnl{symbol="XRPUSDT"} +Inf
            # HELP tickline_start_time_seconds Unix time the engine started.
            # TYPE tickline_start_time_seconds gauge
            tickline_start_time_seconds 1700000000
            # HELP tickline_rest_request_duration_seconds Signed REST round trips.
            # TYPE tickline_rest_request_duration_seconds histogram
            tickline_rest_request_duration_seconds_bucket{endpoint="order",le="0.0005"} 1
            tickline_rest_request_duration_seconds_bucket{endpoint="order",le="0.001"} 3
            tickline_rest_request_duration_seconds_bucket{endpoint="order",le="1"} 4
            tickline_rest_request_duration_seconds_bucket{endpoint="order",le="+Inf"} 5
            tickline_rest_request_duration_seconds_sum{endpoint="order"} 2.75
            tickline_rest_request_duration_seconds_count{endpoint="order"} 5
            # HELP tickline_store_commit_duration_seconds LMDB commits.
            # TYPE tickline_store_commit_duration_seconds histogram
            tickline_store_commit_duration_seconds_bucket{le="0.0005"} 0
            tickline_store_commit_duration_seconds_bucket{le="0.001"} 0
            tickline_store_commit_duration_seconds_bucket{le="1"} 0
            tickline_store_commit_duration_seconds_bucket{le="+Inf"} 0
            tickline_store_commit_duration_seconds_sum 0
            tickline_store_commit_duration_seconds_count 0

            """
        #expect(text == expected)
    }

    @Test func numbersAndBoundsUseGoCompatibleText() {
        // As client_golang writes `le` (strconv.FormatFloat(b, 'g', -1, 64)).
        let cases: [(Double, String)] = [
            (1e-07, "1e-07"), (5e-07, "5e-07"), (1e-06, "1e-06"), (2e-05, "2e-05"), (0.0001, "0.0001"),
            (0.0005, "0.0005"), (0.001, "0.001"), (0.5, "0.5"), (1, "1"), (10, "10"), (-0.0, "0"),
            (-3, "-3"), (1e20, "1e+20"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
        ]
        for (value, text) in cases { #expect(PrometheusTextWriter.text(of: value) == text, "\(value)") }
        #expect(LatencyBuckets.standard.bounds.leTexts == [
            "1e-07", "2e-07", "5e-07", "1e-06", "2e-06", "5e-06", "1e-05", "2e-05", "5e-05",
            "0.0001", "0.0002", "0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05",
            "0.1", "0.2", "0.5", "1", "2", "5", "10",
        ])
    }

    @Test func escapesHelpAndLabelValues() throws {
        let family = try MetricFamily.gauge(
            "tickline_escape_check", help: "Back\\slash, \"quotes\" stay,\nnew line.", value: 1,
            labels: ["path": "C:\\tmp\\\"x\"\nnext"])
        let text = PrometheusTextWriter.render([family])
        // Help escapes `\` and newline only; label values also escape `"`.
        let expected = #"""
            # HELP tickline_escape_check Back\\slash, "quotes" stay,\nnew line.
            # TYPE tickline_escape_check gauge
            tickline_escape_check{path="C:\\tmp\\\"x\"\nnext"} 1

            """#
        #expect(text == expected)
    }

    // MARK: HdrHistogram → Prometheus histogram

    @Test func convertsAnHdrHistogramExactlyBelowEachBound() throws {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                                  numberOfSignificantValueDigits: .three)
        _ = h.record(500, count: 3)
        _ = h.record(2_000, count: 2)
        _ = h.record(1_000_000)

        let value = LatencyBuckets.standard.histogram(h)

        // Hand count, bound by bound (le in seconds): 500 ns ≤ 5e-07; 2 µs ≤ 2e-06; 1 ms ≤ 0.001.
        let expected: [(Double, UInt64)] = [
            (1e-07, 0), (2e-07, 0), (5e-07, 3),
            (1e-06, 3), (2e-06, 5), (5e-06, 5),
            (1e-05, 5), (2e-05, 5), (5e-05, 5),
            (0.0001, 5), (0.0002, 5), (0.0005, 5),
            (0.001, 6), (0.002, 6), (0.005, 6),
            (0.01, 6), (0.02, 6), (0.05, 6),
            (0.1, 6), (0.2, 6), (0.5, 6),
            (1, 6), (2, 6), (5, 6),
            (10, 6),
        ]
        #expect(value.bounds.upperBounds == expected.map(\.0))
        #expect(value.cumulativeCounts == expected.map(\.1))
        #expect(value.cumulativeCount(le: .infinity) == 6)
        #expect(value.count == 6)
        // _sum: HdrHistogram keeps no sum; each value counts as the middle of its equivalence
        // range. Below 2048 ns ranges are 1 ns wide (exact): 3 × 500 + 2 × 2000 = 5500 ns.
        // 1 ms lies in [999 936, 1 000 447] (512 ns wide): middle 999 936 + 256 = 1 000 192 ns.
        #expect(value.sum == Double(5_500 + 1_000_192) / 1e9)
        #expect(abs(value.sum - h.mean * Double(h.totalCount) / 1e9) < 1e-15)  // = HdrHistogram's mean × count

        let text = PrometheusTextWriter.render([try .histogram(
            "tickline_tick_to_order_latency_seconds", help: "Tick to order.", value: value)])
        #expect(text.contains("tickline_tick_to_order_latency_seconds_bucket{le=\"5e-07\"} 3\n"))
        #expect(text.contains("tickline_tick_to_order_latency_seconds_bucket{le=\"0.001\"} 6\n"))
        #expect(text.contains("tickline_tick_to_order_latency_seconds_bucket{le=\"+Inf\"} 6\n"))
        #expect(text.contains("tickline_tick_to_order_latency_seconds_sum 0.001005692\n"))
        #expect(text.contains("tickline_tick_to_order_latency_seconds_count 6\n"))
    }

    @Test func countsAValueWithinOneRangeAboveABoundInThatBound() throws {
        // The documented over-count: 1 000 447 ns shares 1 ms's range [999 936, 1 000 447], so it
        // is counted ≤ 1 ms; 1 000 448 ns starts the next range and is not.
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000,
                                  numberOfSignificantValueDigits: .three)
        _ = h.record(1_000_447)
        _ = h.record(1_000_448)
        _ = h.record(20_000_000_000)  // above the last bound: +Inf only
        let value = LatencyBuckets.standard.histogram(h)
        #expect(value.cumulativeCount(le: 0.0005) == 0)
        #expect(value.cumulativeCount(le: 0.001) == 1)
        #expect(value.cumulativeCount(le: 0.002) == 2)
        #expect(value.cumulativeCount(le: 10) == 2)
        #expect(value.count == 3)
        #expect(LatencyBuckets.standard.histogram(Histogram<UInt64>(highestTrackableValue: 1 << 37)).count == 0)
    }

    @Test func convertsALatencyRecorderSnapshot() throws {
        let recorder = LatencyRecorder(name: "test")
        for _ in 0..<3 { recorder.record(500) }
        for _ in 0..<2 { recorder.record(2_000) }
        recorder.record(1_000_000)
        var snapshot = LatencySnapshot()
        recorder.collect(into: &snapshot, includeActive: true)  // one thread: the owner is "stopped"

        let value = LatencyBuckets.standard.histogram(snapshot)

        #expect(value.cumulativeCount(le: 2e-07) == 0)
        #expect(value.cumulativeCount(le: 5e-07) == 3)
        #expect(value.cumulativeCount(le: 1e-06) == 3)
        #expect(value.cumulativeCount(le: 2e-06) == 5)
        #expect(value.cumulativeCount(le: 0.0005) == 5)
        #expect(value.cumulativeCount(le: 0.001) == 6)
        #expect(value.count == 6)
        // LatencyRecorder buckets (64 per power of two) at their midpoints: 500 → [500, 503] → 501;
        // 2000 → [2000, 2015] → 2007; 1 000 000 → [999 424, 1 007 615] → 1 003 519.
        #expect(value.sum == Double(3 * 501 + 2 * 2_007 + 1_003_519) / 1e9)
    }

    // MARK: Validation

    @Test func rejectsInvalidNames() {
        for bad in ["", "1abc", "tickline-orders_total", "tickline orders_total", "tickline_é_total", "__x_total"] {
            #expect(throws: MetricsError.invalidName(bad)) { try MetricFamily(name: bad, help: "h", type: .counter) }
        }
        let conventions: [(String, MetricType)] = [
            ("tickline_orders", .counter),  // counters end in _total
            ("tickline_ring_depth_total", .gauge),  // only counters do
            ("tickline:orders_total", .counter),  // ':' is for recording rules
            ("ticklineOrders_total", .counter),  // snake_case
            ("tickline_latency_ms", .gauge),  // abbreviated unit
            ("tickline_latency_milliseconds", .histogram),  // not a base unit
            ("tickline_uptime_minutes", .gauge),
            ("tickline_requests_count", .gauge),  // histogram sample suffix
            ("tickline_latency_bucket", .histogram),
            ("tickline_queue_gauge", .gauge),  // type in the name
        ]
        for (name, type) in conventions {
            let error = #expect(throws: MetricsError.self) { try MetricFamily(name: name, help: "h", type: type) }
            guard case .nameConvention(name, _) = error else {
                Issue.record("\(name): expected a naming-convention error, got \(String(describing: error))")
                continue
            }
        }
        #expect(throws: MetricsError.emptyHelp("tickline_ok_total")) {
            try MetricFamily(name: "tickline_ok_total", help: "", type: .counter)
        }
        #expect(throws: Never.self) {
            _ = try MetricFamily(name: "tickline_received_bytes_total", help: "h", type: .counter)
            _ = try MetricFamily(name: "tickline_hop_latency_seconds", help: "h", type: .histogram)
            _ = try MetricFamily(name: "_tickline_internal", help: "h", type: .gauge)
        }
    }

    @Test func rejectsInvalidLabelsAndSamples() throws {
        var gauge = try MetricFamily(name: "tickline_ring_depth", help: "h", type: .gauge)
        for bad in ["1a", "a-b", "", "ringName", "a.b"] {
            #expect(throws: MetricsError.invalidLabelName(metric: "tickline_ring_depth", label: bad)) {
                try gauge.add(1, labels: [MetricLabel(name: bad, value: "x")])
            }
        }
        #expect(throws: MetricsError.reservedLabelName(metric: "tickline_ring_depth", label: "__name__")) {
            try gauge.add(1, labels: ["__name__": "x"])
        }
        #expect(throws: MetricsError.duplicateLabelName(metric: "tickline_ring_depth", label: "ring")) {
            try gauge.add(1, labels: ["ring": "a", "ring": "b"])
        }
        try gauge.add(1, labels: ["le": "fine outside histograms"])
        #expect(gauge.samples.count == 1)

        let bounds = try HistogramBounds([1])
        let h = try HistogramValue(bounds: bounds, cumulativeCounts: [1], count: 1, sum: 0.5)
        var histogram = try MetricFamily(name: "tickline_hop_latency_seconds", help: "h", type: .histogram)
        #expect(throws: MetricsError.reservedLabelName(metric: "tickline_hop_latency_seconds", label: "le")) {
            try histogram.add(h, labels: ["le": "1"])
        }
        #expect(throws: MetricsError.sampleKindMismatch("tickline_hop_latency_seconds")) { try histogram.add(1) }
        #expect(throws: MetricsError.sampleKindMismatch("tickline_ring_depth")) { try gauge.add(h) }

        var counter = try MetricFamily(name: "tickline_fills_total", help: "h", type: .counter)
        #expect(throws: MetricsError.invalidCounterValue(metric: "tickline_fills_total", value: -1)) {
            try counter.add(-1)
        }
        #expect(throws: MetricsError.self) { try counter.add(.nan) }
        #expect(throws: MetricsError.self) { try counter.add(.infinity) }

        #expect(throws: MetricsError.self) { try HistogramBounds([]) }
        #expect(throws: MetricsError.self) { try HistogramBounds([1, 1]) }
        #expect(throws: MetricsError.self) { try HistogramBounds([2, 1]) }
        #expect(throws: MetricsError.self) { try HistogramBounds([1, .infinity]) }
        #expect(throws: MetricsError.self) { try HistogramValue(bounds: bounds, cumulativeCounts: [], count: 0, sum: 0) }
        #expect(throws: MetricsError.self) { try HistogramValue(bounds: bounds, cumulativeCounts: [2], count: 1, sum: 0) }
        let two = try HistogramBounds([1, 2])
        #expect(throws: MetricsError.self) { try HistogramValue(bounds: two, cumulativeCounts: [2, 1], count: 2, sum: 0) }
        #expect(throws: MetricsError.self) { try LatencyBuckets(upperBoundsNs: [0, 10]) }
        #expect(throws: MetricsError.self) { try LatencyBuckets(upperBoundsNs: [10, 10]) }
    }

    // MARK: promtool

    @Test func promtoolAcceptsAFullRendering() throws {
        let promtool = try #require(Self.tool("promtool"),
                                    "promtool not found on PATH or in /usr/bin: install the Debian `prometheus` package")
        let text = PrometheusTextWriter.render(try Self.fullMetricSet())
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("tickline-promtool-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).prom")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        // promtool reads the exposition from stdin.
        let (status, out, err) = try runChildProcess(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" check metrics < \"$1\"", promtool, file.path])
        #expect(status == 0, "promtool check metrics: \(out)\(err)")
        #expect(out.isEmpty && err.isEmpty, "promtool printed: \(out)\(err)")
    }

    // MARK: The server

    @Test func serverAnswersMetricsAndNothingElse() async throws {
        let families = try Self.fullMetricSet()
        let server = MetricsServer(configuration: .init(host: "127.0.0.1", port: 0), logger: Self.quietLogger) {
            families
        }
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(String(buffer: response.body) == PrometheusTextWriter.render(families))
            }
            try await client.execute(uri: "/metrics?x=1", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/metrics/x", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/metrics", method: .post) { #expect($0.status == .methodNotAllowed) }
        }
    }

    /// Starts the server on a free loopback port, runs a real Prometheus against it (scrape every
    /// second), and reads the scraped values back through Prometheus' HTTP API.
    @Test(.timeLimit(.minutes(1))) func prometheusScrapesTheServer() async throws {
        let prometheus = try #require(Self.tool("prometheus"),
                                      "prometheus not found on PATH or in /usr/bin: install the Debian `prometheus` package")
        let families = try Self.fullMetricSet()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let server = MetricsServer(configuration: .init(host: "127.0.0.1", port: 0), logger: Self.quietLogger,
                                   onListening: { portSink.yield($0) }) { families }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portSink.finish() }
                try? await server.run()
            }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next(), "the metrics server did not start")

            // The endpoint over a real socket first.
            let direct = try await Self.get(port: port, target: "/metrics")
            #expect(direct.status == 200)
            #expect(direct.headers["content-type"] == PrometheusTextWriter.contentType)
            #expect(direct.body == PrometheusTextWriter.render(families))

            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("tickline-prometheus-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let config = """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: tickline
                    static_configs:
                      - targets: ["127.0.0.1:\(port)"]

                """
            try Data(config.utf8).write(to: dir.appendingPathComponent("prometheus.yml"))
            let webPort = try Self.freeLoopbackPort()
            let log = dir.appendingPathComponent("prometheus.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let logHandle = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: prometheus)
            process.arguments = [
                "--config.file=\(dir.appendingPathComponent("prometheus.yml").path)",
                "--storage.tsdb.path=\(dir.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(webPort)",
            ]
            process.standardOutput = logHandle
            process.standardError = logHandle
            try process.run()
            defer {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try? logHandle.close()
            }
            func logTail() -> String {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").suffix(8).joined(separator: "\n")
            }

            // `up` turns 1 after the first successful scrape (bounded: 20 s from here).
            let deadline = ContinuousClock.now + .seconds(20)
            var up: String?
            while ContinuousClock.now < deadline {
                if let value = try? await Self.query("up{job=\"tickline\"}", webPort: webPort), value == "1" {
                    up = value
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            try #require(up == "1", "Prometheus did not report up == 1 within 20 s; its log:\n\(logTail())")

            let orders = try await Self.query(#"tickline_orders_submitted_total{symbol="BTCUSDT",side="buy"}"#,
                                              webPort: webPort)
            #expect(orders == "42")
            let bucket = try await Self.query(#"tickline_tick_to_order_latency_seconds_bucket{le="0.001"}"#,
                                              webPort: webPort)
            #expect(bucket == "6")
            let sum = try await Self.query("tickline_tick_to_order_latency_seconds_sum", webPort: webPort)
            #expect(sum == "0.001005692")
            let samples = try await Self.query(#"scrape_samples_scraped{job="tickline"}"#, webPort: webPort)
            #expect(samples == String(Self.sampleCount(families)))
        }
    }

    // MARK: Fixtures

    /// The metric set the engine will expose (names as agreed for issue 8), with deterministic
    /// values: the realistic input for promtool and Prometheus.
    static func fullMetricSet() throws -> [MetricFamily] {
        let buckets = LatencyBuckets.standard
        func latencies(_ valuesNs: [UInt64]) -> HistogramValue {
            var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 1 << 37,
                                      numberOfSignificantValueDigits: .three)
            for v in valuesNs { _ = h.record(v) }
            return buckets.histogram(h)
        }
        var families: [MetricFamily] = []

        var hops = try MetricFamily(name: "tickline_hop_latency_seconds",
                                    help: "Time a message waits and travels between two stages (one ring hop).",
                                    type: .histogram)
        for (i, hop) in ["parse_indicator", "indicator_signal", "signal_risk", "risk_order", "order_risk"].enumerated() {
            try hops.add(latencies((0..<200).map { UInt64(150 + 37 * ($0 % 50) + 400 * i) }), labels: ["hop": hop])
        }
        families.append(hops)
        families.append(try .histogram(
            "tickline_tick_to_order_latency_seconds",
            help: "From the market-data bytes leaving the socket to the order leaving the engine.",
            value: latencies([500, 500, 500, 2_000, 2_000, 1_000_000])))
        families.append(try .histogram(
            "tickline_trade_execution_latency_seconds", help: "From order sent to the venue's acknowledgement.",
            value: latencies([3_000_000, 4_500_000, 12_000_000]), labels: ["venue": "sim"]))
        families.append(try .histogram(
            "tickline_signal_generation_duration_seconds", help: "One signal evaluation pass.",
            value: latencies([40_000, 55_000, 61_000])))
        families.append(try .histogram(
            "tickline_store_commit_duration_seconds", help: "One LMDB group commit.",
            value: latencies([80_000, 120_000, 2_500_000])))
        var rest = try MetricFamily(name: "tickline_rest_request_duration_seconds",
                                    help: "Control-plane REST requests, from head received to response written.",
                                    type: .histogram)
        try rest.add(latencies([90_000, 110_000]), labels: ["route": "/positions", "method": "GET"])
        try rest.add(latencies([]), labels: ["route": "/trading/enable", "method": "POST"])
        families.append(rest)
        families.append(try .histogram(
            "tickline_websocket_delivery_latency_seconds", help: "From event published to frame written to a client.",
            value: latencies([20_000, 35_000, 1_200_000])))

        var processed = try MetricFamily(name: "tickline_messages_processed_total",
                                         help: "Messages a stage consumed.", type: .counter)
        for (i, stage) in ["parse", "indicator", "signal", "risk", "order", "store"].enumerated() {
            try processed.add(UInt64(1_000_000 - 1_000 * i), labels: ["stage": stage])
        }
        families.append(processed)
        var full = try MetricFamily(name: "tickline_ring_full_total",
                                    help: "Times a producer found its ring full (back-pressure).", type: .counter)
        try full.add(3 as UInt64, labels: ["ring": "parse_indicator"])
        try full.add(0 as UInt64, labels: ["ring": "risk_order"])
        families.append(full)
        var orders = try MetricFamily(name: "tickline_orders_submitted_total", help: "Orders sent to the venue.",
                                      type: .counter)
        try orders.add(42 as UInt64, labels: ["symbol": "BTCUSDT", "side": "buy"])
        try orders.add(17 as UInt64, labels: ["symbol": "BTCUSDT", "side": "sell"])
        families.append(orders)
        var denied = try MetricFamily(name: "tickline_orders_denied_total", help: "Orders our risk stage refused.",
                                      type: .counter)
        try denied.add(5 as UInt64, labels: ["reason": "max_positions"])
        try denied.add(1 as UInt64, labels: ["reason": "insufficient_margin"])
        families.append(denied)
        families.append(try .counter("tickline_orders_rejected_total", help: "Orders the venue refused.", value: 2))
        families.append(try .counter("tickline_fills_total", help: "Execution reports with a fill.", value: 57))
        families.append(try .counter("tickline_signals_generated_total", help: "Signals the combiner emitted.",
                                     value: 12, labels: ["strategy": "combined"]))
        families.append(try .counter("tickline_store_commits_total", help: "LMDB commits.", value: 9_876))
        families.append(try .counter("tickline_websocket_messages_sent_total",
                                     help: "Frames sent to WebSocket clients.", value: 31_337))
        families.append(try .counter("tickline_received_bytes_total", help: "Market-data bytes received.",
                                     value: 123_456_789_012))

        var depth = try MetricFamily(name: "tickline_ring_depth", help: "Messages waiting in a ring.", type: .gauge)
        try depth.add(12, labels: ["ring": "parse_indicator"])
        try depth.add(0, labels: ["ring": "risk_order"])
        families.append(depth)
        families.append(try .gauge("tickline_open_positions", help: "Positions currently open.", value: 2))
        families.append(try .gauge("tickline_account_balance", help: "Wallet balance in the asset.",
                                   value: 10_250.75, labels: ["asset": "USDT"]))
        families.append(try .gauge("tickline_websocket_clients", help: "Connected WebSocket clients.", value: 3))
        families.append(try .gauge("tickline_trading_enabled", help: "1 when trading is enabled, else 0.", value: 1))
        families.append(try .gauge("tickline_start_time_seconds", help: "Unix time the engine started.",
                                   value: 1_700_000_000.25))
        families.append(try .gauge("tickline_build_info", help: "Build facts as labels; always 1.", value: 1,
                                   labels: ["version": "0.1.0", "swift": "6.3.1", "note": "quote \" and \\ and\nline"]))
        return families
    }

    /// Sample lines a rendering holds (what Prometheus reports as `scrape_samples_scraped`).
    static func sampleCount(_ families: [MetricFamily]) -> Int {
        families.reduce(0) { total, family in
            total + family.samples.reduce(0) { n, sample in
                switch sample.value {
                case .number: n + 1
                case .histogram(let h): n + h.bounds.upperBounds.count + 3
                }
            }
        }
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "tickline.metrics.test")
        logger.logLevel = .critical
        return logger
    }()

    /// An executable on PATH, or in /usr/bin.
    static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin"]
        return dirs.map { $0 + "/" + name }.first { access($0, X_OK) == 0 }
    }

    // MARK: A minimal loopback HTTP client

    struct Reply {
        var status: Int
        var headers: [String: String]  // lower-cased names
        var body: String
    }

    struct HTTPFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The value of an instant query's only result (nil when it has none).
    static func query(_ promQL: String, webPort: Int) async throws -> String? {
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let reply = try await get(port: webPort, target: "/api/v1/query?query=\(encoded)")
        guard reply.status == 200,
              let json = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
              let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw HTTPFailure(description: "query \(promQL): \(reply.status) \(reply.body)") }
        guard result.count <= 1 else { throw HTTPFailure(description: "query \(promQL): \(result.count) series") }
        return (result.first?["value"] as? [Any])?.last as? String
    }

    /// `GET` over HTTP/1.0 on 127.0.0.1 (the server closes; the body runs to end of stream). The
    /// blocking socket calls run on a Dispatch thread, off the Swift concurrency pool the server
    /// under test may need.
    static func get(port: Int, target: String) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingGet(port: port, target: target) })
            }
        }
    }

    static func blockingGet(port: Int, target: String) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPFailure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw HTTPFailure(description: "connect 127.0.0.1:\(port): errno \(errno)") }
        let request = Array("GET \(target) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw HTTPFailure(description: "send: errno \(errno)") }
            sent += n
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw HTTPFailure(description: "recv: errno \(errno)") }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw HTTPFailure(description: "no header end: \(text)") }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw HTTPFailure(description: "bad status line: \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// A port nobody listens on right now (bound to 0, read back, closed): for Prometheus' own
    /// web listener. Another process could take it in between; on loopback in a test run that
    /// is unlikely enough.
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPFailure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
            }
        }
        guard rc == 0 else { throw HTTPFailure(description: "bind/getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
