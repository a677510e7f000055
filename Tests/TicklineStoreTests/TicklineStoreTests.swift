import CLMDB
import Glibc
import Testing
import TicklineCore
@testable import TicklineStore

@Suite("TicklineStore")
struct TicklineStoreTests {
    static let small = StoreOptions.small(mapSizeBytes: 1 << 20)

    @Test("two environments: journal synced at commit, market MDB_NOSYNC")
    func environments() throws {
        try withTempDirectory { dir in
            let store = try TicklineStore(directory: dir.path, options: StoreOptions())
            var jf: UInt32 = 0, mf: UInt32 = 0
            mdb_env_get_flags(store.journal.handle, &jf)
            mdb_env_get_flags(store.market.handle, &mf)
            #expect(jf & UInt32(MDB_NOSYNC) == 0)
            #expect(mf & UInt32(MDB_NOSYNC) != 0)
            #expect(jf & UInt32(MDB_NOTLS) != 0 && mf & UInt32(MDB_NOTLS) != 0)
            #expect(store.journal.mapSizeBytes == 8 << 30)  // large and sparse by default
            #expect(store.market.mapSizeBytes == 32 << 30)
            #expect(access(dir.sub("journal/data.mdb"), F_OK) == 0)
            #expect(access(dir.sub("market/data.mdb"), F_OK) == 0)
            #expect(try store.schemaVersion(.journal) == TicklineStore.currentSchemaVersion)
            #expect(try store.schemaVersion(.market) == TicklineStore.currentSchemaVersion)
        }
    }

