import TOMLKit
import TicklineCore

/// `[strategy]`: the intervals the signal stage trades on, the rule strategies' enable flags,
/// weights and parameters, the combiner's thresholds, and (`[strategy.indicators]`) the
/// indicator periods.
///
/// Plain values: TicklineConfig does not import TicklineStrategy or TicklineIndicators (the
/// engine builds their `StrategyConfiguration` and `IndicatorConfiguration` from this and checks
/// them once more at start-up). The defaults are those types' defaults, which
/// `scripts/strategy_reference.py` repeats; every range checked here names its key.
public struct StrategySettings: Sendable, Equatable {
    /// The interval whose closed candles are evaluated into signals. Default 5m.
    public var tradingInterval: Interval = .m5
    /// The EMA trend filter's interval: a multiple of the trading interval. Default 4h.
    public var trendInterval: Interval = .h4
    /// Subscribed intervals whose in-progress candle gets provisional indicator values on every
    /// kline update (nil: the trading interval, when it is subscribed).
    public var provisionalIntervals: [Interval]?
    /// A candle evaluated more than this long after it closed (by the wall clock) produces no
    /// signal: start-up warm-up and backfill after a reconnect only warm the strategies up. 0
    /// turns the check off (replay).
    public var maxSignalAgeMs: Int64 = 60_000
    /// The periodic signal pass: every this many milliseconds of *data* time (never the wall
    /// clock), the signal stage evaluates each symbol on `periodicIntervals` (the seed's signal
    /// loop). 0 turns it off. Default 60 s.
    public var periodicPassMs: Int64 = 60_000
    /// The periodic pass's trading and trend intervals, in that order: the trend a multiple of
    /// the trading one, not 1w. Default 1h and 4h.
    public var periodicIntervals: [Interval] = [.h1, .h4]

    public var rsi = RSI()
    public var macd = MACD()
    public var bollinger = Bollinger()
    public var trend = Trend()
    public var volume = Volume()
    public var combiner = Combiner()
    public var indicators = IndicatorPeriods()

    public init() {}

    /// The intervals that get provisional values when `subscribed` are closed by the parse stage.
    public func provisionalIntervals(subscribed: [Interval]) -> [Interval] {
        provisionalIntervals ?? (subscribed.contains(tradingInterval) ? [tradingInterval] : [])
    }

    /// `[strategy.rsi]`: RSI mean reversion.
    public struct RSI: Sendable, Equatable {
        public var enabled = true
        public var weight = 1.0
        public var oversold = 30.0
        public var overbought = 70.0
        /// RSI points beyond a threshold where the score is ±1.
        public var fullScale = 20.0
        public init() {}
    }

    /// `[strategy.macd]`: MACD crossover.
    public struct MACD: Sendable, Equatable {
        public var enabled = true
        public var weight = 1.0
        /// Histogram, in ATRs, at full momentum.
        public var atrScale = 0.5
        public init() {}
    }

    /// `[strategy.bollinger]`: Bollinger breakout or reversion.
    public struct Bollinger: Sendable, Equatable {
        public enum Mode: String, Sendable, Equatable, CaseIterable {
            case adaptive, breakout, reversion
        }
        public var enabled = true
        public var weight = 1.0
        public var mode = Mode.adaptive
        /// Band half-widths beyond a band where the score is ±1.
        public var fullScale = 0.5
        /// ADX at or above which the adaptive mode follows breakouts.
        public var adxTrendLevel = 25.0
        public init() {}
    }

    /// `[strategy.trend]`: the EMA trend filter on the trend interval.
    public struct Trend: Sendable, Equatable {
        public var enabled = true
        public var weight = 1.0
        /// Trend-interval ATRs from the EMA at which the trend score is full.
        public var atrScale = 1.0
        public var sidewaysBand = 0.25
        public var strongLevel = 0.75
        public init() {}
    }

    /// `[strategy.volume]`: volume confirmation.
    public struct Volume: Sendable, Equatable {
        public var enabled = true
        public var weight = 0.5
        public var confirmRatio = 1.5
        public var fullRatio = 3.0
        public init() {}
    }

    /// Keys directly under `[strategy]`: the combiner.
    public struct Combiner: Sendable, Equatable {
        public var minConfidence = 0.3
        public var minAgreement = 0.5
        /// Trend score against the direction at which a signal is vetoed; nil (`false` in the
        /// file) turns the veto off.
        public var counterTrendVeto: Double? = 0.25
        public var stopATR = 1.5
        public var takeProfitATR = 3.0
        public var volatilityLow = 0.001
        public var volatilityHigh = 0.003
        public var volatilityExtreme = 0.006
        public var lowVolumeRatio = 0.5
        public init() {}
    }

