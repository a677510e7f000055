import TicklineCore
import TicklineIndicators
import TicklineRing

/// The indicator stage: market events in, `IndicatorUpdate`s out, one `IndicatorBank` per
/// (symbol, interval).
///
/// - **Closed candles** (`.klineClosed`) of the subscribed intervals come from the parse stage's
///   one-close rule (`KlineCloser`) and are never rebuilt here. Each is committed to its bank
///   and published with `isClosed: true`. A strategy interval that is not subscribed (the 4h
///   trend when only 1m/5m are, or replay of a 5m file) is built by a `CandleAggregator` from the
///   smallest subscribed interval; a bucket it completes is committed and published *before*
///   the update of the candle that completed it, so the signal stage sees a 4h close before the
///   5m close at the same instant.
/// - **Candles in progress** (`.klineUpdate`) of the `provisional` intervals (the trading
///   interval by default, and with the periodic signal pass on the pass's trading interval, 1h,
///   when subscribed — `AnalysisConfiguration` adds it) are peeked — what the values would be if the candle closed now, no
///   state changed — and published with `isClosed: false`. Updates of other intervals, and of
///   a candle the bank would refuse (e.g. already closed), publish nothing.
/// - **Refused candles** (NaN/inf, non-positive price, inconsistent range, misaligned,
///   duplicate, out of order, unknown symbol or interval) are counted per reason
///   (`counters(symbol:interval:)`, `rejectedCandles`) and never reach an indicator. Gaps are
///   accepted and counted (see `CandleSequence`).
/// - **Periodic pass intervals** (1h, 4h) are tracked, and built from the smallest subscribed
///   interval when not subscribed, while the pass is on (`AnalysisConfiguration.tracked`).
/// - **Warm-up**: each indicator's `ready` bit is clear until it has enough candles; the signal
///   stage gives no signal before the bits it needs are set.
/// - **Trades, book tickers and mark prices** are not indicator input (risk reads prices from
///   the parse stage's own ring): they are consumed and counted.
///
/// Latency: every event consumed is recorded (`ingress_to_indicator`).
///
/// ## Performance
/// Banks and aggregators live in flat arrays indexed by `symbol × intervals + interval`, made at
/// init; nothing is allocated, locked or dynamically dispatched per message. A trade costs a
/// switch and a counter; a closed candle one `IndicatorBank.commit` (~0.1–0.2 µs) per interval it
/// feeds; a provisional update one `peek` through `IndicatorBank.peek(_:in:)`, which reads the
/// bank in place (calling `peek` on an array element would copy the bank's windows for the call).
/// Back pressure: an event whose outputs do not fit in the signal ring stays unconsumed. The state
/// and logic live in the non-generic `IndicatorStageCore` (a generic agent runs unspecialised
/// behind `any Agent`, where array elements get copied and generic metadata looked up); the
/// generic shell only reads the clock.
public final class IndicatorStage<C: NanoClock>: Agent {
    public let roleName = "indicator"
    public let rings: PipelineRings
    public let clock: C
    public let configuration: AnalysisConfiguration
    public let latency = LatencyRecorder(name: "ingress_to_indicator")
    /// The banks and the per-event logic (non-generic, see the type's Performance note).
    public let core: IndicatorStageCore
    let input: SPSCRingHandle<MarketEvent>

    /// Traps on a configuration with a `problem` (check it at start-up).
    public init(rings: PipelineRings, clock: C, symbols: SymbolTable, configuration: AnalysisConfiguration) {
        self.rings = rings
        self.clock = clock
        self.configuration = configuration
        core = IndicatorStageCore(rings: rings, symbols: symbols, configuration: configuration)
        input = rings.marketToIndicator.handle
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        let n = input.drain(limit: 64) { event in
            guard core.handle(event) else { return false }
            latency.record(clock.nowNs() &- event.pointee.ingressNs)
            return true
        }
        core.handled &+= n
        return n
    }

    // MARK: Counters and state (off the hot path; not thread-safe against the running stage)

    /// Tracked intervals (subscribed + derived), ascending.
    public var intervals: [Interval] { core.intervals }
    /// Events consumed, of every kind.
    public var handled: Int { core.handled }
    /// Closed candles committed (subscribed and derived) and their updates published.
    public var candlesCommitted: Int { core.candlesCommitted }
    /// Closed candles refused by a bank (reasons in `counters`), or for an unknown symbol or an
    /// interval not tracked.
    public var rejectedCandles: Int { core.rejectedCandles }
    public var unknownSymbol: Int { core.unknownSymbol }
    public var untrackedInterval: Int { core.untrackedInterval }
    public var provisionalPublished: Int { core.provisionalPublished }
    /// Kline updates of a provisional interval the bank would refuse (late, out of order, bad values).
    public var provisionalRefused: Int { core.provisionalRefused }
    /// Trades, book tickers, mark prices and kline updates of non-provisional intervals.
    public var passiveEvents: Int { core.passiveEvents }
    public func counters(symbol: SymbolID, interval: Interval) -> CandleCounters? { core.counters(symbol: symbol, interval: interval) }
    public var totalCounters: CandleCounters { core.totalCounters }
    public func latest(symbol: SymbolID, interval: Interval) -> IndicatorSnapshot? { core.latest(symbol: symbol, interval: interval) }
}

