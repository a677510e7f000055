import Foundation
import Testing

@testable import TicklineSim

/// Replay sources (`--source klines:FILE`, `--source capture:FILE`) driving the market model.
@Suite struct ReplayTests {
    func d(_ s: String) -> SimDecimal { SimDecimal(s)! }

    static func fixture(_ name: String) -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    static let capturePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/btcusdt_20240808-first300.txt").path

    /// Start on a 5-minute boundary so that replayed candles line up with the simulator's.
    static let alignedStart: Int64 = 1_700_000_100_000

    func trades(_ events: [SimEvent], _ symbol: String) -> [(price: SimDecimal, qty: SimDecimal, maker: Bool, time: Int64)] {
        var out: [(SimDecimal, SimDecimal, Bool, Int64)] = []
        for case let .trade(s, _, p, q, m, t) in events where s == symbol { out.append((p, q, m, t)) }
        return out
    }

    // MARK: capture

    @Test func captureTradesAreReplayedWithRecordedPricesAndPace() throws {
        let source = ReplaySource.capture(text: Self.fixture("btcusdt_20240808-first300.txt"))
        #expect(source.skipped == 0)
        #expect(source.symbols == ["BTCUSDT"])
        #expect(source.tradeCount("BTCUSDT") == 39)
        #expect(source.originMs == 1_723_161_256_299)  // E of line 1 (a depth diff)

        let e = Fixture.exchange()
        #expect(e.attachReplay(source, speed: 1) == ["BTCUSDT"])
        let events = e.advance(toMs: Fixture.startMs + 1_000)
        let t = trades(events, "BTCUSDT")
        #expect(t.count == 39)  // only the replayed trades: no random-walk prints for BTCUSDT
        // Lines 3, 10, 15, 18, 21, 26, 29, 30 of the fixture (hand-checkable):
        let expected: [(String, String, Bool, Int64)] = [
            ("61800.30", "0.006", false, 1_723_161_256_322), ("61800.30", "0.199", false, 1_723_161_256_344),
            ("61800.30", "0.045", false, 1_723_161_256_431), ("61800.30", "0.011", false, 1_723_161_256_477),
            ("61800.20", "0.015", true, 1_723_161_256_523), ("61800.30", "0.003", false, 1_723_161_256_624),
            ("61800.20", "0.244", true, 1_723_161_256_671), ("61800.20", "0.042", true, 1_723_161_256_671),
        ]
        for (i, x) in expected.enumerated() {
            #expect(t[i].price == d(x.0))
            #expect(t[i].qty == d(x.1))
            #expect(t[i].maker == x.2)
            #expect(t[i].time == Fixture.startMs + (x.3 - 1_723_161_256_299))
        }
        // Every trade of the fixture, independently extracted from the text.
        let fromText = Self.fixture("btcusdt_20240808-first300.txt").split(separator: "\n").compactMap { line -> SimDecimal? in
            guard line.contains("\"e\":\"trade\""), let r = line.range(of: "\"p\":\"") else { return nil }
            return SimDecimal(String(line[r.upperBound...].prefix { $0 != "\"" }))
        }
        #expect(t.map(\.price) == fromText)
        #expect(t.last!.price == d("61800.00") && t.last!.qty == d("1.768"))

        // The book, mark and last price follow the replay.
        #expect(e.lastPrice("BTCUSDT") == d("61800.00"))
        let top = try #require(e.bookTicker("BTCUSDT"))
        #expect(top.bidPrice == d("61799.90") && top.askPrice == d("61800.10"))
        #expect(e.book("BTCUSDT", limit: 1000).bids.count >= 20)
        #expect(e.markInfo("BTCUSDT")?.markPrice == d("61800.00"))
        // ETHUSDT is not in the capture: it keeps its walk.
        #expect(!trades(events, "ETHUSDT").isEmpty)
    }