    /// `[strategy.indicators]`: the periods of every indicator bank (the usual ones by default).
    public struct IndicatorPeriods: Sendable, Equatable {
        public var sma = 20
        public var ema = 20
        public var rsi = 14
        public var macdFast = 12
        public var macdSlow = 26
        public var macdSignal = 9
        public var bollinger = 20
        public var bollingerDeviations = 2.0
        public var atr = 14
        public var stochasticK = 14
        public var stochasticSlowK = 3
        public var stochasticD = 3
        public var volume = 20
        public var adx = 14
        public var vwapSessionMs: Int64 = 86_400_000
        public init() {}
    }
}

extension TicklineConfiguration {
    static func parseStrategy(_ t: TOMLTable, in doc: TOMLDocument) throws(ConfigError) -> StrategySettings {
        var s = StrategySettings()
        let path = "strategy"
        let sections = ["rsi", "macd", "bollinger", "trend", "volume", "indicators"]
        try doc.rejectUnknownKeys(
            in: t,
            allowed: Set(sections + [
                "trading_interval", "trend_interval", "provisional_intervals", "max_signal_age_ms", "periodic_pass_ms",
                "periodic_intervals", "min_confidence",
                "min_agreement", "counter_trend_veto", "stop_atr", "take_profit_atr", "volatility_low", "volatility_high",
                "volatility_extreme", "low_volume_ratio",
            ]), path: path)
        let r = TableReader(table: t, doc: doc, path: path)

        if let i = try r.interval("trading_interval") { s.tradingInterval = i }
        if let i = try r.interval("trend_interval") { s.trendInterval = i }
        if let v = t["provisional_intervals"] {
            guard let arr = v.array else { throw doc.error("must be a list of intervals", key: "provisional_intervals", table: path) }
            var out: [Interval] = []
            for item in arr {
                guard let name = item.string, let i = Interval(name: name) else {
                    throw doc.error("must contain intervals (1m, 5m, …)", key: "provisional_intervals", table: path)
                }
                if !out.contains(i) { out.append(i) }
            }
            s.provisionalIntervals = out.sorted()
        }
        if let n = try r.integer("max_signal_age_ms", 0...(7 * 86_400_000)) { s.maxSignalAgeMs = Int64(n) }
        if let n = try r.integer("periodic_pass_ms", 0...86_400_000) { s.periodicPassMs = Int64(n) }
        if let v = t["periodic_intervals"] {
            let message = "must be two intervals [trading, trend], the trend a multiple of the trading one and not 1w"
            guard let arr = v.array, arr.count == 2,
                  let a = arr[0].string.flatMap(Interval.init(name:)), let b = arr[1].string.flatMap(Interval.init(name:)),
                  b > a, b.durationMs % a.durationMs == 0, b != .w1
            else { throw doc.error(message, key: "periodic_intervals", table: path) }
            s.periodicIntervals = [a, b]
        }
        if let x = try r.number("min_confidence", 0...1) { s.combiner.minConfidence = x }
        if let x = try r.number("min_agreement", 0...1) { s.combiner.minAgreement = x }
        if let v = t["counter_trend_veto"] {
            if let b = v.bool, !b {
                s.combiner.counterTrendVeto = nil
            } else if let x = try r.number("counter_trend_veto", 0...1) {
                s.combiner.counterTrendVeto = x
            }
        }
        if let x = try r.number("stop_atr", 0...1_000, open: true) { s.combiner.stopATR = x }
        if let x = try r.number("take_profit_atr", 0...1_000, open: true) { s.combiner.takeProfitATR = x }
        if let x = try r.number("volatility_low", 0...1) { s.combiner.volatilityLow = x }
        if let x = try r.number("volatility_high", 0...1) { s.combiner.volatilityHigh = x }
        if let x = try r.number("volatility_extreme", 0...1) { s.combiner.volatilityExtreme = x }
        if let x = try r.number("low_volume_ratio", 0...1_000) { s.combiner.lowVolumeRatio = x }

        if let sub = try r.table("rsi") {
            try doc.rejectUnknownKeys(in: sub.table, allowed: ["enabled", "weight", "oversold", "overbought", "full_scale"],
                                      path: sub.path)
            if let b = try sub.bool("enabled") { s.rsi.enabled = b }
            if let x = try sub.number("weight", 0...1_000) { s.rsi.weight = x }
            if let x = try sub.number("oversold", 0...100) { s.rsi.oversold = x }
            if let x = try sub.number("overbought", 0...100) { s.rsi.overbought = x }
            if let x = try sub.number("full_scale", 0...100, open: true) { s.rsi.fullScale = x }
            if s.rsi.oversold >= s.rsi.overbought {
                throw doc.error("must be below overbought (\(s.rsi.overbought))", key: "oversold", table: sub.path)
            }
        }
        if let sub = try r.table("macd") {
            try doc.rejectUnknownKeys(in: sub.table, allowed: ["enabled", "weight", "atr_scale"], path: sub.path)
            if let b = try sub.bool("enabled") { s.macd.enabled = b }
            if let x = try sub.number("weight", 0...1_000) { s.macd.weight = x }
            if let x = try sub.number("atr_scale", 0...1_000, open: true) { s.macd.atrScale = x }
        }
        if let sub = try r.table("bollinger") {
            try doc.rejectUnknownKeys(in: sub.table, allowed: ["enabled", "weight", "mode", "full_scale", "adx_trend_level"],
                                      path: sub.path)
            if let b = try sub.bool("enabled") { s.bollinger.enabled = b }
            if let x = try sub.number("weight", 0...1_000) { s.bollinger.weight = x }
            if let v = sub.table["mode"] {
                guard let name = v.string, let m = StrategySettings.Bollinger.Mode(rawValue: name) else {
                    throw doc.error("must be \"adaptive\", \"breakout\" or \"reversion\"", key: "mode", table: sub.path)
                }
                s.bollinger.mode = m
            }
            if let x = try sub.number("full_scale", 0...1_000, open: true) { s.bollinger.fullScale = x }
            if let x = try sub.number("adx_trend_level", 0...100) { s.bollinger.adxTrendLevel = x }
        }
        if let sub = try r.table("trend") {
            try doc.rejectUnknownKeys(in: sub.table, allowed: ["enabled", "weight", "atr_scale", "sideways_band", "strong_level"],
                                      path: sub.path)
            if let b = try sub.bool("enabled") { s.trend.enabled = b }
            if let x = try sub.number("weight", 0...1_000) { s.trend.weight = x }
            if let x = try sub.number("atr_scale", 0...1_000, open: true) { s.trend.atrScale = x }
            if let x = try sub.number("sideways_band", 0...1) { s.trend.sidewaysBand = x }
            if let x = try sub.number("strong_level", 0...1) { s.trend.strongLevel = x }
            if s.trend.sidewaysBand > s.trend.strongLevel {
                throw doc.error("must not exceed strong_level (\(s.trend.strongLevel))", key: "sideways_band", table: sub.path)
            }
        }
        if let sub = try r.table("volume") {
            try doc.rejectUnknownKeys(in: sub.table, allowed: ["enabled", "weight", "confirm_ratio", "full_ratio"], path: sub.path)
            if let b = try sub.bool("enabled") { s.volume.enabled = b }
            if let x = try sub.number("weight", 0...1_000) { s.volume.weight = x }
            if let x = try sub.number("confirm_ratio", 0...1_000) { s.volume.confirmRatio = x }
            if let x = try sub.number("full_ratio", 0...1_000) { s.volume.fullRatio = x }
            if s.volume.confirmRatio >= s.volume.fullRatio {
                throw doc.error("must be below full_ratio (\(s.volume.fullRatio))", key: "confirm_ratio", table: sub.path)
            }
        }
        if let sub = try r.table("indicators") {
            try doc.rejectUnknownKeys(
                in: sub.table,
                allowed: ["sma", "ema", "rsi", "macd_fast", "macd_slow", "macd_signal", "bollinger", "bollinger_deviations", "atr",
                          "stochastic_k", "stochastic_slow_k", "stochastic_d", "volume", "adx", "vwap_session_ms"],
                path: sub.path)
            let periods = 1...100_000
            var p = s.indicators
            if let n = try sub.integer("sma", periods) { p.sma = n }
            if let n = try sub.integer("ema", periods) { p.ema = n }
            if let n = try sub.integer("rsi", periods) { p.rsi = n }
            if let n = try sub.integer("macd_fast", periods) { p.macdFast = n }
            if let n = try sub.integer("macd_slow", periods) { p.macdSlow = n }
            if let n = try sub.integer("macd_signal", periods) { p.macdSignal = n }
            if let n = try sub.integer("bollinger", periods) { p.bollinger = n }
            if let x = try sub.number("bollinger_deviations", 0...100) { p.bollingerDeviations = x }
            if let n = try sub.integer("atr", periods) { p.atr = n }
            if let n = try sub.integer("stochastic_k", periods) { p.stochasticK = n }
            if let n = try sub.integer("stochastic_slow_k", periods) { p.stochasticSlowK = n }
            if let n = try sub.integer("stochastic_d", periods) { p.stochasticD = n }
            if let n = try sub.integer("volume", periods) { p.volume = n }
            if let n = try sub.integer("adx", periods) { p.adx = n }
            if let n = try sub.integer("vwap_session_ms", 60_000...(7 * 86_400_000)) { p.vwapSessionMs = Int64(n) }
            if p.macdFast >= p.macdSlow {
                throw doc.error("must be below macd_slow (\(p.macdSlow))", key: "macd_fast", table: sub.path)
            }
            s.indicators = p
        }

        // Across keys.
        if s.trendInterval <= s.tradingInterval || s.trendInterval.durationMs % s.tradingInterval.durationMs != 0
            || s.trendInterval == .w1 {
            throw doc.error("must be a multiple of trading_interval (\(s.tradingInterval.name)), and not 1w",
                            key: "trend_interval", table: path)
        }
        if !(s.combiner.volatilityLow <= s.combiner.volatilityHigh && s.combiner.volatilityHigh <= s.combiner.volatilityExtreme) {
            throw doc.error("volatility_low ≤ volatility_high ≤ volatility_extreme must hold", key: "volatility_high", table: path)
        }
        let weights: [(Bool, Double)] = [
            (s.rsi.enabled, s.rsi.weight), (s.macd.enabled, s.macd.weight), (s.bollinger.enabled, s.bollinger.weight),
            (s.trend.enabled, s.trend.weight), (s.volume.enabled, s.volume.weight),
        ]
        if !weights.contains(where: { $0.0 && $0.1 > 0 }) {
            throw doc.error("at least one enabled strategy needs a weight > 0", table: path)
        }
        return s
    }

