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

/// Tick-to-order through the five stages (pass-through logic for now).
///
/// - "fused": every agent on the benchmark's own thread through an `AgentInvoker`, one tick run
///   to completion per duty cycle: measures the data plane's own cost per tick and proves it
///   allocates nothing (`mallocCountTotal == 0`).
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
        // Warm up: touch every ring slot once so page faults are not counted.
        for _ in 0..<100_000 { invoker.invoke() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let target = pipeline.order.handedOff + 1
            while pipeline.order.handedOff < target { invoker.invoke() }
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
            // Yield-poll the order stage's counter: sleeping would add up to a millisecond.
            var polls = 0
            while pipeline.order.handedOffCounter.load(ordering: .relaxed) < 10_000 && polls < 100_000_000 {
                sched_yield()
                polls += 1
            }
            pipeline.stop()
            precondition(pipeline.order.handedOff == 10_000, "split-2 pipeline did not finish 10 000 ticks")
        }
    }
}
