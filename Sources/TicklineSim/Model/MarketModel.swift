/// The deterministic market of one symbol: a seeded random walk in whole ticks, a synthetic book
/// around it, the public trades it prints, klines built from those trades, mark/index price and
/// funding. No clock is read: every step is driven by simulated time passed in.

/// SplitMix64: tiny, fast and fully determined by its seed (never the system generator, so a run
/// can be replayed exactly).
struct MarketRNG: Sendable {
    private(set) var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range` (tiny modulo bias is irrelevant here).
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int64(next() % width)
    }
}

/// Binance kline intervals (minutes to one day), with their length in ms.
enum KlineInterval: String, CaseIterable, Sendable {
    case m1 = "1m", m3 = "3m", m5 = "5m", m15 = "15m", m30 = "30m"
    case h1 = "1h", h2 = "2h", h4 = "4h", h6 = "6h", h8 = "8h", h12 = "12h", d1 = "1d"

    var ms: Int64 {
        switch self {
        case .m1: return 60_000
        case .m3: return 180_000
        case .m5: return 300_000
        case .m15: return 900_000
        case .m30: return 1_800_000
        case .h1: return 3_600_000
        case .h2: return 7_200_000
        case .h4: return 14_400_000
        case .h6: return 21_600_000
        case .h8: return 28_800_000
        case .h12: return 43_200_000
        case .d1: return 86_400_000
        }
    }

    /// Open time of the candle containing `t` (aligned to epoch multiples, as Binance's are).
    func openTime(containing t: Int64) -> Int64 { t - ((t % ms) + ms) % ms }
}

/// One candle, as `GET /fapi/v1/klines` and the `@kline_` stream carry it.
struct SimKline: Equatable, Sendable {
    var openTime: Int64
    var closeTime: Int64
    var open: SimDecimal
    var high: SimDecimal
    var low: SimDecimal
    var close: SimDecimal
    var volume: SimDecimal = .zero
    var quoteVolume: SimDecimal = .zero
    var trades: Int = 0
    var takerBuyBaseVolume: SimDecimal = .zero
    var takerBuyQuoteVolume: SimDecimal = .zero
    /// -1 when the candle has no trade (Binance's `f`/`L` for an empty candle).
    var firstTradeId: Int64 = -1
    var lastTradeId: Int64 = -1

    init(openTime: Int64, interval: KlineInterval, price: SimDecimal) {
        self.openTime = openTime
        closeTime = openTime + interval.ms - 1
        open = price
        high = price
        low = price
        close = price
    }

    mutating func add(_ t: SimTrade) {
        if trades == 0 && volume.isZero && firstTradeId < 0 {
            // First trade of the candle sets the open, as on Binance.
            open = t.price
            high = t.price
            low = t.price
            firstTradeId = t.id
        }
        high = Swift.max(high, t.price)
        low = Swift.min(low, t.price)
        close = t.price
        volume += t.qty
        quoteVolume += t.quoteQty
        trades += 1
        if !t.buyerIsMaker {
            takerBuyBaseVolume += t.qty
            takerBuyQuoteVolume += t.quoteQty
        }
        lastTradeId = t.id
    }
}

/// One public trade.
struct SimTrade: Equatable, Sendable {
    var id: Int64
    var price: SimDecimal
    var qty: SimDecimal
    var quoteQty: SimDecimal
    var buyerIsMaker: Bool
    var timeMs: Int64
}

/// `GET /fapi/v1/ticker/24hr` for one symbol.
struct SimTicker24h: Equatable, Sendable {
    var symbol: String
    var priceChange: SimDecimal
    /// Percent, rounded to 3 decimals as Binance prints it.
    var priceChangePercent: SimDecimal
    var weightedAvgPrice: SimDecimal
    var lastPrice: SimDecimal
    var lastQty: SimDecimal
    var openPrice: SimDecimal
    var highPrice: SimDecimal
    var lowPrice: SimDecimal
    var volume: SimDecimal
    var quoteVolume: SimDecimal
    var openTime: Int64
    var closeTime: Int64
    var firstId: Int64
    var lastId: Int64
    var count: Int
}

/// `GET /fapi/v1/premiumIndex` for one symbol.
struct SimMarkInfo: Equatable, Sendable {
    var symbol: String
    var markPrice: SimDecimal
    var indexPrice: SimDecimal
    var estimatedSettlePrice: SimDecimal
    var lastFundingRate: SimDecimal
    var interestRate: SimDecimal
    var nextFundingTime: Int64
    var time: Int64
}

/// One settled funding (`GET /fapi/v1/fundingRate`).
struct SimFundingRecord: Equatable, Sendable {
    var symbol: String
    var fundingRate: SimDecimal
    var fundingTime: Int64
    var markPrice: SimDecimal
}

/// Market state of one symbol. Prices are held in ticks and quantities in steps, so every value
/// the model prints is on the symbol's grid by construction.
final class SymbolMarket {
    let spec: SimSymbolSpec
    var rng: MarketRNG

    /// Book levels published per side (REST `limit` above this returns this many).
    static let depthLevels = 50
    /// Closed candles kept per interval (Binance's max `limit`).
    static let klineHistory = 1500
    static let recentTradeHistory = 1000

    /// The walk's mid price, in ticks. Best bid/ask sit `halfSpreadTicks` either side.
    private(set) var midTicks: Int64
    let halfSpreadTicks: Int64 = 1
    /// Largest move of the mid per step, in ticks (about 2·10⁻⁵ of the price).
    let volatilityTicks: Int64
    /// Largest resting quantity per synthetic level, in steps (about 50 000 USDT of notional).
    let maxLevelSteps: Int64

    /// priceTicks → qtySteps of the synthetic book (lookup only; outputs use the sorted arrays).
    private var bidQty: [Int64: Int64] = [:]
    private var askQty: [Int64: Int64] = [:]
    /// Sorted views: bids descending, asks ascending, as (priceTicks, qtySteps).
    private(set) var bidLevels: [(Int64, Int64)] = []
    private(set) var askLevels: [(Int64, Int64)] = []
    private(set) var lastUpdateId: Int64
    /// `u` of the last depth event published (its `pu` chain).
    private var lastPublishedUpdateId: Int64
    private var lastPublishedBidPrices: [Int64] = []
    private var lastPublishedAskPrices: [Int64] = []
    private var lastBookTicker: (Int64, Int64, Int64, Int64)?
    private var bookDirty = true

    private(set) var lastPrice: SimDecimal
    private(set) var lastQty: SimDecimal = .zero
    private(set) var nextTradeId: Int64 = 1_000_001
    private(set) var recentTrades: [SimTrade] = []

    private var currentKlines: [SimKline]  // indexed like KlineInterval.allCases
    private var closedKlines: [[SimKline]]
    private var klineDirty: [Bool]
    private var lastKlineEventMs: Int64?

    private(set) var markPrice: SimDecimal
    private(set) var indexPrice: SimDecimal
    private(set) var fundingRate: SimDecimal
    /// When set (admin/tests), the funding rate stops drifting and stays at this value.
    var pinnedFundingRate: SimDecimal?
    private(set) var nextFundingTime: Int64
    private(set) var fundingHistory: [SimFundingRecord] = []
    private var lastMarkEventMs: Int64?
    let startMs: Int64

    init(spec: SimSymbolSpec, seed: UInt64, startMs: Int64) {
        self.spec = spec
        rng = MarketRNG(seed: seed)
        self.startMs = startMs
        let tick = spec.tickSize
        midTicks = spec.initialPrice.rounded(toMultipleOf: tick, rule: .nearest).count(of: tick)
        volatilityTicks = Swift.max(1, (spec.initialPrice * SimDecimal(units: 2_000)).count(of: tick))
        let levelBase = SimDecimal(50_000) / spec.initialPrice
        maxLevelSteps = Swift.max(2, levelBase.count(of: spec.stepSize))
        lastUpdateId = 1_000_000 + Int64(rng.int(0...999_999))
        lastPublishedUpdateId = lastUpdateId
        lastPrice = midTicks * tick
        markPrice = midTicks * tick
        indexPrice = midTicks * tick
        fundingRate = spec.defaultFundingRate
        let interval = Int64(spec.fundingIntervalHours) * 3_600_000
        nextFundingTime = (startMs / interval + 1) * interval
        let startPrice = midTicks * tick
        currentKlines = KlineInterval.allCases.map {
            SimKline(openTime: $0.openTime(containing: startMs), interval: $0, price: startPrice)
        }
        closedKlines = Array(repeating: [], count: KlineInterval.allCases.count)
        klineDirty = Array(repeating: false, count: KlineInterval.allCases.count)
        reconcileBook(perturb: 0)
    }

    var fundingIntervalMs: Int64 { Int64(spec.fundingIntervalHours) * 3_600_000 }
    func price(_ ticks: Int64) -> SimDecimal { ticks * spec.tickSize }
    func qty(_ steps: Int64) -> SimDecimal { steps * spec.stepSize }
    var bestBid: (price: SimDecimal, qty: SimDecimal)? { bidLevels.first.map { (price($0.0), qty($0.1)) } }
    var bestAsk: (price: SimDecimal, qty: SimDecimal)? { askLevels.first.map { (price($0.0), qty($0.1)) } }

    // MARK: the book

    /// Re-centres the book on the mid: keeps the quantity of every price that stays in range,
    /// draws new quantities for new prices (and for `perturb` random levels), drops the rest.
    private func reconcileBook(perturb: Int) {
        var newBids: [Int64: Int64] = [:]
        var newAsks: [Int64: Int64] = [:]
        var bids: [(Int64, Int64)] = []
        var asks: [(Int64, Int64)] = []
        let minTicks: Int64 = 1
        for i in 0..<Int64(Self.depthLevels) {
            let bp = midTicks - halfSpreadTicks - i
            if bp >= minTicks {
                let q = bidQty[bp] ?? drawLevelQty()
                newBids[bp] = q
                bids.append((bp, q))
            }
            let ap = midTicks + halfSpreadTicks + i
            let q = askQty[ap] ?? drawLevelQty()
            newAsks[ap] = q
            asks.append((ap, q))
        }
        for _ in 0..<perturb {
            let side = rng.int(0...1)
            let idx = Int(rng.int(0...Int64(Self.depthLevels - 1)))
            let q = drawLevelQty()
            if side == 0, idx < bids.count {
                bids[idx].1 = q
                newBids[bids[idx].0] = q
            } else if idx < asks.count {
                asks[idx].1 = q
                newAsks[asks[idx].0] = q
            }
        }
        bidQty = newBids
        askQty = newAsks
        bidLevels = bids
        askLevels = asks
        lastUpdateId += rng.int(1...5)
        bookDirty = true
    }

    /// Level quantities: mostly small, sometimes large (a few steps to ~maxLevelSteps).
    private func drawLevelQty() -> Int64 {
        let r = rng.int(0...99)
        let cap = r < 70 ? Swift.max(1, maxLevelSteps / 10) : maxLevelSteps
        return rng.int(1...cap)
    }

    /// Removes `steps` from the level at `priceTicks` (a taker order consumed it).
    func consume(side: SimSide, priceTicks: Int64, steps: Int64) {
        if side == .buy {
            guard let i = askLevels.firstIndex(where: { $0.0 == priceTicks }) else { return }
            askLevels[i].1 -= steps
            if askLevels[i].1 <= 0 { askLevels.remove(at: i); askQty[priceTicks] = nil } else { askQty[priceTicks] = askLevels[i].1 }
        } else {
            guard let i = bidLevels.firstIndex(where: { $0.0 == priceTicks }) else { return }
            bidLevels[i].1 -= steps
            if bidLevels[i].1 <= 0 { bidLevels.remove(at: i); bidQty[priceTicks] = nil } else { bidQty[priceTicks] = bidLevels[i].1 }
        }
        lastUpdateId += 1
        bookDirty = true
    }

    /// The book as `GET /fapi/v1/depth` returns it (best first).
    func book(limit: Int) -> (lastUpdateId: Int64, bids: [(SimDecimal, SimDecimal)], asks: [(SimDecimal, SimDecimal)]) {
        let n = Swift.max(1, limit)
        return (lastUpdateId,
                bidLevels.prefix(n).map { (price($0.0), qty($0.1)) },
                askLevels.prefix(n).map { (price($0.0), qty($0.1)) })
    }

    /// Book events if the book changed since the last publication: `@bookTicker` when the top
    /// changed, and a depth update carrying every current level (best first) followed by
    /// zero-quantity entries for prices that left the book, so it is both a correct diff for
    /// `@depth` (U/u/pu chained) and, filtered to non-zero, a snapshot for `@depth20`.
    func bookEvents(timeMs: Int64, into events: inout [SimEvent]) {
        guard bookDirty else { return }
        bookDirty = false
        if let b = bidLevels.first, let a = askLevels.first {
            let top = (b.0, b.1, a.0, a.1)
            if lastBookTicker.map({ $0 != top }) ?? true {
                lastBookTicker = top
                events.append(.bookTicker(symbol: spec.symbol, updateId: lastUpdateId, bidPrice: price(b.0), bidQty: qty(b.1),
                                          askPrice: price(a.0), askQty: qty(a.1), timeMs: timeMs))
            }
        }
        var bids = bidLevels.map { (price($0.0), qty($0.1)) }
        var asks = askLevels.map { (price($0.0), qty($0.1)) }
        for p in lastPublishedBidPrices where bidQty[p] == nil { bids.append((price(p), .zero)) }
        for p in lastPublishedAskPrices where askQty[p] == nil { asks.append((price(p), .zero)) }
        lastPublishedBidPrices = bidLevels.map(\.0)
        lastPublishedAskPrices = askLevels.map(\.0)
        events.append(.depth(symbol: spec.symbol, firstUpdateId: lastPublishedUpdateId + 1, finalUpdateId: lastUpdateId,
                             prevFinalUpdateId: lastPublishedUpdateId, bids: bids, asks: asks, timeMs: timeMs))
        lastPublishedUpdateId = lastUpdateId
    }

    // MARK: the walk

    /// One step of simulated time: move the mid, re-centre the book, print 0–2 trades.
    func step(timeMs: Int64, into events: inout [SimEvent]) {
        rollKlines(to: timeMs, into: &events)
        let delta = rng.int(-volatilityTicks...volatilityTicks)
        let floorTicks = halfSpreadTicks + Int64(Self.depthLevels) + 1
        midTicks = Swift.max(floorTicks, midTicks + delta)
        reconcileBook(perturb: 2)
        let n = rng.int(0...2)
        for _ in 0..<n {
            let takerBuys = rng.int(0...1) == 1
            let steps = rng.int(1...Swift.max(1, maxLevelSteps / 20))
            guard let level = takerBuys ? askLevels.first : bidLevels.first else { continue }
            recordTrade(price: price(level.0), qty: qty(steps), buyerIsMaker: !takerBuys, timeMs: timeMs, into: &events)
        }
        updateMark(timeMs: timeMs, into: &events)
    }

    /// Moves the walk so that the mid is `price` (rounded to tick) and prints a trade there.
    func setPrice(_ target: SimDecimal, timeMs: Int64, into events: inout [SimEvent]) {
        rollKlines(to: timeMs, into: &events)
        let ticks = Swift.max(halfSpreadTicks + 1, target.rounded(toMultipleOf: spec.tickSize, rule: .nearest).count(of: spec.tickSize))
        let up = ticks >= midTicks
        midTicks = ticks
        reconcileBook(perturb: 0)
        recordTrade(price: price(ticks), qty: spec.minQty, buyerIsMaker: !up, timeMs: timeMs, into: &events)
        updateMark(timeMs: timeMs, into: &events, force: true)
    }

    /// One replayed trade: moves the mid onto its price (already on the tick grid and inside
    /// PRICE_FILTER), re-centres the synthetic book on it and prints it. Mark and funding follow
    /// in `replayStep`, as the walk's `step` does.
    func replayTrade(priceTicks: Int64, qty: SimDecimal, buyerIsMaker: Bool, timeMs: Int64, into events: inout [SimEvent]) {
        rollKlines(to: timeMs, into: &events)
        midTicks = Swift.max(halfSpreadTicks + 1, priceTicks)
        reconcileBook(perturb: 2)
        recordTrade(price: price(midTicks), qty: qty, buyerIsMaker: buyerIsMaker, timeMs: timeMs, into: &events)
    }

    /// The end of a replayed step: closes due candles and updates mark/index/funding from the
    /// replayed mid (no random move, no synthetic trades).
    func replayStep(timeMs: Int64, into events: inout [SimEvent]) {
        rollKlines(to: timeMs, into: &events)
        updateMark(timeMs: timeMs, into: &events)
    }

    /// Prints one public trade (synthetic or a user's fill) and feeds it to the klines.
    @discardableResult
    func recordTrade(price: SimDecimal, qty: SimDecimal, buyerIsMaker: Bool, timeMs: Int64,
                     into events: inout [SimEvent]) -> Int64
    {
        let id = nextTradeId
        nextTradeId += 1
        let t = SimTrade(id: id, price: price, qty: qty, quoteQty: price * qty, buyerIsMaker: buyerIsMaker, timeMs: timeMs)
        lastPrice = price
        lastQty = qty
        recentTrades.append(t)
        if recentTrades.count > Self.recentTradeHistory { recentTrades.removeFirst(recentTrades.count - Self.recentTradeHistory) }
        rollKlines(to: timeMs, into: &events)
        for i in currentKlines.indices {
            currentKlines[i].add(t)
            klineDirty[i] = true
        }
        events.append(.trade(symbol: spec.symbol, tradeId: id, price: price, qty: qty, buyerIsMaker: buyerIsMaker, timeMs: timeMs))
        events.append(.aggTrade(symbol: spec.symbol, aggTradeId: id, price: price, qty: qty, firstTradeId: id, lastTradeId: id,
                                buyerIsMaker: buyerIsMaker, timeMs: timeMs))
        return id
    }

    /// Mark = the walk's mid; index = mark with a sub-tick basis; funding rate drifts around the
    /// default unless pinned. Publishes `@markPrice` once per simulated second (or when forced).
    private func updateMark(timeMs: Int64, into events: inout [SimEvent], force: Bool = false) {
        markPrice = price(midTicks)
        let basis = SimDecimal(units: rng.int(-50...50) * 1_000_000) * spec.tickSize  // within ±0.5 tick
        indexPrice = markPrice + basis
        if force || lastMarkEventMs.map({ timeMs - $0 >= 1000 }) ?? true {
            if let pinned = pinnedFundingRate {
                fundingRate = pinned
            } else {
                fundingRate = spec.defaultFundingRate + SimDecimal(units: rng.int(-2_000...2_000))
            }
            lastMarkEventMs = timeMs
            events.append(markPriceEvent(timeMs: timeMs))
        }
    }

    func markPriceEvent(timeMs: Int64) -> SimEvent {
        .markPrice(symbol: spec.symbol, markPrice: markPrice, indexPrice: indexPrice, estimatedSettlePrice: indexPrice,
                   fundingRate: fundingRate, nextFundingTime: nextFundingTime, timeMs: timeMs)
    }

    func markInfo(timeMs: Int64) -> SimMarkInfo {
        SimMarkInfo(symbol: spec.symbol, markPrice: markPrice, indexPrice: indexPrice, estimatedSettlePrice: indexPrice,
                    lastFundingRate: fundingRate, interestRate: SimDecimal("0.0001")!, nextFundingTime: nextFundingTime,
                    time: timeMs)
    }

    /// Pins (or with nil unpins) the funding rate; takes effect immediately.
    func pinFundingRate(_ rate: SimDecimal?) {
        pinnedFundingRate = rate
        if let rate { fundingRate = rate }
    }

    /// If `timeMs` reached the funding time: records the settlement, moves to the next one and
    /// returns the rate and mark to settle at.
    func settleFundingIfDue(timeMs: Int64) -> (rate: SimDecimal, mark: SimDecimal, time: Int64)? {
        guard timeMs >= nextFundingTime else { return nil }
        let settled = (fundingRate, markPrice, nextFundingTime)
        fundingHistory.append(SimFundingRecord(symbol: spec.symbol, fundingRate: fundingRate, fundingTime: nextFundingTime,
                                               markPrice: markPrice))
        if fundingHistory.count > 1000 { fundingHistory.removeFirst() }
        nextFundingTime += fundingIntervalMs
        return settled
    }

    // MARK: klines

    /// Closes every candle whose interval ended before `timeMs` (publishing it closed), filling
    /// gaps with empty candles at the previous close, as Binance does.
    private func rollKlines(to timeMs: Int64, into events: inout [SimEvent]) {
        for (i, interval) in KlineInterval.allCases.enumerated() {
            while timeMs > currentKlines[i].closeTime {
                let closed = currentKlines[i]
                events.append(.kline(symbol: spec.symbol, interval: interval.rawValue, kline: closed, isClosed: true,
                                     eventMs: closed.closeTime + 1))
                closedKlines[i].append(closed)
                if closedKlines[i].count > Self.klineHistory { closedKlines[i].removeFirst(closedKlines[i].count - Self.klineHistory) }
                var nextOpen = closed.closeTime + 1
                // A long jump: skip empty candles beyond the kept history.
                let target = interval.openTime(containing: timeMs)
                if (target - nextOpen) / interval.ms > Int64(Self.klineHistory) {
                    nextOpen = target - Int64(Self.klineHistory) * interval.ms
                }
                currentKlines[i] = SimKline(openTime: nextOpen, interval: interval, price: closed.close)
                klineDirty[i] = false
            }
        }
    }

    /// Publishes the open candles that changed, at most every 250 ms (Binance's kline cadence).
    func klineEvents(timeMs: Int64, into events: inout [SimEvent]) {
        if let last = lastKlineEventMs, timeMs - last < 250 { return }
        lastKlineEventMs = timeMs
        for (i, interval) in KlineInterval.allCases.enumerated() where klineDirty[i] {
            klineDirty[i] = false
            events.append(.kline(symbol: spec.symbol, interval: interval.rawValue, kline: currentKlines[i], isClosed: false,
                                 eventMs: timeMs))
        }
    }

    /// Candles like `GET /fapi/v1/klines`: oldest first, including the open one; with
    /// `startTime` the first `limit` from there, otherwise the last `limit` up to `endTime`.
    func klines(interval: KlineInterval, startTime: Int64?, endTime: Int64?, limit: Int?) -> [SimKline] {
        let n = Swift.min(1500, Swift.max(1, limit ?? 500))
        let i = KlineInterval.allCases.firstIndex(of: interval)!
        var all = closedKlines[i]
        all.append(currentKlines[i])
        let filtered = all.filter { k in
            (startTime.map { k.openTime >= $0 } ?? true) && (endTime.map { k.openTime <= $0 } ?? true)
        }
        return startTime != nil ? Array(filtered.prefix(n)) : Array(filtered.suffix(n))
    }

    /// Rolling 24 h statistics from the 1-minute candles (or since start when younger).
    func ticker24h(nowMs: Int64) -> SimTicker24h {
        let from = nowMs - 86_400_000
        var window = closedKlines[0].filter { $0.openTime >= from - 59_999 && $0.closeTime >= from }
        window.append(currentKlines[0])
        let traded = window.filter { $0.trades > 0 }
        let open = window.first?.open ?? lastPrice
        var high = traded.first?.high ?? lastPrice
        var low = traded.first?.low ?? lastPrice
        var volume = SimDecimal.zero
        var quote = SimDecimal.zero
        var count = 0
        for k in traded {
            high = Swift.max(high, k.high)
            low = Swift.min(low, k.low)
            volume += k.volume
            quote += k.quoteVolume
            count += k.trades
        }
        let change = lastPrice - open
        let pct = open.isZero ? .zero : (change * SimDecimal(100) / open).rounded(toMultipleOf: SimDecimal("0.001")!, rule: .nearest)
        let vwap = volume.isZero ? lastPrice : quote / volume
        return SimTicker24h(symbol: spec.symbol, priceChange: change, priceChangePercent: pct, weightedAvgPrice: vwap,
                            lastPrice: lastPrice, lastQty: lastQty, openPrice: open, highPrice: high, lowPrice: low,
                            volume: volume, quoteVolume: quote, openTime: Swift.max(startMs, from), closeTime: nowMs,
                            firstId: traded.first?.firstTradeId ?? -1, lastId: traded.last?.lastTradeId ?? -1, count: count)
    }
}
