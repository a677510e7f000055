import Synchronization
import TicklineBinance
import TicklineCore
import TicklineIO
import TicklineRing

/// The venue's REST origin, resolved once at start-up.
public struct RESTEndpoint: Sendable {
    public var address: SocketAddress
    /// The Host header (and the TLS name).
    public var host: String
    public var security: StreamChannel.Security
    public init(address: SocketAddress, host: String, security: StreamChannel.Security = .plain) {
        self.address = address
        self.host = host
        self.security = security
    }
}

/// The parse stage on live market data: the `MarketDataFeed` (WebSockets on io_uring or the
/// polling backend, reconnects) delivers parsed messages, which go on as `MarketEvent`s to the
/// indicator stage and, for prices, to risk. Candles of the subscribed intervals close exactly
/// once through a `KlineCloser` each (local close from trades and the clock, or the exchange's
/// `x:true`); closed candles also go to the journal.
///
/// Candle history comes over REST on the same loop (`HTTPConnectionPool`): every closer starts
/// out awaiting history, and whenever the market stream (the first endpoint, which carries the
/// klines) opens — at start-up and after every reconnect — each (symbol, interval) asks
/// `/fapi/v1/klines` for what it lacks: `warmupCandles` at start-up, the gap since the last
/// candle sent afterwards. While the stream is down, closes are held, so downstream sees every
/// candle once, in order, with the exchange's values. A failed request is retried (1 s apart,
/// 3 attempts), then the held candles go out as they are and the failure is logged and counted.
///
/// Socket input cannot be left unconsumed, so a full output ring drops a market event and
/// counts it (the rings are sized so this does not happen at Binance's rates); closed candles
/// instead wait in a queue until both the indicator ring and the journal ring have room, so a
/// history burst never loses one.
public final class LiveParseStage<Loop: SocketEventLoop>: Agent, MarketDataSink {
    public let roleName = "parse"
    public let rings: PipelineRings
    public let log: StageLog
    public let symbols: SymbolTable
    public let intervals: [Interval]
    public let warmupCandles: Int
    public private(set) var feed: MarketDataFeed<Loop, LiveParseStage>!
    public private(set) var events = 0
    /// `events` for other threads (a benchmark waiting for its messages), stored once per duty cycle.
    public let eventsCounter = Atomic<Int>(0)
    /// Candles closed so far, readable from any thread (stored with `eventsCounter`).
    public let candlesClosedCounter = Atomic<Int>(0)
    public private(set) var candlesClosed = 0
    public private(set) var candleCorrections = 0
    public private(set) var droppedOnFullRing = 0
    public private(set) var historyRequests = 0
    public private(set) var historyFailures = 0
    /// Candles that came from REST (warm-up and backfill), sent downstream.
    public private(set) var historyCandles = 0
    /// One closer per (symbol, interval), flat: `slot(symbol, interval)` (a trade touches one
    /// contiguous run of them).
    var closers: [KlineCloser]
    var history: [HistoryRequest]
    var marketOpen = false
    var lastClockNs: UInt64 = 0
    var lastReconnects = 0
    var journalSequence: UInt64 = 0
    var nowNs: UInt64 = 0
    /// Closed candles and corrections waiting for room in the output and journal rings.
    var pendingCandles: [(symbol: SymbolID, bar: Kline, closed: Bool)] = []
    var pendingHead = 0
    let output: SPSCRingHandle<MarketEvent>
    let prices: SPSCRingHandle<MarketEvent>
    let latestPrices: PriceCache
    let journal: SPSCRingHandle<JournalRecord>
    let wallTimeMs: () -> Int64

    /// Where one (symbol, interval) stands with its history.
    struct HistoryRequest {
        var inFlight = false
        var attempts = 0
        /// 0: no retry scheduled.
        var retryAtNs: UInt64 = 0
    }

    static var retryDelayNs: UInt64 { 1_000_000_000 }

    /// The flat index of (symbol, interval) in `closers` and `history`.
    @inline(__always) func slot(_ symbol: Int, _ interval: Int) -> Int { symbol &* intervals.count &+ interval }
    static var maxAttempts: Int { 3 }

