import Foundation
import TicklineTestSupport
import Testing
import TicklineStrategy

/// `tickline signals --csv FILE` against the reference sequence.
@Suite struct SignalsCommandTests {
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

    @Test func matchesTheReference() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let reference = try loadReference()
        let r = try run(["signals", "--csv", klinesDirectory.appendingPathComponent(seriesFile).path])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.isEmpty, "\(r.err)")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        let output = parseSignalsCSV(Array(lines.dropLast()))
        #expect(output.header == reference.header)
        try #require(output.rows.count == reference.rows.count)
        var problems: [String] = []
        for (i, (got, want)) in zip(output.rows, reference.rows).enumerated() {
            if got.openTimeMs != want.openTimeMs || got.direction != want.direction {
                problems.append("row \(i): \(got.openTimeMs) \(got.direction), want \(want.openTimeMs) \(want.direction)")
            }
            for (name, _) in numericColumns {
                switch (got.number(name), want.number(name)) {
                case (nil, nil): break
                case let (g?, w?) where agrees(g, w, tolerance: tolerance(name)): break
                default: problems.append("row \(i): \(name) \(got.fields[name] ?? "-"), want \(want.fields[name] ?? "-")")
                }
            }
            for (name, _) in nameColumns where got.fields[name] != want.fields[name] {
                problems.append("row \(i): \(name) \(got.fields[name] ?? "-"), want \(want.fields[name] ?? "-")")
            }
        }
        #expect(problems.isEmpty, "\(problems.count) differences; first: \(problems.prefix(8).joined(separator: "; "))")
    }

    @Test func badInput() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build tickline first")
        let missing = try run(["signals", "--csv", "/nonexistent/k.csv"])
        #expect(missing.status == 2 && missing.err.hasPrefix("tickline: error: "))
        let wrongTrend = try run(["signals", "--csv", klinesDirectory.appendingPathComponent(seriesFile).path,
                                  "--trend-interval", "7m"])
        #expect(wrongTrend.status == 2 && wrongTrend.err.contains("--trend-interval"))
    }
}
