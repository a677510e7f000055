/// A destination for alerts: a webhook, Slack, PagerDuty, an SMTP relay.
///
/// `AlertRouter` calls `send` from its own task for this sink, one alert at a time, never from
/// the thread that raised the alert. An implementation does the I/O, honours `timeoutMs` (the
/// router also cancels the task at the deadline; NIO and URLSession calls are closed or
/// cancelled then) and throws on failure — the router counts and logs what it throws, and the
/// caller never sees it. Sinks do not retry: a repeat of the condition after the router's dedup
/// window is the retry.
public protocol AlertSink: Sendable {
    /// A short label for metrics and logs (`webhook`, `slack`, `pagerduty`, `smtp`). Unique per
    /// router; never a URL (webhook URLs carry secrets).
    var name: String { get }

    /// Delivers one alert or throws; returns within about `timeoutMs`.
    func send(_ alert: Alert, timeoutMs: Int64) async throws
}

/// Why a send failed. Descriptions name hosts and ports but never a URL path or query, a
/// routing key or a header value (they carry secrets).
public enum AlertSendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No reply within the send timeout.
    case timedOut(timeoutMs: Int64)
    /// TCP connect failed (refused, unreachable, DNS).
    case connectFailed(endpoint: String, reason: String)
    /// The peer closed the connection before the exchange finished.
    case connectionClosed(endpoint: String)
    /// The HTTP endpoint answered outside 2xx. `bodyPrefix`: the first bytes of its answer.
    case httpStatus(Int, bodyPrefix: String)
    /// The SMTP server answered `code` where the client expected `expected`.
    case smtpReply(command: String, code: Int, text: String)
    /// A malformed reply (not SMTP, not HTTP).
    case protocolError(String)
    /// The URL's scheme cannot be served by the transport.
    case unsupportedScheme(String)
    /// Any other I/O error, as text.
    case io(String)

    public var description: String {
        switch self {
        case .timedOut(let ms): "timed out after \(ms) ms"
        case .connectFailed(let endpoint, let reason): "connect to \(endpoint) failed: \(reason)"
        case .connectionClosed(let endpoint): "\(endpoint) closed the connection early"
        case .httpStatus(let status, let body): "HTTP \(status): \(body)"
        case .smtpReply(let command, let code, let text): "SMTP \(command): \(code) \(text)"
        case .protocolError(let text): "protocol error: \(text)"
        case .unsupportedScheme(let scheme): "unsupported URL scheme \(scheme)"
        case .io(let text): text
        }
    }
}
