import TicklineRing
import TicklineTestSupport
import Testing
import TicklineEngine

#if canImport(Glibc)
import Glibc
#endif

@Suite struct LatencyRecorderTests {
    /// Values below 128 ns are exact; above, the percentile lands within the bucket's 1/64
    /// relative width of the true value.
    @Test func percentilesOfAKnownDistribution() {
        let r = LatencyRecorder(name: "t")
        // 1 000 values: 1, 2, …, 100 (exact buckets) and 1 000, 2 000, …, 900 000.
        for v in 1...100 { r.record(UInt64(v)) }
        for v in 1...900 { r.record(UInt64(v) * 1_000) }
        var s = LatencySnapshot()
        r.collect(into: &s, includeActive: true)
        #expect(s.totalCount == 1_000)
        #expect(s.maxNs == 900_000)
        let summary = LatencySummary(s, elapsedNs: 1_000_000_000)
        // By hand: the 500th value is 400 000 (100 small ones, then 400 × 1 000).
        #expect(abs(Double(summary.p50Ns) - 400_000) / 400_000 < 1.0 / 64)
        // The 990th value is 890 000; the 999th is 899 000.
        #expect(abs(Double(summary.p99Ns) - 890_000) / 890_000 < 1.0 / 64)
        #expect(abs(Double(summary.p999Ns) - 899_000) / 899_000 < 1.0 / 64)
        #expect(summary.maxNs == 900_000)
        #expect(summary.messagesPerSecond == 1_000)
        // Collecting clears: a second collect finds nothing.
        var again = LatencySnapshot()
        r.collect(into: &again, includeActive: true)
        #expect(again.totalCount == 0)
    }

    @Test func smallValuesAreExact() {
        let r = LatencyRecorder(name: "t")
        for v in [0, 1, 2, 127] as [UInt64] { r.record(v) }
        var s = LatencySnapshot()
        r.collect(into: &s, includeActive: true)
        var buckets: [ClosedRange<UInt64>] = []
        s.forEachBucket { range, count in
            #expect(count == 1)
            buckets.append(range)
        }
        #expect(buckets == [0...0, 1...1, 2...2, 127...127])
    }

    /// Every value falls in a bucket whose range contains it; the ranges tile the number line.
    @Test func bucketsContainTheirValues() {
        var x: UInt64 = 88172645463325252
        for _ in 0..<20_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let v = x >> (x % 40)  // spread over many magnitudes
            let r = LatencyRecorder(name: "t")
            r.record(v)
            var s = LatencySnapshot()
            r.collect(into: &s, includeActive: true)
            s.forEachBucket { range, _ in
                if v < (1 << 36) { #expect(range.contains(v), "\(v) not in \(range)") }
            }
        }
    }

    /// The owner records on its own thread while the reader swaps buffers: nothing is lost or
    /// counted twice.
    @Test func doubleBufferedSwapLosesNothing() throws {
        let r = LatencyRecorder(name: "t")
        let total = 2_000_000
        let owner = try TestThread {
            for i in 0..<total {
                r.serviceSwap()
                r.record(UInt64(i % 5_000))
            }
        }
        var collected = LatencySnapshot()
        var swaps = 0
        while !owner.isFinished && swaps < 100_000 {
            let g = r.requestSwap()
            var waited = 0
            while !r.swapCompleted(g) && !owner.isFinished && waited < 1_000_000 { sched_yield(); waited += 1 }
            if r.swapCompleted(g) { r.collect(into: &collected); swaps += 1 }
        }
        owner.join()
        r.collect(into: &collected, includeActive: true)
        #expect(collected.totalCount == UInt64(total))
        #expect(swaps > 0)
    }
}
