import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import TicklineTestSupport
@testable import TicklineControl

#if canImport(Glibc)
import Glibc
#endif

/// Alerts end to end on loopback: the HTTP sinks against a Hummingbird receiver started in the
/// test (exact JSON shapes), the SMTP sink against Python's aiosmtpd
/// (`Scripts/smtp_receiver.py`, venv from `Tests/clients/venvs.sh control`), and the router's
/// dedup window, counters, queue bound and timeouts with a manual clock and in-memory sinks.
@Suite struct AlertTests {
    // MARK: - Fixtures

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Margin call on account 1 at a fixed time (2025-11-25T12:09:00.123Z).
    static func marginCall(timeMs: Int64 = 1_764_072_540_123, summary: String? = nil,
                           remediation: String? = nil) -> Alert {
        Alert(.marginCall, summary: summary ?? "Margin call on account 1 (ratio 92%)",
              logReference: "req=7f3a ts=2025-11-25T12:09:00.120Z",
              context: ["account": "1", "symbol": "BTCUSDT", "trade_id": "42"],
              remediation: remediation, timeMs: timeMs)
    }

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let value: Atomic<Int64>
        init(_ ms: Int64 = 0) { value = Atomic(ms) }
        var nowMs: Int64 { value.load(ordering: .relaxed) }
        func set(_ ms: Int64) { value.store(ms, ordering: .relaxed) }
        var closure: @Sendable () -> Int64 { { self.nowMs } }
    }

    /// Remembers every alert it is sent.
    final class RecordingSink: AlertSink {
        let name: String
        private let received = Mutex<[Alert]>([])
        init(name: String = "memory") { self.name = name }
        func send(_ alert: Alert, timeoutMs: Int64) async throws { received.withLock { $0.append(alert) } }
        var alerts: [Alert] { received.withLock { $0 } }
    }

    /// Holds every send until `open()`.
    final class GateSink: AlertSink {
        let name = "gate"
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], sent: Int)>((false, [], 0))

        func send(_ alert: Alert, timeoutMs: Int64) async throws {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let open = state.withLock { s -> Bool in
                    if !s.open { s.waiters.append(c) }
                    return s.open
                }
                if open { c.resume() }
            }
            state.withLock { $0.sent += 1 }
        }

        func open() {
            let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.open = true
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.resume() }
        }
    }

    /// A decoded JSON value, comparable as a whole so a payload's exact shape can be checked.
    indirect enum JSON: Equatable, Decodable, CustomStringConvertible,
        ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByDictionaryLiteral,
        ExpressibleByArrayLiteral, ExpressibleByBooleanLiteral
    {
        case string(String), number(Double), bool(Bool), null, array([JSON]), object([String: JSON])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([JSON].self) { self = .array(a) }
            else { self = .object(try c.decode([String: JSON].self)) }
        }
        init(stringLiteral value: String) { self = .string(value) }
        init(integerLiteral value: Int) { self = .number(Double(value)) }
        init(booleanLiteral value: Bool) { self = .bool(value) }
        init(arrayLiteral elements: JSON...) { self = .array(elements) }
        init(dictionaryLiteral elements: (String, JSON)...) {
            self = .object(Dictionary(uniqueKeysWithValues: elements))
        }
        static func decode(_ bytes: [UInt8]) throws -> JSON { try JSONDecoder().decode(JSON.self, from: Data(bytes)) }

        var description: String {
            switch self {
            case .string(let s): "\"\(s)\""
            case .number(let n): "\(n)"
            case .bool(let b): "\(b)"
            case .null: "null"
            case .array(let a): "[" + a.map(\.description).joined(separator: ", ") + "]"
            case .object(let o): "{" + o.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }
                .joined(separator: ", ") + "}"
            }
        }

        subscript(key: String) -> JSON? {
            if case .object(let o) = self { return o[key] }
            return nil
        }
    }

    struct CapturedRequest: Sendable {
        var path: String
        var contentType: String?
        var userAgent: String?
        var body: [UInt8]
    }

    /// Runs `body` with a Hummingbird server on 127.0.0.1 (port 0) that records every POST and
    /// answers 200 `ok` (`/v2/enqueue`: 202 like PagerDuty; `/status/500`: 500).
    static func withReceiver<T: Sendable>(
        _ body: @Sendable @escaping (_ port: Int, _ captured: @Sendable @escaping () -> [CapturedRequest]) async throws -> T
    ) async throws -> T {
        let box = CapturedBox()
        let router = Router()
        router.post("**") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let path = request.uri.path
            box.append(CapturedRequest(
                path: path, contentType: request.headers[.contentType], userAgent: request.headers[.userAgent],
                body: Array(buffer: bytes)))
            switch path {
            case "/v2/enqueue":
                return Response(status: .accepted, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string:
                                    #"{"status":"success","message":"Event processed","dedup_key":"x"}"#)))
            case "/status/500":
                return Response(status: .internalServerError, body: ResponseBody(byteBuffer: ByteBuffer(string: "boom")))
            default:
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
            }
        }
        var logger = Logger(label: "alert-test-receiver")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              logger: logger)
        return try await app.test(.live) { client in
            guard let port = client.port else { throw Failure(description: "receiver has no port") }
            return try await body(port) { box.all }
        }
    }

    final class CapturedBox: Sendable {
        private let requests = Mutex<[CapturedRequest]>([])
        func append(_ r: CapturedRequest) { requests.withLock { $0.append(r) } }
        var all: [CapturedRequest] { requests.withLock { $0 } }
    }

    /// A loopback port nothing listens on (bound, then closed).
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw Failure(description: "bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A loopback socket that listens (so connects succeed) but never accepts or answers.
    final class SilentListener {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard ok else {
                close(fd)
                throw Failure(description: "listen: errno \(errno)")
            }
            self.fd = fd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "tickline.alerts.test")
        logger.logLevel = .critical
        return logger
    }

    /// Options for tests that expect deliveries: a send timeout far above any real exchange on
    /// loopback, so a test pool starved by other suites' blocking calls cannot turn a slow
    /// delivery into a timeout. (No test gates on wall-clock speed.)
    static let patient = AlertRouter.Options(sendTimeoutMs: 30_000)

    /// Polls `condition` every 10 ms until it holds; fails after `timeoutMs`.
    static func eventually(timeoutMs: Int = 30_000, _ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw Failure(description: "timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static func elapsedMs(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    // MARK: - HTTP sinks: exact payloads

    @Test func webhookPostsTheWholeAlertAsJSON() async throws {
        try await Self.withReceiver { port, captured in
            let sink = WebhookAlertSink(url: AlertURL("http://127.0.0.1:\(port)/hooks/tickline?token=s3cret")!,
                                        headers: [(name: "Authorization", value: "Bearer t0k")], source: "engine-1")
            let router = AlertRouter(sinks: [sink], options: Self.patient, logger: Self.quietLogger())
            #expect(router.raise(Self.marginCall()) == .dispatched(queued: 1, dropped: 0))
            await router.waitUntilIdle()

            let requests = captured()
            try #require(requests.count == 1)
            #expect(requests[0].path == "/hooks/tickline")
            #expect(requests[0].contentType == "application/json; charset=utf-8")
            #expect(requests[0].userAgent == "Tickline-Alerts/1")
            let expected: JSON = [
                "schema": "tickline.alert/1",
                "key": "margin_call:account=1",
                "severity": "critical",
                "summary": "Margin call on account 1 (ratio 92%)",
                "component": "risk",
                "impact": .string(AlertKind.marginCall.impact),
                "remediation": .string(AlertKind.marginCall.remediation),
                "log_reference": "req=7f3a ts=2025-11-25T12:09:00.120Z",
                "time": "2025-11-25T12:09:00.123Z",
                "time_ms": 1_764_072_540_123,
                "source": "engine-1",
                "context": ["account": "1", "symbol": "BTCUSDT", "trade_id": "42"],
            ]
            #expect(try JSON.decode(requests[0].body) == expected)
            let stats = router.stats()
            #expect(stats.sinks.map(\.sent) == [1])
            #expect(stats.sinks.map(\.failed) == [0])
        }
    }

    @Test func slackPayloadHasTextAndBlocks() async throws {
        try await Self.withReceiver { port, captured in
            let alert = Self.marginCall(summary: "Margin call <acct 1> & co")
            let sink = SlackAlertSink(url: AlertURL("http://127.0.0.1:\(port)/services/T000/B000/XXXX")!, source: "engine-1")
            let router = AlertRouter(sinks: [sink], options: Self.patient, logger: Self.quietLogger())
            router.raise(alert)
            await router.waitUntilIdle()

            let requests = captured()
            try #require(requests.count == 1)
            #expect(requests[0].path == "/services/T000/B000/XXXX")
            #expect(requests[0].contentType == "application/json; charset=utf-8")
            func md(_ text: String) -> JSON { ["type": "mrkdwn", "text": .string(text)] }
            let expected: JSON = [
                "text": ":rotating_light: [CRITICAL] Margin call &lt;acct 1&gt; &amp; co (risk)",
                "blocks": [
                    ["type": "header",
                     "text": ["type": "plain_text", "text": ":rotating_light: CRITICAL: Margin call <acct 1> & co",
                              "emoji": true]],
                    ["type": "section",
                     "fields": [
                        md("*Component*\nrisk"),
                        md("*Alert key*\n`margin_call:account=1`"),
                        md("*Time*\n2025-11-25T12:09:00.123Z"),
                        md("*Source*\nengine-1"),
                        md("*account*\n1"),
                        md("*symbol*\nBTCUSDT"),
                        md("*trade_id*\n42"),
                     ]],
                    ["type": "section", "text": md("*Impact*\n\(AlertKind.marginCall.impact)")],
                    ["type": "section", "text": md("*Remediation*\n\(AlertKind.marginCall.remediation)")],
                    ["type": "context", "elements": [md("Log reference: `req=7f3a ts=2025-11-25T12:09:00.120Z`")]],
                ],
            ]
            #expect(try JSON.decode(requests[0].body) == expected)
        }
    }

    @Test func slackLimitsAreEnforced() throws {
        var context: [String: String] = [:]
        for i in 0..<12 { context["k\(String(format: "%02d", i))"] = "v\(i)" }
        let alert = Alert(key: "k", summary: String(repeating: "x", count: 400), component: "c",
                          impact: String(repeating: "i", count: 5000), remediation: "r", logReference: "l",
                          timeMs: 0, context: context)
        let json = try JSON.decode(SlackAlertSink.payload(for: alert, source: "s"))
        guard case .array(let blocks)? = json["blocks"] else { Issue.record("no blocks"); return }
        guard case .string(let header)? = blocks[0]["text"]?["text"] else { Issue.record("no header"); return }
        #expect(header.count == 150)
        guard case .array(let fields)? = blocks[1]["fields"] else { Issue.record("no fields"); return }
        #expect(fields.count == 10)  // 4 fixed + 6 context; the other 6 go to an extra section
        guard case .string(let overflow)? = blocks[2]["text"]?["text"] else { Issue.record("no overflow"); return }
        #expect(overflow == (6..<12).map { "*k\(String(format: "%02d", $0))*: v\($0)" }.joined(separator: "\n"))
        guard case .string(let impact)? = blocks[3]["text"]?["text"] else { Issue.record("no impact"); return }
        #expect(impact.count == 3000 && impact.hasSuffix("…"))
    }

    @Test func pagerDutyPayloadIsAnEventsV2Trigger() async throws {
        try await Self.withReceiver { port, captured in
            let sink = PagerDutyAlertSink(routingKey: "R0UT1NGKEY0123456789012345678901",
                                          url: AlertURL("http://127.0.0.1:\(port)/v2/enqueue")!, source: "engine-1")
            let router = AlertRouter(sinks: [sink], options: Self.patient, logger: Self.quietLogger())
            router.raise(Self.marginCall())
            await router.waitUntilIdle()

            let requests = captured()
            try #require(requests.count == 1)
            #expect(requests[0].path == "/v2/enqueue")
            let expected: JSON = [
                "routing_key": "R0UT1NGKEY0123456789012345678901",
                "event_action": "trigger",
                "dedup_key": "margin_call:account=1",
                "client": "Tickline",
                "payload": [
                    "summary": "Margin call on account 1 (ratio 92%)",
                    "source": "engine-1",
                    "severity": "critical",
                    "timestamp": "2025-11-25T12:09:00.123Z",
                    "component": "risk",
                    "class": "margin_call",
                    "custom_details": [
                        "alert_key": "margin_call:account=1",
                        "impact": .string(AlertKind.marginCall.impact),
                        "remediation": .string(AlertKind.marginCall.remediation),
                        "log_reference": "req=7f3a ts=2025-11-25T12:09:00.120Z",
                        "context": ["account": "1", "symbol": "BTCUSDT", "trade_id": "42"],
                    ],
                ],
            ]
            #expect(try JSON.decode(requests[0].body) == expected)
            #expect(router.stats().sinks[0].sent == 1)
        }
    }

    @Test func non2xxAnswerCountsAsFailed() async throws {
        try await Self.withReceiver { port, captured in
            let sink = WebhookAlertSink(url: AlertURL("http://127.0.0.1:\(port)/status/500")!, source: "e")
            let router = AlertRouter(sinks: [sink], options: Self.patient, logger: Self.quietLogger())
            router.raise(Self.marginCall())
            await router.waitUntilIdle()
            #expect(captured().count == 1)
            let stats = router.stats().sinks[0]
            #expect(stats.sent == 0 && stats.failed == 1 && stats.timedOut == 0)
            #expect(stats.lastError == "HTTP 500: boom")
        }
    }

    // MARK: - Router: dedup, failures, queue bound, error rate

    @Test func sameKeyIsNotRepeatedWithinTheWindow() async throws {
        let clock = ManualClock(1_000_000)
        let sink = RecordingSink()
        let router = AlertRouter(sinks: [sink], logger: Self.quietLogger(), nowMs: clock.closure)

        #expect(router.raise(Self.marginCall()) == .dispatched(queued: 1, dropped: 0))
        clock.set(1_000_000 + 60_000)
        #expect(router.raise(Self.marginCall()) == .suppressed)
        clock.set(1_000_000 + 299_999)
        #expect(router.raise(Self.marginCall()) == .suppressed)
        // Another key (another account) in the same window is its own alert.
        let other = Alert(.marginCall, logReference: "req=2", context: ["account": "2"])
        #expect(other.key == "margin_call:account=2")
        #expect(router.raise(other) == .dispatched(queued: 1, dropped: 0))
        await router.waitUntilIdle()
        #expect(sink.alerts.map(\.key) == ["margin_call:account=1", "margin_call:account=2"])

        // The window is measured from the last delivery: at +5 min exactly it goes out again.
        clock.set(1_000_000 + 300_000)
        #expect(router.raise(Self.marginCall()) == .dispatched(queued: 1, dropped: 0))
        clock.set(1_000_000 + 300_001)
        #expect(router.raise(Self.marginCall()) == .suppressed)
        await router.waitUntilIdle()
        #expect(sink.alerts.map(\.key) == ["margin_call:account=1", "margin_call:account=2", "margin_call:account=1"])

        let stats = router.stats()
        #expect(stats.raised == 6)
        #expect(stats.dispatched == 3)
        #expect(stats.suppressed == 3)
        #expect(stats.sinks[0].sent == 3)
    }

    @Test func windowIsConfigurable() async throws {
        let clock = ManualClock(0)
        let sink = RecordingSink()
        let router = AlertRouter(sinks: [sink], options: .init(dedupWindowMs: 1_000), logger: Self.quietLogger(),
                                 nowMs: clock.closure)
        router.raise(Self.marginCall())
        clock.set(999)
        #expect(router.raise(Self.marginCall()) == .suppressed)
        clock.set(1_000)
        #expect(router.raise(Self.marginCall()) == .dispatched(queued: 1, dropped: 0))
        await router.waitUntilIdle()
        #expect(sink.alerts.count == 2)
    }

    @Test func refusedEndpointIsCountedAndOthersStillDeliver() async throws {
        let port = try Self.closedPort()
        let memory = RecordingSink()
        let stuck = GateSink()
        let dead = WebhookAlertSink(url: AlertURL("http://127.0.0.1:\(port)/hook")!, source: "e")
        let deadSecure = SlackAlertSink(url: AlertURL("https://127.0.0.1:\(port)/services/x")!, source: "e")
        let router = AlertRouter(sinks: [dead, memory, deadSecure, stuck], options: Self.patient,
                                 logger: Self.quietLogger())

        // `stuck` holds its send until opened: `raise` returning at all shows the caller never
        // waits for a sink.
        #expect(router.raise(Self.marginCall()) == .dispatched(queued: 4, dropped: 0))
        try await Self.eventually("the refused sends and the in-memory delivery") {
            let s = router.stats().sinks
            return s[0].failed == 1 && s[1].sent == 1 && s[2].failed == 1
        }
        // ...all while the stuck sink still holds its send.
        let during = router.stats().sinks[3]
        #expect(during.queued == 1 && during.sent == 0)
        #expect(memory.alerts.map(\.key) == ["margin_call:account=1"])

        stuck.open()
        await router.waitUntilIdle()
        let stats = router.stats()
        #expect(stats.sinks.map(\.name) == ["webhook", "memory", "slack", "gate"])
        #expect(stats.sinks.map(\.sent) == [0, 1, 0, 1])
        #expect(stats.sinks.map(\.failed) == [1, 0, 1, 0])
        #expect(stats.sinks.map(\.timedOut) == [0, 0, 0, 0])
        let error = stats.sinks[0].lastError ?? ""
        #expect(error.hasPrefix("connect to 127.0.0.1:\(port) failed"), "\(error)")
        #expect(!error.contains("/hook"))
        #expect(!(stats.sinks[2].lastError ?? "").contains("/services"))
    }

    @Test func silentEndpointTimesOut() async throws {
        let listener = try Self.SilentListener()
        let memory = RecordingSink()
        let webhook = WebhookAlertSink(url: AlertURL("http://127.0.0.1:\(listener.port)/hook")!, source: "e")
        let smtp = SMTPAlertSink(host: "127.0.0.1", port: listener.port, from: "a@b.test", to: ["c@d.test"], source: "e")
        let router = AlertRouter(sinks: [webhook, smtp, memory], options: .init(sendTimeoutMs: 300),
                                 logger: Self.quietLogger())
        let start = ContinuousClock.now
        router.raise(Self.marginCall())
        await router.waitUntilIdle()
        let elapsed = Self.elapsedMs(since: start)
        let stats = router.stats()
        #expect(stats.sinks.map(\.failed) == [1, 1, 0])
        #expect(stats.sinks.map(\.timedOut) == [1, 1, 0])
        #expect(stats.sinks.map(\.sent) == [0, 0, 1])
        #expect(elapsed >= 250, "gave up after \(elapsed) ms, before the 300 ms timeout")
        withExtendedLifetime(listener) {}
    }

    @Test func fullQueueDropsAndCounts() async throws {
        let gate = GateSink()
        let memory = RecordingSink()
        let router = AlertRouter(sinks: [gate, memory], options: .init(queueCapacity: 2, sendTimeoutMs: 10_000),
                                 logger: Self.quietLogger())
        // The gate never returns until opened: every raise below returning at all is the proof
        // that the caller does not wait for a sink.
        var dispositions: [AlertRouter.Disposition] = []
        for i in 0..<5 {
            dispositions.append(router.raise(Alert(.orderFailure, logReference: "req=\(i)",
                                                   context: ["account": "1", "symbol": "S\(i)"])))
        }
        // Capacity counts the alert in flight: the gate holds one and queues one; the
        // in-memory sink keeps up, so only the gate drops.
        let queuedOnBoth = AlertRouter.Disposition.dispatched(queued: 2, dropped: 0)
        let droppedByGate = AlertRouter.Disposition.dispatched(queued: 1, dropped: 1)
        #expect(dispositions.prefix(2).allSatisfy { $0 == queuedOnBoth })
        #expect(dispositions.suffix(3).allSatisfy { $0 == droppedByGate || $0 == .dispatched(queued: 0, dropped: 2) })
        let during = router.stats().sinks[0]
        #expect(during.dropped == 3)
        #expect(during.queued == 2)

        gate.open()
        await router.waitUntilIdle()
        let after = router.stats()
        #expect(after.sinks[0].sent == 2)
        #expect(after.sinks[0].dropped == 3)
        #expect(after.sinks[0].queued == 0)
        #expect(memory.alerts.count + Int(after.sinks[1].dropped) == 5)
    }

    @Test func alertEverySinkDroppedIsNotSuppressedLater() async throws {
        let gate = GateSink()
        let router = AlertRouter(sinks: [gate], options: .init(queueCapacity: 1, sendTimeoutMs: 10_000),
                                 logger: Self.quietLogger())
        router.raise(Alert(.storeDown, logReference: "a"))
        let dropped = Alert(.ipBanned, logReference: "b")
        #expect(router.raise(dropped) == .dispatched(queued: 0, dropped: 1))
        gate.open()
        await router.waitUntilIdle()
        #expect(router.raise(dropped) == .dispatched(queued: 1, dropped: 0))
        await router.waitUntilIdle()
        #expect(router.stats().sinks[0].sent == 2)
    }

    @Test func errorsPerMinuteCountsTheLastSixtySeconds() async throws {
        let clock = ManualClock(10_000)
        let router = AlertRouter(sinks: [], logger: Self.quietLogger(), nowMs: clock.closure)
        router.raise(Alert(.storeDown, logReference: "1"))
        router.raise(Alert(.storeDown, logReference: "2"))  // suppressed, still an error
        clock.set(40_000)
        router.noteError(count: 3)
        #expect(router.errorsLastMinute() == 5)
        clock.set(69_999)
        #expect(router.errorsLastMinute() == 5)
        clock.set(70_000)  // the second holding t=10 s has left the window
        #expect(router.errorsLastMinute() == 3)
        clock.set(100_000)
        #expect(router.errorsLastMinute() == 0)
        let stats = router.stats()
        #expect(stats.raised == 2 && stats.suppressed == 1 && stats.errorsLastMinute == 0)
    }

    @Test func prometheusTextListsEveryCounter() async throws {
        let clock = ManualClock(0)
        let router = AlertRouter(sinks: [RecordingSink(name: "a\"b")], logger: Self.quietLogger(), nowMs: clock.closure)
        router.raise(Alert(.storeDown, logReference: "1"))
        router.raise(Alert(.storeDown, logReference: "1"))
        await router.waitUntilIdle()
        let text = router.stats().prometheusText()
        for line in [
            "# TYPE tickline_alerts_raised_total counter", "tickline_alerts_raised_total 2",
            "tickline_alerts_dispatched_total 1", "tickline_alerts_suppressed_total 1",
            #"tickline_alerts_sent_total{sink="a\"b"} 1"#, #"tickline_alerts_failed_total{sink="a\"b"} 0"#,
            #"tickline_alerts_timeouts_total{sink="a\"b"} 0"#, #"tickline_alerts_dropped_total{sink="a\"b"} 0"#,
            #"tickline_alerts_queued{sink="a\"b"} 0"#,
            "# TYPE tickline_errors_per_minute gauge", "tickline_errors_per_minute 2",
        ] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "missing: \(line)")
        }
    }

    // MARK: - SMTP against aiosmtpd

    static let venvHint = "Tests/clients/venvs.sh control (run in \(repoRoot.path); make test does it)"

    /// The control venv's python, created on first use by `Tests/clients/venvs.sh control`.
    static let python: Result<URL, Failure> = {
        let script = repoRoot.appendingPathComponent("Tests/clients/venvs.sh")
        do {
            let run = try runChildProcess(URL(fileURLWithPath: "/bin/bash"), [script.path, "control"])
            let dir = run.out.trimmingCharacters(in: .whitespacesAndNewlines)
            guard run.status == 0, !dir.isEmpty else {
                return .failure(Failure(description: "venvs.sh control failed (\(run.status)): \(run.err)"))
            }
            return .success(URL(fileURLWithPath: dir).appendingPathComponent("bin/python"))
        } catch {
            return .failure(Failure(description: "venvs.sh control: \(error)"))
        }
    }()

    /// Runs blocking work (child processes, pipe reads) on its own thread, not on one of the
    /// few threads of Swift concurrency's pool that the other tests' sends need.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// `Scripts/smtp_receiver.py` as a child process; killed on deinit (SIGKILL: a child
    /// spawned from a pool thread inherits a mask that blocks SIGTERM until the script clears it).
    final class SMTPReceiver: @unchecked Sendable {
        static func start(rejectRecipientsContaining reject: String? = nil) async throws -> SMTPReceiver {
            try await AlertTests.offPool { try SMTPReceiver(rejectRecipientsContaining: reject) }
        }

        let process = Process()
        let port: Int
        let directory: URL

        init(rejectRecipientsContaining reject: String? = nil) throws {
            let python = try AlertTests.python.get()
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("tickline-smtp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let script = AlertTests.repoRoot.appendingPathComponent("Tests/TicklineControlTests/Scripts/smtp_receiver.py")
            process.executableURL = python
            process.arguments = [script.path, directory.path, "--max-seconds", "60"]
                + (reject.map { ["--reject-rcpt", $0] } ?? [])
            let out = Pipe()
            let errURL = directory.appendingPathComponent("stderr.txt")
            _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
            process.standardOutput = out
            process.standardError = try FileHandle(forWritingTo: errURL)
            try process.run()
            let line = readFirstLine(out.fileHandleForReading.fileDescriptor)
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                process.waitUntilExit()
                let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
                throw Failure(description: "smtp_receiver.py printed no port; stderr: \(stderr)\nvenv: \(AlertTests.venvHint)")
            }
            self.port = port
        }

        /// The messages received so far, in order.
        func messages() throws -> [[String: Any]] {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".json") }
                .sorted { Int($0.dropLast(5)) ?? 0 < Int($1.dropLast(5)) ?? 0 }
            return try names.map { name in
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw Failure(description: "\(name) is not an object")
                }
                return object
            }
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test(.timeLimit(.minutes(2))) func smtpDeliversToAiosmtpd() async throws {
        let receiver = try await SMTPReceiver.start()
        let sink = SMTPAlertSink(host: "127.0.0.1", port: receiver.port, from: "alerts@tickline.test",
                                 to: ["ops@tickline.test", "oncall@tickline.test"], heloName: "engine-1.tickline.test",
                                 source: "engine-1")
        let router = AlertRouter(sinks: [sink], options: Self.patient, logger: Self.quietLogger())
        // Lines that need dot-stuffing: a lone ".", a leading "." and a leading "..".
        let remediation = "Reduce exposure.\n.\n.hidden line\n..two dots\nlast line"
        router.raise(Self.marginCall(summary: "Margin call — account 1 at 92 %", remediation: remediation))
        await router.waitUntilIdle()
        #expect(router.stats().sinks[0].sent == 1, "\(router.stats().sinks[0].lastError ?? "")")

        let messages = try receiver.messages()
        try #require(messages.count == 1)
        let m = messages[0]
        #expect(m["mail_from"] as? String == "alerts@tickline.test")
        #expect(m["rcpt_tos"] as? [String] == ["ops@tickline.test", "oncall@tickline.test"])
        #expect(m["helo"] as? String == "engine-1.tickline.test")
        // A UTF-8 body goes out 8bit, announced with BODY=8BITMIME (aiosmtpd offers 8BITMIME).
        #expect((m["mail_options"] as? [String] ?? []).contains("BODY=8BITMIME"))
        #expect(m["content_type"] as? String == "text/plain")
        #expect(m["charset"] as? String == "utf-8")
        #expect(m["transfer_encoding"] as? String == "8bit")
        #expect(m["date_utc"] as? String == "2025-11-25T12:09:00+00:00")

        let headers = m["headers"] as? [String: String] ?? [:]
        #expect(headers["From"] == "Tickline <alerts@tickline.test>")
        #expect(headers["To"] == "ops@tickline.test, oncall@tickline.test")
        #expect(headers["Subject"] == "[Tickline] CRITICAL: Margin call — account 1 at 92 %")
        #expect(headers["Date"] == "Tue, 25 Nov 2025 12:09:00 +0000")
        #expect(headers["MIME-Version"] == "1.0")
        let messageID = headers["Message-ID"] ?? ""
        #expect(messageID.hasPrefix("<tickline.1764072540123.") && messageID.hasSuffix("@tickline.test>"), "\(messageID)")
        #expect(headers["X-Tickline-Alert-Key"] == "margin_call:account=1")

        let body = (m["body"] as? String ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "CRITICAL: Margin call — account 1 at 92 %")
        // What went in comes out: the receiver undid exactly the stuffing the client added.
        let remediationLines = ["Remediation:", "Reduce exposure.", ".", ".hidden line", "..two dots", "last line"]
        let start = lines.firstIndex(of: "Remediation:")
        try #require(start != nil)
        #expect(Array(lines[start!..<(start! + remediationLines.count)]) == remediationLines)
        for expected in [
            "Impact:", AlertKind.marginCall.impact, "Log reference: req=7f3a ts=2025-11-25T12:09:00.120Z",
            "Alert key: margin_call:account=1", "Component: risk", "Time:      2025-11-25T12:09:00.123Z",
            "Source:    engine-1", "Context:", "  account: 1", "  symbol: BTCUSDT", "  trade_id: 42",
        ] {
            #expect(lines.contains(expected), "missing body line: \(expected)")
        }
        withExtendedLifetime(receiver) {}
    }

    @Test(.timeLimit(.minutes(2))) func smtpRefusedRecipients() async throws {
        let receiver = try await SMTPReceiver.start(rejectRecipientsContaining: "nobody")
        let partly = SMTPAlertSink(name: "smtp-partly", host: "127.0.0.1", port: receiver.port, from: "alerts@tickline.test",
                                   to: ["nobody@tickline.test", "ops@tickline.test"], source: "e",
                                   logger: Self.quietLogger())
        let none = SMTPAlertSink(name: "smtp-none", host: "127.0.0.1", port: receiver.port, from: "alerts@tickline.test",
                                 to: ["nobody@tickline.test"], source: "e", logger: Self.quietLogger())
        let router = AlertRouter(sinks: [partly, none], options: Self.patient, logger: Self.quietLogger())
        router.raise(Alert(.storeDown, logReference: "req=1", timeMs: 0))
        await router.waitUntilIdle()

        let stats = router.stats().sinks
        #expect(stats.map(\.sent) == [1, 0])
        #expect(stats.map(\.failed) == [0, 1])
        #expect(stats[1].lastError?.hasPrefix("SMTP RCPT TO: 550") == true, "\(stats[1].lastError ?? "")")
        let messages = try receiver.messages()
        try #require(messages.count == 1)
        #expect(messages[0]["rcpt_tos"] as? [String] == ["ops@tickline.test"])
        // ASCII only: 7bit, no BODY=8BITMIME.
        #expect(messages[0]["transfer_encoding"] as? String == "7bit")
        #expect(!((messages[0]["mail_options"] as? [String] ?? []).contains("BODY=8BITMIME")))
        withExtendedLifetime(receiver) {}
    }

    // MARK: - Pure parts

    @Test func messageCompositionWithoutEightBitMIME() throws {
        let alert = Self.marginCall(summary: "Marge — \r\nBcc: evil@x.test")
        let message = SMTPAlertMessage.compose(
            alert, from: "a@b.test", fromName: "Tickline", to: ["c@d.test"], subjectPrefix: "[T]", source: "s",
            domain: "b.test", eightBitAllowed: false, messageID: "<id@b.test>")
        #expect(!message.needsEightBitMIME)
        let (head, body) = try #require(message.text.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init)
            .splitPair())
        // CR/LF in the summary cannot start a new header.
        #expect(!head.contains("\r\nBcc:"))
        #expect(head.contains("Content-Transfer-Encoding: base64"))
        #expect(head.contains("Subject: =?utf-8?B?"))
        let decoded = String(decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: ""))!, as: UTF8.self)
        #expect(decoded.hasPrefix("CRITICAL: Marge — \r\nBcc: evil@x.test\r\n"))
        #expect(body.split(separator: "\r\n").allSatisfy { $0.count <= 76 })
    }

    @Test func dotStuffing() {
        #expect(SMTPAlertMessage.dotStuffed("a\r\n.\r\n.b\r\n..c\r\nd.") == "a\r\n..\r\n..b\r\n...c\r\nd.")
        #expect(SMTPAlertMessage.dotStuffed(".first") == "..first")
    }

    @Test func encodedWordsStayShortAndDecode() {
        let subject = String(repeating: "€", count: 40)
        let words = SMTPAlertMessage.encodedWords(subject)
        let parts = words.components(separatedBy: "\r\n ")
        #expect(parts.count > 1 && parts.allSatisfy { $0.count <= 75 })
        let decoded = parts.map { part -> String in
            let b64 = part.dropFirst("=?utf-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(b64))!, as: UTF8.self)
        }.joined()
        #expect(decoded == subject)
        #expect(SMTPAlertMessage.encodedWords("plain") == "plain")
    }

    @Test func alertKindsBuildKeysFromTheirFields() {
        #expect(Alert(.marginCall, logReference: "r", context: ["account": "1", "symbol": "X"]).key == "margin_call:account=1")
        #expect(Alert(.orderFailure, logReference: "r", context: ["symbol": "BTCUSDT", "account": "3", "trade_id": "9"]).key
            == "order_failure:account=3,symbol=BTCUSDT")
        #expect(Alert(.storeDown, logReference: "r", context: ["path": "/var/lib"]).key == "store_down")
        #expect(Alert(.ipBanned, logReference: "r").key == "ip_banned")
        #expect(Alert(.exchangeAuthFailure, logReference: "r").key == "exchange_auth_failure")
        #expect(Alert(.monitoringFailure, logReference: "r", context: ["check": "metrics"]).key == "monitoring_failure:check=metrics")
        for kind in AlertKind.allCases {
            let alert = Alert(kind, logReference: "r")
            #expect(alert.severity == .critical && !alert.impact.isEmpty && !alert.remediation.isEmpty)
        }
    }

    @Test func timestampFormats() {
        #expect(AlertFormat.iso8601(ms: 0) == "1970-01-01T00:00:00.000Z")
        #expect(AlertFormat.iso8601(ms: 1_764_072_540_123) == "2025-11-25T12:09:00.123Z")
        #expect(AlertFormat.rfc5322(ms: 1_764_072_540_123) == "Tue, 25 Nov 2025 12:09:00 +0000")
        #expect(AlertFormat.rfc5322(ms: 951_782_400_000) == "Tue, 29 Feb 2000 00:00:00 +0000")
    }

    @Test func urlsParseAndRedact() throws {
        let slack = try #require(AlertURL("https://hooks.slack.com/services/T000/B000/XXXX"))
        #expect(slack.scheme == "https" && slack.host == "hooks.slack.com" && slack.port == 443)
        #expect(slack.pathAndQuery == "/services/T000/B000/XXXX")
        #expect(slack.description == "https://hooks.slack.com:443/…")
        let local = try #require(AlertURL("http://127.0.0.1:8081?x=1#frag"))
        #expect(local.port == 8081 && local.pathAndQuery == "/?x=1" && local.hostHeader == "127.0.0.1:8081")
        let v6 = try #require(AlertURL("http://[::1]:9000/h"))
        #expect(v6.host == "::1" && v6.port == 9000 && v6.endpoint == "[::1]:9000")
        for bad in ["ftp://x", "http://", "http://user:pw@host/", "http://h:0/", "http://h:70000/", "hooks.slack.com/x"] {
            #expect(AlertURL(bad) == nil, "\(bad)")
        }
    }

    @Test func settingsValidateAndRedact() throws {
        var settings = AlertSettings(
            source: "engine-1",
            webhook: .init(url: "http://127.0.0.1:9/h", headers: ["Authorization": "Bearer secret-token"]),
            slack: .init(webhookURL: "https://hooks.slack.com/services/T/B/secret-path"),
            pagerDuty: .init(routingKey: "secret-routing-key"),
            smtp: .init(from: "alerts@tickline.test", to: ["ops@tickline.test"]))
        try settings.validate()
        let text = settings.description
        for secret in ["secret-token", "secret-path", "secret-routing-key"] { #expect(!text.contains(secret)) }
        let sinks = try settings.makeSinks()
        #expect(sinks.map(\.name) == ["webhook", "slack", "pagerduty", "smtp"])
        #expect((sinks[2] as? PagerDutyAlertSink)?.url.string == "https://events.pagerduty.com/v2/enqueue")

        settings.smtp?.to = []
        #expect(throws: AlertSettingsError(field: "smtp.to", message: "needs at least one recipient")) {
            try settings.validate()
        }
        settings.smtp?.to = ["ops@tickline.test\r\nRCPT TO:<x@y>"]
        #expect(throws: AlertSettingsError.self) { try settings.validate() }
        settings.smtp = nil
        settings.slack = .init(webhookURL: "hooks.slack.com/x")
        #expect((try? settings.validate()) == nil)
        settings.slack = nil
        settings.sendTimeoutMs = 0
        #expect((try? settings.validate()) == nil)

        let router = try AlertRouter(settings: AlertSettings(dedupWindowMs: 1_000, queueCapacity: 4, sendTimeoutMs: 200))
        #expect(router.options == .init(dedupWindowMs: 1_000, queueCapacity: 4, sendTimeoutMs: 200))
        #expect(router.stats().sinks.isEmpty)
    }
}

extension Array where Element == String {
    /// The two elements of a two-element array.
    fileprivate func splitPair() -> (String, String)? { count == 2 ? (self[0], self[1]) : nil }
}
