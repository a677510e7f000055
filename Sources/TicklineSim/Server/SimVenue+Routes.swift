import Foundation
import HTTPTypes
import Hummingbird

/// The REST handlers: parameters in, Binance JSON out.
extension SimVenue {
    var render: SimRender { SimRender(exchange: exchange) }

    func route(method: HTTPRequest.Method, path: String, params p: SimParams, account: SimAccountID?, nowMs: Int64)
        throws -> String
    {
        switch (method, path) {
        case (.get, "/fapi/v1/ping"): return "{}"
        case (.get, "/fapi/v1/time"): return "{\"serverTime\":\(nowMs)}"
        case (.get, "/fapi/v1/exchangeInfo"): return exchangeInfo(nowMs: nowMs)
        case (.get, "/fapi/v1/klines"): return try klines(p)
        case (.get, "/fapi/v1/depth"): return try depth(p, nowMs: nowMs)
        case (.get, "/fapi/v1/premiumIndex"): return try premiumIndex(p)
        case (.get, "/fapi/v1/fundingRate"): return try fundingRate(p)
        case (.get, "/fapi/v1/ticker/price"), (.get, "/fapi/v2/ticker/price"): return try tickerPrice(p, nowMs: nowMs)
        case (.get, "/fapi/v1/ticker/24hr"): return try ticker24h(p, nowMs: nowMs)
        case (.get, "/fapi/v1/ticker/bookTicker"): return try bookTicker(p, nowMs: nowMs)
        default: break
        }
        guard let account else { throw SimHTTPError.unknownPath }
        switch (method, path) {
        case (.post, "/fapi/v1/listenKey"):
            return "{\"listenKey\":\"\(createListenKey(account, nowMs: nowMs))\"}"
        case (.put, "/fapi/v1/listenKey"):
            guard let key = listenKeys.first(where: { $0.value.account == account })?.key else {
                throw SimHTTPError.badRequest(-1125, "This listenKey does not exist.")
            }
            listenKeys[key]?.expiresMs = nowMs + listenKeyValidityMs
            return "{\"listenKey\":\"\(key)\"}"
        case (.delete, "/fapi/v1/listenKey"):
            for (key, entry) in listenKeys where entry.account == account {
                listenKeys[key] = nil
                hub.disconnect(listenKey: key)
            }
            return "{}"
        case (.post, "/fapi/v1/order"): return try newOrder(account, p, nowMs: nowMs)
        case (.get, "/fapi/v1/order"):
            let symbol = try knownSymbol(p)
            guard let o = exchange.order(account, symbol: symbol, orderId: p["orderId"].flatMap { Int64($0) },
                                         origClientOrderId: p["origClientOrderId"])
            else { throw SimHTTPError.badRequest(-2013, "Order does not exist.") }
            return render.order(o)
        case (.delete, "/fapi/v1/order"):
            let symbol = try knownSymbol(p)
            let (o, events) = try model(exchange.cancelOrder(account, symbol: symbol,
                                                             orderId: p["orderId"].flatMap { Int64($0) },
                                                             origClientOrderId: p["origClientOrderId"], nowMs: nowMs))
            publish(events)
            return render.order(o)
        case (.delete, "/fapi/v1/allOpenOrders"):
            publish(exchange.cancelAllOrders(account, symbol: try knownSymbol(p), nowMs: nowMs))
            return "{\"code\":200,\"msg\":\"The operation of cancel all open order is done.\"}"
        case (.get, "/fapi/v1/openOrders"):
            let symbol = try p["symbol"].map { _ in try knownSymbol(p) }
            return JSONWriter.array(exchange.openOrders(account, symbol: symbol)) { w, o in w.raw(nil, render.order(o)) }
        case (.get, "/fapi/v1/allOrders"):
            let limit = min(1000, Int(p["limit"] ?? "500") ?? 500)
            return JSONWriter.array(exchange.allOrders(account, symbol: try knownSymbol(p), limit: limit)) { w, o in
                w.raw(nil, render.order(o))
            }
        case (.get, "/fapi/v1/userTrades"):
            let limit = min(1000, Int(p["limit"] ?? "500") ?? 500)
            return JSONWriter.array(exchange.userTrades(account, symbol: try knownSymbol(p), limit: limit)) { w, f in
                w.raw(nil, render.fill(f))
            }
        case (.post, "/fapi/v1/algoOrder"):
            let request = try model(NewAlgoOrder.parse { p[$0] })
            let (a, events) = try model(exchange.placeAlgoOrder(account, request, nowMs: nowMs))
            publish(events)
            return render.algoOrder(a)
        case (.get, "/fapi/v1/algoOrder"):
            guard let a = exchange.algoOrder(account, algoId: p["algoId"].flatMap { Int64($0) },
                                             clientAlgoId: p["clientAlgoId"])
            else { throw SimHTTPError.badRequest(-2013, "Order does not exist.") }
            return render.algoOrder(a)
        case (.delete, "/fapi/v1/algoOrder"):
            let (a, events) = try model(exchange.cancelAlgoOrder(account, algoId: p["algoId"].flatMap { Int64($0) },
                                                                 clientAlgoId: p["clientAlgoId"], nowMs: nowMs))
            publish(events)
            return render.algoOrder(a)
        case (.delete, "/fapi/v1/algoOpenOrders"):
            publish(exchange.cancelAllAlgoOrders(account, symbol: try knownSymbol(p), nowMs: nowMs))
            return "{\"code\":200,\"msg\":\"The operation of cancel all open order is done.\"}"
        case (.get, "/fapi/v1/openAlgoOrders"):
            let symbol = try p["symbol"].map { _ in try knownSymbol(p) }
            return JSONWriter.array(exchange.openAlgoOrders(account, symbol: symbol)) { w, a in
                w.raw(nil, render.algoOrder(a))
            }
        case (.get, "/fapi/v2/positionRisk"), (.get, "/fapi/v3/positionRisk"):
            let symbol = try p["symbol"].map { _ in try knownSymbol(p) }
            let v3 = path.hasPrefix("/fapi/v3")
            var rows = exchange.positionRisk(account, symbol: symbol)
            if v3 { rows = rows.filter { !$0.positionAmt.isZero } }  // v3 lists only open positions
            return JSONWriter.array(rows) { w, r in w.raw(nil, render.positionRisk(r, v3: v3)) }
        case (.get, "/fapi/v2/account"), (.get, "/fapi/v3/account"):
            var snapshot = exchange.accountSnapshot(account)
            let v3 = path.hasPrefix("/fapi/v3")
            if v3 { snapshot.positions = snapshot.positions.filter { !$0.positionAmt.isZero } }
            return render.account(snapshot, v3: v3)
        case (.get, "/fapi/v2/balance"), (.get, "/fapi/v3/balance"):
            let alias = String(exchange.accountSpec(account).name.prefix(4))
            return JSONWriter.array(exchange.accountSnapshot(account).assets) { w, b in
                w.raw(nil, render.balance(b, alias: alias))
            }
        case (.get, "/fapi/v1/leverageBracket"):
            let symbol = try p["symbol"].map { _ in try knownSymbol(p) }
            return leverageBrackets(symbol: symbol)
        case (.post, "/fapi/v1/leverage"):
            let symbol = try knownSymbol(p)
            guard let text = p["leverage"] else { throw SimHTTPError.mandatory("leverage") }
            guard let leverage = Int(text) else { throw SimHTTPError.illegal("leverage") }
            let r = try model(exchange.setLeverage(account, symbol: symbol, leverage: leverage))
            return JSONWriter.object { w in
                w.int("leverage", r.leverage)
                w.string("maxNotionalValue", r.maxNotionalValue.plain)
                w.string("symbol", symbol)
            }
        case (.post, "/fapi/v1/marginType"):
            let symbol = try knownSymbol(p)
            guard let type = p["marginType"] else { throw SimHTTPError.mandatory("marginType") }
            guard type == "ISOLATED" || type == "CROSSED" else { throw SimHTTPError.illegal("marginType") }
            try model(exchange.setMarginType(account, symbol: symbol, isolated: type == "ISOLATED"))
            return "{\"code\":200,\"msg\":\"success\"}"
        case (.get, "/fapi/v1/positionSide/dual"):
            return "{\"dualSidePosition\":false}"
        case (.post, "/fapi/v1/positionSide/dual"):
            // One-way mode only: hedge mode is refused; asking for one-way is "no need to change".
            guard let v = p["dualSidePosition"] else { throw SimHTTPError.mandatory("dualSidePosition") }
            if v == "true" { throw SimHTTPError.illegal("dualSidePosition") }
            throw SimHTTPError.badRequest(-4059, "No need to change position side.")
        case (.get, "/fapi/v1/multiAssetsMargin"):
            return "{\"multiAssetsMargin\":false}"
        case (.get, "/fapi/v1/commissionRate"):
            let s = exchange.spec(try knownSymbol(p))!
            return JSONWriter.object { w in
                w.string("symbol", s.symbol)
                w.string("makerCommissionRate", s.makerFeeRate.plain)
                w.string("takerCommissionRate", s.takerFeeRate.plain)
            }
        default:
            throw SimHTTPError.unknownPath
        }
    }

