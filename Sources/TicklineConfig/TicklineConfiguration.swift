import TOMLKit
import TicklineCore
import TicklineRing

/// `tickline.toml`: everything the engine is configured with. Unknown keys and out-of-range
/// values are start-up errors naming the key, file and line.
///
/// Sections: `[layout]`, `[pipeline]` (the synthetic pipeline demo), `[venue]` (market data
/// and REST) and `[strategy]` (indicators, strategies, combiner: `StrategySettings`). Accounts,
/// risk, store and ports come with the issues that build them.
public struct TicklineConfiguration: Sendable {
    public var layout: Layout
    public var pipeline: PipelineSettings
    public var venue = VenueSettings()
    public var strategy = StrategySettings()
    public var store = StoreSettings()
    public var trading = TradingSettings()
    public var control = ControlSettings()
    public var alerts = AlertsConfig()
    /// The `[[accounts]]` tables in file order (account id = index); `[AccountConfig.paper]` when none.
    public var accounts: [AccountConfig] = [.paper]

    /// The synthetic tick source of `make run` and `tickline bench pipeline`.
    public struct PipelineSettings: Sendable, Equatable {
        public var symbols: [String] = ["BTCUSDT", "ETHUSDT"]
        /// Ticks per second the source emits in `run`; 0 = as fast as the pipeline takes them.
        public var ticksPerSecond: Int = 100_000
        public var ringCapacity: Int = 4096
        public var seed: UInt64 = 42
        /// Ticks the parse stage takes per duty cycle: 1 runs each tick to completion through a
        /// fused thread before reading the next (lowest latency); 64 roughly triples unpaced
        /// throughput at the cost of queueing latency.
        public var parseBatch: Int = 1

        public init() {}
    }

    public init(layout: Layout, pipeline: PipelineSettings = PipelineSettings()) {
        self.layout = layout
        self.pipeline = pipeline
    }

    public static func load(path: String) throws(ConfigError) -> TicklineConfiguration {
        try parse(document: TOMLDocument.load(path: path))
    }

    public static func parse(text: String, file: String) throws(ConfigError) -> TicklineConfiguration {
        try parse(document: TOMLDocument(text: text, file: file))
    }

    static func parse(document doc: TOMLDocument) throws(ConfigError) -> TicklineConfiguration {
        try doc.rejectUnknownKeys(in: doc.root, allowed: ["layout", "pipeline", "venue", "strategy", "store", "trading", "accounts",
                                                            "control", "alerts"],
                                  path: nil)
        let layout: Layout
        if let t = doc.root["layout"]?.table {
            layout = try LayoutLoader.parse(t, in: doc, defaultName: "tickline.toml")
        } else {
            layout = try LayoutLoader.load("split-2")
        }
        var pipeline = PipelineSettings()
        if let p = doc.root["pipeline"]?.table {
            let path = "pipeline"
            try doc.rejectUnknownKeys(in: p, allowed: ["symbols", "ticks_per_second", "ring_capacity", "seed", "parse_batch"],
                                      path: path)
            if let s = p["symbols"] {
                guard let arr = s.array, !arr.isEmpty else {
                    throw doc.error("must be a non-empty list of symbol names", key: "symbols", table: path)
                }
                var names: [String] = []
                for v in arr {
                    guard let name = v.string else { throw doc.error("must contain strings", key: "symbols", table: path) }
                    names.append(name)
                }
                pipeline.symbols = names
            }
            if let v = p["ticks_per_second"] {
                guard let n = v.int, n >= 0, n <= 10_000_000 else {
                    throw doc.error("must be an integer in 0...10000000", key: "ticks_per_second", table: path)
                }
                pipeline.ticksPerSecond = n
            }
            if let v = p["ring_capacity"] {
                guard let n = v.int, n >= 2, n <= 1 << 24, n & (n - 1) == 0 else {
                    throw doc.error("must be a power of two in 2...16777216", key: "ring_capacity", table: path)
                }
                pipeline.ringCapacity = n
            }
            if let v = p["parse_batch"] {
                guard let n = v.int, n >= 1, n <= 4096 else {
                    throw doc.error("must be an integer in 1...4096", key: "parse_batch", table: path)
                }
                pipeline.parseBatch = n
            }
            if let v = p["seed"] {
                guard let n = v.int, n >= 0 else { throw doc.error("must be a non-negative integer", key: "seed", table: path) }
                pipeline.seed = UInt64(n)
            }
        }
        var configuration = TicklineConfiguration(layout: layout, pipeline: pipeline)
        if let v = doc.root["venue"]?.table { configuration.venue = try parseVenue(v, in: doc) }
        if let v = doc.root["strategy"] {
            guard let t = v.table else { throw doc.error("must be a table", key: "strategy") }
            configuration.strategy = try parseStrategy(t, in: doc)
        }
        if let v = doc.root["store"] {
            guard let t = v.table else { throw doc.error("must be a table", key: "store") }
            configuration.store = try parseStore(t, in: doc)
        }
        if let v = doc.root["trading"] { configuration.trading = try parseTrading(v, in: doc) }
        if let v = doc.root["accounts"] { configuration.accounts = try parseAccounts(v, in: doc) }
        if let v = doc.root["alerts"] {
            guard let t = v.table else { throw doc.error("must be a table", key: "alerts") }
            configuration.alerts = try parseAlerts(t, in: doc)
        }
        if let v = doc.root["control"] {
            guard let t = v.table else { throw doc.error("must be a table", key: "control") }
            configuration.control = try parseControl(t, in: doc)
        }
        try checkStrategyIntervals(configuration.strategy, venue: configuration.venue, in: doc)
        return configuration
    }

