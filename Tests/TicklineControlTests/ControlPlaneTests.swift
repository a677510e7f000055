import Foundation
import Testing
@testable import TicklineControl
import TicklineCore
import TicklineEngine
@testable import TicklineStore
import TicklineTestSupport

/// The REST API over a live server on an ephemeral port: what each endpoint serves from what the
/// data plane published, per-account filtering, the commands into risk's ring, the cache, bad input.
@Suite(.serialized) struct ControlPlaneTests {
    static let t0: Int64 = 1_795_608_000_000
    let btc = SymbolID(0), eth = SymbolID(1)

    func withHarness(_ body: (ControlHarness) async throws -> Void) async throws {
        let h = try await ControlHarness()
        do {
            try await body(h)
        } catch {
            await h.stop()
            throw error
        }
        await h.stop()
    }

    /// The data plane's view of a trading session: a BTC long of account 0 (opened, then marked),
    /// an ETH short of account 1, both accounts' portfolios, a signal, and prices.
    func publishSession(_ h: ControlHarness) {
        h.publish(.tradeOpened(TradeOpened(
            ingressNs: 1, entryTimeMs: Self.t0, positionID: 7, account: AccountID(0), symbol: btc, side: .buy,
            quantity: Quantity(raw: 100), entryPrice: Price(raw: 4_325_010), stopLoss: Price(raw: 4_238_500),
            takeProfit: Price(raw: 4_500_000), signalID: 3, entryClientOrderID: 11)))
        h.publish(.positionUpdated(PositionUpdate(
            timeNs: 2, eventTimeMs: Self.t0 + 5_000, account: AccountID(0), symbol: btc, side: .buy,
            quantity: Quantity(raw: 150), entryPrice: Price(raw: 4_326_000), markPrice: Price(raw: 4_330_000),
            unrealizedPnL: Price(raw: 600), accruedFunding: Price(raw: -12))))
        h.publish(.tradeOpened(TradeOpened(
            ingressNs: 1, entryTimeMs: Self.t0 + 1_000, positionID: 8, account: AccountID(1), symbol: eth, side: .sell,
            quantity: Quantity(raw: 2_000), entryPrice: Price(raw: 230_000))))
        for (a, equity) in [(0, 1_000_000_000_000), (1, 500_000_000_000)] as [(UInt16, Int64)] {
            h.publish(.accountUpdated(AccountSnapshot(
                timeNs: 3, timeMs: Self.t0 + 6_000, account: AccountID(a), equity: Price(raw: equity),
                cashBalance: Price(raw: equity - 600_000), marginUsed: Price(raw: 64_890_000_000),
                freeMargin: Price(raw: equity - 64_890_000_000), unrealizedPnL: Price(raw: 600_000), positionCount: 1)))
        }
        h.publish(.signalGenerated(Signal(
            ingressNs: 4, signalID: 42, eventTimeMs: Self.t0 + 60_000, symbol: eth, interval: .m5, direction: .short,
            scoreBp: -6_500, confidenceBp: 7_200, entryPrice: Price(raw: 229_950), stopLoss: Price(raw: 234_550),
            takeProfit: Price(raw: 222_100))))
        h.prices.update(btc, nowNs: 10, lastTrade: Price(raw: 4_330_010), mark: Price(raw: 4_330_000),
                        bid: Price(raw: 4_330_000), ask: Price(raw: 4_330_010))
    }

