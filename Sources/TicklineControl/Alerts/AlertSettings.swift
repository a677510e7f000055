import Logging
import NIOCore
import NIOPosix

/// Where alerts go and how hard the router tries: a plain struct the TOML loader fills in.
/// Every sink is optional; with none the router still de-duplicates and counts.
///
/// Secrets (the Slack webhook URL, the PagerDuty routing key, webhook header values) are
/// redacted from `description`, so logging the settings is safe.
public struct AlertSettings: Sendable, Equatable, CustomStringConvertible {
    /// A generic JSON webhook (`WebhookAlertSink`).
    public struct Webhook: Sendable, Equatable {
        public var url: String
        /// Extra request headers, e.g. `Authorization: Bearer …`.
        public var headers: [String: String]

        public init(url: String, headers: [String: String] = [:]) {
            self.url = url
            self.headers = headers
        }
    }

    /// A Slack-compatible incoming webhook (`SlackAlertSink`). The URL is the credential.
    public struct Slack: Sendable, Equatable {
        public var webhookURL: String

        public init(webhookURL: String) { self.webhookURL = webhookURL }
    }

    /// PagerDuty Events API v2 (`PagerDutyAlertSink`).
    public struct PagerDuty: Sendable, Equatable {
        /// The integration key of an Events API v2 integration.
        public var routingKey: String
        public var url: String

        public init(routingKey: String, url: String = PagerDutyAlertSink.defaultURL) {
            self.routingKey = routingKey
            self.url = url
        }
    }

    /// A plain-SMTP relay (`SMTPAlertSink`: no TLS, no AUTH — a local or trusted relay).
    public struct SMTP: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// Envelope and header sender address.
        public var from: String
        /// Display name in `From:` (nil: the bare address).
        public var fromName: String?
        /// Recipients, one `RCPT TO` each.
        public var to: [String]
        /// The `EHLO` name (nil: this host's name).
        public var heloName: String?
        public var subjectPrefix: String

        public init(host: String = "127.0.0.1", port: Int = 25, from: String, fromName: String? = "Tickline",
                    to: [String], heloName: String? = nil, subjectPrefix: String = "[Tickline]") {
            self.host = host
            self.port = port
            self.from = from
            self.fromName = fromName
            self.to = to
            self.heloName = heloName
            self.subjectPrefix = subjectPrefix
        }
    }

    /// A repeated key is not delivered again within this window (ms).
    public var dedupWindowMs: Int64
    /// Per sink: alerts waiting or in flight before new ones are dropped.
    public var queueCapacity: Int
    /// Per send, connect included (ms).
    public var sendTimeoutMs: Int64
    /// Names this engine in the alerts (PagerDuty `source`, webhook `source`); nil: the host name.
    public var source: String?
    public var webhook: Webhook?
    public var slack: Slack?
    public var pagerDuty: PagerDuty?
    public var smtp: SMTP?

    public init(dedupWindowMs: Int64 = 300_000, queueCapacity: Int = 32, sendTimeoutMs: Int64 = 5_000,
                source: String? = nil, webhook: Webhook? = nil, slack: Slack? = nil, pagerDuty: PagerDuty? = nil,
                smtp: SMTP? = nil) {
        self.dedupWindowMs = dedupWindowMs
        self.queueCapacity = queueCapacity
        self.sendTimeoutMs = sendTimeoutMs
        self.source = source
        self.webhook = webhook
        self.slack = slack
        self.pagerDuty = pagerDuty
        self.smtp = smtp
    }

    /// Throws the first invalid field, named by its Swift path (`smtp.to`, `slack.webhookURL`).
    public func validate() throws(AlertSettingsError) {
        func fail(_ field: String, _ message: String) -> AlertSettingsError {
            AlertSettingsError(field: field, message: message)
        }
        guard dedupWindowMs >= 0 else { throw fail("dedupWindowMs", "must be ≥ 0") }
        guard (1...100_000).contains(queueCapacity) else { throw fail("queueCapacity", "must be in 1…100000") }
        guard (1...600_000).contains(sendTimeoutMs) else { throw fail("sendTimeoutMs", "must be in 1…600000") }
        if let source, source.isEmpty || source.contains(where: \.isNewline) {
            throw fail("source", "must be a non-empty single line")
        }
        if let webhook {
            guard AlertURL(webhook.url) != nil else { throw fail("webhook.url", "must be an http:// or https:// URL") }
            for (name, value) in webhook.headers {
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                      !value.contains(where: \.isNewline)
                else { throw fail("webhook.headers", "invalid header \(name)") }
            }
        }
        if let slack, AlertURL(slack.webhookURL) == nil {
            throw fail("slack.webhookURL", "must be an http:// or https:// URL")
        }
        if let pagerDuty {
            guard !pagerDuty.routingKey.isEmpty else { throw fail("pagerDuty.routingKey", "must not be empty") }
            guard AlertURL(pagerDuty.url) != nil else { throw fail("pagerDuty.url", "must be an http:// or https:// URL") }
        }
        if let smtp {
            guard !smtp.host.isEmpty else { throw fail("smtp.host", "must not be empty") }
            guard (1...65535).contains(smtp.port) else { throw fail("smtp.port", "must be in 1…65535") }
            guard Self.isMailbox(smtp.from) else { throw fail("smtp.from", "must be an ASCII address like alerts@example.com") }
            guard !smtp.to.isEmpty else { throw fail("smtp.to", "needs at least one recipient") }
            for address in smtp.to where !Self.isMailbox(address) {
                throw fail("smtp.to", "\(address) is not an ASCII address like ops@example.com")
            }
            if let helo = smtp.heloName, helo.isEmpty || !helo.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
                throw fail("smtp.heloName", "must be a host name")
            }
        }
    }

    /// `local@domain`, printable ASCII without spaces, angle brackets or line breaks.
    static func isMailbox(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@"), at != address.startIndex,
              address.index(after: at) != address.endIndex
        else { return false }
        return address.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    public var description: String {
        var parts = ["dedupWindowMs: \(dedupWindowMs)", "queueCapacity: \(queueCapacity)", "sendTimeoutMs: \(sendTimeoutMs)"]
        if let source { parts.append("source: \(source)") }
        if let webhook {
            let url = AlertURL(webhook.url)?.description ?? "<invalid>"
            parts.append("webhook: \(url) headers: \(webhook.headers.keys.sorted())")
        }
        if let slack { parts.append("slack: \(AlertURL(slack.webhookURL)?.description ?? "<invalid>")") }
        if let pagerDuty {
            parts.append("pagerDuty: \(AlertURL(pagerDuty.url)?.description ?? "<invalid>") routingKey: <redacted>")
        }
        if let smtp { parts.append("smtp: \(smtp.host):\(smtp.port) from: \(smtp.from) to: \(smtp.to)") }
        return "AlertSettings(" + parts.joined(separator: ", ") + ")"
    }
}

