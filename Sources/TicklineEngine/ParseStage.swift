import Synchronization
import TicklineCore
import TicklineRing

/// The parse stage on synthetic input: the `SyntheticTickSource`'s trades become `MarketEvent`s
/// for the indicator stage and, on its own drop-oldest ring, latest prices for risk — and, as the
/// live stage does, a `KlineCloser` per (symbol, interval) closes candles from those trades.
///
/// Per tick, in order: the candles the trade closes (it belongs to a later interval), largest
/// interval first — so a 4h close reaches the signal stage before the 5m close at the same
/// instant — each also journaled; the trade itself (also to risk); and every
/// `klineUpdateEvery` ticks one in-progress candle of the ticked symbol (the intervals in
/// turn), like the exchange's `x:false` kline pushes, so provisional indicator values are
/// exercised. A closed candle carries the ingress time of the trade that closed it.
///
/// Time is the source's synthetic clock (`msPerTick` per tick), so candles close on a regular
/// schedule independent of pacing. Ticks are paced at `ticksPerSecond` (0 = as fast as the
/// pipeline takes them); when the indicator ring is full the tick's events wait in a small
/// queue and no new tick is taken (back pressure, not loss). `totalTicks` and `emitted` count
/// trades; `candlesClosed` and `klineUpdates` the other events.
///
/// The source, closers and queue live in the non-generic `SyntheticParseCore`: a generic agent
/// runs unspecialised behind `any Agent`, where mutating an array element copies it (a
/// `KlineCloser` holds an array: ARC traffic per tick). The generic shell paces and reads the clock.
public final class ParseStage<C: NanoClock>: Agent {
    public let roleName = "parse"
    public let rings: PipelineRings
    public let clock: C
    public let log: StageLog
    public let totalTicks: Int
    public let ticksPerSecond: Int
    /// Ticks taken per duty cycle. 1 runs each tick to completion through a fused thread before
    /// the next is read (lowest latency); larger batches trade latency for throughput.
    public var maxBatch = 1
    public private(set) var emitted = 0
    /// Set once every tick and its events have been handed to the indicator ring (any thread).
    public let finished = Atomic<Bool>(false)
    /// The source, the closers and the queue (non-generic).
    public let core: SyntheticParseCore
    var startNs: UInt64 = 0
    var finishedStored = false

    /// - Parameters:
    ///   - intervals: the candle intervals closed from the trades (the subscribed ones).
    ///   - klineUpdateEvery: ticks between two provisional kline events (0: none).
    public init(rings: PipelineRings, clock: C, source: SyntheticTickSource, intervals: [Interval] = [.m1],
                totalTicks: Int, ticksPerSecond: Int, klineUpdateEvery: Int = 4) {
        self.rings = rings
        self.clock = clock
        self.totalTicks = totalTicks
        self.ticksPerSecond = ticksPerSecond
        self.log = rings.log(.parse)
        core = SyntheticParseCore(rings: rings, source: source, intervals: intervals, klineUpdateEvery: klineUpdateEvery)
    }

    public var intervals: [Interval] { core.intervals }
    public var candlesClosed: Int { core.candlesClosed }
    public var klineUpdates: Int { core.klineUpdates }
    public var journalOverflows: Int { core.journalOverflows }
    public var isFinished: Bool { emitted >= totalTicks && core.isEmpty }

    public func onStart() throws {
        startNs = clock.nowNs()
        log.log(.stageStarted, .info, nowNs: startNs)
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        var work = core.flush()
        if core.isEmpty && emitted < totalTicks {
            var due = totalTicks
            if ticksPerSecond > 0 {
                let elapsed = nowNs &- startNs
                due = min(totalTicks, Int(elapsed / 1_000 &* UInt64(ticksPerSecond) / 1_000_000) &+ 1)
            }
            let batch = min(due &- emitted, maxBatch)
            var n = 0
            while n < batch {
                core.tick(ingressNs: clock.nowNs())
                n &+= 1
                work &+= core.flush()
                if !core.isEmpty { break }  // the ring is full
            }
            emitted &+= n
            if emitted == totalTicks && n > 0 {
                log.log(.pipelineTickSourceDone, .info, nowNs: nowNs, Int64(emitted))
            }
        }
        if !finishedStored && isFinished {
            finishedStored = true
            finished.store(true, ordering: .releasing)
        }
        return work
    }