/// The indicator stage's state and per-event logic, for `IndicatorStage` (see there). Not
/// generic, so it is compiled once, specialised, whatever clock the stage has.
public final class IndicatorStageCore {
    public let configuration: AnalysisConfiguration
    /// Tracked intervals (subscribed + derived), ascending; `banks` has `symbolCount × count` entries.
    public let intervals: [Interval]
    public let symbolCount: Int
    /// Events consumed, of every kind.
    public internal(set) var handled = 0
    /// Closed candles committed (subscribed and derived) and their updates published.
    public private(set) var candlesCommitted = 0
    /// Closed candles refused by a bank (reasons in `counters`), or for an unknown symbol or
    /// an interval not tracked.
    public private(set) var rejectedCandles = 0
    public private(set) var unknownSymbol = 0
    public private(set) var untrackedInterval = 0
    public private(set) var provisionalPublished = 0
    /// Kline updates of a provisional interval the bank would refuse (late, out of order, bad values).
    public private(set) var provisionalRefused = 0
    /// Trades, book tickers, mark prices and kline updates of non-provisional intervals.
    public private(set) var passiveEvents = 0

    /// (symbol × interval) banks, flat.
    var banks: [IndicatorBank]
    /// (symbol × derived) aggregators, flat; `derivedSlots[k]` is the bank slot aggregator k feeds.
    var aggregators: [CandleAggregator]
    let derivedSlots: [Int]
    /// The slot derived intervals are built from (the smallest subscribed), -1 if none.
    let sourceSlot: Int
    /// Bank slot of each `Interval` (by raw value), -1 when not tracked; -2 marks derived ones
    /// (which must not arrive from the parse stage).
    let slotOfInterval: [Int]
    /// Bit `Interval.rawValue` set: provisional values for its kline updates.
    let provisionalMask: UInt32
    let scales: [CandleScales]
    let output: SPSCRingHandle<IndicatorUpdate>
    let latestIndicators: IndicatorCache

    init(rings: PipelineRings, symbols: SymbolTable, configuration: AnalysisConfiguration) {
        if let problem = configuration.problem { preconditionFailure("AnalysisConfiguration: \(problem)") }
        self.configuration = configuration
        self.output = rings.indicatorToSignal.handle
        self.latestIndicators = rings.latestIndicators
        let intervals = configuration.tracked
        self.intervals = intervals
        symbolCount = symbols.count
        scales = symbols.entries.map { CandleScales(price: $0.priceScale, quantity: $0.quantityScale) }
        var slots = [Int](repeating: -1, count: Interval.allCases.count)
        for (j, i) in intervals.enumerated() { slots[Int(i.rawValue)] = j }
        slotOfInterval = slots
        let derived = configuration.derived
        derivedSlots = derived.map { intervals.firstIndex(of: $0)! }
        sourceSlot = derived.isEmpty ? -1 : intervals.firstIndex(of: configuration.subscribed[0])!
        var mask: UInt32 = 0
        for i in configuration.provisional { mask |= 1 << UInt32(i.rawValue) }
        provisionalMask = mask
        var banks: [IndicatorBank] = []
        var aggregators: [CandleAggregator] = []
        banks.reserveCapacity(symbols.count * intervals.count)
        for s in 0..<symbols.count {
            for i in intervals {
                banks.append(IndicatorBank(symbol: SymbolID(UInt16(s)), interval: i, configuration: configuration.indicators))
            }
            for d in derived { aggregators.append(CandleAggregator(from: configuration.subscribed[0], to: d)) }
        }
        self.banks = banks
        self.aggregators = aggregators
    }

    /// One event; false leaves it unconsumed (the signal ring has no room for its outputs).
    func handle(_ event: UnsafePointer<MarketEvent>) -> Bool {
        switch event.pointee.body {
        case .klineClosed(let k):
            return closed(k, symbol: event.pointee.symbol, ingressNs: event.pointee.ingressNs)
        case .klineUpdate(let k):
            guard provisionalMask & (1 << UInt32(k.interval.rawValue)) != 0 else {
                passiveEvents &+= 1
                return true
            }
            return provisional(k, symbol: event.pointee.symbol, ingressNs: event.pointee.ingressNs)
        case .trade, .bookTicker, .markPrice:
            passiveEvents &+= 1
            return true
        }
    }

