/// Posts to a Slack incoming webhook (or anything that takes its payload: Mattermost,
/// Rocket.Chat): `text` — the notification and fallback line — plus Block Kit `blocks` with the
/// details.
///
/// Blocks, in order: a `header` (severity and summary), a `section` of `fields` (component,
/// key, time, source, then context values; at most 10, the rest go into a context section), an
/// Impact section, a Remediation section, and a `context` block with the log reference.
/// Slack's limits are enforced by truncation (header 150 characters, section text 3000, field
/// 2000 — https://api.slack.com/reference/block-kit/blocks) and `&`, `<`, `>` are escaped as
/// Slack's mrkdwn requires (https://api.slack.com/reference/surfaces/formatting#escaping).
///
/// The webhook URL is a secret (it is the credential): only its host is ever logged.
public struct SlackAlertSink: AlertSink {
    public let name: String
    public let url: AlertURL
    let source: String
    let transport: any AlertHTTPTransport

    public init(name: String = "slack", url: AlertURL, source: String,
                transport: any AlertHTTPTransport = DefaultAlertHTTPTransport()) {
        self.name = name
        self.url = url
        self.source = source
        self.transport = transport
    }

    public func send(_ alert: Alert, timeoutMs: Int64) async throws {
        // Slack answers 200 "ok"; errors are 4xx with a short reason ("invalid_payload", "no_service").
        _ = try await transport.postJSON(url, body: Self.payload(for: alert, source: source), timeoutMs: timeoutMs)
    }

    struct Text: Encodable {
        let type: String
        let text: String
        var emoji: Bool? = nil
    }

    struct Block: Encodable {
        let type: String
        var text: Text? = nil
        var fields: [Text]? = nil
        var elements: [Text]? = nil
    }

    struct Message: Encodable {
        let text: String
        let blocks: [Block]
    }

    static func emoji(_ severity: AlertSeverity) -> String {
        switch severity {
        case .critical: ":rotating_light:"
        case .warning: ":warning:"
        case .info: ":information_source:"
        }
    }

    /// `&`, `<`, `>` as Slack's mrkdwn wants them.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func markdown(_ text: String, max: Int) -> Text {
        Text(type: "mrkdwn", text: AlertFormat.truncate(text, maxCharacters: max))
    }

    /// The JSON body for `alert`.
    public static func payload(for alert: Alert, source: String) -> [UInt8] {
        let severity = alert.severity.rawValue.uppercased()
        let headline = "\(severity): \(alert.summary)"
        var fields = [
            markdown("*Component*\n\(escape(alert.component))", max: 2000),
            markdown("*Alert key*\n`\(escape(alert.key))`", max: 2000),
            markdown("*Time*\n\(AlertFormat.iso8601(ms: alert.timeMs))", max: 2000),
            markdown("*Source*\n\(escape(source))", max: 2000),
        ]
        var overflow: [String] = []
        for (name, value) in alert.sortedContext {
            if fields.count < 10 {
                fields.append(markdown("*\(escape(name))*\n\(escape(value))", max: 2000))
            } else {
                overflow.append("*\(escape(name))*: \(escape(value))")
            }
        }
        var blocks = [
            Block(type: "header", text: Text(
                type: "plain_text", text: AlertFormat.truncate("\(emoji(alert.severity)) \(headline)", maxCharacters: 150),
                emoji: true)),
            Block(type: "section", fields: fields),
        ]
        if !overflow.isEmpty {
            blocks.append(Block(type: "section", text: markdown(overflow.joined(separator: "\n"), max: 3000)))
        }
        blocks.append(Block(type: "section", text: markdown("*Impact*\n\(escape(alert.impact))", max: 3000)))
        blocks.append(Block(type: "section", text: markdown("*Remediation*\n\(escape(alert.remediation))", max: 3000)))
        blocks.append(Block(type: "context", elements: [
            markdown("Log reference: `\(escape(alert.logReference))`", max: 2000)
        ]))
        let text = "\(emoji(alert.severity)) [\(severity)] \(escape(alert.summary)) (\(escape(alert.component)))"
        return AlertJSON.encode(Message(text: AlertFormat.truncate(text, maxCharacters: 3000), blocks: blocks))
    }
}
