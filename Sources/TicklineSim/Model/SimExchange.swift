/// The simulated Binance USD-M venue: markets, matching, accounts, funding and liquidation.
///
/// Pure and single-threaded: no I/O, no clock (every call takes `nowMs`), no system randomness,
/// and no Dictionary iteration in anything it outputs. The same seed and the same sequence of
/// calls therefore give the same events and fills, which is what lets an engine run against it
/// be replayed. The HTTP layer wraps one instance in an actor and renders the results.
final class SimExchange {
    /// Simulated-time cadence of the market walk.
    /// The market model's time step (the random walk moves, books refresh and triggers run once per step).
    let stepMs: Int64
    /// Splits every taker execution into this many fills (to exercise partial-fill handling).
    var partialFillSplits: Int = 1
    /// MARGIN_CALL when maintenance margin / margin balance reaches this ratio.
    var marginCallThreshold = SimDecimal("0.8")!

    private(set) var symbols: [SimSymbolSpec]
    private var markets: [SymbolMarket]
    private var marketIndex: [String: Int] = [:]
    /// Per market (same index): the replay driving it, nil = random walk.
    private var replays: [ReplayCursor?]
    private var accounts: [SimAccountState]
    private var apiKeys: [String: Int] = [:]

    /// Every order ever placed, in placement order; `orderIndex` maps id → position.
    private var orders: [SimOrder] = []
    private var orderIndex: [Int64: Int] = [:]
    /// Resting orders in time priority.
    private var openOrderIds: [Int64] = []
    private var fills: [(account: SimAccountID, fill: SimFill)] = []

    private var algoOrders: [SimAlgoOrder] = []
    private var algoIndex: [Int64: Int] = [:]
    private var openAlgoIds: [Int64] = []
    /// Matching-engine order id → the algo order that created it.
    private var algoByOrderId: [Int64: Int64] = [:]

    /// Every fill, funding payment and liquidation, in order.
    private(set) var ledger: [LedgerEntry] = []

    private var nextOrderId: Int64 = 4_000_000_001
    private var nextAlgoId: Int64 = 2_000_000_001
    private var lastStepMs: Int64
    /// Latest simulated time seen by any call.
    private(set) var nowMs: Int64

    init(symbols: [SimSymbolSpec], accounts: [SimAccountSpec], seed: UInt64, startMs: Int64, stepMs: Int64 = 100) {
        self.symbols = symbols
        self.stepMs = max(1, stepMs)
        var seeder = MarketRNG(seed: seed)
        markets = symbols.map { SymbolMarket(spec: $0, seed: seeder.next(), startMs: startMs) }
        replays = Array(repeating: nil, count: symbols.count)
        self.accounts = accounts.map { SimAccountState(spec: $0, wallet: $0.usdtBalance, updateTime: startMs) }
        for (i, s) in symbols.enumerated() { marketIndex[s.symbol] = i }
        for (i, a) in accounts.enumerated() where apiKeys[a.apiKey] == nil { apiKeys[a.apiKey] = i }
        lastStepMs = startMs
        nowMs = startMs
    }

    // MARK: lookup

    func spec(_ symbol: String) -> SimSymbolSpec? { marketIndex[symbol].map { symbols[$0] } }
    func account(apiKey: String) -> SimAccountID? { apiKeys[apiKey].map { SimAccountID(rawValue: $0) } }
    func secret(of account: SimAccountID) -> String { accounts[account.rawValue].spec.secret }
    var accountIDs: [SimAccountID] { accounts.indices.map { SimAccountID(rawValue: $0) } }
    func accountSpec(_ account: SimAccountID) -> SimAccountSpec { accounts[account.rawValue].spec }

    private func market(_ symbol: String) -> SymbolMarket? { marketIndex[symbol].map { markets[$0] } }

    // MARK: market data

    func book(_ symbol: String, limit: Int) -> (lastUpdateId: Int64, bids: [(SimDecimal, SimDecimal)], asks: [(SimDecimal, SimDecimal)]) {
        market(symbol)?.book(limit: limit) ?? (0, [], [])
    }

    /// Best bid/ask (`GET /fapi/v1/ticker/bookTicker`).
    func bookTicker(_ symbol: String) -> (updateId: Int64, bidPrice: SimDecimal, bidQty: SimDecimal, askPrice: SimDecimal, askQty: SimDecimal)? {
        guard let m = market(symbol), let b = m.bestBid, let a = m.bestAsk else { return nil }
        return (m.lastUpdateId, b.price, b.qty, a.price, a.qty)
    }

    func lastPrice(_ symbol: String) -> SimDecimal? { market(symbol)?.lastPrice }
    func markInfo(_ symbol: String) -> SimMarkInfo? { market(symbol)?.markInfo(timeMs: nowMs) }
    func ticker24h(_ symbol: String, nowMs: Int64) -> SimTicker24h? { market(symbol)?.ticker24h(nowMs: nowMs) }

    /// Most recent public trades, oldest first (`GET /fapi/v1/trades`, `aggTrades`).
    func recentTrades(_ symbol: String, limit: Int) -> [SimTrade] {
        market(symbol).map { Array($0.recentTrades.suffix(Swift.max(1, Swift.min(limit, 1000)))) } ?? []
    }

    /// Settled fundings, oldest first (`GET /fapi/v1/fundingRate`).
    func fundingHistory(_ symbol: String, limit: Int) -> [SimFundingRecord] {
        market(symbol).map { Array($0.fundingHistory.suffix(Swift.max(1, Swift.min(limit, 1000)))) } ?? []
    }

    /// Candles like `GET /fapi/v1/klines` (-1121 unknown symbol, -1120 unknown interval).
    func klines(_ symbol: String, interval: String, startTime: Int64?, endTime: Int64?, limit: Int?) -> Result<[SimKline], SimError> {
        guard let m = market(symbol) else { return .failure(.invalidSymbol) }
        guard let i = KlineInterval(rawValue: interval) else { return .failure(SimError(code: -1120, msg: "Invalid interval.")) }
        return .success(m.klines(interval: i, startTime: startTime, endTime: endTime, limit: limit))
    }

    /// Pins the funding rate of a symbol (admin API / tests); nil lets it drift again.
    func setFundingRate(_ symbol: String, _ rate: SimDecimal?) { market(symbol)?.pinFundingRate(rate) }

    func leverageBrackets(symbol: String?) -> [(String, [LeverageBracket])] {
        if let symbol { return spec(symbol).map { [($0.symbol, $0.brackets)] } ?? [] }
        return symbols.map { ($0.symbol, $0.brackets) }
    }

    // MARK: time

    /// Steps every market to `toMs` at `stepMs` cadence and returns everything that happened:
    /// market data, resting-order fills, algo triggers, funding, liquidations.
    func advance(toMs: Int64) -> [SimEvent] {
        var events: [SimEvent] = []
        while lastStepMs + stepMs <= toMs {
            let t = lastStepMs + stepMs
            for mi in markets.indices {
                settleFundingIfDue(mi, nowMs: t, into: &events)
                if replays[mi] != nil {
                    stepReplay(mi, toMs: t, into: &events)
                } else {
                    markets[mi].step(timeMs: t, into: &events)
                }
                afterPriceChange(mi, nowMs: t, into: &events)
            }
            checkLiquidations(nowMs: t, into: &events)
            lastStepMs = t
        }
        nowMs = Swift.max(nowMs, toMs)
        return events
    }

    // MARK: replay

