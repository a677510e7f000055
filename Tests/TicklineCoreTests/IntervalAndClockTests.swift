import Testing
import TicklineCore

@Suite struct IntervalAndClockTests {
    @Test func namesRoundTrip() {
        for i in Interval.allCases { #expect(Interval(name: i.name) == i) }
        #expect(Interval(name: "2m") == nil)
        #expect(Interval.h4.durationMs == 4 * 3_600_000)
    }

    /// 2023-01-02T00:07:30Z = 1672618050000 ms: its 5m candle opened at 00:05:00 (1672617900000),
    /// its 1h candle at 00:00:00 (1672617600000), its 4h candle at 00:00:00 too.
    @Test func openTimeAlignment() {
        let t: Int64 = 1_672_618_050_000
        #expect(Interval.m5.openTime(containing: t) == 1_672_617_900_000)
        #expect(Interval.h1.openTime(containing: t) == 1_672_617_600_000)
        #expect(Interval.h4.openTime(containing: t) == 1_672_617_600_000)
        #expect(Interval.m1.openTime(containing: 1_672_617_900_000) == 1_672_617_900_000)
        #expect(Interval.m1.openTime(containing: -1) == -60_000)
    }

    @Test func manualClockMovesOnlyWhenTold() {
        let clock = ManualClock(startNs: 100, epochMs: 1_700_000_000_000)
        #expect(clock.nowNs() == 100)
        clock.advance(byNs: 2_000_000)
        #expect(clock.nowNs() == 2_000_100)
        #expect(clock.wallTimeMs() == 1_700_000_000_002)
    }

    @Test func liveClockIsMonotonic() {
        let clock = LiveClock()
        var last = clock.nowNs()
        for _ in 0..<10_000 {
            let now = clock.nowNs()
            #expect(now >= last)
            last = now
        }
        #expect(clock.wallTimeMs() > 1_600_000_000_000)
    }

    @Test func symbolTableInterns() throws {
        let scale2 = DecimalScale(places: 2), scale3 = DecimalScale(places: 3)
        var t = SymbolTable()
        let btc = try t.intern(.init(name: "BTCUSDT", priceScale: scale2, quantityScale: scale3))
        let eth = try t.intern(.init(name: "ETHUSDT", priceScale: scale2, quantityScale: scale3))
        #expect(btc == SymbolID(0) && eth == SymbolID(1))
        #expect(t.id(of: "ETHUSDT") == eth)
        #expect(t.name(of: btc) == "BTCUSDT")
        #expect(throws: SymbolTable.Error.duplicate("BTCUSDT")) {
            try t.intern(.init(name: "BTCUSDT", priceScale: scale2, quantityScale: scale3))
        }
        #expect(throws: SymbolTable.Error.invalidName("btc-usdt")) {
            try t.intern(.init(name: "btc-usdt", priceScale: scale2, quantityScale: scale3))
        }
    }
}