    @Test("a trade is inserted on open and closed atomically: exit price, time, PnL, status, reason")
    func tradeOpenClose() throws {
        try withTempDirectory { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            var ids = TradeIDGenerator(processTag: 0xABCD)
            let id = ids.next(entryTimeMs: 1_700_000_000_000)
            var trade = Samples.trade(0)
            trade.id = id
            try store.openTrade(trade)
            #expect(try store.trade(id) == trade)
            #expect(try store.openTrades() == [trade])

            let close = TradeClose(id: id, exitTimeMs: trade.entryTimeMs + 3_600_000, exitPrice: Price(raw: 4_400_000),
                                   realizedPnL: Price(raw: 112_485), reason: .takeProfit, exitFees: Price(raw: 18),
                                   exitClientOrderID: 9002)
            let closed = try store.closeTrade(close)
            #expect(closed.status == .closed)
            #expect(closed.exitPrice == close.exitPrice && closed.exitTimeMs == close.exitTimeMs)
            #expect(closed.realizedPnL == close.realizedPnL && closed.closeReason == .takeProfit)
            #expect(closed.fees.raw == 35 && closed.exitClientOrderID == 9002)
            #expect(closed.entryPrice == trade.entryPrice && closed.quantity == trade.quantity)
            #expect(try store.trade(id) == closed)
            #expect(try store.openTrades().isEmpty)
            #expect(throws: StoreError.tradeNotOpen(key: id.description)) { try store.closeTrade(close) }
            #expect(throws: StoreError.notFound(table: "trades", key: TradeID(high: 1, low: 1).description)) {
                try store.closeTrade(TradeClose(id: TradeID(high: 1, low: 1), exitTimeMs: 1, exitPrice: Price(raw: 1),
                                                realizedPnL: .zero, reason: .manual))
            }
        }
    }

    @Test("a failed close commit leaves the trade exactly as it was (no partial update)")
    func closeIsAtomic() throws {
        try withTempDirectory { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            let trade = Samples.trade(1)
            try store.openTrade(trade)
            let close = TradeClose(id: trade.id, exitTimeMs: trade.entryTimeMs + 1, exitPrice: Price(raw: 4_000_000),
                                   realizedPnL: Price(raw: -48_751), reason: .stopLoss)
            store.journal.faults.failNextCommits([ENOSPC])
            #expect(throws: StoreError.lmdb(.other(code: ENOSPC, message: "No space left on device"), table: "")) {
                try store.closeTrade(close)
            }
            #expect(try store.trade(trade.id) == trade)
            // Invalid close fields: refused before anything is written.
            #expect(throws: StoreError.invalidRecord(table: "trades", field: "exitTimeMs")) {
                try store.closeTrade(TradeClose(id: trade.id, exitTimeMs: trade.entryTimeMs - 1, exitPrice: Price(raw: 1),
                                                realizedPnL: .zero, reason: .manual))
            }
            #expect(throws: StoreError.invalidRecord(table: "trades", field: "reason")) {
                try store.closeTrade(TradeClose(id: trade.id, exitTimeMs: trade.entryTimeMs, exitPrice: Price(raw: 1),
                                                realizedPnL: .zero, reason: .none))
            }
            #expect(try store.trade(trade.id) == trade)
            try store.closeTrade(close)
            #expect(try store.trade(trade.id)?.status == .closed)
        }
    }

    @Test("trades are validated before insert; duplicate ids refused",
          arguments: ["id", "entryTimeMs", "quantity", "entryPrice", "status"])
    func tradeValidation(field: String) throws {
        try withTempDirectory { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            var t = Samples.trade(3)
            switch field {
            case "id": t.id = TradeID(high: 0, low: 0)
            case "entryTimeMs": t.entryTimeMs = 0
            case "quantity": t.quantity = Quantity(raw: 0)
            case "entryPrice": t.entryPrice = Price(raw: -1)
            default: t.status = .closed
            }
            #expect(throws: StoreError.invalidRecord(table: "trades", field: field)) { try store.openTrade(t) }
            #expect(try store.journal.makeReader().read { try store.tables.trades.count(in: $0) } == 0)
            let good = Samples.trade(3)
            try store.openTrade(good)
            #expect(throws: StoreError.duplicateKey(table: "trades", key: good.key.hex)) { try store.openTrade(good) }
        }
    }

    @Test("transient write errors are retried up to 3 times")
    func tradeRetries() throws {
        try withTempDirectory { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            store.journal.faults.failNextCommits([EIO, EAGAIN, EIO])
            try store.openTrade(Samples.trade(1))
            #expect(store.journal.transientRetries == 3)
            #expect(try store.trade(Samples.trade(1).id) != nil)
            store.journal.faults.failNextCommits([EIO, EIO, EIO, EIO])
            #expect(throws: StoreError.self) { try store.openTrade(Samples.trade(2)) }
            #expect(try store.trade(Samples.trade(2).id) == nil)
            #expect(store.journal.faults.pending == 0)
        }
    }

    @Test("open trades survive a reopen, in entry-time order")
    func openTradesAfterReopen() throws {
        try withTempDirectory { dir in
            do {
                let store = try TicklineStore(directory: dir.path, options: Self.small)
                for i: Int64 in [3, 1, 2] { try store.openTrade(Samples.trade(UInt64(i), entryTimeMs: 1_700_000_000_000 + i)) }
                let second = Samples.trade(2, entryTimeMs: 1_700_000_000_002)
                try store.closeTrade(TradeClose(id: second.id, exitTimeMs: second.entryTimeMs + 5,
                                                exitPrice: Price(raw: 1), realizedPnL: .zero, reason: .signal))
            }
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            #expect(try store.openTrades().map(\.entryTimeMs) == [1_700_000_000_001, 1_700_000_000_003])
        }
    }

    @Test("a file created at schema v1 is migrated to v2 at open, once")
    func migration() throws {
        try withTempDirectory { dir in
            var v1 = Self.small
            v1.journalSchemaVersion = 1
            do {
                let store = try TicklineStore(directory: dir.path, options: v1)
                #expect(try store.schemaVersion(.journal) == 1)
                for i: UInt64 in 1...5 { try store.openTrade(Samples.trade(i, entryTimeMs: 1_700_000_000_000 + Int64(i))) }
            }
            // v2 adds a `trades_by_symbol` index (symbol BE, trade id) built from the trades.
            let addIndex = StoreMigration(environment: .journal, fromVersion: 1) { txn, tables in
                let index = try txn.openDatabase("trades_by_symbol")
                try tables.trades.scan(in: txn) { t in
                    var k = StoreKey()
                    k.append(t.symbol.rawValue)
                    k.append(t.id.high)
                    k.append(t.id.low)
                    try k.withUnsafeBytes { kb in try txn.put(index, key: kb, value: UnsafeRawBufferPointer(start: nil, count: 0)) }
                    return true
                }
            }
            var v2 = Self.small
            v2.journalSchemaVersion = 2
            v2.migrations = [addIndex]
            do {
                let store = try TicklineStore(directory: dir.path, options: v2)
                #expect(store.migrationsRun.count == 1)
                #expect(try store.schemaVersion(.journal) == 2)
                #expect(try store.schemaVersion(.market) == 1)
                let index = try store.journal.openDatabase("trades_by_symbol", create: false)
                #expect(try store.journal.makeReader().read { try $0.count(index) } == 5)
                #expect(try store.openTrades().count == 5)  // the data is untouched
            }
            do {
                let again = try TicklineStore(directory: dir.path, options: v2)
                #expect(again.migrationsRun.isEmpty)
            }
            // An older build refuses the newer file instead of misreading it.
            #expect(throws: StoreError.schemaTooNew(environment: "journal", found: 2, supported: 1)) {
                _ = try TicklineStore(directory: dir.path, options: v1)
            }
        }
    }

    @Test("a failing or missing migration leaves the file at its old version")
    func migrationFailure() throws {
        try withTempDirectory { dir in
            var v1 = Self.small
            v1.marketSchemaVersion = 1
            _ = try TicklineStore(directory: dir.path, options: v1)
            var v3 = Self.small
            v3.marketSchemaVersion = 3
            struct Broken: Error {}
            v3.migrations = [
                StoreMigration(environment: .market, fromVersion: 1) { txn, tables in
                    try tables.candles.put(CandleRecord(symbol: SymbolID(1), kline: Samples.kline(0)), in: txn)
                },
            ]
            #expect(throws: StoreError.missingMigration(environment: "market", fromVersion: 2)) {
                _ = try TicklineStore(directory: dir.path, options: v3)
            }
            v3.migrations.append(StoreMigration(environment: .market, fromVersion: 2) { _, _ in throw Broken() })
            #expect(throws: StoreError.migrationFailed(environment: "market", fromVersion: 2, message: "Broken()")) {
                _ = try TicklineStore(directory: dir.path, options: v3)
            }
            let store = try TicklineStore(directory: dir.path, options: { var o = Self.small; o.marketSchemaVersion = 2; return o }())
            #expect(try store.schemaVersion(.market) == 2)  // step 1→2 committed with its bump; 2→3 did not
        }
    }

    @Test("portfolio snapshots by account and time give the equity curve and max drawdown")
    func snapshots() throws {
        try withTempDirectory { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            let equities: [Int64] = [10_000, 10_500, 9_450, 9_900, 11_000, 10_450]
            for (i, e) in equities.enumerated() {
                let t = 1_700_000_000_000 + Int64(i) * 900_000
                try store.putSnapshot(
                    PortfolioSnapshot(account: AccountID(1), timeMs: t, totalEquity: Price(raw: e), cashBalance: Price(raw: e),
                                      marginUsed: .zero, freeMargin: Price(raw: e), unrealizedPnL: .zero, positionCount: 1),
                    positions: [Samples.position(symbol: 1, timeMs: 0)])
                // Another account's snapshots interleave and must not leak into account 1's curve.
                try store.putSnapshot(
                    PortfolioSnapshot(account: AccountID(2), timeMs: t, totalEquity: Price(raw: 1), cashBalance: .zero,
                                      marginUsed: .zero, freeMargin: .zero, unrealizedPnL: .zero, positionCount: 0))
            }
            let curve = try store.equityCurve(account: AccountID(1), fromMs: 0, toMs: .max)
            #expect(curve.snapshots == 6)
            #expect(curve.firstEquity.raw == 10_000 && curve.lastEquity.raw == 10_450 && curve.peakEquity.raw == 11_000)
            #expect(curve.maxDrawdown.raw == 1_050)  // 10 500 → 9 450
            #expect(curve.maxDrawdownBp == 1_000)
            let window = try store.equityCurve(account: AccountID(1), fromMs: 1_700_000_000_000 + 2 * 900_000,
                                               toMs: 1_700_000_000_000 + 3 * 900_000)
            #expect(window.snapshots == 2)
            let rows = try store.journal.makeReader().read { try store.tables.snapshotPositions.count(in: $0) }
            #expect(rows == 6)
        }
    }
}
