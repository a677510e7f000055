import TOMLKit

/// `[alerts]`: where critical alerts go (all optional; none configured: alerts are only logged).
/// Secrets — the Slack webhook URL, the PagerDuty routing key — come from environment variables
/// named here, never from the file.
///
/// ```toml
/// [alerts]
/// webhook_url = "http://127.0.0.1:9000/hooks/tickline"
/// slack_webhook_env = "TICKLINE_SLACK_WEBHOOK"
/// pagerduty_routing_key_env = "TICKLINE_PAGERDUTY_KEY"
/// smtp_host = "127.0.0.1"
/// smtp_port = 25
/// smtp_from = "tickline@example.com"
/// smtp_to = ["ops@example.com"]
/// dedup_window_s = 300
/// ```
public struct AlertsConfig: Sendable, Equatable {
    public var webhookURL: String?
    public var slackWebhookEnv: String?
    public var pagerDutyRoutingKeyEnv: String?
    public var pagerDutyURL: String?
    public var smtpHost: String?
    public var smtpPort = 25
    public var smtpFrom: String?
    public var smtpTo: [String] = []
    /// The same alert key is not sent again within this window.
    public var dedupWindowSeconds = 300

    public init() {}
}

extension TicklineConfiguration {
    static func parseAlerts(_ t: TOMLTable, in doc: TOMLDocument) throws(ConfigError) -> AlertsConfig {
        let path = "alerts"
        try doc.rejectUnknownKeys(in: t, allowed: [
            "webhook_url", "slack_webhook_env", "pagerduty_routing_key_env", "pagerduty_url", "smtp_host", "smtp_port",
            "smtp_from", "smtp_to", "dedup_window_s",
        ], path: path)
        var a = AlertsConfig()
        func text(_ key: String) throws(ConfigError) -> String? {
            guard let v = t[key] else { return nil }
            guard let s = v.string, !s.isEmpty else { throw doc.error("must be a non-empty string", key: key, table: path) }
            return s
        }
        a.webhookURL = try text("webhook_url")
        a.slackWebhookEnv = try text("slack_webhook_env")
        a.pagerDutyRoutingKeyEnv = try text("pagerduty_routing_key_env")
        a.pagerDutyURL = try text("pagerduty_url")
        a.smtpHost = try text("smtp_host")
        a.smtpFrom = try text("smtp_from")
        if let v = t["smtp_port"] {
            guard let n = v.int, (1...65_535).contains(n) else {
                throw doc.error("must be an integer in 1...65535", key: "smtp_port", table: path)
            }
            a.smtpPort = n
        }
        if let v = t["smtp_to"] {
            guard let arr = v.array, !arr.isEmpty else {
                throw doc.error("must be a non-empty list of addresses", key: "smtp_to", table: path)
            }
            for item in arr {
                guard let s = item.string, !s.isEmpty else { throw doc.error("must contain addresses", key: "smtp_to", table: path) }
                a.smtpTo.append(s)
            }
        }
        if (a.smtpHost != nil) != (a.smtpFrom != nil) || (a.smtpHost != nil && a.smtpTo.isEmpty) {
            throw doc.error("smtp_host, smtp_from and smtp_to go together", key: a.smtpHost == nil ? "smtp_from" : "smtp_host",
                            table: path)
        }
        if let v = t["dedup_window_s"] {
            guard let n = v.int, (0...86_400).contains(n) else {
                throw doc.error("must be an integer in 0...86400", key: "dedup_window_s", table: path)
            }
            a.dedupWindowSeconds = n
        }
        return a
    }
}
