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

    public init() {}
}

extension TicklineConfiguration {
    static func parseStore(_ t: TOMLTable, in doc: TOMLDocument) throws(ConfigError) -> StoreSettings {
        let path = "store"
        try doc.rejectUnknownKeys(in: t, allowed: ["enabled", "directory", "journal_map_mib", "market_map_mib", "market_sync_ms"],
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
        return store
    }
}