    @Test func replayRunsOutIntoTheRandomWalkFromTheLastPrice() {
        let e = Fixture.exchange()
        e.attachReplay(ReplaySource.capture(text: Self.fixture("btcusdt_20240808-first300.txt")))
        _ = e.advance(toMs: Fixture.startMs + 1_000)
        #expect(!e.isReplaying("BTCUSDT"))
        let later = trades(e.advance(toMs: Fixture.startMs + 3_000), "BTCUSDT")
        #expect(!later.isEmpty)
        // The walk moves at most ~2·10⁻⁵ per 100 ms step: it starts from 61 800, not 43 250.
        let first = later[0].price
        #expect(first > d("61700") && first < d("61900"))
    }

    @Test func speedCompressesTime() {
        let csv = Self.fixture("BTCUSDT-PERP-5m-first20.csv")
        let e = Fixture.exchange(startMs: Self.alignedStart)
        e.attachReplay(ReplaySource.klines(csv: csv, symbol: "BTCUSDT"), speed: 10)
        let t = trades(e.advance(toMs: Self.alignedStart + 60_000), "BTCUSDT")
        // 5 m candles at ×10: one candle per 30 s, trades at +0, +7.5 s, +15 s, +22.5 s of it.
        #expect(t.prefix(9).map { $0.time - Self.alignedStart } == [0, 7_500, 15_000, 22_500, 30_000, 37_500, 45_000, 52_500, 60_000])
        // 60 s of simulated time hold 2 candles of data (10 minutes).
        #expect(t.count == 9)

        let c = Fixture.exchange()
        c.attachReplay(ReplaySource.capture(text: Self.fixture("btcusdt_20240808-first300.txt")), speed: 10)
        let ct = trades(c.advance(toMs: Fixture.startMs + 100), "BTCUSDT")
        // The whole ~0.94 s of trades fits in 100 ms at ×10; offsets are divided by 10 (floor).
        #expect(ct.count == 39)
        #expect(ct.first!.time == Fixture.startMs + 2)  // 23 ms / 10
        #expect(ct.last!.time == Fixture.startMs + 94)  // 940 ms / 10
    }

    // MARK: klines

    @Test func klineReplayRebuildsTheCsvCandles() throws {
        let csv = Self.fixture("BTC-PERP-1m-2022-01-first30.csv")
        let source = ReplaySource.klines(csv: csv, symbol: "BTCUSDT")
        #expect(source.skipped == 0)
        #expect(source.tradeCount("BTCUSDT") == 30 * 4)
        #expect(source.originMs == 1_640_991_660_000)  // 2021-12-31 23:01:00 UTC
        let e = Fixture.exchange(startMs: Self.alignedStart)
        e.attachReplay(source, speed: 1)
        _ = e.advance(toMs: Self.alignedStart + 4 * 60_000)
        let k = try #require(e.klines("BTCUSDT", interval: "1m", startTime: Self.alignedStart, endTime: nil, limit: 10).value)
        let rows: [(String, String, String, String)] = [
            ("46319.0", "46385.0", "46319.0", "46377.0"),
            ("46377.0", "46411.0", "46377.0", "46411.0"),
            ("46411.0", "46425.0", "46411.0", "46425.0"),
            ("46425.0", "46425.0", "46420.0", "46420.0"),
        ]
        for (i, r) in rows.enumerated() {
            #expect(k[i].openTime == Self.alignedStart + Int64(i) * 60_000)
            #expect((k[i].open, k[i].high, k[i].low, k[i].close) == (d(r.0), d(r.1), d(r.2), d(r.3)))
            #expect(k[i].trades == 4)
        }
        #expect(e.markInfo("BTCUSDT")?.markPrice == d("46420.0"))
    }

    @Test func fiveMinuteCandleKeepsOhlcAndVolume() throws {
        let e = Fixture.exchange(startMs: Self.alignedStart)
        e.attachReplay(ReplaySource.klines(csv: Self.fixture("BTCUSDT-PERP-5m-first20.csv"), symbol: "BTCUSDT"))
        _ = e.advance(toMs: Self.alignedStart + 10 * 60_000)
        let k = try #require(e.klines("BTCUSDT", interval: "5m", startTime: Self.alignedStart, endTime: nil, limit: 2).value)
        // 1672677900000,16727.3,16728.8,16726.0,16726.1,691.508 (falling: O, H, L, C)
        #expect((k[0].open, k[0].high, k[0].low, k[0].close) == (d("16727.3"), d("16728.8"), d("16726.0"), d("16726.1")))
        #expect(k[0].volume == d("691.508"))
        #expect((k[1].open, k[1].high, k[1].low, k[1].close) == (d("16726.0"), d("16726.8"), d("16705.0"), d("16707.5")))
        #expect(k[1].volume == d("1301.173"))  // 4 × 325.29325: the sub-step remainder is carried, not lost
    }