    static func parseVenue(_ t: TOMLTable, in doc: TOMLDocument) throws(ConfigError) -> VenueSettings {
        let path = "venue"
        try doc.rejectUnknownKeys(in: t, allowed: ["rest_url", "stream_url", "symbols", "intervals", "agg_trade", "book_ticker",
                                                   "mark_price", "warmup_candles", "backend", "ca_file"], path: path)
        var venue = VenueSettings()
        func strings(_ key: String) throws(ConfigError) -> [String]? {
            guard let value = t[key] else { return nil }
            guard let arr = value.array, !arr.isEmpty else { throw doc.error("must be a non-empty list of strings", key: key, table: path) }
            var out: [String] = []
            for v in arr {
                guard let s = v.string else { throw doc.error("must contain strings", key: key, table: path) }
                out.append(s)
            }
            return out
        }
        func bool(_ key: String) throws(ConfigError) -> Bool? {
            guard let value = t[key] else { return nil }
            guard let b = value.bool else { throw doc.error("must be true or false", key: key, table: path) }
            return b
        }
        if let v = t["rest_url"] {
            guard let s = v.string, let url = VenueURL(s, schemes: ("http", "https")) else {
                throw doc.error("must be an http:// or https:// URL", key: "rest_url", table: path)
            }
            venue.restURL = url
        }
        if let v = t["stream_url"] {
            guard let s = v.string, let url = VenueURL(s, schemes: ("ws", "wss")) else {
                throw doc.error("must be a ws:// or wss:// URL", key: "stream_url", table: path)
            }
            venue.streamURL = url
        }
        if let names = try strings("symbols") {
            for n in names where n.isEmpty || !n.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) {
                throw doc.error("\"\(n)\" is not a symbol name (upper-case letters and digits, e.g. BTCUSDT)", key: "symbols", table: path)
            }
            venue.symbols = names
        }
        if let names = try strings("intervals") {
            var intervals: [Interval] = []
            for n in names {
                guard let i = Interval(name: n) else {
                    throw doc.error("\"\(n)\" is not an interval (\(Interval.allCases.map(\.name).joined(separator: ", ")))",
                                    key: "intervals", table: path)
                }
                if !intervals.contains(i) { intervals.append(i) }
            }
            venue.intervals = intervals.sorted()
        }
        if let b = try bool("agg_trade") { venue.aggTrade = b }
        if let b = try bool("book_ticker") { venue.bookTicker = b }
        if let b = try bool("mark_price") { venue.markPrice = b }
        if let v = t["warmup_candles"] {
            guard let n = v.int, n >= 0, n <= 1499 else {
                throw doc.error("must be an integer in 0...1499 (Binance's klines limit is 1500, one row is in progress)",
                                key: "warmup_candles", table: path)
            }
            venue.warmupCandles = n
        }
        if let v = t["backend"] {
            guard let s = v.string, let b = VenueSettings.Backend(rawValue: s) else {
                throw doc.error("must be \"uring\" or \"poll\"", key: "backend", table: path)
            }
            venue.backend = b
        }
        if let v = t["ca_file"] {
            guard let s = v.string, !s.isEmpty else { throw doc.error("must be a file path", key: "ca_file", table: path) }
            venue.caFile = s
        }
        return venue
    }
}
