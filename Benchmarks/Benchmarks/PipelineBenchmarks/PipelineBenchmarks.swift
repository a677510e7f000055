import Benchmark
import Synchronization
import Logging
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineRing

#if canImport(Glibc)
import Glibc
#endif

/// Ticks through the five stages: the synthetic parse stage (closing 1m–4h candles from its
/// trades, 1 s of synthetic time per tick), the real indicator and signal stages, pass-through
/// risk and order.
///
/// - "fused": every agent on the benchmark's own thread through an `AgentInvoker`, one tick run
///   to completion per duty cycle (with the candles it closes, their indicator updates and any
///   signal and order they make): measures the data plane's own cost per tick and proves it
///   allocates nothing (`mallocCountTotal == 0`). Warmed up over 400 000 ticks first (the 4h
///   trend filter needs ~300 000), so signals and orders are part of the mix.
/// - "split-2": the preset's two threads (trading spinning on CPU 1, side on CPU 0), 10 000
///   unpaced ticks per iteration: measures throughput across a real cross-core layout (thread
///   start/stop included, so mallocs are not meaningful there).
/// Latency percentiles per hop come from `tickline bench pipeline`, which records every tick.
let benchmarks: @Sendable () -> Void = {
    let silent = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
    let layoutsDirectory = "../Tuning/layouts"

    Benchmark("Pipeline fused-1 tick-to-order, one thread (run to completion)",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                   scalingFactor: .kilo, maxDuration: .seconds(3))) { benchmark in
        let layout = Layout(name: "bench", threads: [
            ThreadLayout(name: "fused", stages: StageID.allCases.map { $0 }, idle: .busySpin)])
        let pipeline = Pipeline(layout: layout, settings: .init(), totalTicks: Int.max, ticksPerSecond: 0,
                                logger: silent)
        let agents = CompositeAgent(StageID.allCases.map(pipeline.agent(for:)))
        let invoker = AgentInvoker(agent: agents, clock: LiveClock())
        try invoker.start()
        // Warm up: every ring slot touched, every indicator and the 4h trend filter warm.
        for _ in 0..<400_000 { invoker.invoke() }
        precondition(pipeline.order.handedOff > 0, "no order during warm-up")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let target = pipeline.parse.emitted + 1
            while pipeline.parse.emitted < target { invoker.invoke() }
        }
        benchmark.stopMeasurement()
        blackHole(pipeline.order.handedOff)
        invoker.close()
    }

    Benchmark("Pipeline split-2 10k ticks unpaced (two threads)",
              configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5), maxIterations: 50)) { benchmark in
        guard availableCPUCount >= 2 else { return }
        let layout = try LayoutLoader.load("split-2", directories: [layoutsDirectory])
        try layout.validate(cpuCount: availableCPUCount, isCPUAvailable: isCPUAvailable)
        for _ in benchmark.scaledIterations {
            let pipeline = Pipeline(layout: layout, settings: .init(), totalTicks: 10_000, ticksPerSecond: 0,
                                    logger: silent)
            try pipeline.start()
            // Yield-poll until every tick went through: sleeping would add up to a millisecond.
            var polls = 0
            while !pipeline.isDrained && polls < 100_000_000 {
                sched_yield()
                polls += 1
            }
            pipeline.stop()
            precondition(pipeline.parse.emitted == 10_000 && pipeline.isDrained, "split-2 pipeline did not finish 10 000 ticks")
        }
    }

    orderPathBenchmarks()
}
