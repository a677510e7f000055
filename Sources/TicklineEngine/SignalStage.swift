import TicklineCore
import TicklineIndicators
import TicklineRing
import TicklineStrategy

/// The signal stage: indicator updates in, `Signal`s out — every signal to the journal ring and,
/// as `signalGenerated` (the seed's `ai_signal_generated`), to the event ring; Long and Short
/// ones also to risk.
///
/// One `StrategyEvaluator` per symbol (a flat array). Per closed update:
/// - **trend interval** (4h): `trendCandleClosed`, nothing published;
/// - **trading interval** (5m): `tradingCandleClosed`, which is nil while any enabled strategy
///   (or the ATR) is warming up — no signal then, not a Neutral — and otherwise the evaluation
///   becomes a `Signal` (`SignalEvaluation.signal`): prices on the symbol's grid, scores in basis
///   points, reasons as codes. `eventTimeMs` is the candle's close (its open + the interval), so
///   replay produces the same messages; `lastEvaluation(symbol:)` keeps the `Double` result;
/// - other intervals: ignored (counted).
///
/// **Provisional updates** (`isClosed: false`) are not turned into signals: a signal is a
/// decision on a closed candle, which replay can reproduce; the candle in progress changes on
/// every trade and would make risk chase every wiggle. They are consumed and counted
/// (`provisionalIgnored`); a later "intrabar" mode would evaluate them with
/// `StrategyEvaluator.provisional` without touching the evaluator's state.
///
/// **Order at a trend boundary.** A 5m candle closing at 04:00 must be evaluated with the 4h
/// candle that closes at 04:00 too (as `SignalReplay` and the reference do), but the two arrive
/// as separate messages in either order (the exchange's `x:true` events are independent; the
/// indicator stage publishes a 4h bucket it builds before the 5m update). A trading close at a
/// trend boundary whose trend candle has not arrived yet is therefore held (one per symbol) and
/// evaluated as soon as that trend candle arrives, or — if it does not come — at the symbol's
/// next trading candle or after `trendHoldNs`, whichever is first (`lateTrendReleases`).
///
/// **Stale candles.** With `maxSignalAgeMs` > 0, a candle evaluated more than that long after it
/// closed (by `clock.wallTimeMs()`) moves the evaluator on but publishes nothing: REST warm-up
/// at start-up and backfill after a reconnect must not reach risk as fresh signals.
///
/// Latency: every update consumed is recorded (`ingress_to_signal`).
///
/// ## Performance
/// An evaluation is a few dozen floating-point operations on ~1 KB of per-symbol state; no
/// allocation, locks or dynamic dispatch. A full risk ring leaves the update unconsumed (back
/// pressure); full side-channel rings are counted (`sideChannelOverflows`). The state and logic
/// live in the non-generic `SignalStageCore`: a generic agent called through `any Agent` runs
/// unspecialised, and there every access to a per-symbol array element copied the element
/// (~700 bytes) and looked up generic metadata (measured in IndicatorBenchmarks: 460 → 310 ns per close). The generic
/// shell only reads the clock.
public final class SignalStage<C: NanoClock>: Agent {
    public let roleName = "signal"
    public let rings: PipelineRings
    public let clock: C
    public let configuration: AnalysisConfiguration
    public let latency = LatencyRecorder(name: "ingress_to_signal")
    /// The state and the per-update logic (non-generic, see the type's Performance note).
    public let core: SignalStageCore
    let input: SPSCRingHandle<IndicatorUpdate>
    let needsWallClock: Bool
    let tradingInterval: Interval
    let trendInterval: Interval

    /// Traps on a configuration with a `problem` (check it at start-up).
    public init(rings: PipelineRings, clock: C, symbols: SymbolTable, configuration: AnalysisConfiguration) {
        self.rings = rings
        self.clock = clock
        self.configuration = configuration
        core = SignalStageCore(rings: rings, symbols: symbols, configuration: configuration)
        input = rings.indicatorToSignal.handle
        needsWallClock = configuration.maxSignalAgeMs > 0
        tradingInterval = configuration.tradingInterval
        trendInterval = configuration.trendInterval
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        latency.serviceSwap()
        var work = 0
        if core.heldCount > 0 {
            work &+= core.releaseExpiredHolds(nowNs: nowNs, wallTimeMs: needsWallClock ? clock.wallTimeMs() : 0)
        }
        let n = input.drain(limit: 64) { update in
            // The wall clock only for what may publish a signal, and only with an age limit.
            let wallTimeMs = needsWallClock && update.pointee.isClosed
                && (update.pointee.interval == tradingInterval || update.pointee.interval == trendInterval)
                ? clock.wallTimeMs() : 0
            guard core.handle(update, nowNs: nowNs, wallTimeMs: wallTimeMs) else { return false }
            latency.record(clock.nowNs() &- update.pointee.ingressNs)
            return true
        }
        core.handled &+= n
        return work &+ n
    }

    // MARK: Counters and state (off the hot path; not thread-safe against the running stage)

