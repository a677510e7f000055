import Testing

@testable import TicklineSim

@Suite struct SimExchangeTests {
    let demo = SimAccountID(rawValue: 0)
    let other = SimAccountID(rawValue: 1)
    func d(_ s: String) -> SimDecimal { SimDecimal(s)! }

    @Test func bracketTablesMatchPublishedCum() {
        let btc = SimSymbolSpec.btcusdt.brackets
        #expect(btc.map(\.cum) == [0, 50, 1_300, 46_300, 546_300, 2_546_300, 5_046_300, 8_046_300, 28_046_300, 103_046_300].map { SimDecimal($0) })
        #expect(btc[0].initialLeverage == 125 && btc[0].notionalCap == SimDecimal(50_000) && btc[0].maintMarginRatio == d("0.004"))
        let eth = SimSymbolSpec.ethusdt.brackets
        #expect(eth.map(\.cum) == [0, 15, 365, 5_365, 35_365, 135_365, 260_365, 510_365, 2_510_365].map { SimDecimal($0) })
        #expect(SimSymbolSpec.btcusdt.maxNotional(atLeverage: 20) == SimDecimal(20_000_000))
        #expect(SimSymbolSpec.btcusdt.maxNotional(atLeverage: 125) == SimDecimal(50_000))
        // Maintenance margin is continuous at a floor: 50 000 × 0.004 − 0 = 50 000 × 0.005 − 50.
        #expect(SimSymbolSpec.btcusdt.maintenanceMargin(notional: SimDecimal(50_000)) == SimDecimal(200))
    }

