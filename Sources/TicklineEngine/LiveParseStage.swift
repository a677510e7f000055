import TicklineBinance
import TicklineCore
import TicklineIO
import TicklineRing

/// The parse stage on live market data: the `MarketDataFeed` (io_uring WebSockets, reconnects)
/// delivers parsed messages, which go on as `MarketEvent`s to the indicator stage and, for
/// prices, to risk. Candles of the subscribed intervals close exactly once through a
/// `KlineCloser` each (local close from trades and the clock, or the exchange's `x:true`);
/// closed candles also go to the journal.
///
/// Socket input cannot be left unconsumed, so a full output ring drops the event and counts it
/// (the rings are sized so this does not happen at Binance's rates).
public final class LiveParseStage<Loop: SocketEventLoop>: Agent {
    public let roleName = "parse"
    public let rings: PipelineRings
    public let log: StageLog
    public let intervals: [Interval]
    public private(set) var feed: MarketDataFeed<Loop>!
    public private(set) var events = 0
    public private(set) var candlesClosed = 0
    public private(set) var candleCorrections = 0
    public private(set) var droppedOnFullRing = 0
    var closers: [[KlineCloser]]
    var lastClockNs: UInt64 = 0
    var lastReconnects = 0
    var journalSequence: UInt64 = 0
    var nowNs: UInt64 = 0
    let output: SPSCRingHandle<MarketEvent>
    let prices: SPSCRingHandle<MarketEvent>
    let journal: SPSCRingHandle<JournalRecord>
    let wallClock = LiveClock()

    public init(rings: PipelineRings, symbolCount: Int, intervals: [Interval], endpoints: [MarketDataEndpoint],
                parser: BinanceStreamParser, loop: Loop, policy: MarketDataPolicy = .init()) {
        self.rings = rings
        self.log = rings.log(.parse)
        self.intervals = intervals
        self.closers = Array(repeating: intervals.map(KlineCloser.init(interval:)), count: symbolCount)
        self.output = rings.marketToIndicator.handle
        self.prices = rings.pricesToRisk.handle
        self.journal = rings.journal(.parse).handle
        self.feed = MarketDataFeed(endpoints: endpoints, parser: parser, loop: loop, policy: policy) { [unowned self] m in
            self.handle(m)
        }
    }

    public func onStart() throws {
        log.log(.stageStarted, .info, nowNs: wallClock.nowNs())
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        self.nowNs = nowNs
        var work = try feed.doWork(nowNs: nowNs)
        if feed.reconnects != lastReconnects {
            lastReconnects = feed.reconnects
            log.log(.marketDataReconnected, .warning, nowNs: nowNs, Int64(lastReconnects))
        }
        // The clock closes candles whose interval ended without a trade after it (every 100 ms).
        if nowNs &- lastClockNs > 100_000_000 {
            lastClockNs = nowNs
            let nowMs = wallClock.wallTimeMs()
            for s in closers.indices {
                for i in closers[s].indices {
                    work += emit(closers[s][i].onClock(nowMs: nowMs), symbol: SymbolID(UInt16(s)))
                }
            }
        }
        return work
    }

    func handle(_ message: BinanceStreamMessage) {
        guard case .market(var event) = message else { return }
        events &+= 1
        let s = event.symbol.index
        switch event.body {
        case .trade(let t):
            for i in closers[s].indices {
                _ = emit(closers[s][i].onTrade(price: t.price, quantity: t.quantity, buyerIsTaker: t.aggressor == .buy,
                                               tradeTimeMs: t.tradeTimeMs, eventTimeMs: t.eventTimeMs), symbol: event.symbol)
            }
            forward(event)
            _ = prices.offer(event)
        case .klineUpdate(let k), .klineClosed(let k):
            let closed: Bool
            if case .klineClosed = event.body { closed = true } else { closed = false }
            guard let i = intervals.firstIndex(of: k.interval) else { return }
            let (first, second) = closers[s][i].onExchange(k, isClosed: closed)
            _ = emit(first, symbol: event.symbol)
            _ = emit(second, symbol: event.symbol)
            if !closed {
                event.body = .klineUpdate(k)
                forward(event)  // provisional values for fast intervals
            }
        case .markPrice, .bookTicker:
            forward(event)
            _ = prices.offer(event)
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

    /// Sends a closed candle downstream and to the journal (once), or journals a correction.
    func emit(_ o: KlineCloser.Output, symbol: SymbolID) -> Int {
        switch o {
        case .none:
            return 0
        case .closed(let bar, _):
            candlesClosed &+= 1
            forward(MarketEvent(ingressNs: nowNs, symbol: symbol, body: .klineClosed(bar)))
            journalSequence &+= 1
            _ = journal.tryPush(JournalRecord(producer: .parse, sequence: journalSequence, body: .candle(symbol, bar)))
            log.log(.candleClosed, .debug, nowNs: nowNs, Int64(symbol.rawValue), Int64(bar.interval.rawValue))
            return 1
        case .corrected(let bar):
            candleCorrections &+= 1
            journalSequence &+= 1
            _ = journal.tryPush(JournalRecord(producer: .parse, sequence: journalSequence, body: .candle(symbol, bar)))
            log.log(.candleCorrected, .info, nowNs: nowNs, Int64(symbol.rawValue), Int64(bar.interval.rawValue))
            return 1
        }
    }
}

/// What `Pipeline` and the run report read from a live parse stage, whatever its I/O backend.
public protocol LiveParseStats: Agent {
    var events: Int { get }
    var candlesClosed: Int { get }
    var candleCorrections: Int { get }
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
