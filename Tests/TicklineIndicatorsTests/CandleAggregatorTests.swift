import Testing
import TicklineCore
import TicklineIndicators

@Suite struct CandleAggregatorTests {
    static func m1(_ minute: Int64, _ o: Double, _ h: Double, _ l: Double, _ c: Double, _ v: Double) -> Candle {
        Candle(openTimeMs: 1_700_000_100_000 + minute * 60_000 - 1_700_000_100_000 % 300_000, open: o, high: h,
               low: l, close: c, volume: v)
    }

    /// Five 1m candles by hand into one 5m candle: open of the first, extremes, close of the last,
    /// summed volume, opening on the 5-minute grid; the bucket closes with its fifth minute.
    @Test func handExample() {
        var aggregator = CandleAggregator(from: .m1, to: .m5)
        let minutes = [
            Self.m1(0, 10, 12, 9, 11, 1),
            Self.m1(1, 11, 15, 10, 14, 2),
            Self.m1(2, 14, 14, 8, 9, 3),
            Self.m1(3, 9, 10, 8.5, 10, 4),
            Self.m1(4, 10, 13, 9.5, 12.5, 5),
        ]
        let bucketOpen = minutes[0].openTimeMs
        #expect(bucketOpen % 300_000 == 0)
        for candle in minutes.dropLast() {
            #expect(aggregator.add(candle) == CandleAggregator.Output())
        }
        #expect(aggregator.inProgress == Candle(openTimeMs: bucketOpen, open: 10, high: 15, low: 8, close: 10, volume: 10))
        let out = aggregator.add(minutes[4])
        #expect(out.closed == Candle(openTimeMs: bucketOpen, open: 10, high: 15, low: 8, close: 12.5, volume: 15))
        #expect(out.flushedByGap == nil && aggregator.inProgress == nil)
        #expect(aggregator.completeBuckets == 1 && aggregator.incompleteBuckets == 0)
    }

    /// Gaps: a bucket missing its last minute is flushed when a later bucket starts; one missing a
    /// middle minute still closes with its last; both are counted incomplete. Bad input is refused.
    @Test func gapsAndBadInput() {
        var aggregator = CandleAggregator(from: .m1, to: .m5)
        _ = aggregator.add(Self.m1(0, 10, 11, 9, 10, 1))
        _ = aggregator.add(Self.m1(1, 10, 12, 9, 11, 1))
        #expect(aggregator.add(Self.m1(1, 10, 12, 9, 11, 1)) == CandleAggregator.Output())  // duplicate
        #expect(aggregator.add(Self.m1(2, .nan, 12, 9, 11, 1)) == CandleAggregator.Output())
        // Minutes 2–4 missing: minute 6 flushes bucket 0 and starts bucket 1 (minute 5 missing too).
        let out = aggregator.add(Self.m1(6, 20, 21, 19, 20, 2))
        #expect(out.flushedByGap == Candle(openTimeMs: Self.m1(0, 0, 0, 0, 0, 0).openTimeMs, open: 10, high: 12, low: 9,
                                           close: 11, volume: 2))
        #expect(out.closed == nil)
        _ = aggregator.add(Self.m1(7, 20, 22, 18, 21, 2))
        let last = aggregator.add(Self.m1(9, 21, 23, 20, 22, 2))
        #expect(last.closed == Candle(openTimeMs: Self.m1(5, 0, 0, 0, 0, 0).openTimeMs, open: 20, high: 23, low: 18,
                                      close: 22, volume: 6))
        #expect(aggregator.completeBuckets == 0 && aggregator.incompleteBuckets == 2)
        #expect(aggregator.sequence.counters.duplicate == 1 && aggregator.sequence.counters.nonFinite == 1)
        #expect(aggregator.sequence.counters.gaps == 2 && aggregator.sequence.counters.missingCandles == 5)
        _ = aggregator.add(Self.m1(10, 22, 23, 21, 22, 1))
        #expect(aggregator.flush()?.close == 22)
        #expect(aggregator.flush() == nil)
    }

    /// Real data: the BTC-PERP 1m series rebuilt into 5m, 15m, 1h and 4h candles equals the
    /// reference script's independent grouping (Python), and the indicators on the rebuilt
    /// candles agree with TA-Lib run on the Python ones: the multi-timeframe path end to end.
    @Test(arguments: [("5m", Interval.m5), ("15m", .m15), ("1h", .h1), ("4h", .h4)])
    func oneMinuteSeriesRebuildsLargerIntervals(label: String, target: Interval) throws {
        let minutes = try loadCandles("BTC-PERP-1m-2022-01.csv")
        let expected = try loadCandles(at: referenceDirectory.appendingPathComponent("BTC-PERP-1m-\(label)-candles.csv"))
        let reference = try ReferenceTable(referenceDirectory.appendingPathComponent("BTC-PERP-1m-\(label).csv"))
        var aggregator = CandleAggregator(from: .m1, to: target)
        var bank = IndicatorBank(symbol: SymbolID(0), interval: target)
        var built: [Candle] = []
        var worst = 0.0, readinessMismatches = 0, flushed = 0, refusedPeeks = 0
        for minute in minutes {
            let out = aggregator.add(minute)
            if out.flushedByGap != nil { flushed += 1 }
            guard let candle = out.closed else {
                // The provisional larger candle gives provisional values (`peek`) every minute.
                if let partial = aggregator.inProgress, bank.peek(partial) == nil { refusedPeeks += 1 }
                continue
            }
            built.append(candle)
            #expect(bank.commit(candle) == .accepted)
            let i = built.count - 1
            for (name, bit, path) in ReferenceTests.columns {
                let want = reference.columns[name]![i]
                if bank.latest!.ready.contains(bit) != (want != nil) { readinessMismatches += 1 }
                if let want { worst = max(worst, error(bank.latest!.values[keyPath: path], want)) }
            }
        }
        #expect(built == expected)
        #expect(worst <= 1e-9 && readinessMismatches == 0 && flushed == 0 && refusedPeeks == 0)
        // The file starts at 23:01, so only the first bucket lacks a minute.
        #expect(aggregator.incompleteBuckets == 1 && aggregator.completeBuckets == UInt64(built.count - 1))
    }

    @Test func epochAlignedTargets() {
        for target in [Interval.m5, .m15, .h1, .h4] {
            var aggregator = CandleAggregator(from: .m1, to: target)
            let start = target.openTime(containing: 1_643_000_000_000)
            var closed: [Candle] = []
            let minutes = Int(2 * target.durationMs / 60_000)
            for i in 0..<minutes {
                let x = 100 + Double(i)
                if let c = aggregator.add(Candle(openTimeMs: start + Int64(i) * 60_000, open: x, high: x + 1, low: x - 1,
                                                 close: x + 0.5, volume: 1)).closed { closed.append(c) }
            }
            let per = Double(minutes / 2)
            #expect(closed.count == 2)
            #expect(closed.map(\.openTimeMs) == [start, start + target.durationMs])
            #expect(closed[1] == Candle(openTimeMs: start + target.durationMs, open: 100 + per, high: 100 + 2 * per,
                                        low: 99 + per, close: 99.5 + 2 * per, volume: per))
        }
    }
}
