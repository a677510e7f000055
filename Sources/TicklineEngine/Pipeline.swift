import Logging
import TicklineConfig
import TicklineCore
import TicklineRing

#if canImport(Glibc)
import Glibc
#endif

/// The data plane assembled from a layout: rings, the five stage agents, the side-channel
/// drains, one runner per layout thread, and the log thread.
///
/// Stage code does not know the layout: this is the one place that decides which agents share a
/// thread (a `CompositeAgent`), which CPU it gets and how it idles.
public final class Pipeline {
    public let layout: Layout
    public let rings: PipelineRings
    public let parse: ParseStage<LiveClock>
    /// The live parse stage (market data from a venue) when the pipeline runs on one; it then
    /// takes the place of the synthetic `parse` stage.
    public let liveParse: (any LiveParseStats)?
    public let indicator: IndicatorStage<LiveClock>
    public let signal: SignalStage<LiveClock>
    public let risk: RiskStage<LiveClock>
    public let order: OrderStage<LiveClock>
    public let store: CountingDrainAgent
    public let publish: CountingDrainAgent
    public let logDrain: LogDrainAgent
    public private(set) var runners: [any Runner] = []
    private var logRunner: (any Runner)?
    public private(set) var startNs: UInt64 = 0

    /// - Parameters:
    ///   - totalTicks: ticks the synthetic source emits before it stops.
    ///   - ticksPerSecond: pacing (0 = unpaced).
    public init(layout: Layout, settings: TicklineConfiguration.PipelineSettings, totalTicks: Int,
                ticksPerSecond: Int, logger: Logger,
                makeLiveParse: ((PipelineRings) -> any LiveParseStats)? = nil) {
        self.layout = layout
        let clock = LiveClock()
        rings = PipelineRings(capacity: settings.ringCapacity)
        // Start prices around 43 250.00 and 2 300.00 (2 decimal places), then 100.00 apart.
        let startPrices = settings.symbols.indices.map { i -> Int64 in
            i == 0 ? 4_325_000 : i == 1 ? 230_000 : 10_000 * Int64(i)
        }
        parse = ParseStage(rings: rings, clock: clock,
                           source: SyntheticTickSource(seed: settings.seed, startPrices: startPrices),
                           totalTicks: totalTicks, ticksPerSecond: ticksPerSecond)
        parse.maxBatch = settings.parseBatch
        liveParse = makeLiveParse?(rings)
        indicator = IndicatorStage(rings: rings, clock: clock)
        signal = SignalStage(rings: rings, clock: clock)
        risk = RiskStage(rings: rings, clock: clock, symbolCount: settings.symbols.count)
        order = OrderStage(rings: rings, clock: clock)
        store = CountingDrainAgent(roleName: "store", journalRings: rings.journalRings)
        publish = CountingDrainAgent(roleName: "publish", eventRings: rings.eventRings)
        logDrain = LogDrainAgent(rings: rings.logRings, logger: logger)
    }

    public func agent(for stage: StageID) -> any Agent {
        switch stage {
        case .parse: return liveParse ?? parse
        case .indicator: return indicator
        case .signal: return signal
        case .risk: return risk
        case .order: return order
        case .store: return store
        case .publish: return publish
        }
    }

    /// Starts the log thread and one runner per layout thread. The layout must have been
    /// validated; on a start failure the threads already started are stopped again.
    public func start() throws {
        let log = IdleStrategyConfig.park(timeoutNs: 5_000_000).makeRunner(agent: logDrain, name: "log", cpu: nil)
        try log.start()
        logRunner = log
        startNs = LiveClock().nowNs()
        do {
            for thread in layout.threads {
                let agents = thread.stages.map(agent(for:))
                let runner: any Runner
                if agents.count == 1 {
                    runner = thread.idle.makeRunner(agent: agents[0], name: thread.name, cpu: thread.cpu)
                } else {
                    runner = thread.idle.makeRunner(agent: CompositeAgent(agents, roleName: thread.name),
                                                    name: thread.name, cpu: thread.cpu)
                }
                try runner.start()
                runners.append(runner)
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Waits until every tick has been handed off as an order, or `timeoutNs` passed. Sleeps in
    /// 1 ms steps: the caller is not a data-plane thread.
    public func waitUntilDone(timeoutNs: UInt64) -> Bool {
        let clock = LiveClock()
        let deadline = clock.nowNs() + timeoutNs
        while order.handedOffCounter.load(ordering: .relaxed) < parse.totalTicks {
            if clock.nowNs() > deadline { return false }
            var ts = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&ts, nil)
        }
        return true
    }

    /// Stops the trading threads, drains what the side-channel and log agents have not yet taken
    /// (on this thread: their runners are stopped by then), and stops the log thread.
    public func stop() {
        for r in runners.reversed() { r.stop() }
        runners.removeAll()
        for agent in [store, publish] as [any Agent] {
            while ((try? agent.doWork(nowNs: 0)) ?? 0) > 0 {}
        }
        logRunner?.stop()
        logRunner = nil
        while ((try? logDrain.doWork(nowNs: 0)) ?? 0) > 0 {}
    }

    /// Latency percentiles per hop and end to end. Call after `stop()` (takes both buffers).
    public func report(elapsedNs: UInt64) -> PipelineReport {
        func summary(_ r: LatencyRecorder) -> LatencySummary {
            var s = LatencySnapshot()
            r.collect(into: &s, includeActive: true)
            return LatencySummary(s, elapsedNs: elapsedNs)
        }
        return PipelineReport(
            layout: layout.name, ticks: liveParse?.events ?? parse.emitted, elapsedNs: elapsedNs,
            hops: [
                (indicator.latency.name, summary(indicator.latency)),
                (signal.latency.name, summary(signal.latency)),
                (risk.latency.name, summary(risk.latency)),
                (order.latency.name, summary(order.latency)),
            ],
            endToEnd: summary(order.endToEnd),
            rings: rings.allRingStats,
            errors: runners.reduce(0) { $0 + $1.errorCount })
    }
}