    @Test func klinePricesAreRoundedToTickAndClampedToPriceFilter() {
        let csv = """
            open_time_ms,open,high,low,close,volume
            1700000100000,43000.04,43000.26,5,43000.15,
            """
        let source = ReplaySource.klines(csv: csv, symbol: "BTCUSDT")
        #expect(source.skipped == 0)
        let e = Fixture.exchange(startMs: Self.alignedStart)
        e.attachReplay(source)
        let t = trades(e.advance(toMs: Self.alignedStart + 60_000), "BTCUSDT")
        // Rising candle: O, L, H, C; low 5 is below minPrice 556.80 (clamped); .04 → .0, .26 → .3, .15 → .2 (nearest, ties to even).
        #expect(t.prefix(4).map(\.price) == [d("43000.0"), d("556.8"), d("43000.3"), d("43000.2")])
        #expect(t.prefix(4).allSatisfy { $0.qty == SimSymbolSpec.btcusdt.minQty })  // empty volume
    }

    @Test func otherCsvShapesParse() {
        // data.binance.vision archive: no header, 12 columns, close time present.
        let archive = """
            1637971200000,0.00002853,0.00002854,0.00002851,0.00002854,36304.20000000,1637971259999,1.03547608,79,19523.00000000,0.55694227,0
            1637971260000,0.00002854,0.00002860,0.00002854,0.00002859,89196.60000000,1637971319999,2.54751330,98,59004.20000000,1.68545512,0
            """
        let a = ReplaySource.klines(csv: archive, symbol: "ADABTC")
        #expect(a.skipped == 0 && a.tradeCount("ADABTC") == 8)
        #expect(a.trades["ADABTC"]!.map(\.timeMs).prefix(5) == [1_637_971_200_000, 1_637_971_215_000, 1_637_971_230_000, 1_637_971_245_000, 1_637_971_260_000])
        #expect(ReplaySource.parseTime("2021-12-31T23:01:00Z") == 1_640_991_660_000)
        #expect(ReplaySource.parseTime("2024-02-29 12:00:00.250") == 1_709_208_000_250)
        #expect(ReplaySource.parseTime("1640991660") == 1_640_991_660_000)
    }

    // MARK: bad input

    @Test func malformedCsvRowsAreSkippedAndCounted() {
        let csv = """
            open_time_ms,open,high,low,close,volume
            1672677900000,16727.3,16728.8,16726.0,16726.1,691.508
            garbage
            1672678200000,abc,16726.8,16705.0,16707.5,1301.173
            1672678200000,16726.0,16700.0,16705.0,16707.5,1301.173
            1672678200000,16726.0,16726.8
            1672677900000,16727.3,16728.8,16726.0,16726.1,691.508
            1672678200000,16726.0,16726.8,16705.0,16707.5,1301.173

            1672678500000,-1,16711.8,16704.0,16704.1,566.041
            """
        let s = ReplaySource.klines(csv: csv, symbol: "BTCUSDT")
        #expect(s.skipped == 6)
        #expect(s.tradeCount("BTCUSDT") == 8)
        #expect(ReplaySource.klines(csv: "", symbol: "BTCUSDT").symbols.isEmpty)
        #expect(ReplaySource.klines(csv: "a,b,c\n1,2\n", symbol: "BTCUSDT").skipped == 2)
    }

