import TOMLKit
import TicklineCore
import TicklineRing

/// `tickline.toml`: everything the engine is configured with. Unknown keys and out-of-range
/// values are start-up errors naming the key, file and line.
///
/// This sections: `[layout]` and `[pipeline]` (the synthetic pipeline demo). Venue,
/// accounts, strategies, risk, store and ports come with the issues that build them.
public struct TicklineConfiguration: Sendable {
    public var layout: Layout
    public var pipeline: PipelineSettings

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
        try doc.rejectUnknownKeys(in: doc.root, allowed: ["layout", "pipeline"], path: nil)
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
        return TicklineConfiguration(layout: layout, pipeline: pipeline)
    }
}
