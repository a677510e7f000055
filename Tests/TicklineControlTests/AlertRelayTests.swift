import Foundation
import Logging
import Testing
@testable import TicklineControl
import TicklineConfig
import TicklineCore

/// The engine's critical log records as alerts, through a webhook to a local HTTP receiver: one
/// delivery per key within 5 minutes, again after; margin calls keyed per account; refused API
/// keys as authentication failures; error records counted per minute.
@Suite struct AlertRelayTests {
    static func record(_ code: LogCode, _ level: LogLevel, _ args: Int64...) -> LogRecord {
        var r = LogRecord(code: code, level: level, stage: .risk, timeNs: 42)
        for a in args { r.append(a) }
        return r
    }

    @Test func criticalRecordsBecomeAlertsOncePerKeyWithinFiveMinutes() async throws {
        try await AlertTests.withReceiver { port, captured in
            let clock = AlertTests.ManualClock()
            let router = AlertRouter(sinks: [WebhookAlertSink(url: AlertURL("http://127.0.0.1:\(port)/hooks")!, source: "test")],
                                     nowMs: clock.closure)
            let relay = AlertRelay(router: router)
            let degraded = Self.record(.storeDegraded, .critical, -30_792, 12)
            relay.observe(degraded, message: "Journal degraded (error -30792, 12 records held in memory)")
            clock.set(60_000)
            relay.observe(degraded, message: "again")  // within 5 min: suppressed
            relay.observe(Self.record(.marginCallAlert, .critical, 1, 10_850, 2), message: "Margin call on account 1")
            relay.observe(Self.record(.marginCallAlert, .critical, 2, 10_700, 1), message: "Margin call on account 2")
            relay.observe(Self.record(.orderRejected, .warning, 77, -2015), message: "Order 77 rejected by the venue: code -2015")
            relay.observe(Self.record(.orderRejected, .warning, 78, -2019), message: "a warning: no alert")
            await router.waitUntilIdle()
            clock.set(300_000)  // 5 min after the first
            relay.observe(degraded, message: "still degraded")
            await router.waitUntilIdle()

            let bodies = captured().compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
            let keys = bodies.compactMap { $0["key"] as? String }
            #expect(keys == ["store_down", "margin_call:account=1", "margin_call:account=2", "exchange_auth_failure", "store_down"])
            let first = try #require(bodies.first)
            #expect(first["summary"] as? String == "Journal degraded (error -30792, 12 records held in memory)")
            #expect(first["log_reference"] as? String == "code=\(LogCode.storeDegraded.rawValue) stage=risk mono_ns=42")
            #expect(first["severity"] as? String == "critical" && (first["remediation"] as? String)?.isEmpty == false)
            let stats = router.stats()
            #expect(stats.raised == 6 && stats.suppressed == 1 && stats.dispatched == 5)
            #expect(router.errorsLastMinute() >= 1)
        }
    }

    @Test func alertsConfigNamesItsSinksAndSecretsComeFromTheEnvironment() throws {
        var config = AlertsConfig()
        config.webhookURL = "http://127.0.0.1:9/hooks"
        config.slackWebhookEnv = "TEST_SLACK_URL"
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        #expect(throws: AlertSettingsError.self) { try AlertRelay.router(config, environment: [:], logger: logger) }
        let router = try AlertRelay.router(config, environment: ["TEST_SLACK_URL": "http://127.0.0.1:9/slack"], logger: logger)
        #expect(router.stats().sinks.map(\.name) == ["webhook", "slack"])
        #expect(try AlertRelay.router(AlertsConfig(), environment: [:], logger: logger).stats().sinks.isEmpty)
    }
}
