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
/// **Periodic pass** (`periodicPassMs` > 0; `[strategy] periodic_pass_ms`, default 60 s there,
/// off in `AnalysisConfiguration`'s memberwise initialiser): the seed's signal loop, driven by
/// *data* time so that replay reproduces it. The stage's data time is the latest of: the close
/// (open + interval) of each closed update, and the open time of each provisional update
/// (`IndicatorUpdate` carries no event time; the candle's open is the latest instant it proves).
/// The first update schedules the next multiple of `periodicPassMs`; each update that brings
/// data time to or past it runs one pass (after the update itself is handled) and schedules the
/// multiple after its data time — a jump over several boundaries gives one pass
/// (`periodicBoundariesSkipped` counts the others: they would evaluate the same input). A pass
/// evaluates every symbol with a second `StrategyEvaluator` (`periodicStrategy`: the same
/// strategies, trend = `periodicTrendInterval`, 4h) on the latest `periodicTradingInterval` (1h)
/// snapshot: the provisional one of the candle in progress if the indicator stage publishes them
/// (it does when 1h is subscribed and the pass is on), with the last closed 1h as `previous`;
/// else the last closed one, with the one before as `previous`. The result is published like a
/// close-triggered signal (journal, events, Long/Short to risk; same age check, against the
/// boundary). `Signal` has no spare field for the trigger (its 128-byte layout is kept): a pass
/// signal is told apart by `interval` (the periodic trading interval, 1h, where closes use the
/// trading interval) and by `eventTimeMs`, the pass boundary. A pass needs room for a signal
/// per symbol (plus the update's own two) in the risk ring, else the update waits.
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
            let wallTimeMs = needsWallClock && (update.pointee.isClosed
                && (update.pointee.interval == tradingInterval || update.pointee.interval == trendInterval)
                || core.passDue(update)) ? clock.wallTimeMs() : 0
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
    /// Periodic passes run, boundaries a data-time jump passed over without a pass of their own,
    /// and symbols a pass could not evaluate (no 1h snapshot yet, or warming up) or found stale.
    public var periodicPasses: Int { core.periodicPasses }
    public var periodicBoundariesSkipped: Int { core.periodicBoundariesSkipped }
    public var periodicWarmingUp: Int { core.periodicWarmingUp }
    public var periodicStale: Int { core.periodicStale }
    /// Signals the periodic pass published (included in `signals` and the per-direction counts).
    public var periodicSignals: Int { core.periodicSignals }
    /// The stage's data time (see the type's Periodic pass note); `Int64.min` before any update.
    public var dataTimeMs: Int64 { core.dataTimeMs }

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
    public private(set) var periodicPasses = 0
    public private(set) var periodicBoundariesSkipped = 0
    public private(set) var periodicWarmingUp = 0
    public private(set) var periodicStale = 0
    public private(set) var periodicSignals = 0
    public private(set) var dataTimeMs = Int64.min
    var nextSignalID: UInt64 = 0
    /// The next pass boundary, once the first update has scheduled it.
    var nextPassMs: Int64 = 0
    var passScheduled = false

    /// Per symbol: the evaluator and a trading close waiting for its trend candle.
    struct SymbolState {
        var evaluator: StrategyEvaluator
        var held: IndicatorSnapshot?
        var heldOpenTimeMs: Int64 = 0
        var heldIngressNs: UInt64 = 0
        var heldSinceNs: UInt64 = 0
        /// The periodic pass: its evaluator (for its configuration and latest trend candle), the
        /// last two closed periodic-trading snapshots and the provisional one of the candle in
        /// progress (nil when none is newer than `periodicLast`).
        var periodic: StrategyEvaluator
        var periodicLast: IndicatorSnapshot? = nil
        var periodicPrevious: IndicatorSnapshot? = nil
        var periodicLive: IndicatorSnapshot? = nil
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
    let periodicPassMs: Int64
    let periodicTradingInterval: Interval
    let periodicTrendInterval: Interval
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
        periodicPassMs = configuration.periodicPassMs
        periodicTradingInterval = configuration.periodicTradingInterval
        periodicTrendInterval = configuration.periodicTrendInterval
        states.initialize(repeating: SymbolState(evaluator: StrategyEvaluator(configuration: configuration.strategy),
                                                 periodic: StrategyEvaluator(configuration: configuration.periodicStrategy)),
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
        guard periodicPassMs > 0 else { return handleUpdate(u, nowNs: nowNs, wallTimeMs: wallTimeMs) }
        let t = max(dataTimeMs, Self.dataTime(u))
        let due = passScheduled && t >= nextPassMs
        // The update may publish two signals, the pass one per symbol: all or nothing.
        if due && output.freeCount < symbolCount &+ 2 { return false }
        guard handleUpdate(u, nowNs: nowNs, wallTimeMs: wallTimeMs) else { return false }
        observePeriodic(u)
        dataTimeMs = t
        let boundary = t - t % periodicPassMs
        if due {
            periodicBoundariesSkipped &+= Int((boundary &- nextPassMs) / periodicPassMs)
            runPass(boundaryMs: boundary, ingressNs: u.pointee.ingressNs, nowNs: nowNs, wallTimeMs: wallTimeMs)
        }
        if due || !passScheduled {
            nextPassMs = boundary &+ periodicPassMs
            passScheduled = true
        }
        return true
    }

    /// The data time an update proves: a closed candle's close, a provisional one's open.
    @inline(__always)
    static func dataTime(_ u: UnsafePointer<IndicatorUpdate>) -> Int64 {
        u.pointee.isClosed ? u.pointee.candleOpenTimeMs &+ u.pointee.interval.durationMs : u.pointee.candleOpenTimeMs
    }

    /// Whether this update will run a periodic pass (for the shell: the age check's wall clock).
    @inline(__always)
    func passDue(_ u: UnsafePointer<IndicatorUpdate>) -> Bool {
        periodicPassMs > 0 && passScheduled && max(dataTimeMs, Self.dataTime(u)) >= nextPassMs
    }

    /// Keeps what the periodic pass evaluates: the latest periodic-trading snapshots and the
    /// periodic trend candle.
    @inline(__always)
    func observePeriodic(_ u: UnsafePointer<IndicatorUpdate>) {
        let s = u.pointee.symbol.index
        guard s < symbolCount else { return }
        let interval = u.pointee.interval
        if interval == periodicTrendInterval {
            if u.pointee.isClosed { (states + s).pointee.periodic.trendCandleClosed(snapshot(u, s)) }
        } else if interval == periodicTradingInterval {
            let open = u.pointee.candleOpenTimeMs
            if u.pointee.isClosed {
                (states + s).pointee.periodicPrevious = (states + s).pointee.periodicLast
                (states + s).pointee.periodicLast = snapshot(u, s)
                if let live = (states + s).pointee.periodicLive, live.openTimeMs <= open {
                    (states + s).pointee.periodicLive = nil
                }
            } else if (states + s).pointee.periodicLast.map({ open > $0.openTimeMs }) ?? true {
                (states + s).pointee.periodicLive = snapshot(u, s)
            }
        }
    }

    /// One periodic pass at `boundaryMs`: every symbol's latest periodic-trading snapshot
    /// (room in the risk ring was checked by the caller).
    @inline(never)
    func runPass(boundaryMs: Int64, ingressNs: UInt64, nowNs: UInt64, wallTimeMs: Int64) {
        periodicPasses &+= 1
        var s = 0
        while s < symbolCount {
            defer { s &+= 1 }
            let st = states + s
            let input: StrategyInput
            if let live = st.pointee.periodicLive {
                input = StrategyInput(current: live, previous: st.pointee.periodicLast, higher: st.pointee.periodic.higher)
            } else if let last = st.pointee.periodicLast {
                input = StrategyInput(current: last, previous: st.pointee.periodicPrevious, higher: st.pointee.periodic.higher)
            } else {
                periodicWarmingUp &+= 1
                continue
            }
            guard let e = st.pointee.periodic.configuration.evaluate(input) else {
                periodicWarmingUp &+= 1
                continue
            }
            if maxSignalAgeMs > 0 && wallTimeMs &- boundaryMs > maxSignalAgeMs {
                periodicStale &+= 1
                continue
            }
            periodicSignals &+= 1
            publish(e, symbol: s, interval: periodicTradingInterval, ingressNs: ingressNs, eventTimeMs: boundaryMs, nowNs: nowNs)
        }
    }

    /// The close-triggered path (the whole stage when the periodic pass is off).
    @inline(__always)
    func handleUpdate(_ u: UnsafePointer<IndicatorUpdate>, nowNs: UInt64, wallTimeMs: Int64) -> Bool {
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
        publish(e, symbol: s, interval: tradingInterval, ingressNs: ingressNs, eventTimeMs: endMs, nowNs: nowNs)
    }

    /// Publishes an evaluation as a `Signal`: journal, events, and Long/Short to risk.
    @inline(__always)
    func publish(_ e: SignalEvaluation, symbol s: Int, interval: Interval, ingressNs: UInt64, eventTimeMs: Int64, nowNs: UInt64) {
        nextSignalID &+= 1
        let signal = e.signal(symbol: SymbolID(UInt16(truncatingIfNeeded: s)), interval: interval,
                              priceScale: priceScales[s], ingressNs: ingressNs, signalID: nextSignalID, eventTimeMs: eventTimeMs)
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
