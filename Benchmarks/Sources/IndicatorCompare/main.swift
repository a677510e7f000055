// Indicator cost per value: the engine's streaming indicators (TicklineIndicators, one candle at
// a time, as the indicator stage runs them) beside TA-Lib's C functions over the whole series
// (the batch baseline: the ta-lib 0.8.2 wheel's bundled libta-lib, loaded with dlopen, the TA_*
// prototypes declared here by hand) and beside talipp (pure-Python streaming, talipp_bench.py),
// in the same run, on the real BTCUSDT-PERP-5m series.
//
//   swift run -c release IndicatorCompare [rounds]        (from Benchmarks/; default 21 rounds)
//
// Environment: TICKLINE_KLINES (the klines folder), TICKLINE_TALIB (the .so), TICKLINE_VENV (the
// venv with talipp; default ../.build/venv-ta, made by Tests/indicators/reference.sh).
//
// Each round times every indicator once in Swift and once in TA-Lib, the order alternating by
// round; the table shows medians over rounds in ns per value (total time / candles). Before
// timing, the last value of each indicator is checked against TA-Lib's (agreement to 1e-9).

import Foundation
import TicklineCore
import TicklineIndicators

#if canImport(Glibc)
import Glibc
#endif

// MARK: Input

let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 21 : 21
let klines = ProcessInfo.processInfo.environment["TICKLINE_KLINES"] ?? "../../shared/data/klines"
let seriesPath = klines + "/BTCUSDT-PERP-5m-20230102-20230209.csv"
guard let data = FileManager.default.contents(atPath: seriesPath) else { fatalError("cannot read \(seriesPath)") }
let candles: [Candle] = String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst().map { line in
    let f = line.split(separator: ",")
    return Candle(openTimeMs: Int64(f[0])!, open: Double(f[1])!, high: Double(f[2])!, low: Double(f[3])!,
                  close: Double(f[4])!, volume: Double(f[5])!)
}
let n = candles.count
let closes = candles.map(\.close), highs = candles.map(\.high), lows = candles.map(\.low), volumes = candles.map(\.volume)

// MARK: TA-Lib by hand

func findTALib() -> String {
    if let p = ProcessInfo.processInfo.environment["TICKLINE_TALIB"] { return p }
    let site = "../.build/venv-ta/lib"
    let fm = FileManager.default
    for py in (try? fm.contentsOfDirectory(atPath: site)) ?? [] {
        let dir = "\(site)/\(py)/site-packages/ta_lib.libs"
        if let so = (try? fm.contentsOfDirectory(atPath: dir))?.first(where: { $0.hasPrefix("libta-lib") }) { return "\(dir)/\(so)" }
    }
    fatalError("libta-lib not found under \(site)/*/site-packages/ta_lib.libs: run Tests/indicators/reference.sh, or set TICKLINE_TALIB")
}

typealias IntOut = UnsafeMutablePointer<Int32>
typealias DOut = UnsafeMutablePointer<Double>
typealias DIn = UnsafePointer<Double>
// TA_RetCode TA_SMA(int startIdx, int endIdx, const double inReal[], int optInTimePeriod, int *outBegIdx, int *outNBElement, double outReal[]) — also EMA, RSI
typealias TAReal = @convention(c) (Int32, Int32, DIn, Int32, IntOut, IntOut, DOut) -> Int32
// TA_MACD(start, end, inReal, fast, slow, signal, outBeg, outNb, outMACD, outSignal, outHist)
typealias TAMACD = @convention(c) (Int32, Int32, DIn, Int32, Int32, Int32, IntOut, IntOut, DOut, DOut, DOut) -> Int32
// TA_BBANDS(start, end, inReal, period, nbDevUp, nbDevDn, TA_MAType maType, outBeg, outNb, upper, middle, lower)
typealias TABBands = @convention(c) (Int32, Int32, DIn, Int32, Double, Double, Int32, IntOut, IntOut, DOut, DOut, DOut) -> Int32
// TA_ATR / TA_ADX(start, end, high, low, close, period, outBeg, outNb, out)
typealias TAHLC = @convention(c) (Int32, Int32, DIn, DIn, DIn, Int32, IntOut, IntOut, DOut) -> Int32
// TA_STOCH(start, end, high, low, close, fastK, slowK, slowKMAType, slowD, slowDMAType, outBeg, outNb, outK, outD)
typealias TAStoch = @convention(c) (Int32, Int32, DIn, DIn, DIn, Int32, Int32, Int32, Int32, Int32, IntOut, IntOut, DOut, DOut) -> Int32
// TA_OBV(start, end, inReal, inVolume, outBeg, outNb, out)
typealias TAOBV = @convention(c) (Int32, Int32, DIn, DIn, IntOut, IntOut, DOut) -> Int32