    /// - Parameters:
    ///   - rest: the venue's REST origin for candle history; nil skips history (closers start
    ///     live, with no warm-up).
    ///   - wallTimeMs: the wall clock closing candles and stamping history requests (injected
    ///     in tests that run the simulator on a manual clock).
    public init(rings: PipelineRings, symbols: SymbolTable, intervals: [Interval], endpoints: [MarketDataEndpoint],
                rest: RESTEndpoint?, warmupCandles: Int = 300, parser: BinanceStreamParser, loop: Loop,
                policy: MarketDataPolicy = .init(), wallTimeMs: @escaping () -> Int64 = { LiveClock().wallTimeMs() }) {
        self.rings = rings
        self.log = rings.log(.parse)
        self.symbols = symbols
        self.intervals = intervals
        self.warmupCandles = warmupCandles
        self.wallTimeMs = wallTimeMs
        self.closers = (0..<symbols.count).flatMap { _ in intervals.map(KlineCloser.init(interval:)) }
        self.history = Array(repeating: HistoryRequest(), count: symbols.count * intervals.count)
        self.output = rings.marketToIndicator.handle
        self.prices = rings.pricesToRisk.handle
        self.latestPrices = rings.latestPrices
        self.journal = rings.journal(.parse).handle
        pendingCandles.reserveCapacity(1024)
        self.feed = MarketDataFeed(endpoints: endpoints, parser: parser, loop: loop, policy: policy, sink: self)
        if let rest {
            feed.rest = HTTPConnectionPool(loop: loop, address: rest.address, host: rest.host, security: rest.security,
                                           tokenBase: 0x8000)
            for k in closers.indices { closers[k].beginBackfill() }
        }
    }

    public func onStart() throws {
        log.log(.stageStarted, .info, nowNs: LiveClock().nowNs())
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        self.nowNs = nowNs
        var work = try feed.doWork(nowNs: nowNs)
        if feed.reconnects != lastReconnects {
            lastReconnects = feed.reconnects
            log.log(.marketDataReconnected, .warning, nowNs: nowNs, Int64(lastReconnects))
        }
        work += followMarketStream(nowNs: nowNs)
        // The clock closes candles whose interval ended without a trade after it (every 100 ms).
        if nowNs &- lastClockNs > 100_000_000 {
            lastClockNs = nowNs
            let nowMs = wallTimeMs()
            for k in closers.indices {
                work += emit(closers[k].onClock(nowMs: nowMs), symbol: SymbolID(UInt16(k / intervals.count)))
            }
        }
        work += flushCandles()
        if work > 0 {
            eventsCounter.store(events, ordering: .relaxed)
            candlesClosedCounter.store(candlesClosed, ordering: .relaxed)
        }
        return work
    }

    /// History follows the market stream: closes are held from the moment it drops, and history
    /// is asked for once it is open again (so nothing between the two is missed).
    func followMarketStream(nowNs: UInt64) -> Int {
        guard feed.rest != nil, let market = feed.connections.first else { return 0 }
        let open = market.state == .open
        var work = 0
        if marketOpen, !open {
            for k in closers.indices where !closers[k].awaitingBackfill { closers[k].beginBackfill() }
        }
        marketOpen = open
        guard open else { return 0 }
        for s in 0..<symbols.count {
            for i in intervals.indices where closers[slot(s, i)].awaitingBackfill && !history[slot(s, i)].inFlight {
                let h = history[slot(s, i)]
                if h.retryAtNs == 0 || nowNs >= h.retryAtNs {
                    requestHistory(s, i)
                    work += 1
                }
            }
        }
        return work
    }

    func requestHistory(_ s: Int, _ i: Int) {
        let interval = intervals[i]
        let entry = symbols.entries[s]
        let sentMs = wallTimeMs()
        var path = "/fapi/v1/klines?symbol=\(entry.name)&interval=\(interval.name)"
        if let last = closers[slot(s, i)].lastEmitted {
            // From the last candle sent (to reconcile it) to now, plus the one in progress.
            let missing = max(0, (sentMs - last.openTimeMs) / interval.durationMs) + 2
            path += "&startTime=\(last.openTimeMs)&limit=\(min(1500, missing))"
        } else if warmupCandles > 0 {
            path += "&limit=\(warmupCandles + 1)"  // the last row is the candle in progress
        } else {
            closers[slot(s, i)].completeBackfill([], completeBeforeMs: sentMs) { _ = emit($0, symbol: SymbolID(UInt16(s))) }
            return
        }
        history[slot(s, i)].inFlight = true
        historyRequests += 1
        feed.rest!.request(method: "GET", path: path) { [unowned self] result in
            history[slot(s, i)].inFlight = false
            var status = 0
            if case .success(let response) = result {
                status = response.status
                if status == 200,
                   let bars = try? BinanceREST.klines(response.body, interval: interval, priceScale: entry.priceScale,
                                                      quantityScale: entry.quantityScale) {
                    completeHistory(s, i, bars, sentMs: sentMs)
                    return
                }
            }
            historyFailures += 1
            history[slot(s, i)].attempts += 1
            log.log(.candleHistoryFailed, .warning, nowNs: nowNs, Int64(s), Int64(interval.rawValue),
                    Int64(history[slot(s, i)].attempts), Int64(status))
            if history[slot(s, i)].attempts >= Self.maxAttempts {
                completeHistory(s, i, [], sentMs: sentMs)  // give up: held candles go out as they are
            } else {
                history[slot(s, i)].retryAtNs = nowNs &+ Self.retryDelayNs
            }
        }
    }

