/// Triggers a PagerDuty incident through the Events API v2 (`POST /v2/enqueue`,
/// https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
///
/// The body:
/// ```json
/// {"client":"Tickline","dedup_key":"margin_call:account=1","event_action":"trigger",
///  "payload":{"class":"margin_call","component":"risk",
///             "custom_details":{"alert_key":"…","context":{"account":"1"},"impact":"…",
///                               "log_reference":"…","remediation":"…"},
///             "severity":"critical","source":"host-1","summary":"Margin call",
///             "timestamp":"2025-11-25T12:09:00.123Z"},
///  "routing_key":"…"}
/// ```
/// `dedup_key` is the alert key, so PagerDuty folds repeats into the open incident even when
/// they come after the router's dedup window. Limits from the API page: `summary` ≤ 1024
/// characters, `dedup_key` ≤ 255 (both truncated here). PagerDuty answers 202; 400 means an
/// invalid event, 429 throttling — counted as failures, not retried.
///
/// The routing key is a secret: it is sent in the body and never logged.
public struct PagerDutyAlertSink: AlertSink {
    public static let defaultURL = "https://events.pagerduty.com/v2/enqueue"

    public let name: String
    public let url: AlertURL
    let routingKey: String
    let source: String
    let transport: any AlertHTTPTransport

    public init(name: String = "pagerduty", routingKey: String, url: AlertURL = AlertURL(PagerDutyAlertSink.defaultURL)!,
                source: String, transport: any AlertHTTPTransport = DefaultAlertHTTPTransport()) {
        self.name = name
        self.url = url
        self.routingKey = routingKey
        self.source = source
        self.transport = transport
    }

    public func send(_ alert: Alert, timeoutMs: Int64) async throws {
        _ = try await transport.postJSON(
            url, body: Self.payload(for: alert, routingKey: routingKey, source: source), timeoutMs: timeoutMs)
    }

    struct Details: Encodable {
        let alertKey: String
        let impact: String
        let remediation: String
        let logReference: String
        let context: [String: String]

        enum CodingKeys: String, CodingKey {
            case impact, remediation, context
            case alertKey = "alert_key"
            case logReference = "log_reference"
        }
    }

    struct Payload: Encodable {
        let summary: String
        let source: String
        let severity: String
        let timestamp: String
        let component: String
        let eventClass: String
        let customDetails: Details

        enum CodingKeys: String, CodingKey {
            case summary, source, severity, timestamp, component
            case eventClass = "class"
            case customDetails = "custom_details"
        }
    }

    struct Event: Encodable {
        let routingKey: String
        let eventAction = "trigger"
        let dedupKey: String
        let client = "Tickline"
        let payload: Payload

        enum CodingKeys: String, CodingKey {
            case client, payload
            case routingKey = "routing_key"
            case eventAction = "event_action"
            case dedupKey = "dedup_key"
        }
    }

    /// The Events API v2 body for `alert`.
    public static func payload(for alert: Alert, routingKey: String, source: String) -> [UInt8] {
        let eventClass = alert.key.split(separator: ":", maxSplits: 1).first.map(String.init) ?? alert.key
        let event = Event(
            routingKey: routingKey, dedupKey: AlertFormat.truncate(alert.key, maxCharacters: 255),
            payload: Payload(
                summary: AlertFormat.truncate(alert.summary, maxCharacters: 1024), source: source,
                severity: alert.severity.rawValue, timestamp: AlertFormat.iso8601(ms: alert.timeMs),
                component: alert.component, eventClass: eventClass,
                customDetails: Details(
                    alertKey: alert.key, impact: alert.impact, remediation: alert.remediation,
                    logReference: alert.logReference, context: alert.context)))
        return AlertJSON.encode(event)
    }
}
