import Testing
import TicklineConfig

/// `[control]` and `[alerts]`: defaults, values, and the errors naming file, line and key.
@Suite struct ControlConfigTests {
    func error(_ text: String) -> String? {
        do {
            _ = try TicklineConfiguration.parse(text: text, file: "t.toml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func controlDefaultsAndValues() throws {
        let d = try TicklineConfiguration.parse(text: "", file: "t.toml").control
        #expect(d.enabled && d.host == "127.0.0.1" && d.port == 8080 && d.metricsPort == 9464)
        #expect(d.jwtSecretEnv == "TICKLINE_JWT_SECRET" && d.jwtSecretFile == nil && d.healthIntervalSeconds == 30)
        #expect(d.wsPingIntervalSeconds == 30 && d.wsPongTimeoutSeconds == 5 && d.wsMaxMissedPongs == 3 && d.wsSendQueue == 1024)
        let c = try TicklineConfiguration.parse(text: """
            [control]
            host = "0.0.0.0"
            port = 18080
            metrics_port = 19464
            jwt_secret_file = "/etc/tickline/jwt"
            ws_ping_interval_s = 10
            """, file: "t.toml").control
        #expect(c.host == "0.0.0.0" && c.port == 18080 && c.metricsPort == 19464 && c.jwtSecretFile == "/etc/tickline/jwt")
        #expect(c.wsPingIntervalSeconds == 10)
        #expect(error("[control]\nport = 9464\n") == "t.toml:2: control.port: must differ from control.metrics_port (9464)")
        #expect(error("[control]\nmetrics_port = 8080\n") == "t.toml:2: control.metrics_port: must differ from control.port")
        #expect(error("[control]\nport = 70000\n") == "t.toml:2: control.port: must be an integer in 0...65535")
        #expect(error("[control]\nsecret = \"x\"\n")?.contains("secret") == true)
    }

    @Test func alertsValues() throws {
        #expect(try TicklineConfiguration.parse(text: "", file: "t.toml").alerts == AlertsConfig())
        let a = try TicklineConfiguration.parse(text: """
            [alerts]
            webhook_url = "http://127.0.0.1:9000/hooks"
            slack_webhook_env = "TICKLINE_SLACK_WEBHOOK"
            pagerduty_routing_key_env = "TICKLINE_PAGERDUTY_KEY"
            smtp_host = "127.0.0.1"
            smtp_port = 2525
            smtp_from = "tickline@example.com"
            smtp_to = ["ops@example.com", "risk@example.com"]
            dedup_window_s = 600
            """, file: "t.toml").alerts
        #expect(a.webhookURL == "http://127.0.0.1:9000/hooks" && a.slackWebhookEnv == "TICKLINE_SLACK_WEBHOOK")
        #expect(a.pagerDutyRoutingKeyEnv == "TICKLINE_PAGERDUTY_KEY" && a.smtpPort == 2525)
        #expect(a.smtpTo == ["ops@example.com", "risk@example.com"] && a.dedupWindowSeconds == 600)
        #expect(error("[alerts]\nsmtp_host = \"127.0.0.1\"\n")?.contains("smtp_host, smtp_from and smtp_to go together") == true)
        #expect(error("[alerts]\nslack_webhook = \"https://hooks.slack.com/x\"\n")?.contains("slack_webhook") == true,
                "a secret in the file is an unknown key")
    }
}
