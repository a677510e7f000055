#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How urgent an alert is. Every kind in `AlertKind` is `critical` unless the caller says
/// otherwise; PagerDuty receives the raw value (`critical` / `warning` / `info` are all valid
/// Events API v2 severities).
public enum AlertSeverity: String, Sendable, Hashable, Codable, CaseIterable {
    case critical
    case warning
    case info
}

/// One alert for the people running the engine: what broke, what it costs, what to do, and
/// where in the log to look.
///
/// `key` is the deduplication key: `AlertRouter` delivers a given key at most once per window
/// (5 minutes by default) and PagerDuty receives it as `dedup_key`, so it should name the
/// condition, not the occurrence — `"store_down"`, `"margin_call:account=1"` — never a request id
/// or a timestamp (those belong in `logReference` and `context`).
///
/// Plain values only; building one costs a few small strings, which is fine on the cold path
/// where alerts are raised (the control plane's log/alert pipeline, never a data-plane stage).
public struct Alert: Sendable, Hashable {
    /// The deduplication key (also PagerDuty's `dedup_key`; keep it ≤ 255 UTF-8 bytes).
    public var key: String
    public var severity: AlertSeverity
    /// One line: what happened.
    public var summary: String
    /// The part of the system that raised it: `store`, `execution`, `risk`, `control`…
    public var component: String
    /// What the failure costs while it lasts.
    public var impact: String
    /// What an operator should do about it.
    public var remediation: String
    /// Where to look in the log: the record's request id and/or timestamp.
    public var logReference: String
    /// When the condition was observed, Unix epoch milliseconds (wall clock).
    public var timeMs: Int64
    /// Extra facts — account, symbol, trade id, error code. Rendered sorted by key.
    public var context: [String: String]

    public init(
        key: String, severity: AlertSeverity = .critical, summary: String, component: String,
        impact: String, remediation: String, logReference: String,
        timeMs: Int64 = Alert.wallClockMs(), context: [String: String] = [:]
    ) {
        self.key = key
        self.severity = severity
        self.summary = summary
        self.component = component
        self.impact = impact
        self.remediation = remediation
        self.logReference = logReference
        self.timeMs = timeMs
        self.context = context
    }

    /// `context` as (name, value) pairs sorted by name: the order every sink renders.
    public var sortedContext: [(name: String, value: String)] {
        context.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// The current wall-clock time in Unix epoch milliseconds (`CLOCK_REALTIME`).
    public static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

// MARK: - The catalogue of critical conditions

/// The critical conditions the engine alerts on, each with a default component, summary,
/// impact and remediation, so a call site only adds what it knows (account, symbol, error code,
/// log reference).
public enum AlertKind: String, Sendable, Hashable, CaseIterable {
    /// The journal/LMDB store cannot commit.
    case storeDown = "store_down"
    /// Signed exchange requests are refused (bad key/secret, IP whitelist, permissions, clock).
    case exchangeAuthFailure = "exchange_auth_failure"
    /// A monitoring path failed: metrics, health, event publishing, a watchdog.
    case monitoringFailure = "monitoring_failure"
    /// An order could not be placed, amended or cancelled.
    case orderFailure = "order_failure"
    /// An account crossed the margin-call threshold.
    case marginCall = "margin_call"
    /// The exchange answered HTTP 418: this IP is banned for ignoring 429s.
    case ipBanned = "ip_banned"

    /// Context fields that become part of the dedup key when present, so that, say, margin
    /// calls on two accounts are two alerts but repeats on one account are one.
    public var keyFields: [String] {
        switch self {
        case .storeDown, .ipBanned: []
        case .exchangeAuthFailure, .marginCall: ["account"]
        case .orderFailure: ["account", "symbol"]
        case .monitoringFailure: ["check"]
        }
    }

    public var component: String {
        switch self {
        case .storeDown: "store"
        case .exchangeAuthFailure, .orderFailure, .ipBanned: "execution"
        case .monitoringFailure: "control"
        case .marginCall: "risk"
        }
    }

    public var defaultSummary: String {
        switch self {
        case .storeDown: "Store down: journal commits are failing"
        case .exchangeAuthFailure: "Exchange authentication failure"
        case .monitoringFailure: "Monitoring failure"
        case .orderFailure: "Order failure"
        case .marginCall: "Margin call"
        case .ipBanned: "Exchange IP ban (HTTP 418)"
        }
    }

    public var impact: String {
        switch self {
        case .storeDown:
            "Orders, fills and positions are not being persisted: a crash or restart now loses state, and "
                + "start-up reconciliation will have to rebuild it from the exchange."
        case .exchangeAuthFailure:
            "Signed requests are refused: the engine cannot place, cancel or protect orders, and open "
                + "positions are unmanaged until authentication works again."
        case .monitoringFailure:
            "A monitoring path is not working: other failures may go unnoticed and dashboards may show "
                + "stale values."
        case .orderFailure:
            "An order was not placed, amended or cancelled as intended: the position, or its stop-loss / "
                + "take-profit, may differ from what the strategy expects."
        case .marginCall:
            "The account's margin ratio is past the margin-call threshold: its positions are at risk of "
                + "liquidation."
        case .ipBanned:
            "Every REST request from this IP is refused until the ban expires (Binance scales bans from "
                + "2 minutes up to 3 days for repeat offenders): no orders, no cancels, no account sync."
        }
    }

    public var remediation: String {
        switch self {
        case .storeDown:
            "Check free space and permissions of the store path and the log for MDB_MAP_FULL / EIO; "
                + "disable trading until commits succeed, then restart so the journal is reconciled."
        case .exchangeAuthFailure:
            "Check the API key and secret in the environment, the key's IP whitelist and futures "
                + "permission, and the host clock (code -1021 means timestamp drift); rotate the key if it "
                + "was revoked."
        case .monitoringFailure:
            "Check the control plane's log and /health; verify Prometheus still scrapes the metrics port; "
                + "restart the control plane if it stopped answering."
        case .orderFailure:
            "Compare open orders and positions on the exchange with the engine's; place or cancel the "
                + "protective orders by hand if needed; the exchange error code is in the referenced log line."
        case .marginCall:
            "Reduce exposure (close or shrink positions) or add margin; check how the risk stage handled "
                + "the margin call in the referenced log line."
        case .ipBanned:
            "Stop all REST traffic until the Retry-After time; find what exceeded the request weight (the "
                + "weight counters are in the log) before resuming. Restarting in a loop extends the ban."
        }
    }

    /// `rawValue`, then `:field=value` pairs for the `keyFields` present in `context`, joined with
    /// commas: `margin_call:account=1`, `order_failure:account=1,symbol=BTCUSDT`.
    public func key(context: [String: String]) -> String {
        let parts = keyFields.compactMap { field in context[field].map { "\(field)=\($0)" } }
        return parts.isEmpty ? rawValue : rawValue + ":" + parts.joined(separator: ",")
    }
}

extension Alert {
    /// An alert of a catalogued kind: key from `kind.key(context:)`, and the kind's component,
    /// summary, impact and remediation unless given.
    public init(
        _ kind: AlertKind, summary: String? = nil, logReference: String,
        context: [String: String] = [:], severity: AlertSeverity = .critical,
        impact: String? = nil, remediation: String? = nil, timeMs: Int64 = Alert.wallClockMs()
    ) {
        self.init(
            key: kind.key(context: context), severity: severity, summary: summary ?? kind.defaultSummary,
            component: kind.component, impact: impact ?? kind.impact,
            remediation: remediation ?? kind.remediation, logReference: logReference, timeMs: timeMs,
            context: context)
    }
}