    func completeHistory(_ s: Int, _ i: Int, _ bars: [Kline], sentMs: Int64) {
        history[slot(s, i)] = HistoryRequest()
        let symbol = SymbolID(UInt16(s))
        let before = closers[slot(s, i)].backfilled
        // One summary line for the history, not a line per candle.
        closers[slot(s, i)].completeBackfill(bars, completeBeforeMs: sentMs) { _ = emit($0, symbol: symbol, logEach: false) }
        let loaded = closers[slot(s, i)].backfilled - before
        historyCandles += loaded
        log.log(.candleHistoryLoaded, .info, nowNs: nowNs, Int64(s), Int64(intervals[i].rawValue), Int64(loaded))
        // The stream dropped again while the answer was on its way: keep holding.
        if !marketOpen { closers[slot(s, i)].beginBackfill() }
    }

    public func marketData(_ message: BinanceStreamMessage) {
        guard case .market(var event) = message else { return }
        events &+= 1
        let s = event.symbol.index
        switch event.body {
        case .trade(let t):
            for k in slot(s, 0)..<slot(s, intervals.count) {
                _ = emit(closers[k].onTrade(price: t.price, quantity: t.quantity, buyerIsTaker: t.aggressor == .buy,
                                            tradeTimeMs: t.tradeTimeMs, eventTimeMs: t.eventTimeMs), symbol: event.symbol)
            }
            forward(event)
            _ = prices.offer(event)
            latestPrices.record(event, nowNs: event.ingressNs)
        case .klineUpdate(let k), .klineClosed(let k):
            let closed: Bool
            if case .klineClosed = event.body { closed = true } else { closed = false }
            guard let i = intervals.firstIndex(of: k.interval) else { return }
            let (first, second) = closers[slot(s, i)].onExchange(k, isClosed: closed)
            _ = emit(first, symbol: event.symbol)
            _ = emit(second, symbol: event.symbol)
            if !closed {
                event.body = .klineUpdate(k)
                forward(event)  // provisional values for fast intervals
            }
        case .markPrice, .bookTicker:
            forward(event)
            _ = prices.offer(event)
            latestPrices.record(event, nowNs: event.ingressNs)
        }
    }

    func forward(_ event: MarketEvent) {
        guard let slot = output.tryClaim() else {
            droppedOnFullRing &+= 1
            return
        }
        slot.initialize(to: event)
        output.publish()
    }

    /// Queues a closed candle (downstream and journal) or a correction (journal only).
    func emit(_ o: KlineCloser.Output, symbol: SymbolID, logEach: Bool = true) -> Int {
        switch o {
        case .none:
            return 0
        case .closed(let bar, _):
            candlesClosed &+= 1
            pendingCandles.append((symbol, bar, true))
            if logEach { log.log(.candleClosed, .debug, nowNs: nowNs, Int64(symbol.rawValue), Int64(bar.interval.rawValue)) }
            return 1
        case .corrected(let bar):
            candleCorrections &+= 1
            pendingCandles.append((symbol, bar, false))
            log.log(.candleCorrected, .info, nowNs: nowNs, Int64(symbol.rawValue), Int64(bar.interval.rawValue))
            return 1
        }
    }

    /// Sends queued candles while both rings have room, in order.
    func flushCandles() -> Int {
        var sent = 0
        while pendingHead < pendingCandles.count {
            let c = pendingCandles[pendingHead]
            if c.closed {
                guard output.freeCount > 0, journal.freeCount > 0 else { break }
                forward(MarketEvent(ingressNs: nowNs, symbol: c.symbol, body: .klineClosed(c.bar)))
            } else {
                guard journal.freeCount > 0 else { break }
            }
            journalSequence &+= 1
            _ = journal.tryPush(JournalRecord(producer: .parse, sequence: journalSequence, body: .candle(c.symbol, c.bar)))
            pendingHead += 1
            sent += 1
        }
        if pendingHead == pendingCandles.count, pendingHead > 0 {
            pendingCandles.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        return sent
    }
}

/// What `Pipeline` and the run report read from a live parse stage, whatever its I/O backend.
public protocol LiveParseStats: Agent {
    var events: Int { get }
    var candlesClosed: Int { get }
    var candleCorrections: Int { get }
    var historyCandles: Int { get }
    /// Events so far, readable from any thread while the stage runs.
    var eventsCounter: Atomic<Int> { get }
    /// Candles closed so far, readable from any thread while the stage runs.
    var candlesClosedCounter: Atomic<Int> { get }
    var historyFailures: Int { get }
    var droppedOnFullRing: Int { get }
    var reconnects: Int { get }
    var parseErrors: UInt64 { get }
    /// One line per connection: its state and message count.
    var connectionSummary: [String] { get }
}

extension LiveParseStage: LiveParseStats {
    public var reconnects: Int { feed.reconnects }
    public var parseErrors: UInt64 { feed.parser.totalErrors }
    public var connectionSummary: [String] {
        feed.connections.map { "\($0.path.prefix(40))…: \($0.state), \($0.messages) messages" }
    }
}
