import Benchmark
import ParserBenchSupport
import TicklineBinance

/// One scaled iteration = one message of the real capture through `BinanceStreamParser.parse`,
/// messages taken in capture order (wrapping around). `scalingFactor: .kilo`: the `*` tables are
/// per message, so **Malloc (total) = 0** there means zero allocations per parsed message.
let capture: Capture = {
    do { return try Capture.loadDefault() } catch { fatalError("\(error)") }
}()
nonisolated(unsafe) var cursor = 0
nonisolated(unsafe) var sink: UInt64 = checksumSeed

let benchmarks: @Sendable () -> Void = {
    Benchmark("BinanceStreamParser parse (capture)",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                   scalingFactor: .kilo, maxDuration: .seconds(3))) { benchmark in
        var parser = try makeParser()
        let c = capture
        var i = cursor
        var h = sink
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            fold(&h, parser.parse(c.message(i), ingressNs: 0))
            i += 1
            if i == c.count { i = 0 }
        }
        benchmark.stopMeasurement()
        precondition(parser.totalErrors == 0, "parse errors on the capture")
        cursor = i
        sink = h
        blackHole(h)
    }
}