let libraryPath = findTALib()
guard let lib = dlopen(libraryPath, RTLD_NOW) else { fatalError("dlopen \(libraryPath): \(String(cString: dlerror()))") }
func symbol<T>(_ name: String, _: T.Type) -> T {
    guard let p = dlsym(lib, name) else { fatalError("\(name) missing from \(libraryPath)") }
    return unsafeBitCast(p, to: T.self)
}
let taInitialize = symbol("TA_Initialize", (@convention(c) () -> Int32).self)
precondition(taInitialize() == 0, "TA_Initialize failed")
let taSMA = symbol("TA_SMA", TAReal.self), taEMA = symbol("TA_EMA", TAReal.self), taRSI = symbol("TA_RSI", TAReal.self)
let taMACD = symbol("TA_MACD", TAMACD.self), taBBANDS = symbol("TA_BBANDS", TABBands.self)
let taATR = symbol("TA_ATR", TAHLC.self), taADX = symbol("TA_ADX", TAHLC.self)
let taSTOCH = symbol("TA_STOCH", TAStoch.self), taOBV = symbol("TA_OBV", TAOBV.self)

var out1 = [Double](repeating: 0, count: n), out2 = out1, out3 = out1
var beg: Int32 = 0, count: Int32 = 0
let end = Int32(n - 1)

/// One TA-Lib call over the whole series; returns the last output value (of the first output).
func talib(_ name: String) -> Double {
    closes.withUnsafeBufferPointer { c in
        highs.withUnsafeBufferPointer { h in
            lows.withUnsafeBufferPointer { l in
                volumes.withUnsafeBufferPointer { v in
                    out1.withUnsafeMutableBufferPointer { o1 in
                        out2.withUnsafeMutableBufferPointer { o2 in
                            out3.withUnsafeMutableBufferPointer { o3 in
                                let rc: Int32
                                switch name {
                                case "sma": rc = taSMA(0, end, c.baseAddress!, 20, &beg, &count, o1.baseAddress!)
                                case "ema": rc = taEMA(0, end, c.baseAddress!, 20, &beg, &count, o1.baseAddress!)
                                case "rsi": rc = taRSI(0, end, c.baseAddress!, 14, &beg, &count, o1.baseAddress!)
                                case "macd":
                                    rc = taMACD(0, end, c.baseAddress!, 12, 26, 9, &beg, &count, o1.baseAddress!, o2.baseAddress!,
                                                o3.baseAddress!)
                                case "bbands":
                                    rc = taBBANDS(0, end, c.baseAddress!, 20, 2, 2, 0, &beg, &count, o1.baseAddress!, o2.baseAddress!,
                                                  o3.baseAddress!)
                                case "atr": rc = taATR(0, end, h.baseAddress!, l.baseAddress!, c.baseAddress!, 14, &beg, &count, o1.baseAddress!)
                                case "adx": rc = taADX(0, end, h.baseAddress!, l.baseAddress!, c.baseAddress!, 14, &beg, &count, o1.baseAddress!)
                                case "stoch":
                                    rc = taSTOCH(0, end, h.baseAddress!, l.baseAddress!, c.baseAddress!, 14, 3, 0, 3, 0, &beg, &count,
                                                 o1.baseAddress!, o2.baseAddress!)
                                case "obv": rc = taOBV(0, end, c.baseAddress!, v.baseAddress!, &beg, &count, o1.baseAddress!)
                                default: fatalError(name)
                                }
                                precondition(rc == 0 && count > 0, "TA_\(name.uppercased()) returned \(rc)")
                                return o1[Int(count) - 1]
                            }
                        }
                    }
                }
            }
        }
    }
}

// MARK: The engine's streaming indicators

