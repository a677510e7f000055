import Foundation
import Testing
import TicklineCore
import TicklineEngine
import TicklineIndicators
import TicklineRing
import TicklineStrategy

/// Short indicator periods, so that a few dozen candles warm every indicator up (tests that run
/// the simulator or the synthetic source for seconds, not days).
func shortPeriods() -> IndicatorConfiguration {
    var c = IndicatorConfiguration()
    c.smaPeriod = 5
    c.emaPeriod = 5
    c.rsiPeriod = 5
    c.macdFast = 3
    c.macdSlow = 6
    c.macdSignal = 3
    c.bollingerPeriod = 5
    c.atrPeriod = 3
    c.stochasticFastK = 3
    c.stochasticSlowK = 2
    c.stochasticSlowD = 2
    c.volumePeriod = 5
    c.adxPeriod = 3
    return c
}

/// 1m trading, 5m trend, short periods: signals within half an hour of candles.
func fastAnalysis(subscribed: [Interval] = [.m1, .m5], maxSignalAgeMs: Int64 = 0) -> AnalysisConfiguration {
    var strategy = StrategyConfiguration()
    strategy.trendInterval = .m5
    return AnalysisConfiguration(subscribed: subscribed, tradingInterval: .m1, indicators: shortPeriods(),
                                 strategy: strategy, maxSignalAgeMs: maxSignalAgeMs)
}

/// `../shared/data/klines/` beside the repository; `TICKLINE_KLINES` overrides it.
let klinesDirectory: URL = {
    if let path = ProcessInfo.processInfo.environment["TICKLINE_KLINES"] { return URL(fileURLWithPath: path) }
    return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/klines")
}()

/// Written by Tests/indicators/strategy-reference.sh (scripts/strategy_reference.py).
let strategyReferenceFile = repositoryRoot.appendingPathComponent(".build/strategy-reference/BTCUSDT-PERP-5m-signals.csv")

/// BTCUSDT at the scales its CSV needs (prices have one decimal, volumes three).
let btcScales = (price: DecimalScale(places: 2), quantity: DecimalScale(places: 3))

func btcTable() throws -> SymbolTable {
    try SymbolTable([.init(name: "BTCUSDT", priceScale: btcScales.price, quantityScale: btcScales.quantity)])
}

/// `open_time_ms,open,high,low,close,volume` as closed 5m klines, numbers parsed exactly into
/// fixed point (so each reaches the indicators as the `Double` Python's `float()` gives).
func loadKlines(_ file: String = "BTCUSDT-PERP-5m-20230102-20230209.csv", interval: Interval = .m5) throws -> [Kline] {
    let url = klinesDirectory.appendingPathComponent(file)
    let data = try #require(FileManager.default.contents(atPath: url.path), "cannot read \(url.path)")
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
    try #require(lines.first?.hasPrefix("open_time_ms,open,high,low,close,volume") == true)
    return try lines.dropFirst().map { line in
        let f = line.split(separator: ",").map(String.init)
        func price(_ s: String) throws -> Price { try #require(Price(s, scale: btcScales.price)) }
        let open = try #require(Int64(f[0]))
        return Kline(eventTimeMs: open + interval.durationMs, openTimeMs: open, interval: interval,
                     open: try price(f[1]), high: try price(f[2]), low: try price(f[3]), close: try price(f[4]),
                     volume: try #require(Quantity(f[5], scale: btcScales.quantity)), quoteVolume: .zero,
                     takerBuyVolume: Quantity(raw: 0), tradeCount: 0)
    }
}

/// One row of the reference: time, direction and confidence (what the issue pins), score.
struct ReferenceSignal {
    var openTimeMs: Int64
    var direction: String
    var confidence: Double
    var score: Double
}

func loadStrategyReference() throws -> [ReferenceSignal] {
    let data = try #require(FileManager.default.contents(atPath: strategyReferenceFile.path),
                            "\(strategyReferenceFile.path) is missing: run Tests/indicators/strategy-reference.sh (make test does)")
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
    let names = lines[0].split(separator: ",").map(String.init)
    let time = try #require(names.firstIndex(of: "open_time_ms")), dir = try #require(names.firstIndex(of: "direction"))
    let conf = try #require(names.firstIndex(of: "confidence")), score = try #require(names.firstIndex(of: "score"))
    return try lines.dropFirst().map { line in
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        return ReferenceSignal(openTimeMs: try #require(Int64(f[time])), direction: String(f[dir]),
                               confidence: try #require(Double(f[conf])), score: try #require(Double(f[score])))
    }
}

extension SignalDirection {
    /// The reference's spelling.
    var referenceName: String {
        switch self {
        case .long: "long"
        case .short: "short"
        case .flat: "neutral"
        }
    }
}

/// The indicator and signal stages on real rings, driven on the test thread; collects what the
/// signal stage publishes (journal, events, risk) and drains the rest.
final class AnalysisHarness<C: NanoClock> {
    let rings: PipelineRings
    let indicator: IndicatorStage<C>
    let signal: SignalStage<C>
    let clock: C
    var journal: [Signal] = []
    var events: [Signal] = []
    var toRisk: [Signal] = []

    init(clock: C, symbols: SymbolTable, analysis: AnalysisConfiguration, capacity: Int = 1024) {
        self.clock = clock
        rings = PipelineRings(capacity: capacity)
        indicator = IndicatorStage(rings: rings, clock: clock, symbols: symbols, configuration: analysis)
        signal = SignalStage(rings: rings, clock: clock, symbols: symbols, configuration: analysis)
    }

    func push(_ event: MarketEvent) throws {
        if !rings.marketToIndicator.tryPush(event) {
            run()
            try #require(rings.marketToIndicator.tryPush(event))
        }
    }

    /// Duty cycles of both stages until neither does anything, then collects their output.
    func run() {
        while true {
            var work = try! indicator.doWork(nowNs: clock.nowNs())
            work += try! signal.doWork(nowNs: clock.nowNs())
            if work == 0 { break }
        }
        _ = rings.journal(.signal).drain(limit: .max) { r in
            if case .signal(let s) = r.pointee.body { journal.append(s) }
            return true
        }
        _ = rings.events(.signal).drain(limit: .max) { e in
            if case .signalGenerated(let s) = e.pointee.body { events.append(s) }
            return true
        }
        _ = rings.signalToRisk.drain(limit: .max) { s in
            toRisk.append(s.pointee)
            return true
        }
    }
}