    /// Replaces the random walk of every symbol in `source` that this exchange lists by the
    /// recorded trades: the source's origin (first message / first candle) is mapped onto the
    /// current simulated time (the start time when called right after `init`) and data time is
    /// compressed by `speed` (> 0; 10 = ten times faster). Each replayed trade moves the mid,
    /// re-centres the synthetic book on it and prints a public trade, so candles, mark price,
    /// funding, resting fills and triggers all follow the replayed prices. When a symbol's
    /// replay runs out, that symbol continues with the random walk from the last replayed price.
    /// Symbols not in `source` keep their random walk. Returns the symbols attached (sorted).
    @discardableResult
    func attachReplay(_ source: ReplaySource, speed: Double = 1) -> [String] {
        let speed = speed.isFinite && speed > 0 ? speed : 1
        var attached: [String] = []
        for symbol in source.symbols {
            guard let mi = marketIndex[symbol], let trades = source.trades[symbol], !trades.isEmpty else { continue }
            replays[mi] = ReplayCursor(trades, originMs: source.originMs, startMs: lastStepMs, speed: speed,
                                       spec: markets[mi].spec)
            attached.append(symbol)
        }
        return attached
    }

    /// Whether `symbol` is still driven by a replay (false once it ran out).
    func isReplaying(_ symbol: String) -> Bool { marketIndex[symbol].map { replays[$0] != nil } ?? false }

    /// Prints every replayed trade due by `t` (at its own time), then closes candles and
    /// updates the mark. Drops the replay once exhausted (the walk takes over next step).
    private func stepReplay(_ mi: Int, toMs t: Int64, into events: inout [SimEvent]) {
        guard var cursor = replays[mi] else { return }
        let m = markets[mi]
        while !cursor.isExhausted, cursor.ticks[cursor.next].timeMs <= t {
            let tick = cursor.ticks[cursor.next]
            m.replayTrade(priceTicks: tick.priceTicks, qty: tick.qty, buyerIsMaker: tick.buyerIsMaker,
                          timeMs: Swift.max(tick.timeMs, m.recentTrades.last?.timeMs ?? m.startMs), into: &events)
            cursor.next += 1
        }
        m.replayStep(timeMs: t, into: &events)
        replays[mi] = cursor.isExhausted ? nil : cursor
    }

    /// Moves a symbol's market to `price` (rounded to tick) at `nowMs`, printing a trade there;
    /// first advances the whole exchange to `nowMs` so time stays monotonic.
    func setPrice(_ symbol: String, _ price: SimDecimal, nowMs: Int64) -> [SimEvent] {
        guard let mi = marketIndex[symbol], price.isPositive else { return [] }
        var events = advance(toMs: nowMs)
        settleFundingIfDue(mi, nowMs: nowMs, into: &events)
        markets[mi].setPrice(price, timeMs: nowMs, into: &events)
        afterPriceChange(mi, nowMs: nowMs, into: &events)
        checkLiquidations(nowMs: nowMs, into: &events)
        return events
    }

    /// What follows any move of a market: book events, resting fills, triggers, funding, klines.
    private func afterPriceChange(_ mi: Int, nowMs t: Int64, into events: inout [SimEvent]) {
        let m = markets[mi]
        m.bookEvents(timeMs: t, into: &events)
        fillRestingOrders(mi, nowMs: t, into: &events)
        checkTriggers(mi, nowMs: t, into: &events)
        m.bookEvents(timeMs: t, into: &events)
        m.klineEvents(timeMs: t, into: &events)
    }

    // MARK: orders

    func placeOrder(_ account: SimAccountID, _ r: NewOrder, nowMs: Int64) -> Result<(SimOrder, [SimEvent]), SimError> {
        self.nowMs = Swift.max(self.nowMs, nowMs)
        var events: [SimEvent] = []
        switch submit(account, r, origType: nil, stopPrice: .zero, workingType: .contractPrice, algoId: nil,
                      nowMs: nowMs, into: &events) {
        case .failure(let e): return .failure(e)
        case .success(let oi):
            if let mi = marketIndex[r.symbol] {
                markets[mi].bookEvents(timeMs: nowMs, into: &events)
                markets[mi].klineEvents(timeMs: nowMs, into: &events)
            }
            checkLiquidations(nowMs: nowMs, into: &events)
            return .success((orders[oi], events))
        }
    }

    /// Validates, creates and matches an order; returns its index in `orders`. Conditional
    /// types are refused unless `origType` says the order comes from a triggered algo order.
    private func submit(_ account: SimAccountID, _ r: NewOrder, origType: SimOrderType?, stopPrice: SimDecimal,
                        workingType: SimWorkingType, algoId: Int64?, nowMs: Int64, into events: inout [SimEvent])
        -> Result<Int, SimError>
    {
        guard let mi = marketIndex[r.symbol] else { return .failure(.invalidSymbol) }
        guard accounts.indices.contains(account.rawValue) else { return .failure(SimError(code: -2015, msg: "Invalid API-key, IP, or permissions for action.", http: 401)) }
        let m = markets[mi]
        let spec = m.spec
        if let ps = r.positionSide, ps != "BOTH" { return .failure(.positionSideMismatch) }
        if r.type.isConditional { return .failure(.useAlgoEndpoint) }
        guard r.type == .market || r.type == .limit else { return .failure(.invalidOrderType) }
        let isMarket = r.type == .market
        if let e = validateQuantity(r.quantity, spec: spec, market: isMarket) { return .failure(e) }
        let qty = r.quantity!
        var price = SimDecimal.zero
        var tif = SimTimeInForce.gtc
        if isMarket {
            if r.price != nil { return .failure(.priceNotRequired) }
        } else {
            guard let p = r.price else { return .failure(.mandatory("price")) }
            guard let t = r.timeInForce else { return .failure(.mandatory("timeInForce")) }
            if let e = validatePrice(p, spec: spec) { return .failure(e) }
            price = p
            tif = t == .gtd ? .gtc : t
        }
        if let cid = r.newClientOrderId {
            guard Self.isValidClientId(cid) else { return .failure(.clientOrderIdInvalid) }
            if openOrderIds.contains(where: { orders[orderIndex[$0]!].clientOrderId == cid && orders[orderIndex[$0]!].account == account }) {
                return .failure(.duplicateClientOrderId)
            }
        }
        let acc = account.rawValue
        let pos = position(acc, spec)
        let sideSign = r.side.sign
        let reducing = !pos.amount.isZero && pos.amount.signum != sideSign
        if r.reduceOnly && !reducing { return .failure(.reduceOnlyRejected) }

        // Reference price for notional checks: the limit price, or the touch a market order hits.
        let touch = r.side == .buy ? m.bestAsk?.price : m.bestBid?.price
        let ref = isMarket ? (touch ?? m.markPrice) : price
        if !r.reduceOnly && qty * ref < spec.minNotional { return .failure(.minNotional(spec.minNotional)) }

        let increasing = reducing ? Swift.max(.zero, qty - pos.amount.abs) : qty
        if increasing.isPositive {
            let sameSideOpen = openQty(acc, symbol: spec.symbol, side: r.side)
            let after = (pos.amount + SimDecimal(units: sideSign * (qty + sameSideOpen).units)).abs
            if after * ref > spec.maxNotional(atLeverage: pos.leverage) { return .failure(.maxLeverageRatio) }
            let required = increasing * ref / SimDecimal(pos.leverage) + increasing * ref * spec.takerFeeRate
            if required > availableBalance(acc) { return .failure(.marginInsufficient) }
        }
        if !isMarket && tif == .gtx {
            let crosses = r.side == .buy ? (m.bestAsk.map { $0.price <= price } ?? false) : (m.bestBid.map { $0.price >= price } ?? false)
            if crosses { return .failure(.gtxRejected) }
        }
        if !isMarket && tif == .fok {
            var fillable = liquidity(m, side: r.side, limit: price)
            if r.reduceOnly { fillable = Swift.min(fillable, pos.amount.abs) }
            if fillable < qty { return .failure(.fokRejected) }
        }

        let id = nextOrderId
        nextOrderId += 1
        let order = SimOrder(
            orderId: id, clientOrderId: r.newClientOrderId ?? "sim-\(id)", symbol: spec.symbol, side: r.side,
            type: r.type, origType: origType ?? r.type, timeInForce: tif, price: price, avgPrice: .zero, origQty: qty,
            executedQty: .zero, cumQuote: .zero, status: .new, reduceOnly: r.reduceOnly, closePosition: false,
            stopPrice: stopPrice, workingType: workingType, time: nowMs, updateTime: nowMs, account: account)
        let oi = orders.count
        orders.append(order)
        orderIndex[id] = oi
        events.append(.orderUpdate(account: account, order: order, execType: .new, lastFill: nil))
        if let algoId, let ai = algoIndex[algoId] {
            algoByOrderId[id] = algoId
            algoOrders[ai].algoStatus = .triggered
            algoOrders[ai].actualOrderId = id
            algoOrders[ai].updateTime = nowMs
            events.append(.algoUpdate(account: account, order: algoOrders[ai], timeMs: nowMs))
        }

        matchTaker(oi, limit: isMarket ? nil : price, nowMs: nowMs, into: &events)

        if orders[oi].isOpen {
            if isMarket || tif == .ioc || tif == .fok {
                finish(oi, status: .expired, execType: .expired, nowMs: nowMs, into: &events)
            } else {
                openOrderIds.append(id)
            }
        }
        return .success(oi)
    }

