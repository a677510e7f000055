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