    @Test func bookIsSaneAndDepthEventsChain() {
        let e = Fixture.exchange()
        let events = e.advance(toMs: Fixture.startMs + 2_000)
        let b = e.book("BTCUSDT", limit: 1000)
        #expect(b.bids.count >= 20 && b.asks.count >= 20)
        #expect(b.bids[0].0 < b.asks[0].0)
        #expect(zip(b.bids, b.bids.dropFirst()).allSatisfy { $0.0 > $1.0 })
        #expect(zip(b.asks, b.asks.dropFirst()).allSatisfy { $0.0 < $1.0 })
        let tick = SimSymbolSpec.btcusdt.tickSize
        #expect((b.bids + b.asks).allSatisfy { $0.0.isMultiple(of: tick) && $0.1.isPositive })
        var lastU: Int64?
        for case let .depth(symbol, U, u, pu, _, _, _) in events where symbol == "BTCUSDT" {
            if let lastU { #expect(pu == lastU) }
            #expect(U == pu + 1 && u >= U)
            lastU = u
        }
        #expect(lastU == b.lastUpdateId)
    }

    @Test func marketOrderAverageMatchesTheBookItWalked() throws {
        let e = Fixture.exchange()
        _ = e.advance(toMs: Fixture.startMs + 1_000)
        let before = e.book("BTCUSDT", limit: 50)
        let step = SimSymbolSpec.btcusdt.stepSize
        let qty = before.asks[0].1 + before.asks[1].1 + step  // two whole levels and a bit of the third
        // Expected: notional-weighted price of the levels consumed, from the published book.
        var left = qty
        var notional = SimDecimal.zero
        for (price, size) in before.asks where left.isPositive {
            let take = Swift.min(left, size)
            notional += price * take
            left -= take
        }
        let expectedAvg = notional / qty
        let (order, events) = try #require(e.placeOrder(demo, Fixture.market(.buy, qty.plain), nowMs: Fixture.startMs + 1_000).value)
        #expect(order.status == .filled)
        #expect(order.executedQty == qty)
        #expect(order.cumQuote == notional)
        #expect(order.avgPrice == expectedAvg)
        let fills = e.userTrades(demo, symbol: "BTCUSDT", limit: 10)
        #expect(fills.map(\.price) == [before.asks[0].0, before.asks[1].0, before.asks[2].0])
        #expect(fills.allSatisfy { !$0.isMaker && $0.commission == $0.price * $0.qty * d("0.0004") })
        // The consumed liquidity is gone from the published book.
        let after = e.book("BTCUSDT", limit: 50)
        #expect(after.asks[0].0 == before.asks[2].0 && after.asks[0].1 == before.asks[2].1 - step)
        // Public trades carry the user's fills (buyer is taker).
        let trades = events.compactMap { ev -> Int64? in
            if case let .trade(_, id, _, _, maker, _) = ev, !maker { return id }
            return nil
        }
        #expect(trades == fills.map(\.tradeId))
        let snap = e.accountSnapshot(demo)
        let btc = try #require(snap.positions.first { $0.symbol == "BTCUSDT" })
        #expect(btc.positionAmt == qty)
        // The entry is averaged fill by fill (each step rounded to 8 dp): within 2·10⁻⁸ of the exact average.
        #expect((btc.entryPrice - expectedAvg).abs <= SimDecimal(units: 2))
        let fees = fills.reduce(SimDecimal.zero) { $0 + $1.commission }
        #expect(snap.totalWalletBalance == SimDecimal(10_000) - fees)
    }

    @Test func partialFillSplitsProduceSeveralFills() throws {
        let e = Fixture.exchange()
        e.partialFillSplits = 3
        _ = e.advance(toMs: Fixture.startMs + 500)
        let (order, events) = try #require(e.placeOrder(demo, Fixture.market(.buy, "0.003"), nowMs: Fixture.startMs + 500).value)
        #expect(order.status == .filled)
        let statuses = events.compactMap { ev -> SimOrderStatus? in
            if case let .orderUpdate(_, o, x, _) = ev, x == .trade { return o.status }
            return nil
        }
        #expect(statuses == [.partiallyFilled, .partiallyFilled, .filled])
    }

    @Test func restingLimitFillsWhenTheMarketCrosses() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43250"), nowMs: t0)
        let (order, _) = try #require(e.placeOrder(demo, Fixture.limit(.buy, "0.01", "43000.0", clientId: "rest-1"), nowMs: t0).value)
        #expect(order.status == .new && order.executedQty.isZero)
        #expect(e.openOrders(demo, symbol: "BTCUSDT").map(\.orderId) == [order.orderId])
        _ = e.setPrice("BTCUSDT", d("43100"), nowMs: t0)
        #expect(e.order(demo, symbol: "BTCUSDT", orderId: order.orderId, origClientOrderId: nil)?.status == .new)
        // Mid 42999.9 puts the best ask at 43000.0: the resting bid is reached and fills at its price.
        let events = e.setPrice("BTCUSDT", d("42999.90"), nowMs: t0)
        let filled = try #require(e.order(demo, symbol: "BTCUSDT", orderId: nil, origClientOrderId: "rest-1"))
        #expect(filled.status == .filled && filled.avgPrice == d("43000") && filled.executedQty == d("0.01"))
        let fill = try #require(e.userTrades(demo, symbol: "BTCUSDT", limit: 1).first)
        #expect(fill.isMaker && fill.price == d("43000") && fill.commission == d("0.086"))  // 430 × 0.0002
        #expect(events.contains { if case let .orderUpdate(_, o, .trade, f) = $0 { return o.orderId == order.orderId && f?.isMaker == true }; return false })
        #expect(e.openOrders(demo, symbol: nil).isEmpty)
        #expect(e.accountSnapshot(demo).totalWalletBalance == d("9999.914"))
    }