    public func onClose() {
        log.log(.stageStopped, .info, nowNs: clock.nowNs(), Int64(emitted))
    }
}

/// The synthetic parse stage's source, closers and output queue (see `ParseStage`).
public final class SyntheticParseCore {
    public let intervals: [Interval]
    public let klineUpdateEvery: Int
    public private(set) var candlesClosed = 0
    public private(set) var klineUpdates = 0
    public private(set) var journalOverflows = 0
    var source: SyntheticTickSource
    var journalSequence: UInt64 = 0
    var nextUpdateInterval = 0
    /// (symbol × interval) closers, flat; intervals ascending.
    let closers: UnsafeMutablePointer<KlineCloser>
    let closerCount: Int
    /// Events of the current tick not yet in the indicator ring: at most one close per interval,
    /// the trade and a kline update.
    let pending: UnsafeMutablePointer<MarketEvent>
    var pendingHead = 0
    var pendingCount = 0
    let output: SPSCRingHandle<MarketEvent>
    let prices: SPSCRingHandle<MarketEvent>
    let latestPrices: PriceCache
    let journal: SPSCRingHandle<JournalRecord>

    init(rings: PipelineRings, source: SyntheticTickSource, intervals: [Interval], klineUpdateEvery: Int) {
        self.source = source
        self.intervals = Array(Set(intervals)).sorted()
        self.klineUpdateEvery = klineUpdateEvery
        output = rings.marketToIndicator.handle
        prices = rings.pricesToRisk.handle
        latestPrices = rings.latestPrices
        journal = rings.journal(.parse).handle
        closerCount = source.symbolCount * self.intervals.count
        closers = .allocate(capacity: max(1, closerCount))
        for s in 0..<source.symbolCount {
            for (i, interval) in self.intervals.enumerated() {
                (closers + s * self.intervals.count + i).initialize(to: KlineCloser(interval: interval))
            }
        }
        pending = .allocate(capacity: self.intervals.count + 2)
    }

    deinit {
        closers.deinitialize(count: closerCount)
        closers.deallocate()
        pending.deallocate()
    }

    var isEmpty: Bool { pendingHead == pendingCount }

    /// Queues one tick's events (the queue is empty).
    func tick(ingressNs: UInt64) {
        pendingHead = 0
        pendingCount = 0
        let event = source.next(ingressNs: ingressNs)
        guard case .trade(let t) = event.body else { return }
        let base = closers + event.symbol.index &* intervals.count
        var i = intervals.count
        while i > 0 {
            i &-= 1
            let out = (base + i).pointee.onTrade(price: t.price, quantity: t.quantity, buyerIsTaker: t.aggressor == .buy,
                                                 tradeTimeMs: t.tradeTimeMs, eventTimeMs: t.eventTimeMs)
            if case .closed(let bar, _) = out {
                append(MarketEvent(ingressNs: ingressNs, symbol: event.symbol, body: .klineClosed(bar)))
                candlesClosed &+= 1
                journalSequence &+= 1
                if !journal.tryPush(JournalRecord(producer: .parse, sequence: journalSequence,
                                                  body: .candle(event.symbol, bar))) {
                    journalOverflows &+= 1
                }
            }
        }
        append(event)
        _ = prices.offer(event)
            latestPrices.record(event, nowNs: event.ingressNs)
        if klineUpdateEvery > 0 && source.sequence % Int64(klineUpdateEvery) == 0 {
            nextUpdateInterval = nextUpdateInterval &+ 1 == intervals.count ? 0 : nextUpdateInterval &+ 1
            if let bar = (base + nextUpdateInterval).pointee.current {
                append(MarketEvent(ingressNs: ingressNs, symbol: event.symbol, body: .klineUpdate(bar)))
                klineUpdates &+= 1
            }
        }
    }

    @inline(__always)
    func append(_ e: MarketEvent) {
        (pending + pendingCount).initialize(to: e)
        pendingCount &+= 1
    }

    /// Moves queued events into the indicator ring while it has room.
    func flush() -> Int {
        var sent = 0
        while pendingHead < pendingCount {
            guard let slot = output.tryClaim() else { break }
            slot.initialize(to: pending[pendingHead])
            output.publish()
            pendingHead &+= 1
            sent &+= 1
        }
        return sent
    }
}