/// An invalid alert setting: which field, and why.
public struct AlertSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }
}

extension AlertSettings {
    /// The sinks these settings describe, in a fixed order: webhook, slack, pagerduty, smtp.
    public func makeSinks(transport: any AlertHTTPTransport = DefaultAlertHTTPTransport(),
                          group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                          logger: Logger = Logger(label: "tickline.alerts")) throws(AlertSettingsError) -> [any AlertSink] {
        try validate()
        let source = self.source ?? AlertFormat.hostName()
        var sinks: [any AlertSink] = []
        if let webhook, let url = AlertURL(webhook.url) {
            let headers = webhook.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
            sinks.append(WebhookAlertSink(url: url, headers: headers, source: source, transport: transport))
        }
        if let slack, let url = AlertURL(slack.webhookURL) {
            sinks.append(SlackAlertSink(url: url, source: source, transport: transport))
        }
        if let pagerDuty, let url = AlertURL(pagerDuty.url) {
            sinks.append(PagerDutyAlertSink(routingKey: pagerDuty.routingKey, url: url, source: source, transport: transport))
        }
        if let smtp {
            sinks.append(SMTPAlertSink(
                host: smtp.host, port: smtp.port, from: smtp.from, fromName: smtp.fromName, to: smtp.to,
                heloName: smtp.heloName, subjectPrefix: smtp.subjectPrefix, source: source, group: group, logger: logger))
        }
        return sinks
    }
}

extension AlertRouter {
    /// A router over the sinks `settings` describe, with its window, capacity and timeout.
    public convenience init(settings: AlertSettings, transport: any AlertHTTPTransport = DefaultAlertHTTPTransport(),
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            logger: Logger = Logger(label: "tickline.alerts"),
                            nowMs: @escaping @Sendable () -> Int64 = AlertRouter.monotonicMs) throws(AlertSettingsError) {
        let sinks = try settings.makeSinks(transport: transport, group: group, logger: logger)
        self.init(sinks: sinks,
                  options: Options(dedupWindowMs: settings.dedupWindowMs, queueCapacity: settings.queueCapacity,
                                   sendTimeoutMs: settings.sendTimeoutMs),
                  logger: logger, nowMs: nowMs)
    }
}