    @Test func malformedCaptureLinesAreSkippedAndCounted() {
        let good = #"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":1,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#
        let eth = #"1723161255088176999 {"stream":"ethusdt@trade","data":{"e":"trade","E":1723161256400,"T":1723161256400,"s":"ETHUSDT","t":2,"p":"2680.11","q":"1.5","X":"MARKET","m":true}}"#
        let lines = [
            #"1723161255030314667 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":1,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256300,"E":1723161256300}}"#,
            "not-a-number {\"e\":\"trade\"}",
            "1723161255088176368 this is not json",
            #"1723161255088176369 {"stream":"btcusdt@trade","data":{"e":"trade","p":}"#,
            #"1723161255088176370 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","q":"1","m":true}}"#,
            good,
            "",
            "1723161255088176371",
            eth,
        ]
        let s = ReplaySource.capture(text: lines.joined(separator: "\n"))
        #expect(s.skipped == 5)
        #expect(s.symbols == ["BTCUSDT", "ETHUSDT"])
        #expect(s.originMs == 1_723_161_256_300)
        let e = Fixture.exchange()
        #expect(e.attachReplay(s) == ["BTCUSDT", "ETHUSDT"])
        let events = e.advance(toMs: Fixture.startMs + 100)
        #expect(trades(events, "BTCUSDT").map(\.price) == [d("61800.30")])
        #expect(trades(events, "ETHUSDT").map(\.price) == [d("2680.11")])
        #expect(ReplaySource.capture(text: "").symbols.isEmpty)
    }

    @Test func captureTradesAreReplayedInTradeTimeOrder() {
        let text = [
            #"1 {"stream":"btcusdt@trade","data":{"e":"trade","E":1000,"T":1000,"s":"BTCUSDT","t":1,"p":"100.0","q":"1","m":true}}"#,
            #"2 {"stream":"btcusdt@trade","data":{"e":"trade","E":1100,"T":1050,"s":"BTCUSDT","t":3,"p":"300.0","q":"1","m":true}}"#,
            #"3 {"stream":"btcusdt@trade","data":{"e":"trade","E":1100,"T":1020,"s":"BTCUSDT","t":2,"p":"200.0","q":"1","m":true}}"#,
            #"4 {"stream":"btcusdt@trade","data":{"e":"trade","E":1100,"T":1050,"s":"BTCUSDT","t":4,"p":"400.0","q":"1","m":true}}"#,
        ].joined(separator: "\n")
        let s = ReplaySource.capture(text: text)
        #expect(s.trades["BTCUSDT"]!.map(\.price) == [d("100"), d("200"), d("300"), d("400")])
    }

    // MARK: loader (the `--source` strings)

    @Test func loaderParsesSourceStrings() throws {
        #expect(try SimReplayLoader.load("random") == nil)
        #expect(SimReplayLoader.validateForm("random") == nil)
        #expect(SimReplayLoader.validateForm("klines:") != nil)
        #expect(SimReplayLoader.validateForm("foo:bar") != nil)
        #expect(throws: SimConfigError.self) { try SimReplayLoader.load("foo:bar") }
        #expect(throws: SimConfigError.self) { try SimReplayLoader.load("klines:/nonexistent/file.csv") }
        #expect(throws: SimConfigError.self) { try SimReplayLoader.load("capture:/nonexistent/file.gz") }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("k.csv")
        try Self.fixture("BTCUSDT-PERP-5m-first20.csv").write(to: csv, atomically: true, encoding: .utf8)
        let k = try #require(try SimReplayLoader.load("klines:\(csv.path)@ethusdt"))
        #expect(k.symbols == ["ETHUSDT"] && k.tradeCount("ETHUSDT") == 80)
        #expect(try SimReplayLoader.load("klines:\(csv.path)")?.symbols == ["BTCUSDT"])

        // Plain text and gzip (through the system gzip) give the same trades.
        let plain = try #require(try SimReplayLoader.load("capture:\(Self.capturePath)"))
        let gz = dir.appendingPathComponent("c.txt")
        try FileManager.default.copyItem(atPath: Self.capturePath, toPath: gz.path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-f", gz.path]
        try p.run()
        p.waitUntilExit()
        let zipped = try #require(try SimReplayLoader.load("capture:\(gz.path).gz"))
        #expect(zipped.trades == plain.trades && plain.tradeCount("BTCUSDT") == 39)
    }
}