    /// The strategy intervals must come closed from the parse stage or be buildable from its
    /// smallest subscribed interval (a whole multiple of it).
    static func checkStrategyIntervals(_ s: StrategySettings, venue: VenueSettings, in doc: TOMLDocument) throws(ConfigError) {
        guard let smallest = venue.intervals.first else { return }
        for (key, i) in [("trading_interval", s.tradingInterval), ("trend_interval", s.trendInterval)]
        where !venue.intervals.contains(i) {
            if i <= smallest || i.durationMs % smallest.durationMs != 0 || i == .w1 {
                throw doc.error("\(i.name) is neither subscribed (venue.intervals) nor buildable from \(smallest.name) candles",
                                key: key, table: "strategy")
            }
        }
        if s.periodicPassMs > 0 {
            for i in s.periodicIntervals where !venue.intervals.contains(i) {
                if i <= smallest || i.durationMs % smallest.durationMs != 0 || i == .w1 {
                    throw doc.error("\(i.name) is neither subscribed (venue.intervals) nor buildable from \(smallest.name) candles",
                                    key: "periodic_intervals", table: "strategy")
                }
            }
        }
        for i in s.provisionalIntervals ?? [] where !venue.intervals.contains(i) {
            throw doc.error("\(i.name) is not subscribed (venue.intervals): no kline updates to show provisionally",
                            key: "provisional_intervals", table: "strategy")
        }
    }
}

