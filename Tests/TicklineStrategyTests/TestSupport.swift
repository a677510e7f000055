import Foundation
import TicklineCore
import TicklineIndicators
import TicklineStrategy

/// The repository root (this file is Tests/TicklineStrategyTests/TestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// `../shared/data/klines/` beside the repository; `TICKLINE_KLINES` overrides it.
let klinesDirectory: URL = {
    if let path = ProcessInfo.processInfo.environment["TICKLINE_KLINES"] { return URL(fileURLWithPath: path) }
    return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/klines")
}()

let seriesFile = "BTCUSDT-PERP-5m-20230102-20230209.csv"

/// Written by Tests/indicators/strategy-reference.sh (scripts/strategy_reference.py).
let referenceFile = repositoryRoot.appendingPathComponent(".build/strategy-reference/BTCUSDT-PERP-5m-signals.csv")

struct TestDataMissing: Error, CustomStringConvertible {
    var description: String
}

func readLines(_ url: URL) throws -> [Substring] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw TestDataMissing(description: "cannot read \(url.path)")
    }
    return String(decoding: data, as: UTF8.self).split(separator: "\n")
}

/// An `open_time_ms,open,high,low,close,volume` file as candles, each number by `Double(String)`
/// (the double Python's `float()` gives the reference script).
func loadCandles(_ file: String = seriesFile) throws -> [Candle] {
    let url = klinesDirectory.appendingPathComponent(file)
    let lines = try readLines(url)
    precondition(lines[0].hasPrefix("open_time_ms,open,high,low,close,volume"), "\(file): header \(lines[0])")
    return lines.dropFirst().map { line in
        let f = line.split(separator: ",")
        return Candle(openTimeMs: Int64(f[0])!, open: Double(f[1])!, high: Double(f[2])!, low: Double(f[3])!,
                      close: Double(f[4])!, volume: Double(f[5])!)
    }
}

/// One row of the reference (or of `tickline signals`): column name → text.
struct ReferenceRow {
    var fields: [String: Substring]
    var openTimeMs: Int64 { Int64(fields["open_time_ms"]!)! }
    var direction: Substring { fields["direction"]! }
    func number(_ name: String) -> Double? { fields[name].flatMap { $0.isEmpty ? nil : Double($0) } }
}

/// A signals CSV: the header and its rows.
func parseSignalsCSV(_ lines: [Substring]) -> (header: [String], rows: [ReferenceRow]) {
    let names = lines[0].split(separator: ",").map(String.init)
    let rows = lines.dropFirst().map { line in
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        return ReferenceRow(fields: Dictionary(uniqueKeysWithValues: zip(names, f)))
    }
    return (names, rows)
}

func loadReference() throws -> (header: [String], rows: [ReferenceRow]) {
    guard FileManager.default.fileExists(atPath: referenceFile.path) else {
        throw TestDataMissing(description: "\(referenceFile.path) is missing: run Tests/indicators/strategy-reference.sh (make test does)")
    }
    return parseSignalsCSV(try readLines(referenceFile))
}

/// Within `tolerance`, relative for |expected| ≥ 1 and absolute below.
func agrees(_ actual: Double, _ expected: Double, tolerance: Double = 1e-9) -> Bool {
    abs(actual - expected) <= tolerance * max(1, abs(expected))
}

/// A snapshot with the given values marked ready (`ready` is exactly `bits`).
func snapshot(close: Double, time: Int64 = 0, _ bits: IndicatorSet = [], _ fill: (inout IndicatorUpdate.Values) -> Void = { _ in })
    -> IndicatorSnapshot {
    var values = IndicatorUpdate.Values()
    fill(&values)
    return IndicatorSnapshot(openTimeMs: time, close: close, ready: bits, values: values)
}

/// The tolerance of every numeric column: 1e-9 (the issue's). The Bollinger score and the
/// agreement it feeds divide by the band half-width (2σ), so they are the most sensitive to σ's
/// error: `BollingerBands` keeps shifted sums so σ stays within ~1e-13 of exact on this series.
func tolerance(_ column: String) -> Double { 1e-9 }

/// The numeric columns of a signals CSV besides time and direction, with the evaluation's value.
let numericColumns: [(String, @Sendable (SignalEvaluation) -> Double)] = [
    ("score", \.score), ("confidence", \.confidence), ("agreement", \.agreement), ("entry", \.entry),
    ("stop_loss", \.stopLoss), ("take_profit", \.takeProfit), ("risk_reward", \.riskReward),
    ("atr_fraction", \.atrFraction), ("stop_distance_fraction", \.stopDistanceFraction),
    ("rsi", { $0.strategies.rsi?.value ?? .nan }), ("macd", { $0.strategies.macd?.value ?? .nan }),
    ("bollinger", { $0.strategies.bollinger?.value ?? .nan }), ("trend_score", { $0.strategies.trend?.value ?? .nan }),
    ("volume_score", { $0.strategies.volume?.value ?? .nan }),
]

/// The name columns, with the evaluation's name.
let nameColumns: [(String, @Sendable (SignalEvaluation) -> String)] = [
    ("trend", { $0.analysis.trend.name }), ("volatility", { $0.analysis.volatility.name }),
    ("volume", { $0.analysis.volume.name }), ("reason", { $0.reason.name }),
    ("rsi_reason", { $0.strategies.rsi?.reason.name ?? "" }), ("macd_reason", { $0.strategies.macd?.reason.name ?? "" }),
    ("bollinger_reason", { $0.strategies.bollinger?.reason.name ?? "" }),
    ("trend_reason", { $0.strategies.trend?.reason.name ?? "" }),
    ("volume_reason", { $0.strategies.volume?.reason.name ?? "" }),
]
