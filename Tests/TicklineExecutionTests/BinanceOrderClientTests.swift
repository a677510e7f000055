import Foundation
import Testing
import TicklineBinance
import TicklineCore
import TicklineIO
@testable import TicklineExecution
import TicklineTestSupport

/// The client against the real simulator binary on loopback (each test starts its own), on the
/// io_uring loop and, where marked, on the polling loop too. Every test stays well under 30 s
/// of wall time: time-based behaviour (rate-limit windows, Retry-After) runs on the simulator's
/// manual clock and a `ManualClock` in the client, moved together.
@Suite(.serialized) struct BinanceOrderClientTests {
    /// 0.010 BTC: above the 100 USDT minimum notional at the simulator's prices.
    static let quantity = Quantity(raw: 10)

    // MARK: - Orders and positions

    /// A market order fills, `positionRisk` shows the position, the order can be queried by its
    /// client id; a reduce-only close flattens it, and a second close answered -2022 counts as
    /// "already closed", not as an error.
    @Test(arguments: Backend.allCases) func marketOrderFillsAndPositionRiskShowsIt(_ backend: Backend) throws {
        try withLoop(backend) { try marketOrderScenario($0) }
    }

    func marketOrderScenario<L: SocketEventLoop>(_ loop: L) throws {
        let h = try VenueHarness(sim: try SimulatorProcess(seed: 21), loop: loop, clock: LiveClock())
        let btc = try h.id("BTCUSDT")
        let synced = try h.call { h.client.syncServerTime(completion: $0) }
        #expect(synced.value != nil && h.client.time.isSynced)
        #expect(abs(h.client.time.offsetMs) < 1_000, "same host: the offset is the round trip's noise")

        let opened = try h.call { h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0) }
        let ack = try #require(opened.ack, "\(opened)")
        #expect(ack.status == .filled && ack.side == .buy && ack.executedQuantity == Self.quantity)
        #expect(ack.averagePrice > .zero && ack.symbol == btc)
        let decoded = try #require(h.client.ids.decode(ack.clientOrderID))
        #expect(decoded.account == AccountID(0))

        let rows = try #require(try h.call { h.client.positionRisk(symbol: btc, completion: $0) }.value)
        #expect(rows.count == 1)
        #expect(rows.first?.amount == Self.quantity && rows.first?.side == .buy)
        #expect((rows.first?.entryPrice ?? .zero) > .zero && (rows.first?.markPrice ?? .zero) > .zero)