    @Test func timeInForceSemantics() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43250"), nowMs: t0)  // best bid 43249.9, best ask 43250.1
        // IOC that does not cross: expires.
        let ioc = try #require(e.placeOrder(demo, Fixture.limit(.buy, "0.01", "43000.0", tif: .ioc), nowMs: t0).value)
        #expect(ioc.0.status == .expired)
        // Post-only that would take: refused.
        #expect(e.placeOrder(demo, Fixture.limit(.buy, "0.01", "43260.0", tif: .gtx), nowMs: t0).error?.code == -5022)
        // FOK for more than the book holds up to its price: refused.
        let askQty = e.book("BTCUSDT", limit: 1).asks[0].1
        let tooMuch = (askQty + d("0.001")).plain
        #expect(e.placeOrder(demo, Fixture.limit(.buy, tooMuch, "43250.1", tif: .fok), nowMs: t0).error?.code == -5021)
        // A crossing GTC limit fills as taker, at book prices no worse than its limit.
        let gtc = try #require(e.placeOrder(demo, Fixture.limit(.buy, askQty.plain, "43250.1"), nowMs: t0).value)
        #expect(gtc.0.status == .filled && gtc.0.avgPrice == d("43250.1"))
    }

    @Test func reduceOnlyIsRefusedWhenItWouldIncrease() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43250"), nowMs: t0)
        #expect(e.placeOrder(demo, Fixture.market(.sell, "0.01", reduceOnly: true), nowMs: t0).error
            == SimError(code: -2022, msg: "ReduceOnly Order is rejected."))
        _ = try #require(e.placeOrder(demo, Fixture.market(.buy, "0.01"), nowMs: t0).value)
        #expect(e.placeOrder(demo, Fixture.market(.buy, "0.01", reduceOnly: true), nowMs: t0).error?.code == -2022)
        // Larger than the position: only the position is closed, the rest expires.
        let (o, _) = try #require(e.placeOrder(demo, Fixture.market(.sell, "0.02", reduceOnly: true), nowMs: t0).value)
        #expect(o.executedQty == d("0.01") && o.status == .expired)
        #expect(e.accountSnapshot(demo).positions[0].positionAmt.isZero)
    }

    @Test func validationErrorsCarryBinanceCodes() {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43250"), nowMs: t0)
        func code(_ r: NewOrder) -> Int? { e.placeOrder(demo, r, nowMs: t0).error?.code }
        var bad = Fixture.market(.buy, "0.01")
        bad.symbol = "NOPEUSDT"
        #expect(code(bad) == -1121)
        #expect(code(Fixture.market(.buy, "0")) == -4003)
        #expect(code(Fixture.market(.buy, "0.0015")) == -1111)
        #expect(code(Fixture.limit(.buy, "0.01", "43000.05")) == -4014)
        #expect(code(Fixture.limit(.buy, "0.01", "43000.123")) == -1111)
        #expect(code(Fixture.limit(.buy, "0.01", "100")) == -4013)
        #expect(e.placeOrder(demo, Fixture.limit(.buy, "0.001", "43000"), nowMs: t0).error
            == SimError(code: -4164, msg: "Order's notional must be no smaller than 100 (unless you choose reduce only)."))
        var noPrice = Fixture.limit(.buy, "0.01", "43000")
        noPrice.price = nil
        #expect(e.placeOrder(demo, noPrice, nowMs: t0).error?.msg == "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")
        var stop = Fixture.market(.sell, "0.01")
        stop.type = .stopMarket
        #expect(e.placeOrder(demo, stop, nowMs: t0).error
            == SimError(code: -4120, msg: "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."))
        var hedge = Fixture.market(.buy, "0.01")
        hedge.positionSide = "LONG"
        #expect(code(hedge) == -4061)
        #expect(code(Fixture.limit(.buy, "0.01", "43000", clientId: "bad id!")) == -4015)
        #expect(e.placeOrder(demo, Fixture.limit(.buy, "0.01", "43000", clientId: "dup"), nowMs: t0).value != nil)
        #expect(code(Fixture.limit(.buy, "0.01", "43000", clientId: "dup")) == -4116)
        // 5 BTC at 43 000 / 20× = 10 750 USDT of margin > 10 000.
        #expect(code(Fixture.limit(.buy, "5", "43000")) == -2019)
        #expect(e.cancelOrder(demo, symbol: "BTCUSDT", orderId: 999, origClientOrderId: nil, nowMs: t0).error?.code == -2011)
        #expect(e.order(demo, symbol: "BTCUSDT", orderId: 999, origClientOrderId: nil) == nil)
        // The other account cannot see or cancel demo's order.
        #expect(e.cancelOrder(other, symbol: "BTCUSDT", orderId: nil, origClientOrderId: "dup", nowMs: t0).error?.code == -2011)
        let canceled = e.cancelOrder(demo, symbol: "BTCUSDT", orderId: nil, origClientOrderId: "dup", nowMs: t0).value
        #expect(canceled?.0.status == .canceled)
        #expect(NewOrder.parse { ["symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.0000000001"][$0] }.error?.code == -1111)
        #expect(NewOrder.parse { ["symbol": "BTCUSDT", "side": "UP", "type": "LIMIT"][$0] }.error?.code == -1117)
    }

    @Test func leverageBracketCapAndSettings() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43000"), nowMs: t0)
        #expect(e.setLeverage(demo, symbol: "BTCUSDT", leverage: 126).error == SimError(code: -4028, msg: "Leverage 126 is not valid"))
        #expect(e.setLeverage(demo, symbol: "BTCUSDT", leverage: 0).error?.code == -4028)
        let set = try #require(e.setLeverage(demo, symbol: "BTCUSDT", leverage: 125).value)
        #expect(set.leverage == 125 && set.maxNotionalValue == SimDecimal(50_000))
        // 1.2 × 43 000 = 51 600 > 50 000 at 125×.
        #expect(e.placeOrder(demo, Fixture.limit(.buy, "1.2", "43000"), nowMs: t0).error
            == SimError(code: -2027, msg: "Exceeded the maximum allowable position at current leverage."))
        _ = try #require(e.placeOrder(demo, Fixture.limit(.buy, "1.1", "43000"), nowMs: t0).value)
        // Open orders count toward the cap.
        #expect(e.placeOrder(demo, Fixture.limit(.buy, "0.1", "43000"), nowMs: t0).error?.code == -2027)
        #expect(e.setMarginType(demo, symbol: "BTCUSDT", isolated: false).error?.code == -4046)
        #expect(e.setMarginType(demo, symbol: "BTCUSDT", isolated: true).error?.code == -4047)
        _ = e.cancelAllOrders(demo, symbol: "BTCUSDT", nowMs: t0)
        _ = try #require(e.placeOrder(demo, Fixture.market(.buy, "1"), nowMs: t0).value)
        #expect(e.setMarginType(demo, symbol: "BTCUSDT", isolated: true).error?.code == -4048)
        // At 100× the cap is 250 000; at 125× the 1 BTC position (~43 000) still fits.
        #expect(e.setLeverage(demo, symbol: "BTCUSDT", leverage: 100).value?.maxNotionalValue == SimDecimal(250_000))
        #expect(e.leverageBrackets(symbol: nil).map(\.0) == ["BTCUSDT", "ETHUSDT"])
    }

    @Test func fundingPaymentSignAndAmount() throws {
        // Start 1 s before a funding time (1 700 006 400 000 is a multiple of 8 h).
        let funding: Int64 = 1_700_006_400_000
        let t0 = funding - 1_000
        let e = Fixture.exchange(startMs: t0)
        e.setFundingRate("BTCUSDT", d("0.0001"))
        _ = e.setPrice("BTCUSDT", d("43000"), nowMs: t0)
        _ = try #require(e.placeOrder(demo, Fixture.market(.buy, "0.1"), nowMs: t0).value)
        _ = try #require(e.placeOrder(other, Fixture.market(.sell, "0.1"), nowMs: t0).value)
        #expect(e.markInfo("BTCUSDT")?.nextFundingTime == funding)
        // Mark 44 000 just before the settlement.
        _ = e.setPrice("BTCUSDT", d("44000"), nowMs: funding - 100)
        let longBefore = e.accountSnapshot(demo).totalWalletBalance
        let shortBefore = e.accountSnapshot(other).totalWalletBalance
        let events = e.advance(toMs: funding)
        // Payment = position × mark × rate = 0.1 × 44 000 × 0.0001 = 0.44 USDT:
        // the long pays it, the short receives it.
        #expect(e.accountSnapshot(demo).totalWalletBalance == longBefore - d("0.44"))
        #expect(e.accountSnapshot(other).totalWalletBalance == shortBefore + d("0.44"))
        let entries = e.ledger.filter { $0.kind == .funding }
        #expect(entries.map(\.fundingAmount) == [d("-0.44"), d("0.44")])
        #expect(entries.allSatisfy { $0.timeMs == funding && $0.price == d("44000") && $0.fundingRate == d("0.0001") })
        let reasons = events.compactMap { ev -> String? in
            if case let .accountUpdate(_, reason, b, _, _) = ev, reason == "FUNDING_FEE" { return b[0].balanceChange.plain }
            return nil
        }
        #expect(reasons == ["-0.44", "0.44"])
        #expect(e.fundingHistory("BTCUSDT", limit: 10).map(\.fundingTime) == [funding])
        #expect(e.markInfo("BTCUSDT")?.nextFundingTime == funding + 28_800_000)
    }

    @Test func isolatedLiquidationMatchesTheHandWorkedExample() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        #expect(e.setMarginType(demo, symbol: "BTCUSDT", isolated: true).value != nil)
        #expect(e.setLeverage(demo, symbol: "BTCUSDT", leverage: 20).value != nil)
        _ = e.setPrice("BTCUSDT", d("43250"), nowMs: t0)
        _ = try #require(e.placeOrder(demo, Fixture.limit(.buy, "0.1", "43000.0"), nowMs: t0).value)
        _ = e.setPrice("BTCUSDT", d("42999.9"), nowMs: t0)  // fills the bid at 43 000.0 (maker)
        // Hand-worked (Binance's formula, one-way, isolated so TMM1 = UPNL1 = 0):
        //   position 0.1 BTC long, entry EP = 43 000, leverage 20
        //   isolated wallet WB = 0.1 × 43 000 / 20 = 215 USDT (the fee, 0.86, comes from the cross wallet)
        //   notional 4 300 < 50 000 → bracket 1: MMR = 0.004, cum = 0
        //   LP = (WB + cum − side·|q|·EP) / (|q|·MMR − side·|q|)
        //      = (215 + 0 − 4 300) / (0.0004 − 0.1) = −4 085 / −0.0996 = 41 014.0562248995… → 41014.05622490
        let pos = try #require(e.positionRisk(demo, symbol: "BTCUSDT").first)
        #expect(pos.positionAmt == d("0.1") && pos.entryPrice == d("43000") && pos.isolatedWallet == d("215"))
        #expect(pos.marginType == "isolated" && pos.leverage == 20)
        #expect(pos.liquidationPrice == d("41014.05622490"))
        // At 41 014.1: margin 215 + 0.1 × (41 014.1 − 43 000) = 16.41 > maintenance 0.1 × 41 014.1 × 0.004 = 16.405640.
        let near = e.setPrice("BTCUSDT", d("41014.1"), nowMs: t0 + 100)
        #expect(e.positionRisk(demo, symbol: "BTCUSDT").first?.positionAmt == d("0.1"))
        #expect(near.contains { if case .marginCall = $0 { return true }; return false })  // ratio 16.40564 / 16.41 ≥ 0.8
        // At 41 014.0: margin 16.40 ≤ maintenance 16.4056 → liquidated, at the bankruptcy price
        // EP − WB / q = 43 000 − 215 / 0.1 = 40 850.0: the account loses exactly its 215 of isolated margin.
        let events = e.setPrice("BTCUSDT", d("41014.0"), nowMs: t0 + 200)
        let after = try #require(e.positionRisk(demo, symbol: "BTCUSDT").first)
        #expect(after.positionAmt.isZero && after.isolatedWallet.isZero)
        let liq = try #require(e.ledger.last)
        #expect(liq.kind == .liquidation && liq.side == .sell && liq.price == d("40850.0") && liq.qty == d("0.1"))
        #expect(liq.realizedPnl == d("-215"))  // 0.1 × (40 850 − 43 000)
        #expect(e.accountSnapshot(demo).totalWalletBalance == d("10000") - d("0.86") - d("215"))
        #expect(events.contains {
            if case let .orderUpdate(_, o, .trade, _) = $0 { return o.origType == .liquidation && o.clientOrderId.hasPrefix("autoclose-") }
            return false
        })
    }

    @Test func stopMarketAlgoOrderTriggersOnMark() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43000"), nowMs: t0)
        _ = try #require(e.placeOrder(demo, Fixture.market(.buy, "0.01"), nowMs: t0).value)
        var stop = NewAlgoOrder(symbol: "BTCUSDT", side: .sell, type: .stopMarket, triggerPrice: d("42000"),
                                workingType: .markPrice, closePosition: true, clientAlgoId: "sl-1")
        stop.positionSide = "BOTH"
        let (algo, placed) = try #require(e.placeAlgoOrder(demo, stop, nowMs: t0).value)
        #expect(algo.algoStatus == .new && placed.count == 1)
        // Already through the trigger: refused.
        let late = NewAlgoOrder(symbol: "BTCUSDT", side: .sell, type: .stopMarket, quantity: d("0.01"),
                                triggerPrice: d("43500"), workingType: .markPrice)
        #expect(e.placeAlgoOrder(demo, late, nowMs: t0).error?.code == -2021)
        #expect(e.openAlgoOrders(demo, symbol: "BTCUSDT").map(\.algoId) == [algo.algoId])
        let events = e.setPrice("BTCUSDT", d("41990"), nowMs: t0 + 100)
        let statuses = events.compactMap { ev -> SimAlgoStatus? in
            if case let .algoUpdate(_, a, _) = ev { return a.algoStatus }
            return nil
        }
        #expect(statuses == [.triggered, .finished])
        let done = try #require(e.algoOrder(demo, algoId: algo.algoId, clientAlgoId: nil))
        #expect(done.executedQty == d("0.01") && done.actualOrderId != nil)
        let actual = try #require(e.order(demo, symbol: "BTCUSDT", orderId: done.actualOrderId, origClientOrderId: nil))
        #expect(actual.type == .market && actual.origType == .stopMarket && actual.status == .filled && actual.stopPrice == d("42000"))
        #expect(e.accountSnapshot(demo).positions[0].positionAmt.isZero)
        #expect(e.openAlgoOrders(demo, symbol: nil).isEmpty)
    }

    @Test func klinesAndTickerFollowTheTrades() throws {
        let e = Fixture.exchange()
        let events = e.advance(toMs: Fixture.startMs + 200_000)
        let trades = events.compactMap { ev -> (SimDecimal, SimDecimal, Int64)? in
            if case let .trade(s, _, p, q, _, t) = ev, s == "BTCUSDT" { return (p, q, t) }
            return nil
        }
        let klines = try #require(e.klines("BTCUSDT", interval: "1m", startTime: nil, endTime: nil, limit: 500).value)
        #expect(klines.count == 4)  // 1 700 000 000 000 is 20 s into a minute: 4 candles in 200 s
        #expect(klines.allSatisfy { $0.openTime % 60_000 == 0 && $0.closeTime == $0.openTime + 59_999 })
        for k in klines {
            let inside = trades.filter { $0.2 >= k.openTime && $0.2 <= k.closeTime }
            #expect(k.trades == inside.count)
            #expect(k.volume == inside.reduce(.zero) { $0 + $1.1 })
            if let first = inside.first, let last = inside.last {
                #expect(k.open == first.0 && k.close == last.0)
                #expect(k.high == inside.map(\.0).max() && k.low == inside.map(\.0).min())
            }
        }
        let ticker = try #require(e.ticker24h("BTCUSDT", nowMs: Fixture.startMs + 200_000))
        #expect(ticker.count == trades.count && ticker.lastPrice == trades.last?.0)
        #expect(e.klines("BTCUSDT", interval: "7m", startTime: nil, endTime: nil, limit: nil).error?.code == -1120)
        let closed = events.filter { if case let .kline(_, i, _, c, _) = $0 { return c && i == "1m" }; return false }
        #expect(closed.count == 2 * 3)  // two symbols, three closed minutes
    }

    @Test func sameSeedSameCallsSameEvents() {
        func run(seed: UInt64) -> String {
            let e = Fixture.exchange(seed: seed)
            e.partialFillSplits = 2
            var out: [SimEvent] = []
            let t0 = Fixture.startMs
            out += e.advance(toMs: t0 + 5_000)
            if case .success(let r) = e.placeOrder(demo, Fixture.market(.buy, "0.05"), nowMs: t0 + 5_000) { out += r.1 }
            if case .success(let r) = e.placeOrder(other, Fixture.limit(.sell, "0.5", "2400", symbol: "ETHUSDT"), nowMs: t0 + 5_000) { out += r.1 }
            out += e.advance(toMs: t0 + 20_000)
            out += e.setPrice("ETHUSDT", d("2401"), nowMs: t0 + 21_000)
            out += e.advance(toMs: t0 + 30_000)
            return out.map(\.description).joined(separator: "\n")
        }
        let a = run(seed: 7)
        #expect(a == run(seed: 7))
        #expect(a != run(seed: 8))
        #expect(a.contains("orderUpdate acct1 TRADE"))  // the ETH sell filled when the market reached it
    }

    @Test func crossLiquidationPriceIsWhereLiquidationHappens() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43250"), nowMs: t0)
        _ = try #require(e.placeOrder(demo, Fixture.limit(.buy, "2", "43000.0"), nowMs: t0).value)
        _ = e.setPrice("BTCUSDT", d("42999.9"), nowMs: t0)
        // Cross, 20×, 2 BTC at 43 000 (maker fee 86 000 × 0.0002 = 17.2 → cross wallet 9 982.8).
        // Notional at liquidation ≈ 76 000 → bracket 2: MMR 0.005, cum 50; no other positions.
        //   LP = (9 982.8 + 50 − 2 × 43 000) / (2 × 0.005 − 2) = −75 967.2 / −1.99 = 38 174.47236180…
        let pos = try #require(e.positionRisk(demo, symbol: "BTCUSDT").first)
        #expect(pos.marginType == "cross" && pos.liquidationPrice == d("38174.47236181"))
        _ = e.setPrice("BTCUSDT", d("38174.5"), nowMs: t0 + 100)
        #expect(e.positionRisk(demo, symbol: "BTCUSDT").first?.positionAmt == d("2"))
        _ = e.setPrice("BTCUSDT", d("38174.4"), nowMs: t0 + 200)
        #expect(e.positionRisk(demo, symbol: "BTCUSDT").first?.positionAmt.isZero == true)
        // Closed at the mark: 9 982.8 + 2 × (38 174.4 − 43 000) = 331.6 left.
        #expect(e.ledger.last?.kind == .liquidation && e.ledger.last?.price == d("38174.4"))
        #expect(e.accountSnapshot(demo).totalWalletBalance == d("331.6"))
    }

    @Test func trailingStopFollowsTheHigh() throws {
        let e = Fixture.exchange()
        let t0 = Fixture.startMs
        _ = e.setPrice("BTCUSDT", d("43000"), nowMs: t0)
        _ = try #require(e.placeOrder(demo, Fixture.market(.buy, "0.01"), nowMs: t0).value)
        let trail = NewAlgoOrder(symbol: "BTCUSDT", side: .sell, type: .trailingStopMarket, quantity: d("0.01"),
                                 reduceOnly: true, callbackRate: d("1"))
        let (algo, _) = try #require(e.placeAlgoOrder(demo, trail, nowMs: t0).value)
        _ = e.setPrice("BTCUSDT", d("44000"), nowMs: t0)  // new high
        _ = e.setPrice("BTCUSDT", d("43600"), nowMs: t0)  // above 44 000 × 0.99 = 43 560: holds
        #expect(e.algoOrder(demo, algoId: algo.algoId, clientAlgoId: nil)?.algoStatus == .new)
        _ = e.setPrice("BTCUSDT", d("43550"), nowMs: t0)
        #expect(e.algoOrder(demo, algoId: algo.algoId, clientAlgoId: nil)?.algoStatus == .finished)
        #expect(e.accountSnapshot(demo).positions[0].positionAmt.isZero)
    }
}
