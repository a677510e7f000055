import Foundation
import Testing
import TicklineCore
import TicklineIndicators

/// Every indicator against TA-Lib 0.8.x (C library bundled in the `ta-lib` 0.8.2 wheel) and
/// talipp 2.7.0 on the three real series, with the expected values written by
/// `scripts/indicator_reference.py` (run by `Tests/indicators/reference.sh`).
///
/// The seeding is TA-Lib's (see each indicator's doc comment): EMA, MACD's three EMAs, RSI's and
/// ATR's Wilder averages and ADX's smoothed sums all start from a simple average (or sum) of
/// their first window, and MACD's fast EMA is seeded on the inputs ending where the slow one
/// starts. Because of that nothing needs to decay: the tests require agreement within 1e-9
/// (relative; absolute below 1) from each indicator's first value, and the first value on
/// exactly the candle where TA-Lib's first non-NaN output is. Only Bollinger σ differs beyond
/// rounding noise, as TA-Lib's own E[x²] − mean² cancellation error (≤ 5e-13 of the band here).
@Suite struct ReferenceTests {
    /// Keep in sync with `PARAMETERS` in scripts/indicator_reference.py.
    static let configurations: [String: IndicatorConfiguration] = {
        var alt = IndicatorConfiguration()
        alt.smaPeriod = 7
        alt.emaPeriod = 9
        alt.rsiPeriod = 7
        (alt.macdFast, alt.macdSlow, alt.macdSignal) = (5, 35, 5)
        (alt.bollingerPeriod, alt.bollingerDeviations) = (10, 1.5)
        alt.atrPeriod = 5
        (alt.stochasticFastK, alt.stochasticSlowK, alt.stochasticSlowD) = (9, 1, 4)
        alt.adxPeriod = 7
        alt.volumePeriod = 10
        alt.vwapSessionMs = 14_400_000
        return ["standard": .standard, "alt": alt]
    }()

    /// Reference column, ready bit, value.
    static var columns: [(String, IndicatorSet, KeyPath<IndicatorUpdate.Values, Double>)] { [
        ("sma", .sma, \.sma), ("ema", .ema, \.ema), ("rsi", .rsi, \.rsi),
        ("macd", .macd, \.macd), ("macd_signal", .macd, \.macdSignal), ("macd_hist", .macd, \.macdHistogram),
        ("bb_upper", .bollinger, \.bollingerUpper), ("bb_middle", .bollinger, \.bollingerMiddle),
        ("bb_lower", .bollinger, \.bollingerLower), ("atr", .atr, \.atr),
        ("stoch_k", .stochastic, \.stochasticK), ("stoch_d", .stochastic, \.stochasticD), ("adx", .adx, \.adx),
        ("obv", .obv, \.obv), ("vwap", .vwap, \.vwap), ("volume_sma", .volume, \.volumeSMA),
        ("volume_ratio", .volume, \.volumeRatio),
    ] }

    @Test(arguments: referenceSeries.map(\.name), ["standard", "alt"])
    func agreesWithTALibFromTheFirstValue(series: String, parameters: String) throws {
        let info = referenceSeries.first { $0.name == series }!
        let candles = try loadCandles(info.file)
        let suffix = parameters == "standard" ? "" : "-" + parameters
        let reference = try ReferenceTable(referenceDirectory.appendingPathComponent(series + suffix + ".csv"))
        try #require(reference.openTimes == candles.map(\.openTimeMs), "reference rows and candles differ")

        var bank = IndicatorBank(symbol: SymbolID(1), interval: info.interval,
                                 configuration: Self.configurations[parameters]!)
        var snapshots: [IndicatorSnapshot] = []
        snapshots.reserveCapacity(candles.count)
        var peekMismatches: [Int] = []
        for (i, candle) in candles.enumerated() {
            let provisional = bank.peek(candle)
            #expect(bank.commit(candle) == .accepted, "candle \(i)")
            if provisional != bank.latest { peekMismatches.append(i) }
            snapshots.append(bank.latest!)
        }
        #expect(peekMismatches.isEmpty, "peek ≠ commit at candles \(peekMismatches.prefix(10))")

        for (name, bit, path) in Self.columns {
            let expected = try #require(reference.columns[name], "no column \(name)")
            var firstExpected: Int?, firstReady: Int?
            var readinessMismatches = 0, disagreements = 0, worst = 0.0, worstAt = -1
            for (i, snapshot) in snapshots.enumerated() {
                let ready = snapshot.ready.contains(bit)
                if firstReady == nil && ready { firstReady = i }
                guard let want = expected[i] else {
                    if ready { readinessMismatches += 1 }
                    continue
                }
                if firstExpected == nil { firstExpected = i }
                guard ready else {
                    readinessMismatches += 1
                    continue
                }
                let e = error(snapshot.values[keyPath: path], want)
                if e > worst { (worst, worstAt) = (e, i) }
                if !agrees(snapshot.values[keyPath: path], want) { disagreements += 1 }
            }
            let label = "\(series) \(parameters) \(name)"
            #expect(firstReady == firstExpected,
                    "\(label): first value at \(firstReady ?? -1), reference at \(firstExpected ?? -1)")
            #expect(readinessMismatches == 0, "\(label): \(readinessMismatches) candles ready ≠ reference")
            #expect(disagreements == 0,
                    "\(label): \(disagreements) values beyond 1e-9, worst \(worst) at candle \(worstAt)")
        }
    }

    /// The fixed-point boundary: klines parsed from the CSV text at the series' own scales
    /// convert to exactly the doubles `Double(String)` (and Python's `float`) give.
    @Test(arguments: [("XRPUSDT-5m.csv", 4, 1), ("BTCUSDT-PERP-5m-20230102-20230209.csv", 1, 3)] as [(String, UInt8, UInt8)])
    func klineConversionIsExact(file: String, priceDecimals: UInt8, quantityDecimals: UInt8) throws {
        let scales = CandleScales(price: DecimalScale(places: priceDecimals), quantity: DecimalScale(places: quantityDecimals))
        let lines = try readLines(klinesDirectory.appendingPathComponent(file)).dropFirst()
        var mismatches = 0
        for line in lines {
            let f = line.split(separator: ",").map(String.init)
            let kline = Kline(eventTimeMs: 0, openTimeMs: Int64(f[0])!, interval: .m5,
                              open: Price(f[1], scale: scales.price)!, high: Price(f[2], scale: scales.price)!,
                              low: Price(f[3], scale: scales.price)!, close: Price(f[4], scale: scales.price)!,
                              volume: Quantity(f[5], scale: scales.quantity)!, quoteVolume: .zero,
                              takerBuyVolume: .zero, tradeCount: 0)
            let direct = Candle(openTimeMs: Int64(f[0])!, open: Double(f[1])!, high: Double(f[2])!, low: Double(f[3])!,
                                close: Double(f[4])!, volume: Double(f[5])!)
            if Candle(kline, scales: scales) != direct { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