    /// Updates consumed.
    public var handled: Int { core.handled }
    /// Signals published (journal and events), by direction.
    public var longSignals: Int { core.longSignals }
    public var shortSignals: Int { core.shortSignals }
    public var neutralSignals: Int { core.neutralSignals }
    /// Signals published, of every direction.
    public var signals: Int { core.longSignals + core.shortSignals + core.neutralSignals }
    /// Trading closes evaluated to nil (warming up).
    public var warmingUp: Int { core.warmingUp }
    /// Trading closes older than `maxSignalAgeMs`: evaluated, not published.
    public var staleCandles: Int { core.staleCandles }
    public var provisionalIgnored: Int { core.provisionalIgnored }
    /// Closed updates of neither the trading nor the trend interval, or of an unknown symbol.
    public var otherUpdates: Int { core.otherUpdates }
    /// Trading closes held for their trend candle, and those released without it.
    public var heldForTrend: Int { core.heldForTrend }
    public var lateTrendReleases: Int { core.lateTrendReleases }
    /// Trading closes held for their trend candle right now.
    public var held: Int { core.heldCount }
    public var sideChannelOverflows: Int { core.sideChannelOverflows }

    /// The last evaluation of `symbol`'s trading interval, in `Double` (what the `Signal` was made
    /// from), including stale ones; nil during warm-up.
    public func lastEvaluation(symbol: SymbolID) -> SignalEvaluation? {
        symbol.index < core.symbolCount ? (core.evaluations + symbol.index).pointee : nil
    }
}

/// The signal stage's state and per-update logic, for `SignalStage` (see there). Not generic, so
/// it is compiled once, specialised, whatever clock the stage has.
public final class SignalStageCore {
    public let symbolCount: Int
    public internal(set) var handled = 0
    public private(set) var longSignals = 0
    public private(set) var shortSignals = 0
    public private(set) var neutralSignals = 0
    public private(set) var warmingUp = 0
    public private(set) var staleCandles = 0
    public private(set) var provisionalIgnored = 0
    public private(set) var otherUpdates = 0
    public private(set) var heldForTrend = 0
    public private(set) var lateTrendReleases = 0
    public private(set) var sideChannelOverflows = 0
    public private(set) var heldCount = 0
    var nextSignalID: UInt64 = 0

    /// Per symbol: the evaluator and a trading close waiting for its trend candle.
    struct SymbolState {
        var evaluator: StrategyEvaluator
        var held: IndicatorSnapshot?
        var heldOpenTimeMs: Int64 = 0
        var heldIngressNs: UInt64 = 0
        var heldSinceNs: UInt64 = 0
    }

    /// Per-symbol state and last evaluations, allocated once. Raw pointers, not arrays: reading a
    /// field of an array element of this size (~800 bytes) made Swift copy the element.
    let states: UnsafeMutablePointer<SymbolState>
    let evaluations: UnsafeMutablePointer<SignalEvaluation?>
    let priceScales: [DecimalScale]
    let tradingInterval: Interval
    let trendInterval: Interval
    let tradingDurationMs: Int64
    let trendDurationMs: Int64
    let holdsForTrend: Bool
    let maxSignalAgeMs: Int64
    let trendHoldNs: UInt64
    let output: SPSCRingHandle<Signal>
    let journal: SPSCRingHandle<JournalRecord>
    let events: SPSCRingHandle<EngineEvent>

    init(rings: PipelineRings, symbols: SymbolTable, configuration: AnalysisConfiguration) {
        if let problem = configuration.problem { preconditionFailure("AnalysisConfiguration: \(problem)") }
        symbolCount = symbols.count
        priceScales = symbols.entries.map(\.priceScale)
        tradingInterval = configuration.tradingInterval
        trendInterval = configuration.trendInterval
        tradingDurationMs = configuration.tradingInterval.durationMs
        trendDurationMs = configuration.trendInterval.durationMs
        holdsForTrend = configuration.strategy.enabled.contains(.trend)
        maxSignalAgeMs = configuration.maxSignalAgeMs
        trendHoldNs = configuration.trendHoldNs
        states = .allocate(capacity: max(1, symbols.count))
        states.initialize(repeating: SymbolState(evaluator: StrategyEvaluator(configuration: configuration.strategy)),
                          count: symbols.count)
        evaluations = .allocate(capacity: max(1, symbols.count))
        evaluations.initialize(repeating: nil, count: symbols.count)
        output = rings.signalToRisk.handle
        journal = rings.journal(.signal).handle
        events = rings.events(.signal).handle
    }

    deinit {
        states.deinitialize(count: symbolCount)
        states.deallocate()
        evaluations.deinitialize(count: symbolCount)
        evaluations.deallocate()
    }

