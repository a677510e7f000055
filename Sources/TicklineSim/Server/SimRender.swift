/// The simulator's model objects in Binance's JSON: field names, order and string formats as
/// the USD-M documentation shows them (prices at the symbol's price precision, quantities at its
/// quantity precision, balances and PnL at 8 decimals, rates at 8).
struct SimRender {
    let exchange: SimExchange

    func spec(_ symbol: String) -> SimSymbolSpec? { exchange.spec(symbol) }

    func px(_ v: SimDecimal, _ symbol: String) -> String { v.format(decimals: spec(symbol)?.pricePrecision ?? 8) }
    func qty(_ v: SimDecimal, _ symbol: String) -> String { v.format(decimals: spec(symbol)?.quantityPrecision ?? 8) }
    func quote(_ v: SimDecimal, _ symbol: String) -> String {
        let s = spec(symbol)
        return v.format(decimals: min(8, (s?.pricePrecision ?? 4) + (s?.quantityPrecision ?? 4)))
    }
    func amount(_ v: SimDecimal) -> String { v.format(decimals: 8) }

    // MARK: REST

    func order(_ o: SimOrder) -> String {
        JSONWriter.object { w in
            w.int("orderId", o.orderId)
            w.string("symbol", o.symbol)
            w.string("status", o.status.rawValue)
            w.string("clientOrderId", o.clientOrderId)
            w.string("price", px(o.price, o.symbol))
            w.string("avgPrice", px(o.avgPrice, o.symbol))
            w.string("origQty", qty(o.origQty, o.symbol))
            w.string("executedQty", qty(o.executedQty, o.symbol))
            w.string("cumQuote", quote(o.cumQuote, o.symbol))
            w.string("timeInForce", o.timeInForce.rawValue)
            w.string("type", o.type.rawValue)
            w.bool("reduceOnly", o.reduceOnly)
            w.bool("closePosition", o.closePosition)
            w.string("side", o.side.rawValue)
            w.string("positionSide", o.positionSide)
            w.string("stopPrice", px(o.stopPrice, o.symbol))
            w.string("workingType", o.workingType.rawValue)
            w.bool("priceProtect", o.priceProtect)
            w.string("origType", o.origType.rawValue)
            w.string("priceMatch", "NONE")
            w.string("selfTradePreventionMode", "NONE")
            w.int("goodTillDate", 0)
            w.int("time", o.time)
            w.int("updateTime", o.updateTime)
        }
    }

    func algoOrder(_ a: SimAlgoOrder) -> String {
        JSONWriter.object { w in
            w.int("algoId", a.algoId)
            w.string("clientAlgoId", a.clientAlgoId)
            w.string("algoType", a.algoType)
            w.string("type", a.orderType.rawValue)
            w.string("symbol", a.symbol)
            w.string("side", a.side.rawValue)
            w.string("positionSide", a.positionSide)
            w.string("timeInForce", a.timeInForce.rawValue)
            w.string("quantity", qty(a.quantity, a.symbol))
            w.string("algoStatus", a.algoStatus.rawValue)
            w.string("triggerPrice", px(a.triggerPrice, a.symbol))
            w.string("workingType", a.workingType.rawValue)
            w.bool("reduceOnly", a.reduceOnly)
            w.int("createTime", a.createTime)
            w.int("updateTime", a.updateTime)
        }
    }

    func fill(_ f: SimFill) -> String {
        JSONWriter.object { w in
            w.bool("buyer", f.isBuyer)
            w.string("commission", amount(f.commission))
            w.string("commissionAsset", f.commissionAsset)
            w.int("id", f.tradeId)
            w.bool("maker", f.isMaker)
            w.int("orderId", f.orderId)
            w.string("price", px(f.price, f.symbol))
            w.string("qty", qty(f.qty, f.symbol))
            w.string("quoteQty", quote(f.quoteQty, f.symbol))
            w.string("realizedPnl", amount(f.realizedPnl))
            w.string("side", f.side.rawValue)
            w.string("positionSide", f.positionSide)
            w.string("symbol", f.symbol)
            w.int("time", f.time)
        }
    }

    /// One row of `GET /fapi/v1/klines`: a 12-element array.
    func klineRow(_ w: inout JSONWriter, _ k: SimKline, _ symbol: String) {
        w.beginArray()
        w.int(nil, k.openTime)
        w.string(nil, px(k.open, symbol))
        w.string(nil, px(k.high, symbol))
        w.string(nil, px(k.low, symbol))
        w.string(nil, px(k.close, symbol))
        w.string(nil, qty(k.volume, symbol))
        w.int(nil, k.closeTime)
        w.string(nil, quote(k.quoteVolume, symbol))
        w.int(nil, k.trades)
        w.string(nil, qty(k.takerBuyBaseVolume, symbol))
        w.string(nil, quote(k.takerBuyQuoteVolume, symbol))
        w.string(nil, "0")
        w.endArray()
    }

