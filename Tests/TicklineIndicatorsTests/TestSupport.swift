import Foundation
import TicklineCore
import TicklineIndicators

/// The repository root (this file is Tests/TicklineIndicatorsTests/TestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The real kline series, in `../shared/data/klines/` beside the repository (the CI checkout
/// has `../shared` there too); `TICKLINE_KLINES` overrides the folder.
let klinesDirectory: URL = {
    if let path = ProcessInfo.processInfo.environment["TICKLINE_KLINES"] { return URL(fileURLWithPath: path) }
    return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/klines")
}()

/// Expected values written by `Tests/indicators/reference.sh` (scripts/indicator_reference.py).
let referenceDirectory = repositoryRoot.appendingPathComponent(".build/indicator-reference")

/// The three series the TA-Lib comparison covers: name (as in the reference files) → file.
let referenceSeries: [(name: String, file: String, interval: Interval)] = [
    ("XRPUSDT-5m", "XRPUSDT-5m.csv", .m5),
    ("BTCUSDT-PERP-5m", "BTCUSDT-PERP-5m-20230102-20230209.csv", .m5),
    ("BTC-PERP-1m", "BTC-PERP-1m-2022-01.csv", .m1),
]

struct TestDataMissing: Error, CustomStringConvertible {
    var description: String
}

func readLines(_ url: URL) throws -> [Substring] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw TestDataMissing(description: "cannot read \(url.path)")
    }
    return String(decoding: data, as: UTF8.self).split(separator: "\n")
}

/// A kline CSV as `Candle`s, parsing each number with `Double(String)` (correctly rounded, the
/// same double Python's `float()` gives the reference script). Times: `open_time_ms`, or the
/// nautilus `timestamp` column (`YYYY-MM-DD HH:MM:SS.ffffff` UTC, taken as the open time).
func loadCandles(_ file: String) throws -> [Candle] {
    try loadCandles(at: klinesDirectory.appendingPathComponent(file))
}

func loadCandles(at url: URL) throws -> [Candle] {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw TestDataMissing(description: "\(url.path) is missing (reference files: run Tests/indicators/reference.sh)")
    }
    let lines = try readLines(url)
    let file = url.lastPathComponent
    let header = lines[0].split(separator: ",").map(String.init)
    precondition(Array(header[1...5]) == ["open", "high", "low", "close", "volume"], "\(file): header \(header)")
    return lines.dropFirst().map { line in
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        let time = header[0] == "timestamp" ? utcMs(f[0]) : Int64(f[0])!
        return Candle(openTimeMs: time, open: Double(f[1])!, high: Double(f[2])!, low: Double(f[3])!,
                      close: Double(f[4])!, volume: Double(f[5])!)
    }
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` UTC → epoch ms, with Foundation's calendar (independent of
/// the CLI's own parser).
func utcMs(_ text: Substring) -> Int64 {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let n = text.split(whereSeparator: { "-: .".contains($0) }).map { Int($0)! }
    let date = calendar.date(from: DateComponents(year: n[0], month: n[1], day: n[2], hour: n[3], minute: n[4], second: n[5]))!
    return Int64(date.timeIntervalSince1970) * 1000
}

/// A reference CSV: column name → one optional value per candle (nil = no value yet).
struct ReferenceTable {
    var openTimes: [Int64]
    var columns: [String: [Double?]]

    init(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TestDataMissing(description: "\(url.path) is missing: run Tests/indicators/reference.sh first (make test does)")
        }
        let lines = try readLines(url)
        let names = lines[0].split(separator: ",").map(String.init)
        var columns = [[Double?]](repeating: [], count: names.count)
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            for (i, text) in f.enumerated() { columns[i].append(text.isEmpty ? nil : Double(text)!) }
        }
        openTimes = columns[0].map { Int64($0!) }
        self.columns = Dictionary(uniqueKeysWithValues: zip(names, columns))
    }
}

/// The comparison the issue sets: within 1e-9 relative, or absolute for |expected| < 1.
func agrees(_ actual: Double, _ expected: Double, tolerance: Double = 1e-9) -> Bool {
    abs(actual - expected) <= tolerance * max(1, abs(expected))
}

func error(_ actual: Double, _ expected: Double) -> Double { abs(actual - expected) / max(1, abs(expected)) }

/// Equality for hand-worked values computed along a different path than the code's.
func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
    guard let a else { return false }
    return agrees(a, b, tolerance: tolerance)
}
