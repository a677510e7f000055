import TOMLKit

/// `[control]`: the control plane's servers (REST + WebSocket events, Prometheus metrics), its
/// JWT secret, the health loop and the WebSocket heartbeat.
public struct ControlSettings: Sendable, Equatable {
    public var enabled = true
    /// Address the servers bind (loopback by default: put a TLS proxy in front to expose them).
    public var host = "127.0.0.1"
    /// REST API, `/health` and WebSocket events (`/ws`).
    public var port = 8080
    /// Prometheus text exposition (`/metrics`).
    public var metricsPort = 9464
    /// The JWT HS256 secret: from this environment variable, else from `jwt_secret_file` (mode 0600).
    public var jwtSecretEnv = "TICKLINE_JWT_SECRET"
    public var jwtSecretFile: String?
    public var healthIntervalSeconds = 30
    public var wsPingIntervalSeconds = 30
    public var wsPongTimeoutSeconds = 5
    public var wsMaxMissedPongs = 3
    /// Messages a WebSocket client may have queued before it is disconnected as too slow.
    public var wsSendQueue = 1024
    /// Resident memory above which the health check reports the process degraded.
    public var memoryLimitMiB = 4096
    /// Market data older than this makes the market-stream check degraded.
    public var marketStaleSeconds = 60
    /// Requests per second per client address (token bucket; 0: no limit) and the burst above it.
    public var rateLimitPerSecond = 200
    public var rateLimitBurst = 400
    /// An HTTP connection that sends nothing for this long is closed (slow clients, slow-loris).
    public var idleTimeoutSeconds = 30

    public init() {}
}

extension TicklineConfiguration {
    static func parseControl(_ t: TOMLTable, in doc: TOMLDocument) throws(ConfigError) -> ControlSettings {
        let path = "control"
        try doc.rejectUnknownKeys(in: t, allowed: [
            "enabled", "host", "port", "metrics_port", "jwt_secret_env", "jwt_secret_file", "health_interval_s",
            "ws_ping_interval_s", "ws_pong_timeout_s", "ws_max_missed_pongs", "ws_send_queue", "memory_limit_mib",
            "market_stale_s", "rate_limit_per_s", "rate_limit_burst", "idle_timeout_s",
        ], path: path)
        var c = ControlSettings()
        if let v = t["enabled"] {
            guard let b = v.bool else { throw doc.error("must be true or false", key: "enabled", table: path) }
            c.enabled = b
        }
        func text(_ key: String) throws(ConfigError) -> String? {
            guard let v = t[key] else { return nil }
            guard let s = v.string, !s.isEmpty else { throw doc.error("must be a non-empty string", key: key, table: path) }
            return s
        }
        func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let v = t[key] else { return nil }
            guard let n = v.int, range.contains(n) else {
                throw doc.error("must be an integer in \(range.lowerBound)...\(range.upperBound)", key: key, table: path)
            }
            return n
        }
        if let s = try text("host") { c.host = s }
        if let n = try int("port", 0...65_535) { c.port = n }
        if let n = try int("metrics_port", 0...65_535) { c.metricsPort = n }
        if c.port != 0, c.port == c.metricsPort {
            if t["metrics_port"] != nil {
                throw doc.error("must differ from control.port", key: "metrics_port", table: path)
            }
            throw doc.error("must differ from control.metrics_port (\(c.metricsPort))", key: "port", table: path)
        }
        if let s = try text("jwt_secret_env") { c.jwtSecretEnv = s }
        if let s = try text("jwt_secret_file") { c.jwtSecretFile = s }
        if let n = try int("health_interval_s", 1...3_600) { c.healthIntervalSeconds = n }
        if let n = try int("ws_ping_interval_s", 1...3_600) { c.wsPingIntervalSeconds = n }
        if let n = try int("ws_pong_timeout_s", 1...600) { c.wsPongTimeoutSeconds = n }
        if let n = try int("ws_max_missed_pongs", 1...100) { c.wsMaxMissedPongs = n }
        if let n = try int("ws_send_queue", 16...1_000_000) { c.wsSendQueue = n }
        if let n = try int("memory_limit_mib", 64...1 << 20) { c.memoryLimitMiB = n }
        if let n = try int("market_stale_s", 1...86_400) { c.marketStaleSeconds = n }
        if let n = try int("rate_limit_per_s", 0...1_000_000) { c.rateLimitPerSecond = n }
        if let n = try int("rate_limit_burst", 1...1_000_000) { c.rateLimitBurst = n }
        if let n = try int("idle_timeout_s", 1...3_600) { c.idleTimeoutSeconds = n }
        return c
    }
}