    @inline(__always)
    func closed(_ k: Kline, symbol: SymbolID, ingressNs: UInt64) -> Bool {
        let s = symbol.index
        guard s < symbolCount else {
            unknownSymbol &+= 1
            rejectedCandles &+= 1
            return true
        }
        let j = slotOfInterval[Int(k.interval.rawValue)]
        guard j >= 0 else {
            untrackedInterval &+= 1
            rejectedCandles &+= 1
            return true
        }
        let feedsDerived = j == sourceSlot
        // Room for this update and, from the source interval, a flushed and a closed bucket per
        // derived interval: all or nothing, so an event is never half applied.
        if output.freeCount < (feedsDerived ? 1 &+ 2 &* derivedSlots.count : 1) { return false }
        let candle = Candle(k, scales: scales[s])
        guard let snapshot = Self.commit(candle, into: &banks[s &* intervals.count &+ j]) else {
            rejectedCandles &+= 1
            return true
        }
        if feedsDerived {
            var d = 0
            while d < derivedSlots.count {
                let out = aggregators[s &* derivedSlots.count &+ d].add(candle)
                if let c = out.flushedByGap { commitDerived(c, symbol: symbol, slot: derivedSlots[d], ingressNs: ingressNs) }
                if let c = out.closed { commitDerived(c, symbol: symbol, slot: derivedSlots[d], ingressNs: ingressNs) }
                d &+= 1
            }
        }
        publish(snapshot, symbol: symbol, interval: k.interval, close: k.close, ingressNs: ingressNs, isClosed: true)
        candlesCommitted &+= 1
        return true
    }

    func commitDerived(_ candle: Candle, symbol: SymbolID, slot: Int, ingressNs: UInt64) {
        guard let snapshot = Self.commit(candle, into: &banks[symbol.index &* intervals.count &+ slot]) else {
            rejectedCandles &+= 1
            return
        }
        // Back to the symbol's grid: the bucket's close is a source candle's, so this is exact.
        let m = Double(scales[symbol.index].price.multiplier)
        publish(snapshot, symbol: symbol, interval: intervals[slot], close: Price(raw: Int64((candle.close * m).rounded())),
                ingressNs: ingressNs, isClosed: true)
        candlesCommitted &+= 1
    }

    @inline(__always)
    func provisional(_ k: Kline, symbol: SymbolID, ingressNs: UInt64) -> Bool {
        let s = symbol.index
        let j = slotOfInterval[Int(k.interval.rawValue)]
        guard s < symbolCount, j >= 0 else {
            provisionalRefused &+= 1
            return true
        }
        guard let slot = output.tryClaim() else { return false }
        guard let snapshot = IndicatorBank.peek(Candle(k, scales: scales[s]), in: &banks[s &* intervals.count &+ j]) else {
            provisionalRefused &+= 1
            return true
        }
        slot.initialize(to: IndicatorUpdate(ingressNs: ingressNs, symbol: symbol, interval: k.interval,
                                            candleOpenTimeMs: snapshot.openTimeMs, isClosed: false, close: k.close,
                                            ready: snapshot.ready, values: snapshot.values))
        output.publish()
        provisionalPublished &+= 1
        return true
    }

    /// Commits through one `inout` access (in place, no copy of the bank's windows); the new
    /// values, or nil when the bank refused the candle (counted in its sequence).
    @inline(__always)
    static func commit(_ candle: Candle, into bank: inout IndicatorBank) -> IndicatorSnapshot? {
        bank.commit(candle).isAccepted ? bank.latest : nil
    }

    @inline(__always)
    func publish(_ snapshot: IndicatorSnapshot, symbol: SymbolID, interval: Interval, close: Price, ingressNs: UInt64,
                 isClosed: Bool) {
        // Room was checked by the caller.
        let update = IndicatorUpdate(ingressNs: ingressNs, symbol: symbol, interval: interval,
                                     candleOpenTimeMs: snapshot.openTimeMs, isClosed: isClosed, close: close,
                                     ready: snapshot.ready, values: snapshot.values)
        output.tryClaim().unsafelyUnwrapped.initialize(to: update)
        output.publish()
        // After the signal stage has it: the control plane's copy is off the critical path.
        latestIndicators.write(update)
    }

    // MARK: Reading state (off the hot path; not thread-safe against the running stage)

    /// The admission counters of one (symbol, interval) bank, nil if not tracked.
    public func counters(symbol: SymbolID, interval: Interval) -> CandleCounters? {
        guard symbol.index < symbolCount, let j = intervals.firstIndex(of: interval) else { return nil }
        return banks[symbol.index * intervals.count + j].counters
    }

    /// The counters of every bank added up.
    public var totalCounters: CandleCounters {
        var t = CandleCounters()
        for b in banks {
            let c = b.counters
            t.accepted += c.accepted
            t.gaps += c.gaps
            t.missingCandles += c.missingCandles
            for r in CandleRejection.allCases { t[r] += c[r] }
        }
        return t
    }

    /// The latest closed-candle values of one (symbol, interval), nil before the first.
    public func latest(symbol: SymbolID, interval: Interval) -> IndicatorSnapshot? {
        guard symbol.index < symbolCount, let j = intervals.firstIndex(of: interval) else { return nil }
        return banks[symbol.index * intervals.count + j].latest
    }
}