    /// Binance's client id rule: `^[.A-Z:/a-z0-9_-]{1,36}$`.
    static func isValidClientId(_ s: String) -> Bool {
        guard (1...36).contains(s.utf8.count) else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: ":") || c == UInt8(ascii: "/")
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }

    private func validateQuantity(_ q: SimDecimal?, spec: SimSymbolSpec, market: Bool) -> SimError? {
        guard let q else { return .mandatory("quantity") }
        guard q.isPositive else { return .quantityNotPositive }
        if q.decimalPlaces > spec.quantityPrecision || !q.isMultiple(of: spec.stepSize) { return .precision }
        if q < (market ? spec.marketMinQty : spec.minQty) { return .quantityBelowMin }
        if q > (market ? spec.marketMaxQty : spec.maxQty) { return .quantityAboveMax }
        return nil
    }

    private func validatePrice(_ p: SimDecimal, spec: SimSymbolSpec) -> SimError? {
        guard p.isPositive else { return .priceLessThanZero }
        if p.decimalPlaces > spec.pricePrecision { return .precision }
        if !p.isMultiple(of: spec.tickSize) { return .priceNotTick }
        if p < spec.minPrice { return .priceBelowMin }
        if p > spec.maxPrice { return .priceTooHigh }
        return nil
    }

    /// Quantity a taker on `side` could get from the book at prices no worse than `limit`.
    private func liquidity(_ m: SymbolMarket, side: SimSide, limit: SimDecimal?) -> SimDecimal {
        var total = SimDecimal.zero
        for (p, q) in side == .buy ? m.askLevels : m.bidLevels {
            let price = m.price(p)
            if let limit, side == .buy ? price > limit : price < limit { break }
            total += m.qty(q)
        }
        return total
    }

    /// Walks the book for a taker order (the same levels `book()` returns), consuming them;
    /// the quantity is cut into `partialFillSplits` slices, each filling level by level.
    private func matchTaker(_ oi: Int, limit: SimDecimal?, nowMs: Int64, into events: inout [SimEvent]) {
        let o = orders[oi]
        guard let mi = marketIndex[o.symbol] else { return }
        let m = markets[mi]
        var remaining = o.remainingQty
        if o.reduceOnly { remaining = Swift.min(remaining, reducible(o.account.rawValue, m.spec, side: o.side)) }
        var remainingSteps = remaining.count(of: m.spec.stepSize)
        let slices = Int64(Swift.max(1, partialFillSplits))
        let sliceSteps = Swift.max(1, (remainingSteps + slices - 1) / slices)
        outer: while remainingSteps > 0 {
            var sliceLeft = Swift.min(sliceSteps, remainingSteps)
            while sliceLeft > 0 {
                guard let level = o.side == .buy ? m.askLevels.first : m.bidLevels.first else { break outer }
                let levelPrice = m.price(level.0)
                if let limit, o.side == .buy ? levelPrice > limit : levelPrice < limit { break outer }
                let take = Swift.min(sliceLeft, level.1)
                m.consume(side: o.side, priceTicks: level.0, steps: take)
                applyFill(oi, price: levelPrice, qty: m.qty(take), isMaker: false, nowMs: nowMs, into: &events)
                sliceLeft -= take
                remainingSteps -= take
            }
        }
    }

    /// Resting limit orders fill (as maker, at their own price) once the synthetic book has
    /// moved through them: a BUY when the best ask is at or below its price, a SELL when the
    /// best bid is at or above.
    private func fillRestingOrders(_ mi: Int, nowMs: Int64, into events: inout [SimEvent]) {
        let m = markets[mi]
        let symbol = m.spec.symbol
        for id in openOrderIds {
            guard let oi = orderIndex[id], orders[oi].symbol == symbol, orders[oi].isOpen else { continue }
            let o = orders[oi]
            let crossed = o.side == .buy ? (m.bestAsk.map { $0.price <= o.price } ?? false)
                                         : (m.bestBid.map { $0.price >= o.price } ?? false)
            guard crossed else { continue }
            var qty = o.remainingQty
            if o.reduceOnly {
                qty = Swift.min(qty, reducible(o.account.rawValue, m.spec, side: o.side))
                if qty.isZero {
                    finish(oi, status: .expired, execType: .expired, nowMs: nowMs, into: &events)
                    continue
                }
            }
            var steps = qty.count(of: m.spec.stepSize)
            let slices = Int64(Swift.max(1, partialFillSplits))
            let slice = Swift.max(1, (steps + slices - 1) / slices)
            while steps > 0 {
                let take = Swift.min(slice, steps)
                applyFill(oi, price: o.price, qty: m.qty(take), isMaker: true, nowMs: nowMs, into: &events)
                steps -= take
            }
            if o.reduceOnly && orders[oi].isOpen {
                finish(oi, status: .expired, execType: .expired, nowMs: nowMs, into: &events)
            }
        }
        openOrderIds.removeAll { id in orderIndex[id].map { !orders[$0].isOpen } ?? true }
    }

    /// Books one execution: position, wallet, fees, the public trade, the order, the ledger and
    /// the user events (TRADE_LITE, ORDER_TRADE_UPDATE, ACCOUNT_UPDATE).
    private func applyFill(_ oi: Int, price: SimDecimal, qty: SimDecimal, isMaker: Bool, nowMs: Int64,
                           feeOverride: SimDecimal? = nil, kind: LedgerEntry.Kind = .fill, into events: inout [SimEvent])
    {
        var o = orders[oi]
        let acc = o.account.rawValue
        let mi = marketIndex[o.symbol]!
        let m = markets[mi]
        let spec = m.spec
        let quote = price * qty
        let fee = feeOverride ?? quote * (isMaker ? spec.makerFeeRate : spec.takerFeeRate)
        var pos = position(acc, spec)
        let realized = Self.apply(to: &pos, side: o.side, price: price, qty: qty, fee: fee)
        pos.accumulatedRealized += realized
        pos.updateTime = nowMs
        accounts[acc].positions[spec.symbol] = pos
        accounts[acc].wallet += realized - fee
        accounts[acc].updateTime = nowMs

        let buyerIsMaker = o.side == .buy ? isMaker : !isMaker
        let tradeId = m.recordTrade(price: price, qty: qty, buyerIsMaker: buyerIsMaker, timeMs: nowMs, into: &events)

        o.executedQty += qty
        o.cumQuote += quote
        o.avgPrice = o.cumQuote / o.executedQty
        o.cumCommission += fee
        o.cumRealizedPnl += realized
        o.status = o.executedQty >= o.origQty ? .filled : .partiallyFilled
        o.updateTime = nowMs
        o.isMakerOnLastFill = isMaker
        orders[oi] = o

        let fill = SimFill(tradeId: tradeId, orderId: o.orderId, symbol: o.symbol, side: o.side, price: price, qty: qty,
                           quoteQty: quote, commission: fee, commissionAsset: spec.quoteAsset, realizedPnl: realized,
                           isMaker: isMaker, time: nowMs)
        fills.append((o.account, fill))
        ledger.append(LedgerEntry(kind: kind, account: o.account, symbol: o.symbol, side: o.side, price: price, qty: qty,
                                  fee: fee, realizedPnl: realized, tradeId: tradeId, orderId: o.orderId, timeMs: nowMs))
        events.append(.tradeLite(account: o.account, order: o, fill: fill))
        events.append(.orderUpdate(account: o.account, order: o, execType: .trade, lastFill: fill))
        events.append(accountUpdate(acc, reason: "ORDER", change: realized - fee, symbols: [mi], nowMs: nowMs))
        if let ai = algoByOrderId[o.orderId].flatMap({ algoIndex[$0] }) {
            algoOrders[ai].executedQty = o.executedQty
            algoOrders[ai].avgPrice = o.avgPrice
        }
        if o.status == .filled { orderClosed(oi, nowMs: nowMs, into: &events) }
    }

    /// Position arithmetic of one fill in one-way mode; returns the realized PnL.
    /// Increasing: weighted entry; isolated margin grows by notional / leverage.
    /// Reducing: PnL on the closed part at the entry; isolated margin is released pro rata.
    /// Flipping: the rest opens a new position at the fill price.
    static func apply(to pos: inout SimPositionState, side: SimSide, price: SimDecimal, qty: SimDecimal, fee: SimDecimal) -> SimDecimal {
        let s = side.sign
        let lev = SimDecimal(pos.leverage)
        if pos.amount.isZero || pos.amount.signum == s {
            let newAmount = pos.amount + SimDecimal(units: s * qty.units)
            pos.entryPrice = (pos.amount.abs * pos.entryPrice + qty * price) / newAmount.abs
            pos.amount = newAmount
            pos.openFees += fee
            if pos.isolated { pos.isolatedWallet += qty * price / lev }
            return .zero
        }
        let oldAbs = pos.amount.abs
        let closeQty = Swift.min(qty, oldAbs)
        let realized = closeQty * (price - pos.entryPrice) * SimDecimal(Int(pos.amount.signum))
        let closesAll = closeQty == oldAbs
        if pos.isolated { pos.isolatedWallet -= closesAll ? pos.isolatedWallet : pos.isolatedWallet * closeQty / oldAbs }
        pos.openFees = closesAll ? .zero : pos.openFees - pos.openFees * closeQty / oldAbs
        pos.amount = pos.amount + SimDecimal(units: s * closeQty.units)
        if pos.amount.isZero { pos.entryPrice = .zero }
        let rest = qty - closeQty
        if rest.isPositive {
            pos.amount = SimDecimal(units: s * rest.units)
            pos.entryPrice = price
            pos.openFees = fee * rest / qty
            if pos.isolated { pos.isolatedWallet += rest * price / lev }
        }
        return realized
    }

    /// Terminal status for an open order (cancel, expiry) with its event.
    private func finish(_ oi: Int, status: SimOrderStatus, execType: SimExecType, nowMs: Int64, into events: inout [SimEvent]) {
        guard orders[oi].isOpen else { return }
        orders[oi].status = status
        orders[oi].updateTime = nowMs
        events.append(.orderUpdate(account: orders[oi].account, order: orders[oi], execType: execType, lastFill: nil))
        orderClosed(oi, nowMs: nowMs, into: &events)
    }

    /// An order reached a terminal status: drop it from the resting list; finish its algo order.
    private func orderClosed(_ oi: Int, nowMs: Int64, into events: inout [SimEvent]) {
        let o = orders[oi]
        if let k = openOrderIds.firstIndex(of: o.orderId) { openOrderIds.remove(at: k) }
        if let algoId = algoByOrderId[o.orderId], let ai = algoIndex[algoId], algoOrders[ai].algoStatus == .triggered {
            algoOrders[ai].algoStatus = .finished
            algoOrders[ai].executedQty = o.executedQty
            algoOrders[ai].avgPrice = o.avgPrice
            algoOrders[ai].updateTime = nowMs
            events.append(.algoUpdate(account: o.account, order: algoOrders[ai], timeMs: nowMs))
        }
    }

    private func findOrder(_ account: SimAccountID, symbol: String, orderId: Int64?, clientOrderId: String?) -> Int? {
        if let orderId {
            guard let oi = orderIndex[orderId], orders[oi].account == account, orders[oi].symbol == symbol else { return nil }
            return oi
        }
        guard let cid = clientOrderId else { return nil }
        // The open order with that id first, else the latest one (client ids are unique among open orders).
        if let id = openOrderIds.first(where: { orders[orderIndex[$0]!].clientOrderId == cid && orders[orderIndex[$0]!].account == account && orders[orderIndex[$0]!].symbol == symbol }) {
            return orderIndex[id]
        }
        return orders.lastIndex { $0.account == account && $0.symbol == symbol && $0.clientOrderId == cid }
    }

    func cancelOrder(_ account: SimAccountID, symbol: String, orderId: Int64?, origClientOrderId: String?, nowMs: Int64)
        -> Result<(SimOrder, [SimEvent]), SimError>
    {
        self.nowMs = Swift.max(self.nowMs, nowMs)
        guard marketIndex[symbol] != nil else { return .failure(.invalidSymbol) }
        if orderId == nil && origClientOrderId == nil {
            return .failure(SimError(code: -1102, msg: "Either orderId or origClientOrderId must be sent."))
        }
        guard let oi = findOrder(account, symbol: symbol, orderId: orderId, clientOrderId: origClientOrderId),
              orders[oi].isOpen else { return .failure(.unknownOrder) }
        var events: [SimEvent] = []
        finish(oi, status: .canceled, execType: .canceled, nowMs: nowMs, into: &events)
        return .success((orders[oi], events))
    }

    func cancelAllOrders(_ account: SimAccountID, symbol: String, nowMs: Int64) -> [SimEvent] {
        self.nowMs = Swift.max(self.nowMs, nowMs)
        var events: [SimEvent] = []
        for id in openOrderIds {
            guard let oi = orderIndex[id], orders[oi].account == account, orders[oi].symbol == symbol else { continue }
            finish(oi, status: .canceled, execType: .canceled, nowMs: nowMs, into: &events)
        }
        return events
    }

    func order(_ account: SimAccountID, symbol: String, orderId: Int64?, origClientOrderId: String?) -> SimOrder? {
        findOrder(account, symbol: symbol, orderId: orderId, clientOrderId: origClientOrderId).map { orders[$0] }
    }

    func openOrders(_ account: SimAccountID, symbol: String?) -> [SimOrder] {
        openOrderIds.compactMap { orderIndex[$0].map { orders[$0] } }
            .filter { $0.account == account && (symbol == nil || $0.symbol == symbol) && $0.isOpen }
            .sorted { $0.orderId < $1.orderId }
    }

    /// Orders of any status, oldest first, the last `limit` (default 500, max 1000).
    func allOrders(_ account: SimAccountID, symbol: String, limit: Int) -> [SimOrder] {
        let n = Swift.max(1, Swift.min(limit, 1000))
        return Array(orders.filter { $0.account == account && $0.symbol == symbol }.suffix(n))
    }

    /// Fills, oldest first, the last `limit` (default 500, max 1000).
    func userTrades(_ account: SimAccountID, symbol: String, limit: Int) -> [SimFill] {
        let n = Swift.max(1, Swift.min(limit, 1000))
        return Array(fills.filter { $0.account == account && $0.fill.symbol == symbol }.map(\.fill).suffix(n))
    }

    // MARK: algo orders

    func placeAlgoOrder(_ account: SimAccountID, _ r: NewAlgoOrder, nowMs: Int64) -> Result<(SimAlgoOrder, [SimEvent]), SimError> {
        self.nowMs = Swift.max(self.nowMs, nowMs)
        guard let mi = marketIndex[r.symbol] else { return .failure(.invalidSymbol) }
        guard accounts.indices.contains(account.rawValue) else { return .failure(SimError(code: -2015, msg: "Invalid API-key, IP, or permissions for action.", http: 401)) }
        let m = markets[mi]
        let spec = m.spec
        guard r.algoType == "CONDITIONAL" else { return .failure(.invalidAlgoType) }
        if let ps = r.positionSide, ps != "BOTH" { return .failure(.positionSideMismatch) }
        guard r.type.isConditional else { return .failure(.invalidOrderType) }
        let isTrailing = r.type == .trailingStopMarket
        let isLimit = r.type == .stop || r.type == .takeProfit
        var trigger = SimDecimal.zero
        if isTrailing {
            guard let cb = r.callbackRate else { return .failure(.mandatory("callbackRate")) }
            guard cb >= SimDecimal("0.1")!, cb <= SimDecimal(10) else { return .failure(.invalidCallbackRate) }
            if let a = r.activatePrice, let e = validatePrice(a, spec: spec) { return .failure(e) }
        } else {
            guard let t = r.triggerPrice else { return .failure(.mandatory("triggerPrice")) }
            if let e = validatePrice(t, spec: spec) { return .failure(e) }
            trigger = t
        }
        var price = SimDecimal.zero
        if isLimit {
            guard let p = r.price else { return .failure(.mandatory("price")) }
            if let e = validatePrice(p, spec: spec) { return .failure(e) }
            price = p
        }
        var qty = SimDecimal.zero
        if r.closePosition {
            guard r.type == .stopMarket || r.type == .takeProfitMarket else { return .failure(.invalidParameter("closePosition")) }
            if r.quantity != nil { return .failure(.quantityWithClosePosition) }
            if r.reduceOnly { return .failure(SimError(code: -1106, msg: "Parameter 'reduceOnly' sent when not required.")) }
        } else {
            if let e = validateQuantity(r.quantity, spec: spec, market: !isLimit) { return .failure(e) }
            qty = r.quantity!
        }
        if let cid = r.clientAlgoId {
            guard Self.isValidClientId(cid) else { return .failure(.clientOrderIdInvalid) }
            if openAlgoIds.contains(where: { algoOrders[algoIndex[$0]!].clientAlgoId == cid && algoOrders[algoIndex[$0]!].account == account }) {
                return .failure(.duplicateClientOrderId)
            }
        }
        let ref = r.workingType == .markPrice ? m.markPrice : m.lastPrice
        if !isTrailing && Self.stopCondition(type: r.type, side: r.side, ref: ref, trigger: trigger) {
            return .failure(.orderWouldTrigger)
        }
        let id = nextAlgoId
        nextAlgoId += 1
        var a = SimAlgoOrder(
            algoId: id, clientAlgoId: r.clientAlgoId ?? "simalgo-\(id)", orderType: r.type, symbol: spec.symbol, side: r.side,
            timeInForce: r.timeInForce ?? .gtc, quantity: qty, algoStatus: .new, triggerPrice: trigger, price: price,
            workingType: r.workingType, closePosition: r.closePosition, priceProtect: r.priceProtect,
            reduceOnly: r.reduceOnly, activatePrice: r.activatePrice, callbackRate: r.callbackRate, createTime: nowMs,
            updateTime: nowMs, account: account)
        if isTrailing && r.activatePrice == nil {
            a.trailingActivated = true
            a.trailingExtreme = ref
        }
        algoIndex[id] = algoOrders.count
        algoOrders.append(a)
        openAlgoIds.append(id)
        return .success((a, [.algoUpdate(account: account, order: a, timeMs: nowMs)]))
    }

    /// STOP*: BUY when the price rises to the trigger, SELL when it falls to it.
    /// TAKE_PROFIT*: the reverse.
    static func stopCondition(type: SimOrderType, side: SimSide, ref: SimDecimal, trigger: SimDecimal) -> Bool {
        switch type {
        case .stop, .stopMarket: return side == .buy ? ref >= trigger : ref <= trigger
        case .takeProfit, .takeProfitMarket: return side == .buy ? ref <= trigger : ref >= trigger
        default: return false
        }
    }

    private func checkTriggers(_ mi: Int, nowMs: Int64, into events: inout [SimEvent]) {
        let m = markets[mi]
        for id in openAlgoIds {
            guard let ai = algoIndex[id], algoOrders[ai].symbol == m.spec.symbol, algoOrders[ai].algoStatus == .new else { continue }
            var a = algoOrders[ai]
            let ref = a.workingType == .markPrice ? m.markPrice : m.lastPrice
            var fire = false
            if a.orderType == .trailingStopMarket {
                let cb = (a.callbackRate ?? .zero) / SimDecimal(100)
                if !a.trailingActivated, let act = a.activatePrice, a.side == .sell ? ref >= act : ref <= act {
                    a.trailingActivated = true
                    a.trailingExtreme = ref
                }
                if a.trailingActivated, let ext = a.trailingExtreme {
                    let extreme = a.side == .sell ? Swift.max(ext, ref) : Swift.min(ext, ref)
                    a.trailingExtreme = extreme
                    fire = a.side == .sell ? ref <= extreme * (SimDecimal.one - cb) : ref >= extreme * (SimDecimal.one + cb)
                }
                algoOrders[ai] = a
            } else {
                fire = Self.stopCondition(type: a.orderType, side: a.side, ref: ref, trigger: a.triggerPrice)
            }
            if fire { trigger(ai, nowMs: nowMs, into: &events) }
        }
        openAlgoIds.removeAll { id in algoIndex[id].map { algoOrders[$0].algoStatus != .new } ?? true }
    }

    /// A triggered algo order becomes a MARKET (or LIMIT for STOP/TAKE_PROFIT) order.
    private func trigger(_ ai: Int, nowMs: Int64, into events: inout [SimEvent]) {
        var a = algoOrders[ai]
        a.triggerTime = nowMs
        a.updateTime = nowMs
        var qty = a.quantity
        let acc = a.account.rawValue
        let spec = markets[marketIndex[a.symbol]!].spec
        if a.closePosition {
            qty = reducible(acc, spec, side: a.side)
            if qty.isZero {
                a.algoStatus = .expired
                algoOrders[ai] = a
                events.append(.algoUpdate(account: a.account, order: a, timeMs: nowMs))
                return
            }
        }
        algoOrders[ai] = a
        let isLimit = a.orderType == .stop || a.orderType == .takeProfit
        let r = NewOrder(symbol: a.symbol, side: a.side, type: isLimit ? .limit : .market, quantity: qty,
                         price: isLimit ? a.price : nil, timeInForce: isLimit ? a.timeInForce : nil,
                         reduceOnly: a.reduceOnly || a.closePosition)
        let result = submit(a.account, r, origType: a.orderType, stopPrice: a.triggerPrice, workingType: a.workingType,
                            algoId: a.algoId, nowMs: nowMs, into: &events)
        if case .failure = result {
            algoOrders[ai].algoStatus = .rejected
            algoOrders[ai].updateTime = nowMs
            events.append(.algoUpdate(account: a.account, order: algoOrders[ai], timeMs: nowMs))
        }
    }

    func cancelAlgoOrder(_ account: SimAccountID, algoId: Int64?, clientAlgoId: String?, nowMs: Int64)
        -> Result<(SimAlgoOrder, [SimEvent]), SimError>
    {
        self.nowMs = Swift.max(self.nowMs, nowMs)
        if algoId == nil && clientAlgoId == nil {
            return .failure(SimError(code: -1102, msg: "Either algoId or clientAlgoId must be sent."))
        }
        guard let ai = findAlgo(account, algoId: algoId, clientAlgoId: clientAlgoId), algoOrders[ai].algoStatus == .new else {
            return .failure(.unknownAlgoOrder)
        }
        algoOrders[ai].algoStatus = .canceled
        algoOrders[ai].updateTime = nowMs
        openAlgoIds.removeAll { $0 == algoOrders[ai].algoId }
        return .success((algoOrders[ai], [.algoUpdate(account: account, order: algoOrders[ai], timeMs: nowMs)]))
    }

    func cancelAllAlgoOrders(_ account: SimAccountID, symbol: String, nowMs: Int64) -> [SimEvent] {
        self.nowMs = Swift.max(self.nowMs, nowMs)
        var events: [SimEvent] = []
        for id in openAlgoIds {
            guard let ai = algoIndex[id], algoOrders[ai].account == account, algoOrders[ai].symbol == symbol,
                  algoOrders[ai].algoStatus == .new else { continue }
            algoOrders[ai].algoStatus = .canceled
            algoOrders[ai].updateTime = nowMs
            events.append(.algoUpdate(account: account, order: algoOrders[ai], timeMs: nowMs))
        }
        openAlgoIds.removeAll { id in algoIndex[id].map { algoOrders[$0].algoStatus != .new } ?? true }
        return events
    }

    private func findAlgo(_ account: SimAccountID, algoId: Int64?, clientAlgoId: String?) -> Int? {
        if let algoId {
            guard let ai = algoIndex[algoId], algoOrders[ai].account == account else { return nil }
            return ai
        }
        guard let cid = clientAlgoId else { return nil }
        return algoOrders.lastIndex { $0.account == account && $0.clientAlgoId == cid }
    }

    func algoOrder(_ account: SimAccountID, algoId: Int64?, clientAlgoId: String?) -> SimAlgoOrder? {
        findAlgo(account, algoId: algoId, clientAlgoId: clientAlgoId).map { algoOrders[$0] }
    }

    func openAlgoOrders(_ account: SimAccountID, symbol: String?) -> [SimAlgoOrder] {
        openAlgoIds.compactMap { algoIndex[$0].map { algoOrders[$0] } }
            .filter { $0.account == account && (symbol == nil || $0.symbol == symbol) && $0.algoStatus == .new }
    }

    func allAlgoOrders(_ account: SimAccountID, symbol: String, limit: Int) -> [SimAlgoOrder] {
        let n = Swift.max(1, Swift.min(limit, 1000))
        return Array(algoOrders.filter { $0.account == account && $0.symbol == symbol }.suffix(n))
    }

    // MARK: account settings

    func setLeverage(_ account: SimAccountID, symbol: String, leverage: Int) -> Result<(leverage: Int, maxNotionalValue: SimDecimal), SimError> {
        guard let mi = marketIndex[symbol] else { return .failure(.invalidSymbol) }
        let spec = markets[mi].spec
        guard (1...spec.maxLeverage).contains(leverage) else { return .failure(.invalidLeverage(leverage)) }
        let acc = account.rawValue
        var pos = position(acc, spec)
        let maxNotional = spec.maxNotional(atLeverage: leverage)
        if !pos.amount.isZero {
            if pos.isolated && leverage < pos.leverage { return .failure(.isolatedLeverageReduction) }
            if pos.amount.abs * markets[mi].markPrice > maxNotional { return .failure(.maxLeverageRatio) }
        }
        pos.leverage = leverage
        accounts[acc].positions[symbol] = pos
        return .success((leverage, maxNotional))
    }

    func setMarginType(_ account: SimAccountID, symbol: String, isolated: Bool) -> Result<Void, SimError> {
        guard let mi = marketIndex[symbol] else { return .failure(.invalidSymbol) }
        let acc = account.rawValue
        var pos = position(acc, markets[mi].spec)
        if pos.isolated == isolated { return .failure(.noNeedToChangeMarginType) }
        if openOrders(account, symbol: symbol).count > 0 { return .failure(.marginTypeOpenOrders) }
        if !pos.amount.isZero { return .failure(.marginTypePosition) }
        pos.isolated = isolated
        pos.isolatedWallet = .zero
        accounts[acc].positions[symbol] = pos
        return .success(())
    }

    // MARK: margin arithmetic

    private func position(_ acc: Int, _ spec: SimSymbolSpec) -> SimPositionState {
        accounts[acc].positions[spec.symbol] ?? SimPositionState(leverage: Swift.min(20, spec.maxLeverage))
    }

    /// How much of an order on `side` can only reduce the current position.
    private func reducible(_ acc: Int, _ spec: SimSymbolSpec, side: SimSide) -> SimDecimal {
        let p = position(acc, spec).amount
        return !p.isZero && p.signum != side.sign ? p.abs : .zero
    }

    private func openQty(_ acc: Int, symbol: String, side: SimSide) -> SimDecimal {
        var total = SimDecimal.zero
        for id in openOrderIds {
            guard let oi = orderIndex[id] else { continue }
            let o = orders[oi]
            if o.account.rawValue == acc && o.symbol == symbol && o.side == side && !o.reduceOnly { total += o.remainingQty }
        }
        return total
    }

    private struct PositionMetrics {
        var notional = SimDecimal.zero  // signed, at mark
        var unPnl = SimDecimal.zero
        var positionIM = SimDecimal.zero
        var maint = SimDecimal.zero
        var openOrderIM = SimDecimal.zero
        var bidNotional = SimDecimal.zero
        var askNotional = SimDecimal.zero
    }

    /// Open-order margin: for each side, the notional of the part that would grow the position
    /// (orders first offset an opposite position), over leverage; the larger side counts, since
    /// one-way mode nets the two. Reduce-only orders need none.
    private func metrics(_ acc: Int, _ mi: Int) -> PositionMetrics {
        let m = markets[mi]
        let pos = position(acc, m.spec)
        var r = PositionMetrics()
        let lev = SimDecimal(pos.leverage)
        if !pos.amount.isZero {
            r.notional = pos.amount * m.markPrice
            r.unPnl = pos.amount * (m.markPrice - pos.entryPrice)
            r.positionIM = r.notional.abs / lev
            r.maint = m.spec.maintenanceMargin(notional: r.notional.abs)
        }
        var buyQty = SimDecimal.zero, sellQty = SimDecimal.zero
        for id in openOrderIds {
            guard let oi = orderIndex[id] else { continue }
            let o = orders[oi]
            guard o.account.rawValue == acc, o.symbol == m.spec.symbol, o.isOpen, !o.reduceOnly else { continue }
            if o.side == .buy {
                r.bidNotional += o.remainingQty * o.price
                buyQty += o.remainingQty
            } else {
                r.askNotional += o.remainingQty * o.price
                sellQty += o.remainingQty
            }
        }
        func growing(_ notional: SimDecimal, _ qty: SimDecimal, offset: SimDecimal) -> SimDecimal {
            guard qty.isPositive else { return .zero }
            let grow = Swift.max(.zero, qty - offset)
            return notional * grow / qty
        }
        let short = pos.amount.isNegative ? pos.amount.abs : .zero
        let long = pos.amount.isPositive ? pos.amount : .zero
        let im = Swift.max(growing(r.bidNotional, buyQty, offset: short), growing(r.askNotional, sellQty, offset: long))
        r.openOrderIM = im / lev
        return r
    }

    private struct AccountTotals {
        var wallet = SimDecimal.zero
        var crossWallet = SimDecimal.zero
        var unPnl = SimDecimal.zero
        var crossUnPnl = SimDecimal.zero
        var positionIM = SimDecimal.zero
        var crossPositionIM = SimDecimal.zero
        var openOrderIM = SimDecimal.zero
        var maint = SimDecimal.zero
        var crossMaint = SimDecimal.zero
        var perSymbol: [PositionMetrics] = []
    }

    private func totals(_ acc: Int) -> AccountTotals {
        var t = AccountTotals()
        t.wallet = accounts[acc].wallet
        t.crossWallet = t.wallet
        for mi in markets.indices {
            let pm = metrics(acc, mi)
            t.perSymbol.append(pm)
            let pos = position(acc, markets[mi].spec)
            t.unPnl += pm.unPnl
            t.positionIM += pm.positionIM
            t.openOrderIM += pm.openOrderIM
            t.maint += pm.maint
            if pos.isolated {
                t.crossWallet -= pos.isolatedWallet
            } else {
                t.crossUnPnl += pm.unPnl
                t.crossPositionIM += pm.positionIM
                t.crossMaint += pm.maint
            }
        }
        return t
    }

    /// Cross wallet + cross unrealized PnL − cross position margin − open-order margin.
    private func availableBalance(_ acc: Int) -> SimDecimal {
        let t = totals(acc)
        return t.crossWallet + t.crossUnPnl - t.crossPositionIM - t.openOrderIM
    }

    func accountSnapshot(_ account: SimAccountID) -> SimAccountSnapshot {
        let acc = account.rawValue
        let t = totals(acc)
        let available = t.crossWallet + t.crossUnPnl - t.crossPositionIM - t.openOrderIM
        let maxWithdraw = Swift.max(.zero, Swift.min(available, t.crossWallet - t.crossPositionIM - t.openOrderIM))
        let positions = markets.indices.map { positionSnapshot(acc, $0, totals: t) }
        let update = accounts[acc].updateTime
        let usdt = SimBalanceSnapshot(
            asset: "USDT", walletBalance: t.wallet, unrealizedProfit: t.unPnl, marginBalance: t.wallet + t.unPnl,
            maintMargin: t.maint, initialMargin: t.positionIM + t.openOrderIM, positionInitialMargin: t.positionIM,
            openOrderInitialMargin: t.openOrderIM, crossWalletBalance: t.crossWallet, crossUnPnl: t.crossUnPnl,
            availableBalance: available, maxWithdrawAmount: maxWithdraw, updateTime: update)
        return SimAccountSnapshot(
            totalWalletBalance: t.wallet, totalUnrealizedProfit: t.unPnl, totalMarginBalance: t.wallet + t.unPnl,
            totalInitialMargin: t.positionIM + t.openOrderIM, totalMaintMargin: t.maint,
            totalPositionInitialMargin: t.positionIM, totalOpenOrderInitialMargin: t.openOrderIM,
            totalCrossWalletBalance: t.crossWallet, totalCrossUnPnl: t.crossUnPnl, availableBalance: available,
            maxWithdrawAmount: maxWithdraw, assets: [usdt], positions: positions, updateTime: update)
    }

    private func positionSnapshot(_ acc: Int, _ mi: Int, totals t: AccountTotals) -> SimPositionSnapshot {
        let m = markets[mi]
        let pos = position(acc, m.spec)
        let pm = t.perSymbol[mi]
        let liq: SimDecimal
        if pos.isolated {
            liq = simLiquidationPrice(walletBalance: pos.isolatedWallet, otherMaint: .zero, otherUnPnl: .zero,
                                      amount: pos.amount, entryPrice: pos.entryPrice, brackets: m.spec.brackets)
        } else {
            liq = simLiquidationPrice(walletBalance: t.crossWallet, otherMaint: t.crossMaint - pm.maint,
                                      otherUnPnl: t.crossUnPnl - pm.unPnl, amount: pos.amount, entryPrice: pos.entryPrice,
                                      brackets: m.spec.brackets)
        }
        return SimPositionSnapshot(
            symbol: m.spec.symbol, positionAmt: pos.amount, entryPrice: pos.entryPrice, breakEvenPrice: pos.breakEvenPrice,
            markPrice: m.markPrice, unRealizedProfit: pm.unPnl, liquidationPrice: liq, leverage: pos.leverage,
            maxNotionalValue: m.spec.maxNotional(atLeverage: pos.leverage), marginType: pos.isolated ? "isolated" : "cross",
            isolated: pos.isolated, isolatedMargin: pos.isolated && !pos.amount.isZero ? pos.isolatedWallet + pm.unPnl : .zero,
            isolatedWallet: pos.isolatedWallet, notional: pm.notional, initialMargin: pm.positionIM + pm.openOrderIM,
            positionInitialMargin: pm.positionIM, openOrderInitialMargin: pm.openOrderIM, maintMargin: pm.maint,
            bidNotional: pm.bidNotional, askNotional: pm.askNotional, updateTime: pos.updateTime)
    }

    /// positionRisk rows (every symbol, or one).
    func positionRisk(_ account: SimAccountID, symbol: String?) -> [SimPositionSnapshot] {
        accountSnapshot(account).positions.filter { symbol == nil || $0.symbol == symbol }
    }

    private func accountUpdate(_ acc: Int, reason: String, change: SimDecimal, symbols mis: [Int], nowMs: Int64) -> SimEvent {
        let t = totals(acc)
        let balances = [SimBalanceUpdate(asset: "USDT", walletBalance: t.wallet, crossWalletBalance: t.crossWallet, balanceChange: change)]
        let positions = mis.map { mi -> SimPositionUpdate in
            let pos = position(acc, markets[mi].spec)
            return SimPositionUpdate(symbol: markets[mi].spec.symbol, positionAmt: pos.amount, entryPrice: pos.entryPrice,
                                     breakEvenPrice: pos.breakEvenPrice, accumulatedRealized: pos.accumulatedRealized,
                                     unrealizedPnl: t.perSymbol[mi].unPnl, marginType: pos.isolated ? "isolated" : "cross",
                                     isolatedWallet: pos.isolatedWallet)
        }
        return .accountUpdate(account: SimAccountID(rawValue: acc), reason: reason, balances: balances, positions: positions, timeMs: nowMs)
    }

    // MARK: funding

    /// Settles at the mark prevailing when the funding time is reached (before the market moves
    /// on), so a settlement can be checked against the last published mark price.
    private func settleFundingIfDue(_ mi: Int, nowMs: Int64, into events: inout [SimEvent]) {
        if let f = markets[mi].settleFundingIfDue(timeMs: nowMs) {
            settleFunding(mi, rate: f.rate, mark: f.mark, nowMs: f.time, into: &events)
        }
    }

    /// Funding at a settlement time: each open position pays `amount × mark × rate` (longs pay
    /// when the rate is positive, shorts receive), from the wallet — and, for isolated
    /// positions, from the isolated margin.
    private func settleFunding(_ mi: Int, rate: SimDecimal, mark: SimDecimal, nowMs: Int64, into events: inout [SimEvent]) {
        let spec = markets[mi].spec
        for acc in accounts.indices {
            guard var pos = accounts[acc].positions[spec.symbol], !pos.amount.isZero else { continue }
            let income = -(pos.amount * mark * rate)
            accounts[acc].wallet += income
            if pos.isolated { pos.isolatedWallet += income }
            pos.updateTime = nowMs
            accounts[acc].positions[spec.symbol] = pos
            accounts[acc].updateTime = nowMs
            ledger.append(LedgerEntry(kind: .funding, account: SimAccountID(rawValue: acc), symbol: spec.symbol, side: nil,
                                      price: mark, qty: pos.amount, fee: .zero, realizedPnl: .zero, fundingAmount: income,
                                      fundingRate: rate, tradeId: nil, orderId: nil, timeMs: nowMs))
            events.append(accountUpdate(acc, reason: "FUNDING_FEE", change: income, symbols: [mi], nowMs: nowMs))
        }
    }

    // MARK: liquidation

    /// Isolated: liquidate when isolated wallet + unrealized PnL ≤ maintenance margin.
    /// Cross: liquidate every cross position when cross wallet + cross unrealized PnL ≤ the
    /// cross maintenance margin. Sends MARGIN_CALL once when a ratio reaches the threshold.
    private func checkLiquidations(nowMs: Int64, into events: inout [SimEvent]) {
        for acc in accounts.indices {
            for mi in markets.indices {
                let pos = position(acc, markets[mi].spec)
                guard pos.isolated, !pos.amount.isZero else { continue }
                let pm = metrics(acc, mi)
                if pos.isolatedWallet + pm.unPnl <= pm.maint { liquidateIsolated(acc, mi, nowMs: nowMs, into: &events) }
            }
            var t = totals(acc)
            if t.crossMaint.isPositive && t.crossWallet + t.crossUnPnl <= t.crossMaint {
                liquidateCross(acc, nowMs: nowMs, into: &events)
                t = totals(acc)
            }
            marginCallCheck(acc, totals: t, nowMs: nowMs, into: &events)
        }
    }

    private func marginCallCheck(_ acc: Int, totals t: AccountTotals, nowMs: Int64, into events: inout [SimEvent]) {
        var atRisk: [SimMarginCallPosition] = []
        let crossBalance = t.crossWallet + t.crossUnPnl
        let crossAtRisk = t.crossMaint.isPositive && (!crossBalance.isPositive || t.crossMaint / crossBalance >= marginCallThreshold)
        for mi in markets.indices {
            let pos = position(acc, markets[mi].spec)
            guard !pos.amount.isZero else { continue }
            let pm = t.perSymbol[mi]
            let risky: Bool
            if pos.isolated {
                let mb = pos.isolatedWallet + pm.unPnl
                risky = !mb.isPositive || pm.maint / mb >= marginCallThreshold
            } else {
                risky = crossAtRisk
            }
            if risky {
                atRisk.append(SimMarginCallPosition(symbol: markets[mi].spec.symbol, positionAmt: pos.amount,
                                                    marginType: pos.isolated ? "ISOLATED" : "CROSSED",
                                                    isolatedWallet: pos.isolatedWallet, markPrice: markets[mi].markPrice,
                                                    unrealizedPnl: pm.unPnl, maintMargin: pm.maint))
            }
        }
        if atRisk.isEmpty {
            accounts[acc].marginCallArmed = true
        } else if accounts[acc].marginCallArmed {
            accounts[acc].marginCallArmed = false
            events.append(.marginCall(account: SimAccountID(rawValue: acc), crossWalletBalance: t.crossWallet, positions: atRisk, timeMs: nowMs))
        }
    }

    /// Closes an isolated position at its bankruptcy price (entry − isolated wallet / amount,
    /// on the tick grid); the account loses exactly the isolated wallet, any remainder going to
    /// the insurance fund as the clearance fee.
    private func liquidateIsolated(_ acc: Int, _ mi: Int, nowMs: Int64, into events: inout [SimEvent]) {
        let spec = markets[mi].spec
        cancelAll(acc, symbol: spec.symbol, nowMs: nowMs, into: &events)
        let pos = position(acc, spec)
        let bankrupt = (pos.entryPrice - pos.isolatedWallet / pos.amount).rounded(toMultipleOf: spec.tickSize, rule: .nearest)
        let price = Swift.max(spec.tickSize, bankrupt)
        let realized = pos.amount.abs * (price - pos.entryPrice) * SimDecimal(Int(pos.amount.signum))
        let clearance = pos.isolatedWallet + realized
        forceClose(acc, mi, price: price, fee: clearance, nowMs: nowMs, into: &events)
    }

    /// Closes every cross position at the mark price; a negative cross wallet left over is
    /// absorbed by the insurance fund (reset to zero).
    private func liquidateCross(_ acc: Int, nowMs: Int64, into events: inout [SimEvent]) {
        for mi in markets.indices {
            let spec = markets[mi].spec
            let pos = position(acc, spec)
            guard !pos.isolated, !pos.amount.isZero else { continue }
            cancelAll(acc, symbol: spec.symbol, nowMs: nowMs, into: &events)
            let price = Swift.max(spec.tickSize, markets[mi].markPrice.rounded(toMultipleOf: spec.tickSize, rule: .nearest))
            forceClose(acc, mi, price: price, fee: .zero, nowMs: nowMs, into: &events)
        }
        let t = totals(acc)
        if t.crossWallet.isNegative { accounts[acc].wallet -= t.crossWallet }
    }

    private func cancelAll(_ acc: Int, symbol: String, nowMs: Int64, into events: inout [SimEvent]) {
        for id in openOrderIds {
            guard let oi = orderIndex[id], orders[oi].account.rawValue == acc, orders[oi].symbol == symbol else { continue }
            finish(oi, status: .canceled, execType: .canceled, nowMs: nowMs, into: &events)
        }
    }

    /// The exchange's forced close: an IOC LIMIT order "autoclose-…" (origType LIQUIDATION) filled
    /// in full at `price`, recorded in the ledger as a liquidation.
    private func forceClose(_ acc: Int, _ mi: Int, price: SimDecimal, fee: SimDecimal, nowMs: Int64, into events: inout [SimEvent]) {
        let spec = markets[mi].spec
        let pos = position(acc, spec)
        let side: SimSide = pos.amount.isPositive ? .sell : .buy
        let id = nextOrderId
        nextOrderId += 1
        let order = SimOrder(
            orderId: id, clientOrderId: "autoclose-\(nowMs)\(id % 1000)", symbol: spec.symbol, side: side, type: .limit,
            origType: .liquidation, timeInForce: .ioc, price: price, avgPrice: .zero, origQty: pos.amount.abs, executedQty: .zero,
            cumQuote: .zero, status: .new, reduceOnly: true, closePosition: false, time: nowMs, updateTime: nowMs,
            account: SimAccountID(rawValue: acc))
        let oi = orders.count
        orders.append(order)
        orderIndex[id] = oi
        events.append(.orderUpdate(account: order.account, order: order, execType: .new, lastFill: nil))
        applyFill(oi, price: price, qty: pos.amount.abs, isMaker: false, nowMs: nowMs, feeOverride: fee, kind: .liquidation,
                  into: &events)
    }
}
