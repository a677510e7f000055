import Foundation
import Logging
import TicklineConfig
import TicklineCore

/// Turns the engine's critical moments into alerts (US-SYSTEM-012): the stages' log records
/// (seen on the log thread through `LogDrainAgent`'s observer) and the health monitor's "down".
/// Error-level records count towards the errors-per-minute figure.
///
/// | record | alert |
/// |---|---|
/// | `storeDegraded` | `store_down` |
/// | `venueBanned` (418) | `ip_banned` |
/// | `marginCallAlert` | `margin_call:account=N` |
/// | `orderRejected` with -2014 / -2015 / -1022 (key or signature refused) | `exchange_auth_failure` |
/// | `orderRejected` at error level (margin) | `order_failure` |
/// | a health component down (3 failed checks) | `monitoring_failure:check=NAME` |
public final class AlertRelay: Sendable {
    public let router: AlertRouter

    public init(router: AlertRouter) {
        self.router = router
    }

    /// The router for `[alerts]` (secrets read from the environment variables it names).
    public static func router(_ config: AlertsConfig, environment: [String: String] = ProcessInfo.processInfo.environment,
                              logger: Logger) throws -> AlertRouter {
        var settings = AlertSettings(dedupWindowMs: Int64(config.dedupWindowSeconds) * 1000)
        if let url = config.webhookURL { settings.webhook = .init(url: url) }
        func secret(_ variable: String?) throws -> String? {
            guard let variable else { return nil }
            guard let value = environment[variable], !value.isEmpty else {
                throw AlertSettingsError(field: variable, message: "environment variable \(variable) is not set")
            }
            return value
        }
        if let url = try secret(config.slackWebhookEnv) { settings.slack = .init(webhookURL: url) }
        if let key = try secret(config.pagerDutyRoutingKeyEnv) {
            settings.pagerDuty = .init(routingKey: key, url: config.pagerDutyURL ?? PagerDutyAlertSink.defaultURL)
        }
        if let host = config.smtpHost, let from = config.smtpFrom {
            settings.smtp = .init(host: host, port: config.smtpPort, from: from, to: config.smtpTo)
        }
        try settings.validate()
        return AlertRouter(sinks: try settings.makeSinks(), options: .init(dedupWindowMs: settings.dedupWindowMs),
                           logger: logger)
    }

    /// The log thread's observer: raises the alert a record stands for, counts errors.
    public func observe(_ record: LogRecord, message: String) {
        if record.level >= .error { router.noteError() }
        guard let alert = Self.alert(for: record, message: message) else { return }
        router.raise(alert)
    }

    /// The alert `record` stands for, if any.
    public static func alert(for record: LogRecord, message: String, timeMs: Int64 = Alert.wallClockMs()) -> Alert? {
        let reference = "code=\(record.code.rawValue) stage=\(record.stage.name) mono_ns=\(record.timeNs)"
        switch record.code {
        case .storeDegraded:
            return Alert(.storeDown, summary: message, logReference: reference, timeMs: timeMs)
        case .venueBanned:
            return Alert(.ipBanned, summary: message, logReference: reference, timeMs: timeMs)
        case .marginCallAlert:
            return Alert(.marginCall, summary: message, logReference: reference,
                         context: ["account": "\(record.argument(0).value)"], timeMs: timeMs)
        case .orderRejected:
            let code = record.argument(1).value
            if [-2014, -2015, -1022].contains(code) {
                return Alert(.exchangeAuthFailure, summary: message, logReference: reference, timeMs: timeMs)
            }
            guard record.level >= .error else { return nil }
            return Alert(.orderFailure, summary: message, logReference: reference,
                         context: ["order": "\(record.argument(0).value)"], timeMs: timeMs)
        default:
            return nil
        }
    }

    /// The health monitor's "down" (three failed checks in a row) as `monitoring_failure`.
    public func componentDown(_ component: HealthMonitor.Component) {
        router.raise(Alert(.monitoringFailure, summary: "Health check \(component.name) down: \(component.lastError ?? "")",
                           logReference: "health component=\(component.name)", context: ["check": component.name]))
    }
}