/// Feeds every candle to a fresh indicator; returns the last value (the first output).
func swift(_ name: String) -> Double {
    var last = 0.0
    switch name {
    case "sma":
        var x = SMA(period: 20)
        for c in closes { if let v = x.commit(c) { last = v } }
    case "ema":
        var x = EMA(period: 20)
        for c in closes { if let v = x.commit(c) { last = v } }
    case "rsi":
        var x = RSI(period: 14)
        for c in closes { if let v = x.commit(c) { last = v } }
    case "macd":
        var x = MACD(fast: 12, slow: 26, signal: 9)
        for c in closes { if let v = x.commit(c) { last = v.macd } }
    case "bbands":
        var x = BollingerBands(period: 20, deviationsUp: 2, deviationsDown: 2)
        for c in closes { if let v = x.commit(c) { last = v.upper } }
    case "atr":
        var x = ATR(period: 14)
        for c in candles { if let v = x.commit(high: c.high, low: c.low, close: c.close) { last = v } }
    case "adx":
        var x = ADX(period: 14)
        for c in candles { if let v = x.commit(high: c.high, low: c.low, close: c.close) { last = v } }
    case "stoch":
        var x = Stochastic(fastK: 14, slowK: 3, slowD: 3)
        for c in candles { if let v = x.commit(high: c.high, low: c.low, close: c.close) { last = v.k } }
    case "obv":
        var x = OBV()
        for c in candles { last = x.commit(close: c.close, volume: c.volume) }
    case "all":
        var bank = IndicatorBank(symbol: SymbolID(0), interval: .m5)
        for c in candles { bank.commit(c) }
        last = bank.latest!.values.adx
    default: fatalError(name)
    }
    return last
}

func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

@inline(never) func keep(_ x: Double) { if x.isNaN && x == 42 { print(x) } }

func time(_ body: () -> Double) -> Double {
    let t0 = nowNs()
    keep(body())
    return Double(nowNs() - t0) / Double(n)
}

let names = ["sma", "ema", "rsi", "macd", "bbands", "atr", "stoch", "obv", "adx"]

// Agreement first: the last value of each (its first output) against TA-Lib's.
for name in names {
    let a = swift(name), b = talib(name)
    if !(abs(a - b) <= 1e-9 * max(1, abs(b))) { print("warning: \(name): engine \(a), TA-Lib \(b)") }
}

var swiftSamples: [String: [Double]] = [:], talibSamples: [String: [Double]] = [:]
for r in 0..<rounds {
    for name in names + ["all"] {
        let swiftFirst = r % 2 == 0
        for side in swiftFirst ? [0, 1] : [1, 0] {
            if side == 0 {
                swiftSamples[name, default: []].append(time { swift(name) })
            } else if name == "all" {
                talibSamples[name, default: []].append(time { names.reduce(0.0) { $0 + talib($1) } })
            } else {
                talibSamples[name, default: []].append(time { talib(name) })
            }
        }
    }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

// MARK: talipp, same run

var talipp: [String: Double] = [:]
let venv = ProcessInfo.processInfo.environment["TICKLINE_VENV"] ?? "../.build/venv-ta"
let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("talipp_bench.py").path
if FileManager.default.isExecutableFile(atPath: venv + "/bin/python") {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: venv + "/bin/python")
    p.arguments = [script, seriesPath, "3"]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    if let obj = try? JSONSerialization.jsonObject(with: output) as? [String: Any] {
        for (k, v) in obj { if let d = v as? Double { talipp[k] = d } }
    }
} else {
    print("talipp: no venv at \(venv) (run Tests/indicators/reference.sh): skipped")
}

func f(_ x: Double) -> String { x >= 100 ? String(Int(x.rounded())) : String(format: "%.1f", x) }
func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }

print("indicator cost per value, \(n) candles of BTCUSDT-PERP-5m, median of \(rounds) interleaved rounds (ns/value)")
print("indicator" + pad("engine (stream)", 17) + pad("TA-Lib (batch)", 16) + pad("engine/TA-Lib", 15) + pad("talipp", 10)
      + pad("talipp/engine", 15))
var json: [String] = []
for name in names + ["all"] {
    let s = median(swiftSamples[name]!), t = median(talibSamples[name]!)
    let py = talipp[name]
    print(pad(name == "all" ? "all (bank)" : name, 9) + pad(f(s), 17) + pad(f(t), 16) + pad(String(format: "%.2f", s / t), 15)
          + pad(py.map(f) ?? "-", 10) + pad(py.map { String(Int(($0 / s).rounded())) + "×" } ?? "-", 15))
    json.append("\"\(name)\":{\"engine_ns\":\(s),\"talib_ns\":\(t)" + (py.map { ",\"talipp_ns\":\($0)" } ?? "") + "}")
}
print("(all: the engine's IndicatorBank.commit, every indicator incl. VWAP and volume SMA, vs the nine TA-Lib calls)")
print("{" + json.joined(separator: ",") + ",\"candles\":\(n),\"rounds\":\(rounds)}")