    /// One update; false leaves it unconsumed (no room in the risk ring). `wallTimeMs` is read
    /// only when the age check needs it (0 otherwise).
    func handle(_ u: UnsafePointer<IndicatorUpdate>, nowNs: UInt64, wallTimeMs: Int64) -> Bool {
        guard u.pointee.isClosed else {
            provisionalIgnored &+= 1
            return true
        }
        let s = u.pointee.symbol.index
        guard s < symbolCount else {
            otherUpdates &+= 1
            return true
        }
        let interval = u.pointee.interval
        if interval == trendInterval {
            // Releasing a held trading close may publish a signal: room first.
            if (states + s).pointee.held != nil && output.freeCount == 0 { return false }
            (states + s).pointee.evaluator.trendCandleClosed(snapshot(u, s))
            if (states + s).pointee.held != nil,
               u.pointee.candleOpenTimeMs &+ trendDurationMs >= (states + s).pointee.heldOpenTimeMs &+ tradingDurationMs {
                release(s, late: false, nowNs: nowNs, wallTimeMs: wallTimeMs)
            }
            return true
        }
        guard interval == tradingInterval else {
            otherUpdates &+= 1
            return true
        }
        // A held close and this one may both publish.
        if output.freeCount < ((states + s).pointee.held == nil ? 1 : 2) { return false }
        if (states + s).pointee.held != nil { release(s, late: true, nowNs: nowNs, wallTimeMs: wallTimeMs) }
        let endMs = u.pointee.candleOpenTimeMs &+ tradingDurationMs
        if holdsForTrend && endMs % trendDurationMs == 0 && !trendSeen(until: endMs, s) {
            (states + s).pointee.held = snapshot(u, s)
            (states + s).pointee.heldOpenTimeMs = u.pointee.candleOpenTimeMs
            (states + s).pointee.heldIngressNs = u.pointee.ingressNs
            (states + s).pointee.heldSinceNs = nowNs
            heldCount &+= 1
            heldForTrend &+= 1
            return true
        }
        evaluate(snapshot(u, s), symbol: s, ingressNs: u.pointee.ingressNs, nowNs: nowNs, wallTimeMs: wallTimeMs)
        return true
    }

    /// Whether the evaluator has the trend candle that closes at `endMs`.
    @inline(__always)
    func trendSeen(until endMs: Int64, _ s: Int) -> Bool {
        guard let h = (states + s).pointee.evaluator.higher else { return false }
        return h.openTimeMs &+ trendDurationMs >= endMs
    }

    @inline(__always)
    func snapshot(_ u: UnsafePointer<IndicatorUpdate>, _ s: Int) -> IndicatorSnapshot {
        // The same Double the indicator stage's `Candle` had: raw / 10^places.
        IndicatorSnapshot(openTimeMs: u.pointee.candleOpenTimeMs,
                          close: Double(u.pointee.close.raw) / Double(priceScales[s].multiplier),
                          ready: u.pointee.ready, values: u.pointee.values)
    }

    func release(_ s: Int, late: Bool, nowNs: UInt64, wallTimeMs: Int64) {
        guard let held = (states + s).pointee.held else { return }
        (states + s).pointee.held = nil
        heldCount &-= 1
        if late { lateTrendReleases &+= 1 }
        evaluate(held, symbol: s, ingressNs: (states + s).pointee.heldIngressNs, nowNs: nowNs, wallTimeMs: wallTimeMs)
    }

    @inline(never)
    func releaseExpiredHolds(nowNs: UInt64, wallTimeMs: Int64) -> Int {
        var released = 0
        var s = 0
        while s < symbolCount {
            if (states + s).pointee.held != nil, nowNs &- (states + s).pointee.heldSinceNs >= trendHoldNs {
                guard output.freeCount > 0 else { break }
                release(s, late: true, nowNs: nowNs, wallTimeMs: wallTimeMs)
                released &+= 1
            }
            s &+= 1
        }
        return released
    }

    /// Evaluates a closed trading candle and publishes its signal (room in the risk ring was
    /// checked by the caller).
    @inline(__always)
    func evaluate(_ current: IndicatorSnapshot, symbol s: Int, ingressNs: UInt64, nowNs: UInt64, wallTimeMs: Int64) {
        guard let e = (states + s).pointee.evaluator.tradingCandleClosed(current) else {
            warmingUp &+= 1
            return
        }
        (evaluations + s).pointee = e
        let endMs = current.openTimeMs &+ tradingDurationMs
        if maxSignalAgeMs > 0 && wallTimeMs &- endMs > maxSignalAgeMs {
            staleCandles &+= 1
            return
        }
        nextSignalID &+= 1
        let signal = e.signal(symbol: SymbolID(UInt16(truncatingIfNeeded: s)), interval: tradingInterval,
                              priceScale: priceScales[s], ingressNs: ingressNs, signalID: nextSignalID, eventTimeMs: endMs)
        switch signal.direction {
        case .long, .short:
            if signal.direction == .long { longSignals &+= 1 } else { shortSignals &+= 1 }
            let slot = output.tryClaim().unsafelyUnwrapped
            slot.initialize(to: signal)
            output.publish()
        case .flat:
            neutralSignals &+= 1
        }
        if !journal.tryPush(JournalRecord(producer: .signal, sequence: signal.signalID, body: .signal(signal))) {
            sideChannelOverflows &+= 1
        }
        if !events.tryPush(EngineEvent(producer: .signal, timeNs: nowNs, body: .signalGenerated(signal))) {
            sideChannelOverflows &+= 1
        }
    }
}
