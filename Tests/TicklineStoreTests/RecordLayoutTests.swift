import Testing
import TicklineCore
@testable import TicklineStore

/// Every layout through a real LMDB file: encode into the page, decode from the map.
@Suite("Record layouts")
struct RecordLayoutTests {
    /// Writes `record` to `table`, reopens the store, reads it back.
    func roundTrip<R: StoreRecord & Equatable>(
        _ record: R, _ table: KeyPath<StoreTables, StoreTable<R>>, env: StoreEnvironmentKind
    ) throws -> R? {
        try withTempDirectory("layout") { dir in
            do {
                let store = try TicklineStore(directory: dir.path, options: .small(mapSizeBytes: 1 << 20))
                let t = store.tables[keyPath: table]
                try store.environment(env).update { txn in try t.put(record, in: txn) }
            }
            let store = try TicklineStore(directory: dir.path, options: .small(mapSizeBytes: 1 << 20))
            let t = store.tables[keyPath: table]
            return try store.environment(env).makeReader().read { txn in try t.get(record.key, in: txn) }
        }
    }

    @Test("trade") func trade() throws {
        var t = Samples.trade(7)
        t.status = .closed
        t.closeReason = .stopLoss
        t.exitTimeMs = t.entryTimeMs + 60_000
        t.exitPrice = Price(raw: 4_300_000)
        t.realizedPnL = Price(raw: -37_515)
        t.exitClientOrderID = 9002
        #expect(try roundTrip(t, \.trades, env: .journal) == t)
    }

    @Test("order, with and without an execution merged") func order() throws {
        var o = OrderRecord(Samples.intent(11))
        #expect(try roundTrip(o, \.orders, env: .journal) == o)
        o.apply(Samples.fill(11, tradeID: 5))
        #expect(o.status == .filled && o.venueOrderID == 777_011 && o.cumulativeQuantity.raw == 150)
        #expect(try roundTrip(o, \.orders, env: .journal) == o)
    }

