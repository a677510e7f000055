import ArgumentParser
import Foundation
import TicklineCore
import TicklineIndicators

/// `tickline indicators --csv FILE`: runs the engine's indicators (`IndicatorBank`, standard
/// periods) over a kline CSV and prints one row per candle. Tests compare the output with
/// TA-Lib (`scripts/indicator_reference.py`).
///
/// Input layouts, told apart by the first line: a header `open_time_ms,open,high,low,close,volume`
/// (`../shared/data/klines/`), a header `timestamp,open,…` with `YYYY-MM-DD HH:MM:SS[.ffffff]`
/// UTC times taken as open times (the nautilus files), or no header with Binance's kline columns
/// (open time in ms first). Numbers go through the engine's fixed-point types (`Price`,
/// `Quantity`, rounded half-even to `--price-decimals`/`--quantity-decimals`) and reach the
/// indicators as `Double` at the `Candle` boundary, as live klines do.
///
/// A candle the bank refuses (NaN, non-positive price, duplicate or out-of-order time, …) and a
/// line that does not parse still get their row, with empty fields; counts go to stderr.
struct Indicators: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the engine's indicator values for every candle of a kline CSV file.",
        discussion: """
            Prints CSV: open_time_ms,sma_20,ema_20,rsi_14,macd,macd_signal,macd_hist,bb_upper,bb_middle,\
            bb_lower,atr_14,stoch_k,stoch_d,adx_14 — one row per candle, empty fields while an indicator \
            warms up (and for refused candles). MACD is 12/26/9, Bollinger 20 with 2σ, Stochastic 14/3/3.
            """)

    @Option(help: "Kline CSV: header open_time_ms,open,high,low,close,volume (or timestamp,…), or Binance's columns.")
    var csv: String

    @Option(help: "Candle interval (1m, 5m, 1h, …); by default inferred from the first two open times.")
    var interval: String?

    @Option(help: "Fraction digits kept of prices (rounded half-even).")
    var priceDecimals: UInt8 = 8

    @Option(help: "Fraction digits kept of volumes (rounded half-even).")
    var quantityDecimals: UInt8 = 8

    static let header = "open_time_ms,sma_20,ema_20,rsi_14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,atr_14,stoch_k,stoch_d,adx_14"

    func run() throws {
        guard priceDecimals <= 12, quantityDecimals <= 12 else {
            fail("--price-decimals and --quantity-decimals must be ≤ 12")
        }
        guard let data = FileManager.default.contents(atPath: csv) else { fail("\(csv): cannot read file") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        guard let first = lines.first else { fail("\(csv): empty file") }
        let layout: KlineCSVLayout
        switch KlineCSVLayout(firstLine: first) {
        case .some(let l): layout = l
        case .none:
            fail("\(csv): expected a header open_time_ms,open,high,low,close,volume or timestamp,open,… "
                 + "(or Binance's headerless kline columns), not '\(first.prefix(80))'")
        }
        let rows = layout.hasHeader ? lines.dropFirst() : lines[...]
        let scales = CandleScales(price: DecimalScale(places: priceDecimals),
                                  quantity: DecimalScale(places: quantityDecimals))

        // Parse everything first: the interval is inferred from the first two open times.
        var parsed: [(line: Int, timeText: Substring, row: KlineCSVRow?)] = []
        parsed.reserveCapacity(rows.count)
        for (offset, line) in rows.enumerated() where !line.isEmpty {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let row = KlineCSVRow(fields: fields, layout: layout, scales: scales)
            parsed.append((offset + (layout.hasHeader ? 2 : 1), fields.first ?? "", row))
        }
        let candleInterval: Interval
        if let name = interval {
            guard let i = Interval(name: name) else { fail("--interval \(name): not a Binance interval (1m, 5m, 1h, …)") }
            candleInterval = i
        } else {
            let times = Array(parsed.lazy.compactMap { $0.row?.openTimeMs }.prefix(2))
            let step = times.count == 2 ? times[1] - times[0] : 0
            guard let i = Interval.allCases.first(where: { $0.durationMs == step }) else {
                fail("\(csv): cannot infer the interval from the first two open times; pass --interval")
            }
            candleInterval = i
        }

        var bank = IndicatorBank(symbol: SymbolID(0), interval: candleInterval)
        var malformed = 0
        var out = Self.header + "\n"
        out.reserveCapacity(1 << 20)
        let stdout = FileHandle.standardOutput
        for entry in parsed {
            guard let row = entry.row else {
                malformed += 1
                FileHandle.standardError.write(Data("\(csv):\(entry.line): malformed line\n".utf8))
                out += entry.timeText + String(repeating: ",", count: 13) + "\n"
                continue
            }
            let kline = row.kline(interval: candleInterval)
            out += String(row.openTimeMs)
            if bank.commit(kline, scales: scales).isAccepted, let s = bank.latest {
                Self.append(s, to: &out)
            } else {
                out += String(repeating: ",", count: 13)
            }
            out += "\n"
            if out.utf8.count > 1 << 20 {
                stdout.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        stdout.write(Data(out.utf8))
        let c = bank.counters
        if c.rejected > 0 || c.gaps > 0 || malformed > 0 {
            var reasons = CandleRejection.allCases.filter { c[$0] > 0 }.map { "\($0) \(c[$0])" }.joined(separator: ", ")
            if !reasons.isEmpty { reasons = " (" + reasons + ")" }
            let summary = "indicators: \(parsed.count) candles, \(c.accepted) accepted, \(c.rejected) refused\(reasons), "
                + "\(malformed) malformed lines, \(c.gaps) gaps (\(c.missingCandles) missing candles)\n"
            FileHandle.standardError.write(Data(summary.utf8))
        }
    }

    static func append(_ s: IndicatorSnapshot, to out: inout String) {
        let v = s.values
        func field(_ bit: IndicatorSet, _ value: Double) {
            out += ","
            if s.ready.contains(bit) { out += String(value) }
        }
        field(.sma, v.sma)
        field(.ema, v.ema)
        field(.rsi, v.rsi)
        field(.macd, v.macd)
        field(.macd, v.macdSignal)
        field(.macd, v.macdHistogram)
        field(.bollinger, v.bollingerUpper)
        field(.bollinger, v.bollingerMiddle)
        field(.bollinger, v.bollingerLower)
        field(.atr, v.atr)
        field(.stochastic, v.stochasticK)
        field(.stochastic, v.stochasticD)
        field(.adx, v.adx)
    }
}

/// The kline CSV layouts `tickline indicators` reads.
enum KlineCSVLayout {
    /// Header `open_time_ms,open,high,low,close,volume[,…]`.
    case openTimeMs
    /// Header `timestamp,open,high,low,close,volume`, times `YYYY-MM-DD HH:MM:SS[.ffffff]` UTC.
    case timestamp
    /// No header: Binance's kline columns (open time ms, open, high, low, close, volume, …).
    case binance

    init?(firstLine: Substring) {
        let fields = firstLine.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 6 else { return nil }
        if fields[0].allSatisfy(\.isNumber) {
            self = .binance
            return
        }
        guard fields[1...5].map(String.init) == ["open", "high", "low", "close", "volume"] else { return nil }
        switch fields[0] {
        case "open_time_ms": self = .openTimeMs
        case "timestamp": self = .timestamp
        default: return nil
        }
    }

    var hasHeader: Bool { self != .binance }
}

/// One parsed CSV line.
struct KlineCSVRow {
    var openTimeMs: Int64
    var open: Price, high: Price, low: Price, close: Price
    var volume: Quantity

    init?(fields: [Substring], layout: KlineCSVLayout, scales: CandleScales) {
        guard fields.count >= 6 else { return nil }
        switch layout {
        case .openTimeMs, .binance:
            guard let t = Int64(fields[0]) else { return nil }
            openTimeMs = t
        case .timestamp:
            guard let t = utcEpochMs(fields[0]) else { return nil }
            openTimeMs = t
        }
        func price(_ s: Substring) -> Price? { Price(String(s), scale: scales.price, rounding: .toNearestOrEven) }
        guard let o = price(fields[1]), let h = price(fields[2]), let l = price(fields[3]), let c = price(fields[4]),
              let v = Quantity(String(fields[5]), scale: scales.quantity, rounding: .toNearestOrEven)
        else { return nil }
        open = o
        high = h
        low = l
        close = c
        volume = v
    }

    func kline(interval: Interval) -> Kline {
        Kline(eventTimeMs: openTimeMs + interval.durationMs - 1, openTimeMs: openTimeMs, interval: interval, open: open,
              high: high, low: low, close: close, volume: volume, quoteVolume: .zero, takerBuyVolume: .zero, tradeCount: 0)
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fff…]` (or with a `T`) in UTC as epoch milliseconds; nil if malformed.
func utcEpochMs(_ text: Substring) -> Int64? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
          bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
          bytes[16] == UInt8(ascii: ":") else { return nil }
    func number(_ range: Range<Int>) -> Int64? {
        var n: Int64 = 0
        for i in range {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            n = n * 10 + Int64(d)
        }
        return n
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
          let minute = number(14..<16), let second = number(17..<19),
          (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
    var millis: Int64 = 0
    if bytes.count > 19 {
        guard bytes[19] == UInt8(ascii: "."), bytes.count > 20, bytes.count <= 38, number(20..<bytes.count) != nil
        else { return nil }
        for i in 20..<23 { millis = millis * 10 + (i < bytes.count ? Int64(bytes[i] &- UInt8(ascii: "0")) : 0) }
    }
    // Days from 1970-01-01 to the civil date (H. Hinnant, "chrono-compatible low-level date algorithms").
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
}
