import TOMLKit

/// `[store]`: where LMDB keeps the journal (trades, orders, fills, snapshots — synced at every
/// commit) and the market data (candles, signals — synced every `market_sync_ms`).
public struct StoreSettings: Sendable, Equatable {
    /// Keep the journal at all (`false`: the journal rings are counted and dropped, e.g. for a
    /// throw-away run).
    public var enabled = true
    /// Directory holding the `journal/` and `market/` environments; created if missing.
    public var directory = "data"
    /// Sparse map sizes (growth on MDB_MAP_FULL is automatic).
    public var journalMapMiB = 8 << 10
    public var marketMapMiB = 32 << 10
    public var marketSyncMs = 1000
    /// Days each table keeps before the daily retention job archives and deletes (≤ 0: forever).
    public var retentionSnapshotsDays = 365
    public var retentionCandlesDays = 365
    public var retentionSignalsDays = 90
    /// The daily retention run, UTC ("HH:MM"), as minutes after midnight.
    public var retentionMinuteOfDay = 3 * 60

    public init() {}
}

extension TicklineConfiguration {
    static func parseStore(_ t: TOMLTable, in doc: TOMLDocument) throws(ConfigError) -> StoreSettings {
        let path = "store"
        try doc.rejectUnknownKeys(in: t, allowed: ["enabled", "directory", "journal_map_mib", "market_map_mib", "market_sync_ms",
                                                   "retention_snapshots_days", "retention_candles_days",
                                                   "retention_signals_days", "retention_time_utc"],
                                  path: path)
        var store = StoreSettings()
        if let v = t["enabled"] {
            guard let b = v.bool else { throw doc.error("must be true or false", key: "enabled", table: path) }
            store.enabled = b
        }
        if let v = t["directory"] {
            guard let s = v.string, !s.isEmpty else { throw doc.error("must be a directory path", key: "directory", table: path) }
            store.directory = s
        }
        func mib(_ key: String) throws(ConfigError) -> Int? {
            guard let v = t[key] else { return nil }
            guard let n = v.int, n >= 1, n <= 1 << 24 else {
                throw doc.error("must be an integer in 1...16777216 (MiB)", key: key, table: path)
            }
            return n
        }
        if let n = try mib("journal_map_mib") { store.journalMapMiB = n }
        if let n = try mib("market_map_mib") { store.marketMapMiB = n }
        if let v = t["market_sync_ms"] {
            guard let n = v.int, n >= 1, n <= 3_600_000 else {
                throw doc.error("must be an integer in 1...3600000", key: "market_sync_ms", table: path)
            }
            store.marketSyncMs = n
        }
        func days(_ key: String) throws(ConfigError) -> Int? {
            guard let v = t[key] else { return nil }
            guard let n = v.int, n <= 36_500 else {
                throw doc.error("must be a number of days up to 36500 (0 or less keeps forever)", key: key, table: path)
            }
            return n
        }
        if let n = try days("retention_snapshots_days") { store.retentionSnapshotsDays = n }
        if let n = try days("retention_candles_days") { store.retentionCandlesDays = n }
        if let n = try days("retention_signals_days") { store.retentionSignalsDays = n }
        if let v = t["retention_time_utc"] {
            let parts = v.string?.split(separator: ":", omittingEmptySubsequences: false) ?? []
            guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
                  (0..<24).contains(h), (0..<60).contains(m)
            else { throw doc.error("must be a UTC time \"HH:MM\"", key: "retention_time_utc", table: path) }
            store.retentionMinuteOfDay = h * 60 + m
        }
        return store
    }
}
