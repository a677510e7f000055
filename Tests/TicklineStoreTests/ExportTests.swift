import Glibc
import Testing
import TicklineCore
@testable import TicklineStore

/// `StoreExporter` (what `tickline export` prints) and `TicklineStore.applyRetention`. Expected
/// rows are written out by hand from the sample values: decimals at BTCUSDT/ETHUSDT's Binance
/// scales (price 2 places, quantity 3), snapshot money at 8.
@Suite("Store export and retention")
struct ExportTests {
    static let small = StoreOptions.small(mapSizeBytes: 1 << 20)
    static let symbols = try! SymbolTable([
        .init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)),
        .init(name: "ETHUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)),
    ])
    /// 2026-01-01T00:00:00Z.
    static let t0: Int64 = 1_767_225_600_000

    // MARK: Fixtures

    static func putCandles(_ store: TicklineStore, _ candles: [CandleRecord]) throws {
        let table = store.tables.candles
        try store.market.update { txn in
            for c in candles { try table.put(c, in: txn) }
        }
    }

    static func putSignals(_ store: TicklineStore, _ signals: [Signal]) throws {
        let table = store.tables.signals
        try store.market.update { txn in
            for s in signals { try table.put(s, in: txn) }
        }
    }

    static func candle(_ symbol: UInt16, _ openTimeMs: Int64, _ interval: Interval = .m1, close: Int64 = 4_325_010) -> CandleRecord {
        CandleRecord(symbol: SymbolID(symbol), kline: Samples.kline(openTimeMs, interval, close: close))
    }

    static func snapshot(_ account: UInt16, _ timeMs: Int64, equity: Int64, count: UInt32 = 0) -> PortfolioSnapshot {
        PortfolioSnapshot(account: AccountID(account), timeMs: timeMs, totalEquity: Price(raw: equity),
                          cashBalance: Price(raw: equity), marginUsed: .zero, freeMargin: Price(raw: equity),
                          unrealizedPnL: .zero, positionCount: count)
    }

    /// Candles: BTCUSDT 1m ×2 and 5m, ETHUSDT 1m (written out of key order).
    static func writeCandles(_ store: TicklineStore) throws {
        try putCandles(store, [
            candle(1, t0, close: 295_050),
            candle(0, t0 + 60_000, close: 4_325_100),
            candle(0, t0, .m5),
            candle(0, t0),
        ])
    }

    static func export(_ exporter: StoreExporter, _ query: StoreExportQuery,
                       symbols: SymbolTable = ExportTests.symbols) throws -> (String, StoreExportSummary) {
        var out = ""
        let summary = try exporter.export(query, symbols: symbols) { out += $0 }
        return (out, summary)
    }

    static let candlesCSV = """
        symbol_id,symbol,interval,open_time_ms,open_time,event_time_ms,event_time,open,high,low,close,volume,quote_volume,taker_buy_volume,trade_count
        0,BTCUSDT,1m,1767225600000,2026-01-01T00:00:00.000Z,1767225659999,2026-01-01T00:00:59.999Z,43200.00,43300.00,43100.00,43250.10,12.345,9876543.21,6.000,321
        0,BTCUSDT,1m,1767225660000,2026-01-01T00:01:00.000Z,1767225719999,2026-01-01T00:01:59.999Z,43200.00,43300.00,43100.00,43251.00,12.345,9876543.21,6.000,321
        0,BTCUSDT,5m,1767225600000,2026-01-01T00:00:00.000Z,1767225659999,2026-01-01T00:00:59.999Z,43200.00,43300.00,43100.00,43250.10,12.345,9876543.21,6.000,321
        1,ETHUSDT,1m,1767225600000,2026-01-01T00:00:00.000Z,1767225659999,2026-01-01T00:00:59.999Z,43200.00,43300.00,43100.00,2950.50,12.345,9876543.21,6.000,321

        """

    // MARK: Export

    @Test("candles: CSV with a header and JSON lines, exact decimals, key order; any chunk size", arguments: [1, 2, 4096])
    func candles(chunk: Int) throws {
        try withTempDirectory("export") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            try Self.writeCandles(store)
            let exporter = StoreExporter(store: store)
            exporter.chunkEntries = chunk
            let (csv, summary) = try Self.export(exporter, StoreExportQuery(table: .candles))
            #expect(csv == Self.candlesCSV)
            #expect(summary.rows == 4 && summary.corrupt.isEmpty && summary.unknownSymbols.isEmpty)

            let (jsonl, _) = try Self.export(exporter, StoreExportQuery(table: .candles, format: .jsonl, symbol: SymbolID(1)))
            #expect(jsonl == """
                {"symbol_id":1,"symbol":"ETHUSDT","interval":"1m","open_time_ms":1767225600000,"event_time_ms":1767225659999,"open":"43200.00","high":"43300.00","low":"43100.00","close":"2950.50","volume":"12.345","quote_volume":"9876543.21","taker_buy_volume":"6.000","trade_count":321}

                """)
        }
    }

    @Test("time range [from, to) per series, with symbol filter; empty and inverted ranges", arguments: [1, 4096])
    func candleRange(chunk: Int) throws {
        try withTempDirectory("export") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            try Self.writeCandles(store)
            let exporter = StoreExporter(store: store)
            exporter.chunkEntries = chunk
            // [t0 + 1 min, t0 + 2 min): only BTCUSDT 1m's second candle; every series is visited.
            let (one, _) = try Self.export(exporter, StoreExportQuery(table: .candles, fromMs: Self.t0 + 60_000,
                                                                      toMs: Self.t0 + 120_000))
            let lines = Self.candlesCSV.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(one == lines[0] + "\n" + lines[2] + "\n")
            // [t0, t0 + 1 min) of BTCUSDT: 1m and 5m at t0, not ETHUSDT.
            let (btc, _) = try Self.export(exporter, StoreExportQuery(table: .candles, fromMs: Self.t0, toMs: Self.t0 + 60_000,
                                                                      symbol: SymbolID(0)))
            #expect(btc == lines[0] + "\n" + lines[1] + "\n" + lines[3] + "\n")
            let (none, s) = try Self.export(exporter, StoreExportQuery(table: .candles, fromMs: Self.t0 + 1, toMs: Self.t0 + 1))
            #expect(none == lines[0] + "\n" && s.rows == 0)
            let (later, _) = try Self.export(exporter, StoreExportQuery(table: .candles, format: .jsonl, fromMs: Self.t0 + 120_000))
            #expect(later.isEmpty)
        }
    }

    @Test("signals: levels absent when zero")
    func signals() throws {
        try withTempDirectory("export") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            let flat = Signal(ingressNs: 0, signalID: 8, eventTimeMs: Self.t0 + 2_000, symbol: SymbolID(1), interval: .m1,
                              direction: .flat, scoreBp: 0, confidenceBp: 0, entryPrice: Price(raw: 295_050))
            try Self.putSignals(store, [flat, Samples.signal(7, symbol: 0, timeMs: Self.t0 + 1_000)])
            let exporter = StoreExporter(store: store)
            #expect(try Self.export(exporter, StoreExportQuery(table: .signals)).0 == """
                symbol_id,symbol,event_time_ms,event_time,signal_id,interval,direction,score_bp,confidence_bp,reason_code,entry_price,stop_loss,take_profit
                0,BTCUSDT,1767225601000,2026-01-01T00:00:01.000Z,7,5m,long,-1234,8100,7,43250.10,43000.00,44000.00
                1,ETHUSDT,1767225602000,2026-01-01T00:00:02.000Z,8,1m,flat,0,0,0,2950.50,,

                """)
            #expect(try Self.export(exporter, StoreExportQuery(table: .signals, format: .jsonl)).0 == """
                {"symbol_id":0,"symbol":"BTCUSDT","event_time_ms":1767225601000,"signal_id":7,"interval":"5m","direction":"long","score_bp":-1234,"confidence_bp":8100,"reason_code":7,"entry_price":"43250.10","stop_loss":"43000.00","take_profit":"44000.00"}
                {"symbol_id":1,"symbol":"ETHUSDT","event_time_ms":1767225602000,"signal_id":8,"interval":"1m","direction":"flat","score_bp":0,"confidence_bp":0,"reason_code":0,"entry_price":"2950.50","stop_loss":null,"take_profit":null}

                """)
            // Signals are keyed by symbol, then time: a range applies per symbol.
            #expect(try Self.export(exporter, StoreExportQuery(table: .signals, format: .jsonl, fromMs: Self.t0 + 1_500)).1.rows == 1)
        }
    }

    @Test("trades: open and closed, entry-time range, account and symbol filters")
    func trades() throws {
        try withTempDirectory("export") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            let open = Samples.trade(1, entryTimeMs: Self.t0)
            let second = Samples.trade(2, entryTimeMs: Self.t0 + 3_600_000)
            try store.openTrade(second)
            try store.openTrade(open)
            try store.closeTrade(TradeClose(id: second.id, exitTimeMs: Self.t0 + 7_200_000, exitPrice: Price(raw: 4_400_000),
                                            realizedPnL: Price(raw: 112_485), reason: .takeProfit, exitFees: Price(raw: 18),
                                            exitClientOrderID: 9002))
            let exporter = StoreExporter(store: store)
            let header = "trade_id,account,symbol_id,symbol,side,status,close_reason,entry_time_ms,entry_time,exit_time_ms,"
                + "exit_time,quantity,entry_price,exit_price,stop_loss,take_profit,realized_pnl,fees,signal_id,"
                + "entry_client_order_id,exit_client_order_id\n"
            let openRow = "0000019b76daa8000000000000000001,2,1,ETHUSDT,buy,open,,1767225600000,2026-01-01T00:00:00.000Z,,,"
                + "0.150,43250.10,,43000.00,44000.00,,0.17,42,9001,\n"
            let closedRow = "0000019b771196800000000000000002,2,1,ETHUSDT,buy,closed,take_profit,1767229200000,"
                + "2026-01-01T01:00:00.000Z,1767232800000,2026-01-01T02:00:00.000Z,0.150,43250.10,44000.00,43000.00,"
                + "44000.00,1124.85,0.35,42,9001,9002\n"
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades)).0 == header + openRow + closedRow)
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades, fromMs: Self.t0 + 1)).0 == header + closedRow)
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades, toMs: Self.t0 + 3_600_000)).0 == header + openRow)
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades, format: .jsonl, fromMs: Self.t0 + 1)).0 == """
                {"trade_id":"0000019b771196800000000000000002","account":2,"symbol_id":1,"symbol":"ETHUSDT","side":"buy","status":"closed","close_reason":"take_profit","entry_time_ms":1767229200000,"exit_time_ms":1767232800000,"quantity":"0.150","entry_price":"43250.10","exit_price":"44000.00","stop_loss":"43000.00","take_profit":"44000.00","realized_pnl":"1124.85","fees":"0.35","signal_id":42,"entry_client_order_id":9001,"exit_client_order_id":9002}

                """)
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades, format: .jsonl, toMs: Self.t0 + 1)).0 == """
                {"trade_id":"0000019b76daa8000000000000000001","account":2,"symbol_id":1,"symbol":"ETHUSDT","side":"buy","status":"open","close_reason":null,"entry_time_ms":1767225600000,"exit_time_ms":null,"quantity":"0.150","entry_price":"43250.10","exit_price":null,"stop_loss":"43000.00","take_profit":"44000.00","realized_pnl":null,"fees":"0.17","signal_id":42,"entry_client_order_id":9001,"exit_client_order_id":null}

                """)
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades, account: AccountID(3))).1.rows == 0)
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades, symbol: SymbolID(0))).1.rows == 0)
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades, symbol: SymbolID(1), account: AccountID(2))).1.rows == 2)
        }
    }

    @Test("snapshots: money at 8 places, by account then time")
    func snapshots() throws {
        try withTempDirectory("export") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            try store.putSnapshot(PortfolioSnapshot(account: AccountID(2), timeMs: Self.t0 + 900_000,
                                                    totalEquity: Price(raw: 10_000_000_000), cashBalance: Price(raw: 10_050_000_000),
                                                    marginUsed: .zero, freeMargin: Price(raw: 10_000_000_000),
                                                    unrealizedPnL: Price(raw: -50_000_000), positionCount: 0))
            try store.putSnapshot(PortfolioSnapshot(account: AccountID(1), timeMs: Self.t0,
                                                    totalEquity: Price(raw: 1_000_012_345_678), cashBalance: Price(raw: 999_000_000_000),
                                                    marginUsed: Price(raw: 25_050_000_000), freeMargin: Price(raw: 974_962_345_678),
                                                    unrealizedPnL: Price(raw: 1_012_345_678), positionCount: 1),
                                  positions: [Samples.position(symbol: 0, timeMs: 0)])
            let exporter = StoreExporter(store: store)
            let header = "account,time_ms,time,total_equity,cash_balance,margin_used,free_margin,unrealized_pnl,position_count\n"
            let one = "1,1767225600000,2026-01-01T00:00:00.000Z,10000.12345678,9990.00000000,250.50000000,9749.62345678,10.12345678,1\n"
            let two = "2,1767226500000,2026-01-01T00:15:00.000Z,100.00000000,100.50000000,0.00000000,100.00000000,-0.50000000,0\n"
            #expect(try Self.export(exporter, StoreExportQuery(table: .snapshots)).0 == header + one + two)
            #expect(try Self.export(exporter, StoreExportQuery(table: .snapshots, account: AccountID(2))).0 == header + two)
            #expect(try Self.export(exporter, StoreExportQuery(table: .snapshots, format: .jsonl, account: AccountID(1))).0 == """
                {"account":1,"time_ms":1767225600000,"total_equity":"10000.12345678","cash_balance":"9990.00000000","margin_used":"250.50000000","free_margin":"9749.62345678","unrealized_pnl":"10.12345678","position_count":1}

                """)
            #expect(try Self.export(exporter, StoreExportQuery(table: .snapshotPositions)).0 == """
                account,time_ms,time,symbol_id,symbol,side,quantity,entry_price,mark_price,unrealized_pnl,accrued_funding
                1,1767225600000,2026-01-01T00:00:00.000Z,0,BTCUSDT,buy,0.300,43000.00,43100.00,30.00,-0.40

                """)
            #expect(StoreExportQuery(table: .snapshots, symbol: SymbolID(0)).inapplicableFilter == "symbol")
            #expect(StoreExportQuery(table: .candles, account: AccountID(0)).inapplicableFilter == "account")
        }
    }

    @Test("a symbol id the table does not name: empty name, raw integers, listed in the summary")
    func unknownSymbol() throws {
        try withTempDirectory("export") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            try Self.putCandles(store, [Self.candle(5, Self.t0)])
            let (csv, summary) = try Self.export(StoreExporter(store: store), StoreExportQuery(table: .candles, header: false))
            #expect(csv == "5,,1m,1767225600000,2026-01-01T00:00:00.000Z,1767225659999,2026-01-01T00:00:59.999Z,"
                + "4320000,4330000,4310000,4325010,12345,987654321,6000,321\n")
            #expect(summary.unknownSymbols == [SymbolID(5)])
        }
    }

    @Test("corrupt records (unknown version, wrong length) are reported with table and key and skipped", arguments: [1, 4096])
    func corrupt(chunk: Int) throws {
        try withTempDirectory("export") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            try Self.writeCandles(store)
            let v2 = Self.candle(0, Self.t0 + 60_000), short = Self.candle(1, Self.t0)
            var bytes = [UInt8](repeating: 0, count: CandleRecord.encodedByteCount)
            bytes.withUnsafeMutableBytes { v2.encode(into: $0) }
            bytes[0] = 2
            try Self.overwrite(store, store.tables.candles.db, v2.key, bytes)
            try Self.overwrite(store, store.tables.candles.db, short.key, Array(bytes.dropLast()).with(0, 1))
            let exporter = StoreExporter(store: store)
            exporter.chunkEntries = chunk
            var reported: [StoreError] = []
            var out = ""
            let summary = try exporter.export(StoreExportQuery(table: .candles), symbols: Self.symbols,
                                              onCorrupt: { reported.append($0) }, emit: { out += $0 })
            let expected: [StoreError] = [
                .corruptRecord(table: "candles", key: v2.key.hex, reason: "unknown layout version 2 (this build reads 1)"),
                .corruptRecord(table: "candles", key: short.key.hex, reason: "length 71, layout v1 is 72 bytes"),
            ]
            #expect(reported == expected && summary.corrupt == expected)
            let lines = Self.candlesCSV.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(out == [lines[0], lines[1], lines[3]].joined(separator: "\n") + "\n")
            #expect(summary.rows == 2)
            // Outside the range, a corrupt record is not met at all.
            #expect(try Self.export(exporter, StoreExportQuery(table: .candles, toMs: Self.t0 + 1, symbol: SymbolID(0))).1.corrupt.isEmpty)
        }
    }

    static func overwrite(_ store: TicklineStore, _ db: LMDBDatabase, _ key: StoreKey, _ bytes: [UInt8]) throws {
        try store.market.update { txn in
            try key.withUnsafeBytes { k in try bytes.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
        }
    }

    @Test("read-only open: same rows from a closed store; a missing store or environment is ENOENT")
    func readOnly() throws {
        try withTempDirectory("export") { dir in
            do {
                let store = try TicklineStore(directory: dir.path, options: Self.small)
                try Self.writeCandles(store)
            }
            let exporter = try StoreExporter.openReadOnly(directory: dir.path, tables: [.candles])
            #expect(try Self.export(exporter, StoreExportQuery(table: .candles)).0 == Self.candlesCSV)
            // The journal was not asked for: not opened.
            #expect(try Self.export(exporter, StoreExportQuery(table: .trades)).0 == StoreExportTable.trades.csvHeader)
            #expect(throws: StoreError.io(path: dir.sub("missing"), errno: ENOENT)) {
                _ = try StoreExporter.openReadOnly(directory: dir.sub("missing"))
            }
            mkdir(dir.sub("empty"), 0o750)
            #expect(throws: StoreError.io(path: dir.sub("empty/market/data.mdb"), errno: ENOENT)) {
                _ = try StoreExporter.openReadOnly(directory: dir.sub("empty"), tables: [.signals])
            }
            #expect(access(dir.sub("empty/market"), F_OK) != 0)  // nothing created
        }
    }

    @Test("times: ISO-8601 UTC and epoch ms")
    func times() {
        #expect(StoreExportTime.iso8601(ms: 0) == "1970-01-01T00:00:00.000Z")
        #expect(StoreExportTime.iso8601(ms: -1) == "1969-12-31T23:59:59.999Z")
        #expect(StoreExportTime.iso8601(ms: 1_709_164_800_123) == "2024-02-29T00:00:00.123Z")
        #expect(StoreExportTime.date(ms: Self.t0 - 1) == "2025-12-31")
        #expect(StoreExportTime.parse("2026-01-02T00:00:00Z") == 1_767_312_000_000)
        #expect(StoreExportTime.parse("2026-01-02") == 1_767_312_000_000)
        #expect(StoreExportTime.parse("1767312000000") == 1_767_312_000_000)
        #expect(StoreExportTime.parse("2026-01-01T00:01:00.5+00:00") == Self.t0 + 60_500)
        #expect(StoreExportTime.parse("2026-01-01T00:01Z") == Self.t0 + 60_000)
        #expect(StoreExportTime.parse("2024-02-29T23:59:59.999999Z") == 1_709_251_199_999)
        for bad in ["", "2026-02-29", "2026-13-01", "2026-01-02T00:00:00", "2026-01-02T24:00:00Z", "2026-01-02T00:00:00+01:00",
                    "yesterday", "2026-1-2", "-"] {
            #expect(StoreExportTime.parse(bad) == nil, "\(bad)")
        }
    }

    // MARK: Retention

    /// 2026-01-02T00:00:00Z: snapshots and candles older than 2025-01-02T00:00:00Z go (365 days),
    /// signals older than 2025-10-04T00:00:00Z (90 days).
    static let now: Int64 = 1_767_312_000_000

    static func writeRetentionFixture(_ store: TicklineStore) throws {
        let positions = [Samples.position(symbol: 0, timeMs: 0), Samples.position(symbol: 1, timeMs: 0)]
        try store.putSnapshot(snapshot(1, 1_733_011_200_000, equity: 100_000_000_000, count: 2), positions: positions)  // 2024-12-01 old
        try store.putSnapshot(snapshot(1, 1_735_688_700_000, equity: 100_100_000_000))  // 2024-12-31T23:45 old
        try store.putSnapshot(snapshot(1, 1_735_776_000_000, equity: 100_200_000_000), positions: positions)  // at the cutoff: kept
        try store.putSnapshot(snapshot(1, 1_748_736_000_000, equity: 100_300_000_000))  // 2025-06-01 kept
        try store.putSnapshot(snapshot(2, 1_734_220_800_000, equity: 50_000_000_000))  // 2024-12-15 old
        try putCandles(store, [
            candle(0, 1_735_689_480_000), candle(0, 1_735_689_540_000),  // 2024-12-31T23:58, 23:59 old
            candle(0, 1_735_776_000_000),  // 2025-01-02 kept
            candle(0, 1_704_067_200_000, .m5),  // 2024-01-01 old
            candle(1, 1_717_200_000_000), candle(1, t0),  // 2024-06-01 old, 2026-01-01 kept
        ])
        try putSignals(store, [
            Samples.signal(1, symbol: 0, timeMs: 1_759_276_800_000),  // 2025-10-01 old
            Samples.signal(2, symbol: 0, timeMs: 1_759_622_400_000),  // 2025-10-05 kept
            Samples.signal(3, symbol: 1, timeMs: 1_735_689_600_000),  // 2025-01-01 old
        ])
    }

    static func readAll(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("retention exports, then deletes exactly the records older than the cutoffs, in bounded batches")
    func retention() throws {
        try withTempDirectory("retention") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            try Self.writeRetentionFixture(store)
            let archive = RetentionArchive(storeDirectory: dir.path, nowMs: Self.now, symbols: Self.symbols)
            var seen: [RetentionBatch] = []
            let policy = RetentionPolicy(batchSize: 2)
            let result = try store.applyRetention(nowMs: Self.now, policy: policy) { batch in
                #expect(batch.count >= 1 && batch.count <= 2)
                // Exported before deleted: every record of the batch is still in the store.
                let stillThere = try StoreExporter(store: store).export(StoreExportQuery(table: batch.table), symbols: Self.symbols) { _ in }
                #expect(stillThere.rows >= batch.count)
                seen.append(batch)
                try archive.write(batch)
            }
            #expect(result.snapshots == 3 && result.snapshotPositions == 2 && result.candles == 4 && result.signals == 2)
            #expect(result.largestBatch == 2 && result.corrupt.isEmpty && result.skipped == 0)
            #expect(result.batches == seen.count)
            #expect(seen.map(\.count).reduce(0, +) == result.deleted)

            #expect(archive.path(for: .snapshots) == dir.sub("archive/snapshots-2026-01-02.jsonl"))
            #expect(Self.readAll(archive.path(for: .snapshots)) == """
                {"account":1,"time_ms":1733011200000,"total_equity":"1000.00000000","cash_balance":"1000.00000000","margin_used":"0.00000000","free_margin":"1000.00000000","unrealized_pnl":"0.00000000","position_count":2}
                {"account":1,"time_ms":1735688700000,"total_equity":"1001.00000000","cash_balance":"1001.00000000","margin_used":"0.00000000","free_margin":"1001.00000000","unrealized_pnl":"0.00000000","position_count":0}
                {"account":2,"time_ms":1734220800000,"total_equity":"500.00000000","cash_balance":"500.00000000","margin_used":"0.00000000","free_margin":"500.00000000","unrealized_pnl":"0.00000000","position_count":0}

                """)
            #expect(Self.readAll(archive.path(for: .snapshotPositions)) == """
                {"account":1,"time_ms":1733011200000,"symbol_id":0,"symbol":"BTCUSDT","side":"buy","quantity":"0.300","entry_price":"43000.00","mark_price":"43100.00","unrealized_pnl":"30.00","accrued_funding":"-0.40"}
                {"account":1,"time_ms":1733011200000,"symbol_id":1,"symbol":"ETHUSDT","side":"buy","quantity":"0.300","entry_price":"43000.00","mark_price":"43100.00","unrealized_pnl":"30.00","accrued_funding":"-0.40"}

                """)
            let oldCandles = [Self.candle(0, 1_735_689_480_000), Self.candle(0, 1_735_689_540_000),
                              Self.candle(0, 1_704_067_200_000, .m5), Self.candle(1, 1_717_200_000_000)]
            #expect(Self.readAll(archive.path(for: .candles)) == StoreExport.lines(oldCandles, format: .jsonl, symbols: Self.symbols))
            #expect(Self.readAll(archive.path(for: .signals)) == StoreExport.lines(
                [Samples.signal(1, symbol: 0, timeMs: 1_759_276_800_000), Samples.signal(3, symbol: 1, timeMs: 1_735_689_600_000)],
                format: .jsonl, symbols: Self.symbols))

            // What is left: exactly the records at or after the cutoffs.
            let kept = try store.market.makeReader().read { txn in
                (try store.tables.candles.count(in: txn), try store.tables.signals.count(in: txn))
            }
            #expect(kept.0 == 2 && kept.1 == 1)
            let journalKept = try store.journal.makeReader().read { txn in
                (try store.tables.snapshots.count(in: txn), try store.tables.snapshotPositions.count(in: txn))
            }
            #expect(journalKept.0 == 2 && journalKept.1 == 2)
            #expect(try store.equityCurve(account: AccountID(1), fromMs: 0, toMs: .max).firstEquity.raw == 100_200_000_000)
            #expect(try store.candles(symbol: SymbolID(0), interval: .m1, fromMs: 0, toMs: .max).map(\.kline.openTimeMs)
                    == [1_735_776_000_000])

            // A second run finds nothing more to do and appends nothing.
            let before = Self.readAll(archive.path(for: .candles))
            let again = try store.applyRetention(nowMs: Self.now, policy: policy, export: archive.write)
            #expect(again == RetentionResult())
            #expect(Self.readAll(archive.path(for: .candles)) == before)
        }
    }

    @Test("retention: a failing export deletes nothing of its batch; a record changed meanwhile is kept; corrupt ones stay")
    func retentionFailures() throws {
        try withTempDirectory("retention") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            try Self.writeRetentionFixture(store)
            struct ArchiveDown: Error {}
            #expect(throws: ArchiveDown.self) {
                try store.applyRetention(nowMs: Self.now, policy: RetentionPolicy(batchSize: 10)) { _ in throw ArchiveDown() }
            }
            #expect(try store.journal.makeReader().read { try store.tables.snapshots.count(in: $0) } == 5)

            // Corrupt an old candle; rewrite another while its batch is being exported.
            let bad = Self.candle(1, 1_717_200_000_000)
            var bytes = [UInt8](repeating: 0, count: CandleRecord.encodedByteCount)
            bytes.withUnsafeMutableBytes { bad.encode(into: $0) }
            bytes[0] = 9
            try Self.overwrite(store, store.tables.candles.db, bad.key, bytes)
            let policy = RetentionPolicy(snapshotsDays: 0, candlesDays: 365, signalsDays: 0, batchSize: 10)
            var exported: [RetentionBatch] = []
            let result = try store.applyRetention(nowMs: Self.now, policy: policy) { batch in
                exported.append(batch)
                if case .candles(let c) = batch, let first = c.first {
                    try Self.putCandles(store, [CandleRecord(symbol: first.symbol, kline: Samples.kline(first.kline.openTimeMs, close: 1))])
                }
            }
            #expect(exported.map(\.table) == [.candles])
            #expect(result.candles == 2 && result.skipped == 1 && result.snapshots == 0 && result.signals == 0)
            #expect(result.corrupt == [.corruptRecord(table: "candles", key: bad.key.hex,
                                                      reason: "unknown layout version 9 (this build reads 1)")])
            let left = try store.market.makeReader().read { try store.tables.candles.count(in: $0) }
            #expect(left == 4)  // 2 kept by age, the rewritten one, the corrupt one
        }
    }

    @Test("retention cutoffs: days ≤ 0 keep forever")
    func cutoffs() {
        #expect(RetentionPolicy.cutoffMs(nowMs: Self.now, days: 365) == 1_735_776_000_000)
        #expect(RetentionPolicy.cutoffMs(nowMs: Self.now, days: 90) == 1_759_536_000_000)
        #expect(RetentionPolicy.cutoffMs(nowMs: Self.now, days: 0) == nil)
        #expect(RetentionPolicy.cutoffMs(nowMs: Self.now, days: .max) == nil)
        let p = RetentionPolicy()
        #expect(p.snapshotsDays == 365 && p.candlesDays == 365 && p.signalsDays == 90 && p.batchSize == 1_000)
    }
}

extension Array {
    /// A copy with element `i` replaced.
    fileprivate func with(_ i: Int, _ value: Element) -> [Element] {
        var copy = self
        copy[i] = value
        return copy
    }
}
