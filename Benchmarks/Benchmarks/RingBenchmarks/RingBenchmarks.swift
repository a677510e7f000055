// package-benchmark suite for TicklineRing's SPSCRing, each benchmark set beside its baselines:
// the C ring of the same design (CRingBaseline, loops in C, clang -O2) and a mutex-guarded array
// queue (LockedQueue). Run from the Benchmarks folder:
//
//   swift package --allow-writing-to-package-directory benchmark
//
// One scaled iteration (scalingFactor .kilo: the tables show per-iteration figures, `*`) is one
// push+pop pair, one delivered message, or one round trip. Cross-thread benchmarks pin the
// measuring thread to CPU 0 and a peer thread to CPU 1; both spin. Cross-vCPU latency on the
// project VM moves between host states (~90 / ~220 / ~850 ns round trip), so compare Swift and C
// with RingCompare (interleaved in one process), not across these separate benchmark runs.
//
// Metrics: wall clock, throughput, malloc count. Not retain/release counts: they crash on Swift
// 6.3 Linux without the RuntimeInterposer trait (PLATFORM-NOTES G8); callgrind counts ARC instead.
import Benchmark
import RingBenchSupport
import TicklineRing

/// Holds a peer thread between a benchmark's setup and teardown.
final class Peer<T>: @unchecked Sendable {
    var value: T?
}

let measuringCPU: Int32 = 0
let peerCPU: Int32 = 1

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]
    let singleThread = Benchmark.Configuration(
        metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 100_000)
    let crossThread = Benchmark.Configuration(
        metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 10_000)

    // MARK: push+pop on one thread (the ring's instruction cost; no cache-line transfers)

    Benchmark("SPSCRing push+pop single thread", configuration: singleThread) {
        (benchmark: Benchmark, ring: SPSCRing<Msg64>) in
        var m = Msg64.template
        var out = Msg64.zero
        var acc: UInt64 = 0
        for i in benchmark.scaledIterations {
            m.seq = UInt64(truncatingIfNeeded: i)
            _ = ring.tryPush(m)
            _ = ring.tryPop(into: &out)
            acc &+= out.fold
        }
        blackHole(acc)
    } setup: {
        SPSCRing<Msg64>(capacity: defaultRingCapacity, name: "bench")
    }

    Benchmark("C ring push+pop single thread (baseline)", configuration: singleThread) {
        (benchmark: Benchmark, ring: CRing) in
        blackHole(ring.pushPopLoop(benchmark.scaledIterations.count))
    } setup: {
        CRing()
    }

    Benchmark("Locked queue push+pop single thread (baseline)", configuration: singleThread) {
        (benchmark: Benchmark, queue: LockedQueue<Msg64>) in
        var m = Msg64.template
        var out = Msg64.zero
        var acc: UInt64 = 0
        for i in benchmark.scaledIterations {
            m.seq = UInt64(truncatingIfNeeded: i)
            _ = queue.tryPush(m)
            _ = queue.tryPop(into: &out)
            acc &+= out.fold
        }
        blackHole(acc)
    } setup: {
        LockedQueue<Msg64>(capacity: defaultRingCapacity)
    }

    // MARK: one-way throughput, CPU 0 -> CPU 1 (a sample = push 1000 messages, wait until consumed)

    let swiftSink = Peer<SwiftRingSink>()
    Benchmark("SPSCRing one-way throughput cpu0->cpu1", configuration: crossThread) { benchmark in
        let sink = swiftSink.value!
        pinCurrentThread(to: measuringCPU)
        benchmark.startMeasurement()
        sink.send(benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
    } setup: {
        swiftSink.value = SwiftRingSink(cpu: peerCPU)
    } teardown: {
        blackHole(swiftSink.value?.stop())
        swiftSink.value = nil
    }

    let cSink = Peer<CRingSink>()
    Benchmark("C ring one-way throughput cpu0->cpu1 (baseline)", configuration: crossThread) { benchmark in
        let sink = cSink.value!
        pinCurrentThread(to: measuringCPU)
        benchmark.startMeasurement()
        sink.send(benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
    } setup: {
        cSink.value = CRingSink(cpu: peerCPU)
    } teardown: {
        blackHole(cSink.value?.stop())
        cSink.value = nil
    }

    let lockedSink = Peer<LockedQueueSink>()
    Benchmark("Locked queue one-way throughput cpu0->cpu1 (baseline)", configuration: crossThread) { benchmark in
        let sink = lockedSink.value!
        pinCurrentThread(to: measuringCPU)
        benchmark.startMeasurement()
        sink.send(benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
    } setup: {
        lockedSink.value = LockedQueueSink(cpu: peerCPU)
    } teardown: {
        blackHole(lockedSink.value?.stop())
        lockedSink.value = nil
    }

    // MARK: ping-pong round trip, CPU 0 <-> CPU 1 (an iteration = one round trip)

    let swiftEcho = Peer<SwiftRingEcho>()
    Benchmark("SPSCRing ping-pong round trip cpu0<->cpu1", configuration: crossThread) { benchmark in
        let echo = swiftEcho.value!
        pinCurrentThread(to: measuringCPU)
        benchmark.startMeasurement()
        let errors = echo.roundTrips(benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
        if errors != 0 { benchmark.error("\(errors) wrong echoes") }
    } setup: {
        swiftEcho.value = SwiftRingEcho(cpu: peerCPU)
    } teardown: {
        swiftEcho.value?.stop()
        swiftEcho.value = nil
    }

    let cEcho = Peer<CRingEcho>()
    Benchmark("C ring ping-pong round trip cpu0<->cpu1 (baseline)", configuration: crossThread) { benchmark in
        let echo = cEcho.value!
        pinCurrentThread(to: measuringCPU)
        benchmark.startMeasurement()
        let errors = echo.roundTrips(benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
        if errors != 0 { benchmark.error("\(errors) wrong echoes") }
    } setup: {
        cEcho.value = CRingEcho(cpu: peerCPU)
    } teardown: {
        cEcho.value?.stop()
        cEcho.value = nil
    }

    let lockedEcho = Peer<LockedQueueEcho>()
    Benchmark("Locked queue ping-pong round trip cpu0<->cpu1 (baseline)", configuration: crossThread) { benchmark in
        let echo = lockedEcho.value!
        pinCurrentThread(to: measuringCPU)
        benchmark.startMeasurement()
        let errors = echo.roundTrips(benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
        if errors != 0 { benchmark.error("\(errors) wrong echoes") }
    } setup: {
        lockedEcho.value = LockedQueueEcho(cpu: peerCPU)
    } teardown: {
        lockedEcho.value?.stop()
        lockedEcho.value = nil
    }
}
