import Foundation
import TicklineTestSupport
import Testing

/// `tickline indicators --csv FILE` against the TA-Lib reference, on all three series.
@Suite struct IndicatorsCommandTests {
    /// The `tickline` built beside this test binary (whatever the scratch path), else .build/debug.
    static var binary: URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("tickline")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return repositoryRoot.appendingPathComponent(".build/debug/tickline")
    }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try runChildProcess(Self.binary, args)
    }

    static let header = "open_time_ms,sma_20,ema_20,rsi_14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,atr_14,stoch_k,stoch_d,adx_14"
    static let referenceColumns = ["sma", "ema", "rsi", "macd", "macd_signal", "macd_hist", "bb_upper", "bb_middle",
                                   "bb_lower", "atr", "stoch_k", "stoch_d", "adx"]

    @Test(arguments: referenceSeries.map(\.name))
    func matchesTheReference(series: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let info = referenceSeries.first { $0.name == series }!
        let reference = try ReferenceTable(referenceDirectory.appendingPathComponent(series + ".csv"))
        let r = try run(["indicators", "--csv", klinesDirectory.appendingPathComponent(info.file).path])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.isEmpty)
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first.map(String.init) == Self.header)
        #expect(lines.last == "")
        let rows = lines.dropFirst().dropLast()
        try #require(rows.count == reference.openTimes.count)
        var emptyMismatches = 0, disagreements = 0, worst = 0.0
        for (i, row) in rows.enumerated() {
            let f = row.split(separator: ",", omittingEmptySubsequences: false)
            try #require(f.count == 14, "row \(i): \(row)")
            #expect(Int64(f[0]) == reference.openTimes[i])
            for (j, name) in Self.referenceColumns.enumerated() {
                let want = reference.columns[name]![i]
                let got = f[j + 1].isEmpty ? nil : Double(f[j + 1])
                guard let want, let got else {
                    if (want == nil) != (got == nil) { emptyMismatches += 1 }
                    continue
                }
                worst = max(worst, error(got, want))
                if !agrees(got, want) { disagreements += 1 }
            }
        }
        #expect(emptyMismatches == 0 && disagreements == 0, "worst error \(worst)")
    }

    @Test func badRowsKeepTheirRowAndAreCounted() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-indicators-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("k.csv")
        var text = "open_time_ms,open,high,low,close,volume\n"
        for i in 0..<25 { text += "\(Int64(i) * 60_000),10,13,9,\(10 + i % 3),5\n" }
        text += "\(24 * 60_000),10,11,9,10,5\n"  // duplicate
        text += "\(25 * 60_000),10,11,9,-10,5\n"  // negative close
        text += "\(26 * 60_000),10,11,9,abc,5\n"  // malformed
        text += "\(28 * 60_000),10,11,9,10,5\n"  // after a gap (25 refused, 26 malformed, 27 absent)
        try text.write(to: file, atomically: true, encoding: .utf8)
        let r = try run(["indicators", "--csv", file.path])
        #expect(r.status == 0)
        let rows = r.out.split(separator: "\n").dropFirst()
        #expect(rows.count == 29)
        #expect(rows.dropFirst(25).prefix(3).allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst().allSatisfy(\.isEmpty) })
        #expect(rows.last!.split(separator: ",", omittingEmptySubsequences: false)[1] != "")  // SMA continues
        #expect(r.err.contains("k.csv:29: malformed line") && r.err.contains("1 malformed lines"), "\(r.err)")
        #expect(r.err.contains("duplicate 1") && r.err.contains("nonPositivePrice 1") && r.err.contains("1 gaps (3 missing candles)"),
                "\(r.err)")
        let missing = try run(["indicators", "--csv", dir.appendingPathComponent("nope.csv").path])
        #expect(missing.status == 2 && missing.err.hasPrefix("tickline: error: "))
    }
}
