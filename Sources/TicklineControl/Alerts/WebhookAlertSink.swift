import Foundation

/// POSTs the whole alert as one JSON object to a URL — for a generic receiver (an incident
/// tool, a chat bridge, a script).
///
/// The body (keys sorted; `schema` versions the shape):
/// ```json
/// {"component":"risk","context":{"account":"1"},"impact":"…","key":"margin_call:account=1",
///  "log_reference":"req=42 2025-11-25T12:09:00.123Z","remediation":"…","schema":"tickline.alert/1",
///  "severity":"critical","source":"host-1","summary":"Margin call","time":"2025-11-25T12:09:00.123Z",
///  "time_ms":1764072540123}
/// ```
/// Any 2xx answer is success. `headers` are sent as given (e.g. `Authorization`); they and the
/// URL's path are never logged.
public struct WebhookAlertSink: AlertSink {
    public let name: String
    public let url: AlertURL
    let headers: [(name: String, value: String)]
    let source: String
    let transport: any AlertHTTPTransport

    public init(name: String = "webhook", url: AlertURL, headers: [(name: String, value: String)] = [],
                source: String, transport: any AlertHTTPTransport = DefaultAlertHTTPTransport()) {
        self.name = name
        self.url = url
        self.headers = headers
        self.source = source
        self.transport = transport
    }

    public func send(_ alert: Alert, timeoutMs: Int64) async throws {
        _ = try await transport.postJSON(url, body: Self.payload(for: alert, source: source), extraHeaders: headers,
                                         timeoutMs: timeoutMs)
    }

    struct Payload: Encodable {
        let schema = "tickline.alert/1"
        let key: String
        let severity: String
        let summary: String
        let component: String
        let impact: String
        let remediation: String
        let logReference: String
        let time: String
        let timeMs: Int64
        let source: String
        let context: [String: String]

        enum CodingKeys: String, CodingKey {
            case schema, key, severity, summary, component, impact, remediation, time, source, context
            case logReference = "log_reference"
            case timeMs = "time_ms"
        }
    }

    /// The JSON body for `alert`.
    public static func payload(for alert: Alert, source: String) -> [UInt8] {
        let payload = Payload(
            key: alert.key, severity: alert.severity.rawValue, summary: alert.summary, component: alert.component,
            impact: alert.impact, remediation: alert.remediation, logReference: alert.logReference,
            time: AlertFormat.iso8601(ms: alert.timeMs), timeMs: alert.timeMs, source: source, context: alert.context)
        return AlertJSON.encode(payload)
    }
}

/// JSON encoding shared by the HTTP sinks: sorted keys, unescaped slashes. Encoding plain
/// strings and integers cannot fail, so a failure is a programmer error.
enum AlertJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("alert JSON encoding failed: \(error)")
        }
    }
}