    func positionRisk(_ p: SimPositionSnapshot, v3: Bool) -> String {
        JSONWriter.object { w in
            w.string("symbol", p.symbol)
            w.string("positionAmt", qty(p.positionAmt, p.symbol))
            w.string("entryPrice", px(p.entryPrice, p.symbol))
            w.string("breakEvenPrice", px(p.breakEvenPrice, p.symbol))
            w.string("markPrice", amount(p.markPrice))
            w.string("unRealizedProfit", amount(p.unRealizedProfit))
            w.string("liquidationPrice", amount(p.liquidationPrice))
            if v3 {
                w.string("positionSide", p.positionSide)
                w.string("notional", amount(p.notional))
                w.string("marginAsset", "USDT")
                w.string("isolatedMargin", amount(p.isolatedMargin))
                w.string("isolatedWallet", amount(p.isolatedWallet))
                w.string("initialMargin", amount(p.initialMargin))
                w.string("maintMargin", amount(p.maintMargin))
                w.string("positionInitialMargin", amount(p.positionInitialMargin))
                w.string("openOrderInitialMargin", amount(p.openOrderInitialMargin))
                w.int("adl", 0)
                w.string("bidNotional", amount(p.bidNotional))
                w.string("askNotional", amount(p.askNotional))
                w.int("updateTime", p.updateTime)
            } else {
                w.string("leverage", String(p.leverage))
                w.string("maxNotionalValue", p.maxNotionalValue.plain)
                w.string("marginType", p.marginType)
                w.string("isolatedMargin", amount(p.isolatedMargin))
                w.string("isAutoAddMargin", p.isAutoAddMargin ? "true" : "false")
                w.string("positionSide", p.positionSide)
                w.string("notional", amount(p.notional))
                w.string("isolatedWallet", amount(p.isolatedWallet))
                w.int("updateTime", p.updateTime)
            }
        }
    }

    func balance(_ b: SimBalanceSnapshot, alias: String) -> String {
        JSONWriter.object { w in
            w.string("accountAlias", alias)
            w.string("asset", b.asset)
            w.string("balance", amount(b.walletBalance))
            w.string("crossWalletBalance", amount(b.crossWalletBalance))
            w.string("crossUnPnl", amount(b.crossUnPnl))
            w.string("availableBalance", amount(b.availableBalance))
            w.string("maxWithdrawAmount", amount(b.maxWithdrawAmount))
            w.bool("marginAvailable", b.marginAvailable)
            w.int("updateTime", b.updateTime)
        }
    }

    func account(_ a: SimAccountSnapshot, v3: Bool) -> String {
        JSONWriter.object { w in
            if !v3 {
                w.int("feeTier", 0)
                w.bool("canTrade", true)
                w.bool("canDeposit", true)
                w.bool("canWithdraw", true)
                w.int("updateTime", 0)
                w.bool("multiAssetsMargin", false)
                w.int("tradeGroupId", -1)
            }
            w.string("totalInitialMargin", amount(a.totalInitialMargin))
            w.string("totalMaintMargin", amount(a.totalMaintMargin))
            w.string("totalWalletBalance", amount(a.totalWalletBalance))
            w.string("totalUnrealizedProfit", amount(a.totalUnrealizedProfit))
            w.string("totalMarginBalance", amount(a.totalMarginBalance))
            w.string("totalPositionInitialMargin", amount(a.totalPositionInitialMargin))
            w.string("totalOpenOrderInitialMargin", amount(a.totalOpenOrderInitialMargin))
            w.string("totalCrossWalletBalance", amount(a.totalCrossWalletBalance))
            w.string("totalCrossUnPnl", amount(a.totalCrossUnPnl))
            w.string("availableBalance", amount(a.availableBalance))
            w.string("maxWithdrawAmount", amount(a.maxWithdrawAmount))
            w.beginArray("assets")
            for b in a.assets {
                w.beginObject()
                w.string("asset", b.asset)
                w.string("walletBalance", amount(b.walletBalance))
                w.string("unrealizedProfit", amount(b.unrealizedProfit))
                w.string("marginBalance", amount(b.marginBalance))
                w.string("maintMargin", amount(b.maintMargin))
                w.string("initialMargin", amount(b.initialMargin))
                w.string("positionInitialMargin", amount(b.positionInitialMargin))
                w.string("openOrderInitialMargin", amount(b.openOrderInitialMargin))
                w.string("crossWalletBalance", amount(b.crossWalletBalance))
                w.string("crossUnPnl", amount(b.crossUnPnl))
                w.string("availableBalance", amount(b.availableBalance))
                w.string("maxWithdrawAmount", amount(b.maxWithdrawAmount))
                if !v3 { w.bool("marginAvailable", b.marginAvailable) }
                w.int("updateTime", b.updateTime)
                w.endObject()
            }
            w.endArray()
            w.beginArray("positions")
            for p in a.positions {
                w.beginObject()
                w.string("symbol", p.symbol)
                if !v3 {
                    w.string("initialMargin", amount(p.initialMargin))
                    w.string("maintMargin", amount(p.maintMargin))
                    w.string("unrealizedProfit", amount(p.unRealizedProfit))
                    w.string("positionInitialMargin", amount(p.positionInitialMargin))
                    w.string("openOrderInitialMargin", amount(p.openOrderInitialMargin))
                    w.string("leverage", String(p.leverage))
                    w.bool("isolated", p.isolated)
                    w.string("entryPrice", px(p.entryPrice, p.symbol))
                    w.string("maxNotional", p.maxNotionalValue.plain)
                    w.string("bidNotional", amount(p.bidNotional))
                    w.string("askNotional", amount(p.askNotional))
                    w.string("positionSide", p.positionSide)
                    w.string("positionAmt", qty(p.positionAmt, p.symbol))
                    w.int("updateTime", p.updateTime)
                } else {
                    w.string("positionSide", p.positionSide)
                    w.string("positionAmt", qty(p.positionAmt, p.symbol))
                    w.string("unrealizedProfit", amount(p.unRealizedProfit))
                    w.string("isolatedMargin", amount(p.isolatedMargin))
                    w.string("notional", amount(p.notional))
                    w.string("isolatedWallet", amount(p.isolatedWallet))
                    w.string("initialMargin", amount(p.initialMargin))
                    w.string("maintMargin", amount(p.maintMargin))
                    w.int("updateTime", p.updateTime)
                }
                w.endObject()
            }
            w.endArray()
        }
    }