    @Test("fill") func fill() throws {
        let f = try #require(FillRecord(Samples.fill(3, tradeID: -9)))  // negative ids keep their sign
        #expect(try roundTrip(f, \.fills, env: .journal) == f)
        #expect(FillRecord(ExecutionReport(ingressNs: 0, eventTimeMs: 1, clientOrderID: 1, account: AccountID(0),
                                           symbol: SymbolID(0), side: .buy, kind: .accepted)) == nil)
    }

    @Test("candle") func candle() throws {
        let c = CandleRecord(symbol: SymbolID(3), kline: Samples.kline(1_700_000_040_000, .h4))
        #expect(try roundTrip(c, \.candles, env: .market) == c)
    }

    @Test("signal (ingressNs is not stored)") func signal() throws {
        let s = Samples.signal(77)
        #expect(try roundTrip(s, \.signals, env: .market) == s)
    }

    @Test("denial") func denial() throws {
        let d = Samples.denial(5)
        #expect(try roundTrip(d, \.denials, env: .journal) == d)
    }

    @Test("portfolio snapshot and position row") func snapshots() throws {
        let s = PortfolioSnapshot(account: AccountID(2), timeMs: 1_700_000_900_000, totalEquity: Price(raw: 10_000_00),
                                  cashBalance: Price(raw: 9_000_00), marginUsed: Price(raw: 500_00),
                                  freeMargin: Price(raw: 9_500_00), unrealizedPnL: Price(raw: -12_34), positionCount: 2)
        #expect(try roundTrip(s, \.snapshots, env: .journal) == s)
        let p = Samples.position(symbol: 4, timeMs: 1_700_000_900_000)
        #expect(try roundTrip(p, \.snapshotPositions, env: .journal) == p)
    }

    @Test("model metadata (variable length, digest checked)") func model() throws {
        try withTempDirectory("layout") { dir in
            let store = try TicklineStore(directory: dir.path, options: .small(mapSizeBytes: 1 << 20))
            let m = ModelMetadata(name: "gbm-btcusdt-1h", kind: 2, featureCount: 24, createdTimeMs: 1_700_000_000_000,
                                  trainedFromMs: 1_600_000_000_000, trainedToMs: 1_690_000_000_000,
                                  validationScoreE8: 61_250_000, payload: Array("{\"depth\":6}".utf8))
            try store.putModel(m)
            #expect(try store.model(named: m.name) == m)
            #expect(try store.model(named: "absent") == nil)
            #expect(throws: StoreError.invalidRecord(table: "models", field: "name (1–32 bytes)")) {
                try store.putModel(ModelMetadata(name: String(repeating: "x", count: 33), kind: 0, featureCount: 0,
                                                 createdTimeMs: 0, trainedFromMs: 0, trainedToMs: 0, validationScoreE8: 0))
            }
            // Flip one payload byte on disk: the digest catches it.
            let key = try #require(ModelMetadata.key(name: m.name))
            try store.journal.update { txn in
                var bytes = [UInt8](repeating: 0, count: m.encodedByteCount)
                bytes.withUnsafeMutableBytes { m.encode(into: $0) }
                bytes[bytes.count - 1] ^= 1
                try key.withUnsafeBytes { k in try bytes.withUnsafeBytes { try txn.put(store.tables.models, key: k, value: $0) } }
            }
            #expect(throws: StoreError.self) { _ = try store.model(named: m.name) }
        }
    }

    @Test("unknown version, wrong length and impossible fields read as corrupt, naming table and key")
    func corruptRecords() throws {
        try withTempDirectory("layout") { dir in
            let store = try TicklineStore(directory: dir.path, options: .small(mapSizeBytes: 1 << 20))
            let trades = store.tables.trades
            let good = Samples.trade(1)
            func overwrite(_ bytes: [UInt8]) throws {
                try self.store(bytes, at: good.key, in: store)
            }
            var bytes = [UInt8](repeating: 0, count: TradeRecord.encodedByteCount)
            bytes.withUnsafeMutableBytes { good.encode(into: $0) }

            var v2 = bytes
            v2[0] = 2
            try overwrite(v2)
            #expect(throws: StoreError.corruptRecord(table: "trades", key: good.key.hex,
                                                     reason: "unknown layout version 2 (this build reads 1)")) {
                _ = try store.trade(good.id)
            }
            try overwrite(Array(bytes.dropLast()))
            #expect(throws: StoreError.corruptRecord(table: "trades", key: good.key.hex,
                                                     reason: "length 103, layout v1 is 104 bytes")) {
                _ = try store.trade(good.id)
            }
            var badSide = bytes
            badSide[2] = 9
            try overwrite(badSide)
            #expect(throws: StoreError.corruptRecord(table: "trades", key: good.key.hex, reason: "impossible value in side")) {
                _ = try store.trade(good.id)
            }
            // A corrupt row is left untouched by a close attempt.
            #expect(throws: StoreError.self) {
                try store.closeTrade(TradeClose(id: good.id, exitTimeMs: good.entryTimeMs + 1, exitPrice: Price(raw: 1),
                                                realizedPnL: .zero, reason: .manual))
            }
            let stored = try store.journal.makeReader().read { txn in
                try good.key.withUnsafeBytes { k in try txn.withValue(trades.db, key: k) { Array($0) } }
            }
            #expect(stored == badSide)
        }
    }

    func store(_ bytes: [UInt8], at key: StoreKey, in store: TicklineStore) throws {
        let db = store.tables.trades.db
        try store.journal.update { txn in
            try key.withUnsafeBytes { k in try bytes.withUnsafeBytes { try txn.put(db, key: k, value: $0) } }
        }
    }

    @Test("layout sizes are what the documentation says")
    func sizes() {
        #expect(TradeRecord.encodedByteCount == 104)
        #expect(OrderRecord.encodedByteCount == 80)
        #expect(FillRecord.encodedByteCount == 64)
        #expect(CandleRecord.encodedByteCount == 72)
        #expect(Signal.encodedByteCount == 40)
        #expect(OrderDenied.encodedByteCount == 32)
        #expect(PortfolioSnapshot.encodedByteCount == 48)
        #expect(PositionUpdate.encodedByteCount == 48)
        #expect(Samples.trade(1).key.count == TradeRecord.keyByteCount)
        #expect(OrderRecord(Samples.intent(1)).key.count == OrderRecord.keyByteCount)
        #expect(FillRecord(Samples.fill(1, tradeID: 1))!.key.count == FillRecord.keyByteCount)
        #expect(CandleRecord(symbol: SymbolID(1), kline: Samples.kline(0)).key.count == CandleRecord.keyByteCount)
        #expect(Samples.signal(1).key.count == Signal.keyByteCount)
        #expect(Samples.denial(1).key.count == OrderDenied.keyByteCount)
        #expect(Samples.position(symbol: 1, timeMs: 0).key.count == PositionUpdate.keyByteCount)
    }

    @Test("candle keys sort by symbol, interval, then open time (negative times first)")
    func candleKeyOrder() throws {
        try withTempDirectory("layout") { dir in
            let store = try TicklineStore(directory: dir.path, options: .small(mapSizeBytes: 4 << 20))
            var candles: [CandleRecord] = []
            for symbol: UInt16 in [2, 1, 300] {
                for interval in [Interval.h1, .m1] {
                    for t: Int64 in [3, -1, 0, 1, 1 << 40, 2, 256] {
                        candles.append(CandleRecord(symbol: SymbolID(symbol), kline: Samples.kline(t * interval.durationMs, interval)))
                    }
                }
            }
            var rng = SystemRandomNumberGenerator()
            candles.shuffle(using: &rng)
            let table = store.tables.candles
            try store.market.update { txn in for c in candles { try table.put(c, in: txn) } }
            let scanned = try store.market.makeReader().read { txn in
                var out: [CandleRecord] = []
                try table.scan(in: txn) { out.append($0); return true }
                return out
            }
            let expected = candles.sorted {
                ($0.symbol.rawValue, $0.kline.interval.rawValue, $0.kline.openTimeMs)
                    < ($1.symbol.rawValue, $1.kline.interval.rawValue, $1.kline.openTimeMs)
            }
            #expect(scanned == expected)
            // A range of one series.
            let range = try store.candles(symbol: SymbolID(2), interval: .m1, fromMs: 0, toMs: 3 * 60_000)
            #expect(range.map(\.kline.openTimeMs) == [0, 60_000, 120_000, 180_000])
            #expect(range.allSatisfy { $0.symbol == SymbolID(2) && $0.kline.interval == .m1 })
        }
    }
}
