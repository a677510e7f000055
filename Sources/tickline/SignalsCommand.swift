import ArgumentParser
import Foundation
import TicklineCore
import TicklineIndicators
import TicklineStrategy

/// `tickline signals --csv FILE`: replays a kline CSV through the engine's indicators and rule
/// strategies (`SignalReplay`: the trading interval's bank, the trend interval built from the same
/// candles by epoch-aligned aggregation, `StrategyConfiguration.standard`) and prints one CSV row
/// per evaluation, from the first candle after warm-up. Tests compare the output with
/// scripts/strategy_reference.py.
///
/// Input as `tickline indicators` (same layouts and fixed-point parsing). Refused candles and
/// malformed lines produce no row (there is no evaluation for them); counts go to stderr.
struct Signals: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the rule strategies' signal for every candle close of a kline CSV file.",
        discussion: """
            Prints CSV with the header of SignalEvaluation.csvHeader: open_time_ms, direction \
            (long/short/neutral), score, confidence, agreement, entry, stop_loss, take_profit, \
            risk_reward, atr_fraction, stop_distance_fraction, trend, volatility, volume, reason, then \
            each rule strategy's score and reason. One row per candle close after warm-up; Neutral \
            rows included. The trend filter's candles (4h by default) are built from the file's.
            """)

    @Option(help: "Kline CSV: header open_time_ms,open,high,low,close,volume (or timestamp,…), or Binance's columns.")
    var csv: String

    @Option(help: "Trading interval (1m, 5m, …); by default inferred from the first two open times.")
    var interval: String?

    @Option(help: "Interval of the EMA trend filter, built from the file's candles.")
    var trendInterval = "4h"

    @Option(help: "Fraction digits kept of prices (rounded half-even).")
    var priceDecimals: UInt8 = 8

    @Option(help: "Fraction digits kept of volumes (rounded half-even).")
    var quantityDecimals: UInt8 = 8

    func run() throws {
        guard priceDecimals <= 12, quantityDecimals <= 12 else {
            fail("--price-decimals and --quantity-decimals must be ≤ 12")
        }
        guard let data = FileManager.default.contents(atPath: csv) else { fail("\(csv): cannot read file") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        guard let first = lines.first else { fail("\(csv): empty file") }
        guard let layout = KlineCSVLayout(firstLine: first) else {
            fail("\(csv): expected a header open_time_ms,open,high,low,close,volume or timestamp,open,… "
                 + "(or Binance's headerless kline columns), not '\(first.prefix(80))'")
        }
        let scales = CandleScales(price: DecimalScale(places: priceDecimals),
                                  quantity: DecimalScale(places: quantityDecimals))
        var rows: [KlineCSVRow] = []
        var malformed = 0
        for (offset, line) in (layout.hasHeader ? lines.dropFirst() : lines[...]).enumerated() where !line.isEmpty {
            guard let row = KlineCSVRow(fields: line.split(separator: ",", omittingEmptySubsequences: false),
                                        layout: layout, scales: scales) else {
                malformed += 1
                FileHandle.standardError.write(Data("\(csv):\(offset + (layout.hasHeader ? 2 : 1)): malformed line\n".utf8))
                continue
            }
            rows.append(row)
        }
        let trading: Interval
        if let name = interval {
            guard let i = Interval(name: name) else { fail("--interval \(name): not a Binance interval (1m, 5m, 1h, …)") }
            trading = i
        } else {
            let step = rows.count >= 2 ? rows[1].openTimeMs - rows[0].openTimeMs : 0
            guard let i = Interval.allCases.first(where: { $0.durationMs == step }) else {
                fail("\(csv): cannot infer the interval from the first two open times; pass --interval")
            }
            trading = i
        }
        guard let trend = Interval(name: trendInterval), trend > trading, trend != .w1,
              trend.durationMs % trading.durationMs == 0 else {
            fail("--trend-interval \(trendInterval): must be a Binance interval, a multiple of \(trading.name), not 1w")
        }
        var configuration = StrategyConfiguration.standard
        configuration.trendInterval = trend
        var replay = SignalReplay(symbol: SymbolID(0), interval: trading, configuration: configuration)

        var out = SignalEvaluation.csvHeader + "\n"
        out.reserveCapacity(1 << 20)
        let stdout = FileHandle.standardOutput
        var counts = (long: 0, short: 0, neutral: 0)
        for row in rows {
            guard let e = replay.add(Candle(row.kline(interval: trading), scales: scales)) else { continue }
            switch e.direction {
            case .long: counts.long += 1
            case .short: counts.short += 1
            case .flat: counts.neutral += 1
            }
            out += e.csvRow
            out += "\n"
            if out.utf8.count > 1 << 20 {
                stdout.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        stdout.write(Data(out.utf8))
        let c = replay.trading.counters
        if c.rejected > 0 || c.gaps > 0 || malformed > 0 {
            var reasons = CandleRejection.allCases.filter { c[$0] > 0 }.map { "\($0) \(c[$0])" }.joined(separator: ", ")
            if !reasons.isEmpty { reasons = " (" + reasons + ")" }
            let summary = "signals: \(rows.count + malformed) lines, \(c.accepted) candles accepted, \(c.rejected) refused"
                + "\(reasons), \(malformed) malformed lines, \(c.gaps) gaps (\(c.missingCandles) missing candles); "
                + "\(counts.long) long, \(counts.short) short, \(counts.neutral) neutral\n"
            FileHandle.standardError.write(Data(summary.utf8))
        }
    }
}