    // MARK: helpers

    func knownSymbol(_ p: SimParams) throws -> String {
        guard let s = p["symbol"], !s.isEmpty else { throw SimHTTPError.mandatory("symbol") }
        guard exchange.spec(s) != nil else { throw SimHTTPError.invalidSymbol }
        return s
    }

    /// The model's errors as HTTP errors.
    @discardableResult
    func model<T>(_ result: Result<T, SimError>) throws -> T {
        switch result {
        case .success(let v): return v
        case .failure(let e):
            throw SimHTTPError(status: .init(code: e.httpStatus), code: e.code, msg: e.msg)
        }
    }

    func newOrder(_ account: SimAccountID, _ p: SimParams, nowMs: Int64) throws -> String {
        let request = try model(NewOrder.parse { p[$0] })
        let (order, events) = try model(exchange.placeOrder(account, request, nowMs: nowMs))
        publish(events)
        return render.order(order)
    }

    func exchangeInfo(nowMs: Int64) -> String {
        JSONWriter.object { w in
            w.string("timezone", "UTC")
            w.int("serverTime", nowMs)
            w.string("futuresType", "U_MARGINED")
            w.beginArray("rateLimits")
            for (type, interval, num, limit) in [
                ("REQUEST_WEIGHT", "MINUTE", 1, limiter.limits.requestWeightPerMinute),
                ("ORDERS", "MINUTE", 1, limiter.limits.ordersPerMinute),
                ("ORDERS", "SECOND", 10, limiter.limits.ordersPer10s),
            ] {
                w.beginObject()
                w.string("rateLimitType", type)
                w.string("interval", interval)
                w.int("intervalNum", num)
                w.int("limit", limit)
                w.endObject()
            }
            w.endArray()
            w.beginArray("exchangeFilters")
            w.endArray()
            w.beginArray("assets")
            w.beginObject()
            w.string("asset", "USDT")
            w.bool("marginAvailable", true)
            w.string("autoAssetExchange", "-10000")
            w.endObject()
            w.endArray()
            w.beginArray("symbols")
            for s in exchange.symbols {
                w.beginObject()
                w.string("symbol", s.symbol)
                w.string("pair", s.symbol)
                w.string("contractType", "PERPETUAL")
                w.int("deliveryDate", 4_133_404_800_000)
                w.int("onboardDate", 1_569_398_400_000)
                w.string("status", "TRADING")
                w.string("maintMarginPercent", "2.5000")
                w.string("requiredMarginPercent", "5.0000")
                w.string("baseAsset", s.baseAsset)
                w.string("quoteAsset", s.quoteAsset)
                w.string("marginAsset", s.quoteAsset)
                w.int("pricePrecision", s.pricePrecision)
                w.int("quantityPrecision", s.quantityPrecision)
                w.int("baseAssetPrecision", 8)
                w.int("quotePrecision", 8)
                w.string("underlyingType", "COIN")
                w.beginArray("underlyingSubType")
                w.endArray()
                w.int("settlePlan", 0)
                w.string("triggerProtect", "0.0500")
                w.string("liquidationFee", "0.012500")
                w.string("marketTakeBound", "0.05")
                w.int("maxMoveOrderLimit", 10000)
                w.beginArray("filters")
                w.beginObject()
                w.string("filterType", "PRICE_FILTER")
                w.string("minPrice", s.minPrice.format(decimals: s.pricePrecision))
                w.string("maxPrice", s.maxPrice.plain)
                w.string("tickSize", s.tickSize.format(decimals: s.pricePrecision))
                w.endObject()
                for (type, min, max) in [("LOT_SIZE", s.minQty, s.maxQty), ("MARKET_LOT_SIZE", s.marketMinQty, s.marketMaxQty)] {
                    w.beginObject()
                    w.string("filterType", type)
                    w.string("minQty", min.format(decimals: s.quantityPrecision))
                    w.string("maxQty", max.plain)
                    w.string("stepSize", s.stepSize.format(decimals: s.quantityPrecision))
                    w.endObject()
                }
                w.beginObject()
                w.string("filterType", "MAX_NUM_ORDERS")
                w.int("limit", 200)
                w.endObject()
                w.beginObject()
                w.string("filterType", "MAX_NUM_ALGO_ORDERS")
                w.int("limit", 10)
                w.endObject()
                w.beginObject()
                w.string("filterType", "MIN_NOTIONAL")
                w.string("notional", s.minNotional.plain)
                w.endObject()
                w.endArray()
                w.beginArray("orderTypes")
                for t in ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"] {
                    w.string(nil, t)
                }
                w.endArray()
                w.beginArray("timeInForce")
                for t in ["GTC", "IOC", "FOK", "GTX", "GTD"] { w.string(nil, t) }
                w.endArray()
                w.beginArray("permissionSet")
                w.string(nil, "GRID")
                w.string(nil, "COPY")
                w.endArray()
                w.endObject()
            }
            w.endArray()
        }
    }

    func klines(_ p: SimParams) throws -> String {
        let symbol = try knownSymbol(p)
        guard let interval = p["interval"] else { throw SimHTTPError.mandatory("interval") }
        var limit: Int?
        if let l = p["limit"] {
            guard let v = Int(l), v > 0 else { throw SimHTTPError.illegal("limit") }
            limit = min(v, 1500)
        }
        let rows = try model(exchange.klines(symbol, interval: interval, startTime: p["startTime"].flatMap { Int64($0) },
                                             endTime: p["endTime"].flatMap { Int64($0) }, limit: limit))
        return JSONWriter.array(rows) { w, k in render.klineRow(&w, k, symbol) }
    }

    func depth(_ p: SimParams, nowMs: Int64) throws -> String {
        let symbol = try knownSymbol(p)
        let limit = Int(p["limit"] ?? "500") ?? 500
        guard [5, 10, 20, 50, 100, 500, 1000].contains(limit) else { throw SimHTTPError.illegal("limit") }
        let book = exchange.book(symbol, limit: limit)
        return JSONWriter.object { w in
            w.int("lastUpdateId", book.lastUpdateId)
            w.int("E", nowMs)
            w.int("T", nowMs)
            render.levels(&w, "bids", book.bids[...], symbol)
            render.levels(&w, "asks", book.asks[...], symbol)
        }
    }

    func symbols(_ p: SimParams) throws -> [String] {
        if p["symbol"] != nil { return [try knownSymbol(p)] }
        return exchange.symbols.map(\.symbol)
    }

    /// One object when `symbol` was given, else an array of all.
    func oneOrAll(_ p: SimParams, _ item: (String) -> String) throws -> String {
        let list = try symbols(p)
        if p["symbol"] != nil { return item(list[0]) }
        return "[" + list.map(item).joined(separator: ",") + "]"
    }

    func premiumIndex(_ p: SimParams) throws -> String {
        try oneOrAll(p) { s in
            let m = exchange.markInfo(s)!
            return JSONWriter.object { w in
                w.string("symbol", s)
                w.string("markPrice", render.amount(m.markPrice))
                w.string("indexPrice", render.amount(m.indexPrice))
                w.string("estimatedSettlePrice", render.amount(m.estimatedSettlePrice))
                w.string("lastFundingRate", render.amount(m.lastFundingRate))
                w.string("interestRate", render.amount(m.interestRate))
                w.int("nextFundingTime", m.nextFundingTime)
                w.int("time", m.time)
            }
        }
    }

    func fundingRate(_ p: SimParams) throws -> String {
        let limit = min(1000, Int(p["limit"] ?? "100") ?? 100)
        var rows: [SimFundingRecord] = []
        for s in try symbols(p) { rows += exchange.fundingHistory(s, limit: limit) }
        rows.sort { ($0.fundingTime, $0.symbol) < ($1.fundingTime, $1.symbol) }
        return JSONWriter.array(rows.suffix(limit)) { w, r in
            w.beginObject()
            w.string("symbol", r.symbol)
            w.string("fundingRate", render.amount(r.fundingRate))
            w.int("fundingTime", r.fundingTime)
            w.string("markPrice", render.amount(r.markPrice))
            w.endObject()
        }
    }

    func tickerPrice(_ p: SimParams, nowMs: Int64) throws -> String {
        try oneOrAll(p) { s in
            JSONWriter.object { w in
                w.string("symbol", s)
                w.string("price", render.px(exchange.lastPrice(s) ?? .zero, s))
                w.int("time", nowMs)
            }
        }
    }

    func ticker24h(_ p: SimParams, nowMs: Int64) throws -> String {
        try oneOrAll(p) { s in
            let t = exchange.ticker24h(s, nowMs: nowMs)!
            return JSONWriter.object { w in
                w.string("symbol", s)
                w.string("priceChange", render.px(t.priceChange, s))
                w.string("priceChangePercent", t.priceChangePercent.format(decimals: 3))
                w.string("weightedAvgPrice", render.px(t.weightedAvgPrice, s))
                w.string("lastPrice", render.px(t.lastPrice, s))
                w.string("lastQty", render.qty(t.lastQty, s))
                w.string("openPrice", render.px(t.openPrice, s))
                w.string("highPrice", render.px(t.highPrice, s))
                w.string("lowPrice", render.px(t.lowPrice, s))
                w.string("volume", render.qty(t.volume, s))
                w.string("quoteVolume", render.quote(t.quoteVolume, s))
                w.int("openTime", t.openTime)
                w.int("closeTime", t.closeTime)
                w.int("firstId", t.firstId)
                w.int("lastId", t.lastId)
                w.int("count", t.count)
            }
        }
    }

    func bookTicker(_ p: SimParams, nowMs: Int64) throws -> String {
        try oneOrAll(p) { s in
            let b = exchange.bookTicker(s)!
            return JSONWriter.object { w in
                w.string("symbol", s)
                w.string("bidPrice", render.px(b.bidPrice, s))
                w.string("bidQty", render.qty(b.bidQty, s))
                w.string("askPrice", render.px(b.askPrice, s))
                w.string("askQty", render.qty(b.askQty, s))
                w.int("time", nowMs)
                w.int("lastUpdateId", b.updateId)
            }
        }
    }

    func leverageBrackets(symbol: String?) -> String {
        let all = exchange.leverageBrackets(symbol: symbol)
        let rows = all.map { (s, brackets) in
            JSONWriter.object { w in
                w.string("symbol", s)
                w.beginArray("brackets")
                for b in brackets {
                    w.beginObject()
                    w.int("bracket", b.bracket)
                    w.int("initialLeverage", b.initialLeverage)
                    w.raw("notionalCap", b.notionalCap.plain)
                    w.raw("notionalFloor", b.notionalFloor.plain)
                    w.raw("maintMarginRatio", b.maintMarginRatio.plain)
                    w.raw("cum", b.cum.plain)
                    w.endObject()
                }
                w.endArray()
            }
        }
        if symbol != nil, let one = rows.first { return one }  // one object when a symbol was sent
        return "[" + rows.joined(separator: ",") + "]"
    }
}
