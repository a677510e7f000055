import Synchronization
import Testing
import TicklineCore
import TicklineEngine
import TicklineTestSupport

@Suite struct PriceCacheTests {
    @Test func updatesOnlyTheGivenFields() {
        let cache = PriceCache(symbolCount: 2)
        cache.update(SymbolID(1), nowNs: 5, lastTrade: Price(raw: 100), bid: Price(raw: 99))
        cache.update(SymbolID(1), nowNs: 6, mark: Price(raw: 101), ask: Price(raw: 102))
        #expect(cache.read(SymbolID(1)) == .init(lastTrade: Price(raw: 100), mark: Price(raw: 101), bid: Price(raw: 99),
                                                 ask: Price(raw: 102), updatedNs: 6))
        #expect(cache.read(SymbolID(0)).lastTrade == .zero)
    }

    /// A writer publishes (x, 2x, 3x, 4x, x) tuples; readers on another thread must never see a
    /// mix of two updates.
    @Test func readersNeverSeeATornUpdate() throws {
        let cache = PriceCache(symbolCount: 1)
        let total: Int64 = 2_000_000
        let done = Atomic<Bool>(false)
        let writer = try TestThread {
            for x in 1...total {
                cache.update(SymbolID(0), nowNs: UInt64(x), lastTrade: Price(raw: x), mark: Price(raw: 2 * x),
                             bid: Price(raw: 3 * x), ask: Price(raw: 4 * x))
            }
            done.store(true, ordering: .releasing)
        }
        var reads = 0, torn = 0, last: Int64 = 0, backwards = 0
        while !done.load(ordering: .acquiring) || reads == 0 {
            let s = cache.read(SymbolID(0))
            let x = s.lastTrade.raw
            if s.mark.raw != 2 * x || s.bid.raw != 3 * x || s.ask.raw != 4 * x || Int64(s.updatedNs) != x { torn += 1 }
            if x < last { backwards += 1 }
            last = x
            reads += 1
        }
        writer.join()
        #expect(torn == 0)
        #expect(backwards == 0)
        #expect(cache.read(SymbolID(0)).lastTrade.raw == total)
        #expect(reads > 0)
    }
}

@Suite struct IndicatorCacheTests {
    /// Every value of update x is x (and its close x): a reader must never see two updates mixed.
    static func update(_ x: Int64, interval: Interval = .m1) -> IndicatorUpdate {
        var v = IndicatorUpdate.Values()
        let d = Double(x)
        (v.sma, v.ema, v.rsi, v.macd, v.macdSignal, v.macdHistogram) = (d, d, d, d, d, d)
        (v.bollingerUpper, v.bollingerMiddle, v.bollingerLower, v.atr, v.stochasticK, v.stochasticD) = (d, d, d, d, d, d)
        (v.obv, v.vwap, v.volumeSMA, v.volumeRatio, v.adx) = (d, d, d, d, d)
        return IndicatorUpdate(ingressNs: UInt64(x), symbol: SymbolID(1), interval: interval, candleOpenTimeMs: x,
                               isClosed: x % 2 == 0, close: Price(raw: x), ready: [.sma, .rsi], values: v)
    }

    @Test func keepsTheLatestPerSymbolAndInterval() throws {
        let cache = IndicatorCache(symbolCount: 2)
        #expect(cache.read(SymbolID(1), .m1) == nil)
        cache.write(Self.update(7))
        cache.write(Self.update(9, interval: .h4))
        let m1 = try #require(cache.read(SymbolID(1), .m1))
        #expect(m1.close.raw == 7 && m1.values == Self.update(7).values && m1.ready == [.sma, .rsi] && !m1.isClosed)
        #expect(cache.read(SymbolID(1), .h4)?.candleOpenTimeMs == 9)
        #expect(cache.read(SymbolID(0), .m1) == nil && cache.read(SymbolID(5), .m1) == nil)
        #expect(cache.writeCount == 2)
    }

    @Test func readersNeverSeeATornUpdate() throws {
        let cache = IndicatorCache(symbolCount: 2)
        let total: Int64 = 300_000
        let done = Atomic<Bool>(false)
        let writer = try TestThread {
            for x in 1...total { cache.write(Self.update(x)) }
            done.store(true, ordering: .releasing)
        }
        var reads = 0, torn = 0
        while !done.load(ordering: .acquiring) || reads == 0 {
            if let u = cache.read(SymbolID(1), .m1) {
                let x = u.close.raw
                if u.values != Self.update(x).values || u.candleOpenTimeMs != x || Int64(u.ingressNs) != x { torn += 1 }
                reads += 1
            }
        }
        writer.join()
        #expect(torn == 0 && reads > 0)
        #expect(cache.read(SymbolID(1), .m1)?.close.raw == total)
    }
}