    // MARK: user data stream

    func orderUpdate(_ o: SimOrder, _ x: SimExecType, _ fill: SimFill?) -> String {
        JSONWriter.object { w in
            w.string("e", "ORDER_TRADE_UPDATE")
            w.int("T", o.updateTime)
            w.int("E", o.updateTime)
            w.beginObject("o")
            w.string("s", o.symbol)
            w.string("c", o.clientOrderId)
            w.string("S", o.side.rawValue)
            w.string("o", o.type.rawValue)
            w.string("f", o.timeInForce.rawValue)
            w.string("q", qty(o.origQty, o.symbol))
            w.string("p", px(o.price, o.symbol))
            w.string("ap", px(o.avgPrice, o.symbol))
            w.string("sp", px(o.stopPrice, o.symbol))
            w.string("x", x.rawValue)
            w.string("X", o.status.rawValue)
            w.int("i", o.orderId)
            w.string("l", qty(fill?.qty ?? .zero, o.symbol))
            w.string("z", qty(o.executedQty, o.symbol))
            w.string("L", px(fill?.price ?? .zero, o.symbol))
            w.string("N", fill?.commissionAsset ?? "USDT")
            w.string("n", amount(fill?.commission ?? .zero))
            w.int("T", o.updateTime)
            w.int("t", fill?.tradeId ?? 0)
            w.string("b", "0")
            w.string("a", "0")
            w.bool("m", fill?.isMaker ?? false)
            w.bool("R", o.reduceOnly)
            w.string("wt", o.workingType.rawValue)
            w.string("ot", o.origType.rawValue)
            w.string("ps", o.positionSide)
            w.bool("cp", o.closePosition)
            w.string("AP", o.activatePrice.map { px($0, o.symbol) } ?? "0")
            w.string("cr", o.priceRate.map { $0.plain } ?? "0")
            w.bool("pP", o.priceProtect)
            w.int("si", 0)
            w.int("ss", 0)
            w.string("rp", amount(fill?.realizedPnl ?? .zero))
            w.string("V", "EXPIRE_TAKER")
            w.endObject()
        }
    }

    func tradeLite(_ o: SimOrder, _ f: SimFill) -> String {
        JSONWriter.object { w in
            w.string("e", "TRADE_LITE")
            w.int("E", f.time)
            w.int("T", f.time)
            w.string("s", o.symbol)
            w.string("c", o.clientOrderId)
            w.string("S", o.side.rawValue)
            w.string("q", qty(o.origQty, o.symbol))
            w.string("p", px(o.price, o.symbol))
            w.int("i", o.orderId)
            w.string("l", qty(f.qty, o.symbol))
            w.string("L", px(f.price, o.symbol))
            w.int("t", f.tradeId)
            w.bool("m", f.isMaker)
        }
    }