    @Test func everyReadEndpointServesWhatWasPublished() async throws {
        try await withHarness { h in
            publishSession(h)
            let trade = TradeRecord(id: TradeID(high: UInt64(Self.t0), low: 5), account: AccountID(0), symbol: btc, side: .buy,
                                    entryTimeMs: Self.t0, quantity: Quantity(raw: 100), entryPrice: Price(raw: 4_325_010))
            try h.store.openTrade(trade)
            try ExportFixtures.putCandles(h.store, [
                ExportFixtures.candle(btc, Self.t0, .m1, close: 4_330_000),
                ExportFixtures.candle(btc, Self.t0 + 60_000, .m1, close: 4_331_000),
                ExportFixtures.candle(btc, Self.t0, .m5, close: 4_332_000),
            ])
            try h.store.putSnapshot(PortfolioSnapshot(account: AccountID(0), timeMs: Self.t0, totalEquity: Price(raw: 1_000_000_000_000),
                                                      cashBalance: Price(raw: 1_000_000_000_000), marginUsed: .zero,
                                                      freeMargin: Price(raw: 1_000_000_000_000), unrealizedPnL: .zero, positionCount: 0))
            try h.store.putSnapshot(PortfolioSnapshot(account: AccountID(0), timeMs: Self.t0 + 900_000,
                                                      totalEquity: Price(raw: 900_000_000_000), cashBalance: Price(raw: 900_000_000_000),
                                                      marginUsed: .zero, freeMargin: Price(raw: 900_000_000_000), unrealizedPnL: .zero,
                                                      positionCount: 0))
            let token = try await h.token()

            let version = try #require(try await h.json("/api/v1/version", token: token) as? [String: Any])
            #expect(version["version"] as? String == "test")

            let prices = try #require(try await h.json("/api/v1/prices?symbol=btcusdt", token: token) as? [[String: Any]])
            #expect(prices.count == 1 && prices[0]["last"] as? String == "43300.10" && prices[0]["bid"] as? String == "43300.00")

            // The BTC long as last marked (quantity 0.150 after a second fill), with the levels it opened with.
            let positions = try #require(try await h.json("/api/v1/positions", token: token) as? [[String: Any]])
            #expect(positions.count == 2)
            let long = try #require(positions.first)
            #expect(long["symbol"] as? String == "BTCUSDT" && long["side"] as? String == "buy" && long["account"] as? Int == 0)
            #expect(long["quantity"] as? String == "0.150" && long["entry_price"] as? String == "43260.00")
            #expect(long["mark_price"] as? String == "43300.00" && long["unrealized_pnl"] as? String == "6.00")
            #expect(long["stop_loss"] as? String == "42385.00" && long["take_profit"] as? String == "45000.00")
            #expect(positions[1]["symbol"] as? String == "ETHUSDT" && positions[1]["quantity"] as? String == "2.000")

            let portfolio = try #require(try await h.json("/api/v1/portfolio", token: token) as? [[String: Any]])
            #expect(portfolio.map { $0["account"] as? Int } == [0, 1])
            #expect(portfolio[0]["total_equity"] as? String == "10000.00000000")
            #expect(portfolio[0]["margin_used"] as? String == "648.90000000")

            let accounts = try #require(try await h.json("/api/v1/accounts", token: token) as? [String: Any])
            #expect(accounts["global_trading_enabled"] as? Bool == true)
            let rows = try #require(accounts["accounts"] as? [[String: Any]])
            #expect(rows.map { $0["name"] as? String } == ["main", "second"])
            #expect(rows.map { $0["trading_enabled"] as? Bool } == [true, false])

            let signals = try #require(try await h.json("/api/v1/signals", token: token) as? [[String: Any]])
            #expect(signals.count == 1 && signals[0]["direction"] as? String == "short")
            #expect(signals[0]["confidence_bp"] as? Int == 7_200 && signals[0]["take_profit"] as? String == "2221.00")

            let trades = try #require(try await h.json("/api/v1/trades?symbol=BTCUSDT", token: token) as? [[String: Any]])
            #expect(trades.count == 1 && trades[0]["trade_id"] as? String == trade.id.description)
            #expect(trades[0]["entry_price"] as? String == "43250.10")

            let candles = try #require(try await h.json("/api/v1/candles?symbol=BTCUSDT&interval=1m", token: token) as? [[String: Any]])
            #expect(candles.map { $0["close"] as? String } == ["43300.00", "43310.00"], "the 1m series only")
            let last = try #require(try await h.json("/api/v1/candles?symbol=BTCUSDT&interval=1m&limit=1", token: token)
                as? [[String: Any]])
            #expect(last.map { $0["close"] as? String } == ["43310.00"], "limit keeps the newest")

            // Equity 10 000 → 9 000: a 1 000 USDT (10.00 %) drawdown from the peak.
            let snapshots = try #require(try await h.json("/api/v1/snapshots?account=0", token: token) as? [String: Any])
            #expect((snapshots["snapshots"] as? [Any])?.count == 2)
            #expect(snapshots["peak_equity"] as? String == "10000.00000000")
            #expect(snapshots["max_drawdown"] as? String == "1000.00000000")
            #expect(snapshots["max_drawdown_percent"] as? String == "10.00")

            let health = try await h.request("GET", "/health")
            #expect(health.status == 200 && health.body.contains("\"status\":\"healthy\""), "no checks: healthy")
        }
    }

    /// `/indicators`: the indicator stage's latest values per (symbol, interval), only those warmed
    /// up; a new update is served once the scheduler notices it (the cache's version moves).
    @Test func indicatorsServeTheLatestWarmedUpValues() async throws {
        try await withHarness { h in
            var v = IndicatorUpdate.Values()
            v.sma = 43_250.5
            v.rsi = 61.25
            v.ema = 99  // not warmed up: not served
            h.indicators.write(IndicatorUpdate(ingressNs: 1, symbol: btc, interval: .m1, candleOpenTimeMs: Self.t0,
                                               isClosed: true, close: Price(raw: 4_330_000), ready: [.sma, .rsi], values: v))
            let token = try await h.token()
            let rows = try #require(try await h.json("/api/v1/indicators?symbol=BTCUSDT&interval=1m", token: token)
                as? [[String: Any]])
            #expect(rows.count == 1 && rows[0]["close"] as? String == "43300.00" && rows[0]["closed"] as? Bool == true)
            let values = try #require(rows[0]["values"] as? [String: Double])
            #expect(values == ["sma": 43_250.5, "rsi": 61.25])
            let all = try #require(try await h.json("/api/v1/indicators", token: token) as? [[String: Any]])
            #expect(all.count == 1, "nothing else computed yet")

            v.rsi = 70
            h.indicators.write(IndicatorUpdate(ingressNs: 2, symbol: btc, interval: .m1, candleOpenTimeMs: Self.t0 + 60_000,
                                               isClosed: false, close: Price(raw: 4_331_000), ready: [.sma, .rsi], values: v))
            h.plane.publishPrices(nowMs: Self.t0)
            let again = try #require(try await h.json("/api/v1/indicators?symbol=BTCUSDT&interval=1m", token: token)
                as? [[String: Any]])
            #expect((again.first?["values"] as? [String: Double])?["rsi"] == 70 && again.first?["closed"] as? Bool == false)
            let bad = try await h.request("GET", "/api/v1/indicators?interval=2m", token: token)
            #expect(bad.status == 400 && bad.body == #"{"error":"unknown interval 2m"}"#)
        }
    }

    @Test func aUserBoundToAnAccountSeesOnlyThatAccount() async throws {
        try await withHarness { h in
            publishSession(h)
            let token = try await h.token(account: 1)
            let positions = try #require(try await h.json("/api/v1/positions", token: token) as? [[String: Any]])
            #expect(positions.map { $0["symbol"] as? String } == ["ETHUSDT"])
            let portfolio = try #require(try await h.json("/api/v1/portfolio", token: token) as? [[String: Any]])
            #expect(portfolio.map { $0["account"] as? Int } == [1])
            let accounts = try #require(try await h.json("/api/v1/accounts", token: token) as? [String: Any])
            #expect((accounts["accounts"] as? [[String: Any]])?.map { $0["id"] as? Int } == [1])
            let other = try await h.request("GET", "/api/v1/positions?account=0", token: token)
            #expect(other.status == 403 && other.body == #"{"error":"Forbidden: account 0 is not yours"}"#)
        }
    }

    @Test func commandsNeedTheTraderRoleAndEnterRisksRing() async throws {
        try await withHarness { h in
            publishSession(h)
            let viewer = try await h.token(.viewer), trader = try await h.token(.trader)
            let refused = try await h.request("POST", "/api/v1/trading", token: viewer, body: #"{"enabled":false}"#)
            #expect(refused.status == 403 && refused.body == #"{"error":"Forbidden: requires trader role"}"#)
            #expect(h.drainCommands().isEmpty)

            let off = try await h.request("POST", "/api/v1/trading", token: trader, body: #"{"enabled":false}"#)
            #expect(off.status == 202 && off.body.contains("\"status\":\"accepted\""))
            let one = try await h.request("POST", "/api/v1/accounts/1/trading", token: trader, body: #"{"enabled":true}"#)
            #expect(one.status == 202)
            let close = try await h.request("POST", "/api/v1/positions/0/btcusdt/close", token: trader)
            #expect(close.status == 202, "\(close.body)")
            let commands = h.drainCommands()
            #expect(commands.map(\.kind) == [.setGlobalTrading, .setAccountTrading, .closePosition])
            #expect(commands[0].enabled == false && commands[1].enabled && commands[1].account == AccountID(1))
            #expect(commands[2].account == AccountID(0) && commands[2].symbol == btc)
            #expect(commands.map(\.requestID) == [1, 2, 3])

            let flat = try await h.request("POST", "/api/v1/positions/1/BTCUSDT/close", token: trader)
            #expect(flat.status == 404 && flat.body == #"{"error":"no open position in BTCUSDT for account 1"}"#)
            let bound = try await h.token(.trader, account: 1)
            let elsewhere = try await h.request("POST", "/api/v1/accounts/0/trading", token: bound, body: #"{"enabled":false}"#)
            #expect(elsewhere.status == 403)
            let global = try await h.request("POST", "/api/v1/trading", token: bound, body: #"{"enabled":false}"#)
            #expect(global.status == 403)
            #expect(h.drainCommands().isEmpty, "refused commands never reach risk")

            // Risk reports the switch: the accounts view follows.
            h.publish(.tradingSwitched(account: AccountID(0), isGlobal: true, enabled: false))
            let accounts = try #require(try await h.json("/api/v1/accounts", token: viewer) as? [String: Any])
            #expect(accounts["global_trading_enabled"] as? Bool == false)
        }
    }

    @Test func badInputGetsAJSONErrorAndTouchesNothing() async throws {
        try await withHarness { h in
            publishSession(h)
            let trader = try await h.token(.trader)
            let cases: [(String, String, String?, Int, String)] = [
                ("POST", "/api/v1/trading", "{not json", 400, "body must be a JSON object: {\"enabled\": true|false}"),
                ("POST", "/api/v1/trading", #"{"enabled":true,"force":1}"#, 400, "unknown field \"force\""),
                ("POST", "/api/v1/trading", #"{"enabled":"yes"}"#, 400, "\"enabled\" must be true or false"),
                ("POST", "/api/v1/trading", "{\"enabled\":true,\"pad\":\"" + String(repeating: "x", count: 10_000) + "\"}", 413,
                 "request body larger than 4096 bytes"),
                ("POST", "/api/v1/accounts/abc/trading", #"{"enabled":true}"#, 404, "unknown account"),
                ("POST", "/api/v1/accounts/9/trading", #"{"enabled":true}"#, 404, "unknown account"),
                ("POST", "/api/v1/positions/0/DOGEUSDT/close", nil, 404, "unknown symbol"),
                ("GET", "/api/v1/positions?account=x", nil, 400, "account must be an account id (0, 1, …)"),
                ("GET", "/api/v1/prices?symbol=DOGEUSDT", nil, 404, "unknown symbol DOGEUSDT"),
                ("DELETE", "/api/v1/positions", nil, 405, "method not allowed"),
                ("GET", "/api/v1/accounts/0/trading", nil, 405, "method not allowed"),
                ("GET", "/api/v1/signals?limit=0", nil, 400, "limit must be an integer in 1...500"),
                ("GET", "/api/v1/trades?from=yesterday", nil, 400, "from must be epoch ms (0...9999999999999) or an ISO-8601 UTC time"),
                ("GET", "/api/v1/trades?to=10000000000000", nil, 400, "to must be epoch ms (0...9999999999999) or an ISO-8601 UTC time"),
                ("GET", "/api/v1/candles?symbol=BTCUSDT", nil, 400,
                 "interval is required: one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w"),
            ]
            for (method, path, body, status, message) in cases {
                let r = try await h.request(method, path, token: trader, body: body)
                #expect(r.status == status, "\(method) \(path): \(r.status) \(r.body)")
                let error = (try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: String])?["error"]
                #expect(error == message, "\(method) \(path): \(r.body)")
            }
            #expect(h.drainCommands().isEmpty)
            let missing = try await h.request("GET", "/api/v1/positions")
            #expect(missing.status == 401 && missing.body == #"{"error":"Missing token"}"#)
        }
    }

    /// US-SYSTEM-010: an answer is served from the cache until its kind's TTL passes or the data
    /// plane publishes a change of its kind; hits and misses are counted.
    @Test func theCacheServesUntilTheSourceChangesOrItsTTLPasses() async throws {
        try await withHarness { h in
            publishSession(h)
            let token = try await h.token()
            let first = try await h.request("GET", "/api/v1/positions", token: token)
            let again = try await h.request("GET", "/api/v1/positions", token: token)
            #expect(first.body == again.body)
            #expect(h.plane.data.cache.stats.hits == 1 && h.plane.data.cache.stats.misses == 1)

            // A new mark of the BTC long: the positions answer is rebuilt at once.
            h.publish(.positionUpdated(PositionUpdate(
                timeNs: 9, eventTimeMs: Self.t0 + 10_000, account: AccountID(0), symbol: btc, side: .buy,
                quantity: Quantity(raw: 150), entryPrice: Price(raw: 4_326_000), markPrice: Price(raw: 4_340_000),
                unrealizedPnL: Price(raw: 2_100), accruedFunding: Price(raw: -12))))
            let changed = try await h.request("GET", "/api/v1/positions", token: token)
            #expect(changed.body.contains("\"mark_price\":\"43400.00\""))
            #expect(h.plane.data.cache.stats.misses == 2)

            // Signals keep 300 s; 301 s later the same answer is rebuilt.
            _ = try await h.request("GET", "/api/v1/signals", token: token)
            _ = try await h.request("GET", "/api/v1/signals", token: token)
            #expect(h.plane.data.cache.stats.hits == 2)
            h.clockMs.ms += 301_000
            _ = try await h.request("GET", "/api/v1/signals", token: token)
            #expect(h.plane.data.cache.stats.misses == 4 && h.plane.data.cache.stats.hits == 2)
        }
    }

    /// A flood from one address: a burst of 5 then 429 `{"error":"too many requests"}` with
    /// `Retry-After`, before any other work (even without a token).
    @Test func aFloodFromOneClientIsRateLimited() async throws {
        let h = try await ControlHarness { s in
            s.rateLimitPerSecond = 1
            s.rateLimitBurst = 5
        }
        var statuses: [Int] = []
        for _ in 0..<8 { statuses.append(try await h.request("GET", "/health").status) }
        #expect(statuses == [200, 200, 200, 200, 200, 429, 429, 429])
        let r = try await h.request("GET", "/api/v1/positions")
        #expect(r.status == 429 && r.body == #"{"error":"too many requests"}"#)
        await h.stop()
    }

    @Test func theCacheHoldsAtMostItsCapacityLeastRecentlyUsedOut() {
        let cache = ResponseCache(capacity: 2)
        _ = cache.answer("a", kind: .positions, version: 0, nowMs: 0) { "A" }
        _ = cache.answer("b", kind: .positions, version: 0, nowMs: 1) { "B" }
        _ = cache.answer("a", kind: .positions, version: 0, nowMs: 2) { "never built" }  // a used: b is the oldest
        _ = cache.answer("c", kind: .positions, version: 0, nowMs: 3) { "C" }
        #expect(cache.stats.entries == 2 && cache.stats.evictions == 1)
        #expect(cache.answer("a", kind: .positions, version: 0, nowMs: 4) { "rebuilt" } == "A")
        #expect(cache.answer("b", kind: .positions, version: 0, nowMs: 5) { "rebuilt" } == "rebuilt")
    }
}

/// Candles written straight into the market environment (as the journal writer would).
enum ExportFixtures {
    static func candle(_ symbol: SymbolID, _ openTimeMs: Int64, _ interval: Interval, close: Int64) -> CandleRecord {
        CandleRecord(symbol: symbol, kline: Kline(
            eventTimeMs: openTimeMs + interval.durationMs - 1, openTimeMs: openTimeMs, interval: interval,
            open: Price(raw: close), high: Price(raw: close), low: Price(raw: close), close: Price(raw: close),
            volume: Quantity(raw: 1_000), quoteVolume: Price(raw: close), takerBuyVolume: Quantity(raw: 500), tradeCount: 10))
    }

    static func putCandles(_ store: TicklineStore, _ candles: [CandleRecord]) throws {
        let table = store.tables.candles
        try store.market.update { txn in
            for c in candles { try table.put(c, in: txn) }
        }
    }
}
