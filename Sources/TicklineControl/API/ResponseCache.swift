import Synchronization

/// The REST API's read cache (US-SYSTEM-010): answers keyed by request, each tagged with the kind
/// of data it was built from. An entry is served while younger than its kind's TTL (`DataKind.ttlMs`)
/// and while that kind's version has not moved — the data plane publishing a change of the kind
/// invalidates every answer built from it. At most `capacity` entries (1 000), least recently used
/// out first. The hit rate is exported as a metric (target > 80 %).
public final class ResponseCache: Sendable {
    struct Entry {
        var body: String
        var kind: DataKind
        var version: UInt64
        var storedMs: Int64
        var lastUsed: UInt64
    }

    struct State {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
        var hits = 0
        var misses = 0
        var evictions = 0
    }

    public let capacity: Int
    let state = Mutex(State())

    public init(capacity: Int = 1_000) {
        self.capacity = max(1, capacity)
    }

    /// The cached answer for `key` if it is fresh: younger than `kind`'s TTL at `nowMs` and built
    /// at `version`. Else `build()`'s answer, cached.
    public func answer(_ key: String, kind: DataKind, version: UInt64, nowMs: Int64,
                       build: () throws -> String) rethrows -> String {
        let cached: String? = state.withLock { s in
            s.tick &+= 1
            guard var e = s.entries[key], e.version == version, nowMs - e.storedMs < kind.ttlMs else {
                s.misses += 1
                return nil
            }
            s.hits += 1
            e.lastUsed = s.tick
            s.entries[key] = e
            return e.body
        }
        if let cached { return cached }
        let body = try build()
        state.withLock { s in
            if s.entries[key] == nil, s.entries.count >= capacity,
               let oldest = s.entries.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
                s.entries[oldest] = nil
                s.evictions += 1
            }
            s.entries[key] = Entry(body: body, kind: kind, version: version, storedMs: nowMs, lastUsed: s.tick)
        }
        return body
    }

    public struct Stats: Sendable, Equatable {
        public var entries: Int
        public var hits: Int
        public var misses: Int
        public var evictions: Int

        public var hitRate: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }
    }

    public var stats: Stats {
        state.withLock { Stats(entries: $0.entries.count, hits: $0.hits, misses: $0.misses, evictions: $0.evictions) }
    }
}