/// Typed reads of one table's keys, each failure naming the key and its line.
struct TableReader {
    let table: TOMLTable
    let doc: TOMLDocument
    let path: String

    func interval(_ key: String) throws(ConfigError) -> Interval? {
        guard let v = table[key] else { return nil }
        guard let name = v.string, let i = Interval(name: name) else {
            throw doc.error("must be an interval (\(Interval.allCases.map(\.name).joined(separator: ", ")))", key: key, table: path)
        }
        return i
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let v = table[key] else { return nil }
        guard let b = v.bool else { throw doc.error("must be true or false", key: key, table: path) }
        return b
    }

    func integer(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let v = table[key] else { return nil }
        guard let n = v.int, range.contains(n) else {
            throw doc.error("must be an integer in \(range.lowerBound)...\(range.upperBound)", key: key, table: path)
        }
        return n
    }

    /// An integer or a float in `range`; `open` excludes the lower bound (must be > it).
    func number(_ key: String, _ range: ClosedRange<Double>, open: Bool = false) throws(ConfigError) -> Double? {
        guard let v = table[key] else { return nil }
        let x = v.double ?? v.int.map(Double.init)
        guard let x, x.isFinite, range.contains(x), !(open && x == range.lowerBound) else {
            let lower = open ? "> \(Self.format(range.lowerBound))" : "≥ \(Self.format(range.lowerBound))"
            throw doc.error("must be a number \(lower) and ≤ \(Self.format(range.upperBound))", key: key, table: path)
        }
        return x
    }

    /// A sub-table `[path.key]`, with its own reader.
    func table(_ key: String) throws(ConfigError) -> TableReader? {
        guard let v = table[key] else { return nil }
        guard let t = v.table else { throw doc.error("must be a table", key: key, table: path) }
        return TableReader(table: t, doc: doc, path: "\(path).\(key)")
    }

    static func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
}