        let queried = try #require(try h.call {
            h.client.queryOrder(symbol: btc, clientOrderID: ack.clientOrderID, completion: $0)
        }.value)
        #expect(queried.orderID == ack.orderID && queried.status == .filled)

        let closed = try h.call {
            h.client.placeMarketOrder(symbol: btc, side: .sell, quantity: Self.quantity, reduceOnly: true, completion: $0)
        }
        #expect(closed.ack?.status == .filled && closed.ack?.reduceOnly == true)
        let flat = try #require(try h.call { h.client.positionRisk(symbol: btc, completion: $0) }.value)
        #expect(flat.first?.amount == Quantity(raw: 0) && flat.first?.side == nil)

        // The position is gone (say the stop-loss closed it first): the close is "already closed".
        let again = try h.call {
            h.client.placeMarketOrder(symbol: btc, side: .sell, quantity: Self.quantity, reduceOnly: true, completion: $0)
        }
        guard case .alreadyClosed = again else {
            Issue.record("expected .alreadyClosed, got \(again)")
            return
        }
        #expect(h.client.alreadyClosed == 1 && h.client.rejections(.reduceOnlyRejected) == 0)
        #expect(h.client.rejections.reduce(0, +) == 0 && h.client.unknowns == 0)
        // The same -2022 on an opening order would be a plain rejection (and a bug): not the case here.
        #expect(h.client.outstanding == 0)
    }

    /// Protective STOP_MARKET and TAKE_PROFIT_MARKET go through the algo endpoint with
    /// `closePosition=true` and appear in `openAlgoOrders`; cancelling leaves none, by id, by
    /// client id, and all at once after a close.
    @Test(arguments: Backend.allCases) func protectiveOrdersAppearAndCancelLeavesNone(_ backend: Backend) throws {
        try withLoop(backend) { try protectiveScenario($0) }
    }

    func protectiveScenario<L: SocketEventLoop>(_ loop: L) throws {
        let h = try VenueHarness(sim: try SimulatorProcess(seed: 22), loop: loop, clock: LiveClock())
        let btc = try h.id("BTCUSDT")
        let tick = h.ticks[btc.index]
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        #expect(try h.call { h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0) }
            .ack != nil)
        let mark = try #require(try h.call { h.client.positionRisk(symbol: btc, completion: $0) }.value?.first?.markPrice)
        let stop = Price(raw: mark.raw * 95 / 100).rounded(toMultipleOf: tick, .towardZero)
        let target = Price(raw: mark.raw * 105 / 100).rounded(toMultipleOf: tick, .awayFromZero)

        var slID = ClientOrderID(), tpID = ClientOrderID()
        let sl = try #require(try h.call {
            slID = h.client.placeProtectiveOrder(symbol: btc, closingSide: .sell, kind: .stopLoss, triggerPrice: stop,
                                                 workingType: .markPrice, completion: $0)
        }.value)
        let tp = try #require(try h.call {
            tpID = h.client.placeProtectiveOrder(symbol: btc, closingSide: .sell, kind: .takeProfit, triggerPrice: target,
                                                 workingType: .markPrice, completion: $0)
        }.value)
        #expect(sl.clientAlgoID == slID && sl.type == .stopMarket && sl.status == .new && sl.triggerPrice == stop)
        #expect(tp.clientAlgoID == tpID && tp.type == .takeProfitMarket && tp.workingType == .markPrice)

        let open = try #require(try h.call { h.client.openAlgoOrders(symbol: btc, completion: $0) }.value)
        #expect(Set(open.map(\.algoID)) == [sl.algoID, tp.algoID])
        #expect(open.allSatisfy { $0.side == .sell && $0.status == .new })

        // A stop on the wrong side of the price would fire at once: -2021.
        let wrong = try h.call {
            h.client.placeProtectiveOrder(symbol: btc, closingSide: .sell, kind: .stopLoss, triggerPrice: target,
                                          completion: $0)
        }
        #expect(wrong.rejection?.reason == .wouldTriggerImmediately)

        #expect(try h.call { h.client.cancelAlgoOrder(algoID: sl.algoID, completion: $0) }.value == sl.algoID)
        #expect(try h.call { h.client.cancelAlgoOrder(clientAlgoID: tpID, completion: $0) }.value == tp.algoID)
        #expect(try h.call { h.client.openAlgoOrders(symbol: btc, completion: $0) }.value?.isEmpty == true)
        let gone = try h.call { h.client.cancelAlgoOrder(algoID: sl.algoID, completion: $0) }
        #expect(gone.rejection?.reason == .orderNotFound)

        // Protect again, close the position, then clear the symbol's algo orders in one call.
        _ = try h.call { h.client.placeProtectiveOrder(symbol: btc, closingSide: .sell, kind: .stopLoss, triggerPrice: stop,
                                                       completion: $0) }
        _ = try h.call { h.client.placeProtectiveOrder(symbol: btc, closingSide: .sell, kind: .takeProfit,
                                                       triggerPrice: target, completion: $0) }
        #expect(try h.call { h.client.openAlgoOrders(symbol: btc, completion: $0) }.value?.count == 2)
        #expect(try h.call {
            h.client.placeMarketOrder(symbol: btc, side: .sell, quantity: Self.quantity, reduceOnly: true, completion: $0)
        }.ack?.status == .filled)
        #expect(try h.call { h.client.cancelAllAlgoOrders(symbol: btc, completion: $0) }.value != nil)
        #expect(try h.call { h.client.openAlgoOrders(symbol: btc, completion: $0) }.value?.isEmpty == true)
    }

    // MARK: - Start-up settings

    /// Leverage outside 1–125 is refused before sending; inside, the venue sets it. Margin type
    /// is idempotent: -4046 "No need to change margin type" counts as success.
    @Test func leverageValidationAndIdempotentMarginType() throws {
        let h = try VenueHarness(sim: try SimulatorProcess(seed: 23), loop: try URingLoop(), clock: LiveClock())
        let eth = try h.id("ETHUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        let sentBefore = h.client.sent
        for bad in [0, 126, -5] {
            let refused = try h.call { h.client.setLeverage(symbol: eth, leverage: bad, completion: $0) }
            #expect(refused.rejection?.code == -4028 && refused.rejection?.httpStatus == 0, "\(bad)")
        }
        #expect(h.client.sent == sentBefore, "nothing sent for an invalid leverage")
        #expect(h.client.rejections(.invalidLeverage) == 3)

        #expect(try h.call { h.client.setLeverage(symbol: eth, leverage: 7, completion: $0) }.value == 7)
        #expect(try h.call { h.client.positionRisk(symbol: eth, completion: $0) }.value?.first?.leverage == 7)

        let first = try #require(try h.call { h.client.setMarginType(symbol: eth, isolated: true, completion: $0) }.value)
        #expect(first == .changed, "the simulator's accounts start in cross margin")
        #expect(try h.call { h.client.setMarginType(symbol: eth, isolated: true, completion: $0) }.value == .unchanged)
        #expect(try h.call { h.client.positionRisk(symbol: eth, completion: $0) }.value?.first?.isolated == true)
        #expect(try h.call { h.client.setMarginType(symbol: eth, isolated: false, completion: $0) }.value == .changed)
        #expect(try h.call { h.client.setMarginType(symbol: eth, isolated: false, completion: $0) }.value == .unchanged)
        #expect(h.client.rejections.reduce(0, +) == 3, "-4046 is not counted as a rejection")
    }

    // MARK: - Account

    /// `GET /fapi/v2/balance` on the demo account: one USDT row, 10 000 in the wallet, all of
    /// it available and no PnL; drawn from the account-queries budget. After a market buy the
    /// wallet has paid the taker fee and part of it is held as margin.
    @Test(arguments: Backend.allCases) func balanceShowsTheDemoAccountsWallet(_ backend: Backend) throws {
        try withLoop(backend) { try balanceScenario($0) }
    }

    func balanceScenario<L: SocketEventLoop>(_ loop: L) throws {
        let h = try VenueHarness(sim: try SimulatorProcess(seed: 31), loop: loop, clock: LiveClock())
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        let tenThousand = Price(raw: 10_000 * AssetBalance.amountScale.multiplier)

        let rows = try #require(try h.call { h.client.balance(completion: $0) }.value)
        #expect(rows.map(\.asset) == ["USDT"])
        let usdt = try #require(rows.usdt())
        #expect(usdt.walletBalance == tenThousand, "10000.00000000")
        #expect(usdt.availableBalance == tenThousand && usdt.crossUnrealizedPnL == .zero)
        #expect(usdt.updateTimeMs > 0)
        #expect(h.client.limiter.groups[VenueEndpointGroup.accountQueries.rawValue]?.used == 1)

        #expect(try h.call { h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0) }
            .ack?.status == .filled)
        let after = try #require(try h.call { h.client.balance(priority: .manual, completion: $0) }.value?.usdt())
        #expect(after.walletBalance < tenThousand, "the taker fee is paid from the wallet")
        #expect(after.availableBalance < after.walletBalance, "the position holds margin")
        #expect(h.client.rejections.reduce(0, +) == 0 && h.client.unknowns == 0 && h.client.outstanding == 0)
    }

    /// `GET /fapi/v1/userTrades` after a buy and a reduce-only sell: one row per fill, oldest
    /// first, naming the orders' venue ids, prices and sides, the sell's realized PnL booked;
    /// weight 5 from the account-queries budget. A span starting after the fills answers nothing
    /// (the client drops rows outside the span: the simulator answers its last `limit` fills).
    @Test(arguments: Backend.allCases) func userTradesListsTheAccountsFills(_ backend: Backend) throws {
        try withLoop(backend) { try userTradesScenario($0) }
    }

    func userTradesScenario<L: SocketEventLoop>(_ loop: L) throws {
        let h = try VenueHarness(sim: try SimulatorProcess(seed: 32), loop: loop, clock: LiveClock())
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        #expect(try h.call { h.client.userTrades(symbol: btc, fromTimeMs: 0, completion: $0) }.value == [])
        let buy = try #require(try h.call {
            h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0)
        }.ack)
        let sell = try #require(try h.call {
            h.client.placeMarketOrder(symbol: btc, side: .sell, quantity: Self.quantity, reduceOnly: true, completion: $0)
        }.ack)
        let used = h.client.limiter.groups[VenueEndpointGroup.accountQueries.rawValue]?.used ?? 0
        let rows = try #require(try h.call { h.client.userTrades(symbol: btc, fromTimeMs: 0, completion: $0) }.value)
        #expect(h.client.limiter.groups[VenueEndpointGroup.accountQueries.rawValue]?.used == used + 1)
        #expect(VenueEndpoint.userTrades.weight == 5 && VenueEndpoint.userTrades.group == .accountQueries)
        #expect(Set(rows.map(\.orderID)) == [buy.orderID, sell.orderID])
        #expect(rows.allSatisfy { $0.symbol == btc && $0.timeMs > 0 && $0.commission > .zero })
        #expect(rows.map(\.tradeID) == rows.map(\.tradeID).sorted(), "oldest first")
        let bought = rows.filter { $0.orderID == buy.orderID }
        let sold = rows.filter { $0.orderID == sell.orderID }
        #expect(bought.allSatisfy { $0.side == .buy && $0.buyer && $0.realizedPnL == .zero })
        #expect(sold.allSatisfy { $0.side == .sell && !$0.buyer })
        #expect(bought.reduce(0) { $0 + $1.quantity.raw } == Self.quantity.raw)
        #expect(sold.reduce(0) { $0 + $1.quantity.raw } == Self.quantity.raw)
        let last = try #require(rows.map(\.timeMs).max())
        #expect(try h.call { h.client.userTrades(symbol: btc, fromTimeMs: last + 1, completion: $0) }.value == [])
        #expect(try h.call {
            h.client.userTrades(symbol: btc, fromTimeMs: 0, toTimeMs: last, limit: 1, completion: $0)
        }.value?.count == 1)
        #expect(h.client.rejections.reduce(0, +) == 0 && h.client.unknowns == 0)
    }

    // MARK: - Server time

    /// The simulator's clock jumps (`skew_ms`): a signed request answered -1021 triggers a
    /// re-sync and one retry, for queries and for orders (which are placed exactly once).
    @Test(arguments: Backend.allCases) func timestampRejectionResyncsAndRetriesOnce(_ backend: Backend) throws {
        try withLoop(backend) { try skewScenario($0) }
    }

    func skewScenario<L: SocketEventLoop>(_ loop: L) throws {
        let sim = try SimulatorProcess(seed: 24)
        let h = try VenueHarness(sim: sim, loop: loop, clock: LiveClock())
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }

        // The venue's clock runs 10 s ahead: our timestamps fall outside the 5 s recvWindow.
        try sim.fault("skew_ms=10000")
        let rows = try h.call { h.client.positionRisk(symbol: btc, completion: $0) }
        #expect(rows.value != nil, "\(rows)")
        #expect(h.client.timestampRetries == 1 && h.client.time.invalidations == 1)
        #expect(abs(h.client.time.offsetMs - 10_000) < 1_000, "offset \(h.client.time.offsetMs)")

        // Now 8 s behind ours: the timestamp is "ahead of the server's time". An order this time.
        try sim.fault("skew_ms=-8000")
        let order = try h.call { h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0) }
        #expect(order.ack?.status == .filled, "\(order)")
        #expect(h.client.timestampRetries == 2)
        #expect(abs(h.client.time.offsetMs + 8_000) < 1_000, "offset \(h.client.time.offsetMs)")
        let position = try h.call { h.client.positionRisk(symbol: btc, completion: $0) }.value?.first?.amount
        #expect(position == Self.quantity, "one order, not two")
        #expect(h.client.rejections(.timestamp) == 0)
        #expect(h.events.filter { if case .timeSynced = $0 { true } else { false } }.count == 3)
    }

    // MARK: - Unknown outcomes

    /// A 5xx leaves the order's fate unknown; querying it by client id is the next step (here
    /// the venue never saw it: -2013).
    @Test func serverErrorIsUnknownAndTheOrderIsQueried() throws {
        let sim = try SimulatorProcess(seed: 25)
        let h = try VenueHarness(sim: sim, loop: try URingLoop(), clock: LiveClock())
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        try sim.fault("rest_error_fraction=1")
        var id = ClientOrderID()
        let outcome = try h.call {
            id = h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0)
        }
        guard case .unknown(.serverError(status: 503, code: -1001)) = outcome else {
            Issue.record("expected unknown (503, -1001), got \(outcome)")
            return
        }
        #expect(h.client.unknowns == 1)
        try sim.fault("rest_error_fraction=0")
        let query = try h.call { h.client.queryOrder(symbol: btc, clientOrderID: id, completion: $0) }
        #expect(query.rejection?.reason == .orderNotFound && query.rejection?.code == -2013)
    }

    /// No answer in time: the order's fate is unknown until it is queried. Here the venue did
    /// take it (the answer was only late), so the query finds it filled: nothing is re-sent blind.
    @Test func timeoutIsUnknownAndTheQueryFindsTheOrder() throws {
        let sim = try SimulatorProcess(seed: 30)
        let h = try VenueHarness(sim: sim, loop: try URingLoop(), clock: LiveClock(), requestTimeoutNs: 300_000_000)
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        try sim.fault("rest_delay_ms=800")
        var id = ClientOrderID()
        let outcome = try h.call {
            id = h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0)
        }
        guard case .unknown(.transport(.timedOut)) = outcome else {
            Issue.record("expected unknown (timed out), got \(outcome)")
            return
        }
        try sim.fault("rest_delay_ms=0")
        h.run(seconds: 1) { false }  // the delayed request reaches the venue's matching
        let query = try h.call { h.client.queryOrder(symbol: btc, clientOrderID: id, completion: $0) }
        #expect(query.value?.status == .filled, "\(query)")
        #expect(query.value?.executedQuantity == Self.quantity)
    }

    // MARK: - Listen key

    @Test func listenKeyCreateKeepAliveAndReplaceAfterExpiry() throws {
        let sim = try SimulatorProcess(seed: 26)
        let h = try VenueHarness(sim: sim, loop: try URingLoop(), clock: LiveClock())
        let key = try #require(try h.call { h.client.createListenKey(completion: $0) }.value)
        #expect(key.utf8.count == 64)
        #expect(try h.call { h.client.keepAliveListenKey(completion: $0) }.value != nil)
        try sim.fault("expire_listen_keys=true")
        let expired = try h.call { h.client.keepAliveListenKey(completion: $0) }
        #expect(expired.rejection?.reason == .listenKeyNotFound, "\(expired)")
        let fresh = try #require(try h.call { h.client.createListenKey(completion: $0) }.value)
        #expect(fresh != key && fresh.utf8.count == 64)
    }

    // MARK: - Rate limits

    /// A 429 storm (`force=429`, Retry-After 30 s): each 429 blocks everything for
    /// max(Retry-After, back-off), nothing is sent meanwhile, the request is retried three times
    /// and then rejected, no 418 is provoked; when the storm ends the next request goes through.
    @Test func a429StormIsHonouredWithoutA418() throws {
        let sim = try SimulatorProcess(seed: 27, arguments: ["--manual-clock"])
        let clock = ManualClock(epochMs: 1_000_000)
        let h = try VenueHarness(sim: sim, loop: try URingLoop(), clock: clock)
        func advance(_ ms: Int64) throws {
            try sim.advance(ms: ms)
            clock.advance(byNs: UInt64(ms) * 1_000_000)
        }
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        try sim.fault("force=429")

        var outcome: VenueOutcome<[PositionRisk]>?
        h.client.positionRisk(symbol: btc) { outcome = $0 }
        #expect(h.run(seconds: 5) { h.client.limiter.responses429 == 1 })
        let sentAtFirst429 = h.client.sent
        // Another request while blocked is held, not sent; time stands still, so nothing goes.
        var other: VenueOutcome<[AlgoOrderAck]>?
        h.client.openAlgoOrders(symbol: btc) { other = $0 }
        h.run(seconds: 0.5) { false }
        #expect(h.client.sent == sentAtFirst429 && outcome == nil && other == nil)
        #expect(h.client.limiter.blockedUntilMs - h.client.venueTimeMs() == 30_000)
        #expect(h.waits.contains { $0.0 == .openAlgoOrders && $0.1 == 30_000 && $0.2 == .backoff })

        // Each 429 also says the minute's weight is used up (`X-MBX-USED-WEIGHT-1m: 2400`), so
        // after Retry-After the retry still waits for the minute to end: 429s come 60 s apart.
        for attempt in 2...4 {
            try advance(30_000)
            h.run(seconds: 0.2) { false }
            #expect(h.client.limiter.responses429 == attempt - 1, "Retry-After is over, the weight window is not")
            #expect(h.client.limiter.requestWeight.used == 2400)
            try advance(29_999)
            h.run(seconds: 0.2) { false }
            #expect(h.client.limiter.responses429 == attempt - 1, "1 ms early: still waiting")
            try advance(1)
            #expect(h.run(seconds: 5) { h.client.limiter.responses429 == attempt })
            #expect(h.client.sent == sentAtFirst429 + attempt - 1, "one request per wait: the probe")
        }
        #expect(h.run(seconds: 2) { outcome != nil })
        #expect(outcome?.rejection?.reason == .rateLimited && outcome?.rejection?.httpStatus == 429)
        #expect(h.backoffs.allSatisfy { $0 == 30_000 }, "Retry-After (30 s) is longer than the 1-2-4 s back-off")
        #expect(h.client.rateLimitRetries >= 3)
        #expect(h.client.limiter.responses418 == 0 && !h.client.limiter.isHalted)

        // The storm ends: after the last block the held request goes alone (the probe), and once
        // it is answered the next one goes straight through.
        try sim.fault("force=off")
        try advance(60_000)
        #expect(h.run(seconds: 5) { other != nil })
        #expect(other?.value != nil, "\(String(describing: other))")
        #expect(h.client.limiter.consecutive429 == 0)
        let rows = try h.call { h.client.positionRisk(symbol: btc, completion: $0) }
        #expect(rows.value?.count == 1)
        #expect(h.client.limiter.responses429 == 4, "one 429 per wait: never a burst")
    }

    /// With the venue's weight limit at 60/min and 25 already used by another client on the same
    /// IP, the limiter learns the usage from `X-MBX-USED-WEIGHT-1m`, keeps 20 % in reserve and
    /// waits for the next minute instead of provoking a single 429.
    @Test func weightLimitWaitsForTheWindowInsteadOfExceeding() throws {
        let sim = try SimulatorProcess(seed: 28, arguments: ["--manual-clock", "--weight-limit", "60"])
        let clock = ManualClock(epochMs: 1_000_000)
        let h = try VenueHarness(sim: sim, loop: try URingLoop(), clock: clock)
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }  // weight 1
        h.client.updateExchangeLimits(requestWeightPerMinute: 60, ordersPer10s: nil, ordersPerMinute: nil)
        // Another client burns 25 (klines limit=1000 weigh 5 each).
        for _ in 0..<5 { _ = try sim.request("GET", "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000") }

        #expect(try h.call { h.client.positionRisk(symbol: btc, completion: $0) }.value != nil)
        #expect(h.client.limiter.requestWeight.used == 32, "exchangeInfo 1 + time 1 + klines 25 + 5: from the header")
        var answers: [VenueOutcome<[PositionRisk]>] = []
        for _ in 0..<10 { h.client.positionRisk(symbol: btc) { answers.append($0) } }
        // 48 usable (60 less 20 %): 3 more fit (47), 7 wait for the minute.
        #expect(h.run(seconds: 5) { answers.count == 3 })
        h.run(seconds: 0.3) { false }
        #expect(answers.count == 3 && h.client.outstanding == 7)
        let waits = h.waits.filter { $0.0 == .positionRisk }
        #expect(waits.first?.2 == .requestWeight && waits.first?.1 == 60_000 - 0, "to the minute's end")
        try sim.advance(ms: 60_000)
        clock.advance(byNs: 60_000 * 1_000_000)
        #expect(h.run(seconds: 5) { answers.count == 10 })
        #expect(answers.allSatisfy { $0.value?.count == 1 })
        #expect(h.client.limiter.responses429 == 0 && h.client.limiter.responses418 == 0)
        #expect(RateLimiter.waitMessage(ms: waits.first?.1 ?? 0) == "Rate limit reached, waiting 60000ms")
    }

    /// A 418 stops everything: the request is `.halted`, a critical event is raised, later
    /// requests are refused without being sent, until an operator resumes.
    @Test func aBanHaltsEverythingUntilResumed() throws {
        let sim = try SimulatorProcess(seed: 29)
        let h = try VenueHarness(sim: sim, loop: try URingLoop(), clock: LiveClock())
        let btc = try h.id("BTCUSDT")
        _ = try h.call { h.client.syncServerTime(completion: $0) }
        try sim.fault("force=418")
        let banned = try h.call { h.client.positionRisk(symbol: btc, completion: $0) }
        guard case .halted = banned else {
            Issue.record("expected .halted, got \(banned)")
            return
        }
        let ban = h.events.compactMap { if case .banned(let until) = $0 { until } else { nil } }
        #expect(ban.count == 1 && (ban.first ?? nil).map { $0 > h.client.venueTimeMs() + 100_000 } == true)
        let sent = h.client.sent
        let refused = try h.call { h.client.placeMarketOrder(symbol: btc, side: .buy, quantity: Self.quantity, completion: $0) }
        guard case .halted = refused else {
            Issue.record("expected .halted, got \(refused)")
            return
        }
        #expect(h.client.sent == sent && h.client.refusedHalted == 1)
        try sim.fault("force=off")
        h.client.resume()
        #expect(try h.call { h.client.positionRisk(symbol: btc, completion: $0) }.value != nil)
    }
}