    func accountUpdate(reason: String, balances: [SimBalanceUpdate], positions: [SimPositionUpdate], timeMs: Int64) -> String {
        JSONWriter.object { w in
            w.string("e", "ACCOUNT_UPDATE")
            w.int("T", timeMs)
            w.int("E", timeMs)
            w.beginObject("a")
            w.string("m", reason)
            w.beginArray("B")
            for b in balances {
                w.beginObject()
                w.string("a", b.asset)
                w.string("wb", amount(b.walletBalance))
                w.string("cw", amount(b.crossWalletBalance))
                w.string("bc", amount(b.balanceChange))
                w.endObject()
            }
            w.endArray()
            w.beginArray("P")
            for p in positions {
                w.beginObject()
                w.string("s", p.symbol)
                w.string("pa", qty(p.positionAmt, p.symbol))
                w.string("ep", px(p.entryPrice, p.symbol))
                w.string("bep", px(p.breakEvenPrice, p.symbol))
                w.string("cr", amount(p.accumulatedRealized))
                w.string("up", amount(p.unrealizedPnl))
                w.string("mt", p.marginType)
                w.string("iw", amount(p.isolatedWallet))
                w.string("ps", p.positionSide)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
    }

    func algoUpdate(_ a: SimAlgoOrder, timeMs: Int64) -> String {
        JSONWriter.object { w in
            w.string("e", "ALGO_UPDATE")
            w.int("T", timeMs)
            w.int("E", timeMs)
            w.beginObject("o")
            w.string("caid", a.clientAlgoId)
            w.int("aid", a.algoId)
            w.string("at", a.algoType)
            w.string("o", a.orderType.rawValue)
            w.string("s", a.symbol)
            w.string("S", a.side.rawValue)
            w.string("ps", a.positionSide)
            w.string("f", a.timeInForce.rawValue)
            w.string("q", qty(a.quantity, a.symbol))
            w.string("X", a.algoStatus.rawValue)
            w.string("ai", a.actualOrderId.map(String.init) ?? "")
            w.string("ap", px(a.avgPrice, a.symbol))
            w.string("aq", qty(a.executedQty, a.symbol))
            w.string("act", a.actualPrice.map { px($0, a.symbol) } ?? "0")
            w.string("tp", px(a.triggerPrice, a.symbol))
            w.string("p", px(a.price, a.symbol))
            w.string("V", "EXPIRE_MAKER")
            w.string("wt", a.workingType.rawValue)
            w.string("pm", "NONE")
            w.bool("cp", a.closePosition)
            w.bool("pP", a.priceProtect)
            w.bool("R", a.reduceOnly)
            w.int("tt", a.triggerTime)
            w.int("gtd", 0)
            w.string("rm", "")
            w.endObject()
        }
    }

    func marginCall(crossWalletBalance: SimDecimal, positions: [SimMarginCallPosition], timeMs: Int64) -> String {
        JSONWriter.object { w in
            w.string("e", "MARGIN_CALL")
            w.int("E", timeMs)
            w.string("cw", amount(crossWalletBalance))
            w.beginArray("p")
            for p in positions {
                w.beginObject()
                w.string("s", p.symbol)
                w.string("ps", p.positionSide)
                w.string("pa", qty(p.positionAmt, p.symbol))
                w.string("mt", p.marginType.uppercased())
                w.string("iw", amount(p.isolatedWallet))
                w.string("mp", amount(p.markPrice))
                w.string("up", amount(p.unrealizedPnl))
                w.string("mm", amount(p.maintMargin))
                w.endObject()
            }
            w.endArray()
        }
    }

    // MARK: market streams

    func klineObject(_ w: inout JSONWriter, _ k: SimKline, symbol: String?, interval: String, closed: Bool, priceSymbol: String) {
        w.beginObject("k")
        w.int("t", k.openTime)
        w.int("T", k.closeTime)
        if let symbol { w.string("s", symbol) }
        w.string("i", interval)
        w.int("f", k.firstTradeId)
        w.int("L", k.lastTradeId)
        w.string("o", px(k.open, priceSymbol))
        w.string("c", px(k.close, priceSymbol))
        w.string("h", px(k.high, priceSymbol))
        w.string("l", px(k.low, priceSymbol))
        w.string("v", qty(k.volume, priceSymbol))
        w.int("n", k.trades)
        w.bool("x", closed)
        w.string("q", quote(k.quoteVolume, priceSymbol))
        w.string("V", qty(k.takerBuyBaseVolume, priceSymbol))
        w.string("Q", quote(k.takerBuyQuoteVolume, priceSymbol))
        w.string("B", "0")
        w.endObject()
    }

    func levels(_ w: inout JSONWriter, _ key: String, _ levels: ArraySlice<(SimDecimal, SimDecimal)>, _ symbol: String) {
        w.beginArray(key)
        for (p, q) in levels {
            w.beginArray()
            w.string(nil, px(p, symbol))
            w.string(nil, qty(q, symbol))
            w.endArray()
        }
        w.endArray()
    }
}
