import TicklineRing
import Histogram
import TicklineEngine

/// Fixed latency bucket bounds (in nanoseconds, exposed in seconds) and the conversion of the
/// engine's nanosecond HdrHistograms and `LatencySnapshot`s into Prometheus histograms.
///
/// `standard` is 100 ns … 10 s in 1-2-5 steps per decade (25 bounds + `+Inf`): sub-microsecond
/// for ring hops, milliseconds for REST and store commits, seconds for outliers. Fixed bounds
/// keep the series stable across scrapes and restarts, so `histogram_quantile` and rates over
/// several instances add up.
///
/// ## Precision
/// Prometheus counts an observation `v` in bucket `le=B` when `v ≤ B`. An HdrHistogram only
/// knows that `v` lies in its equivalence range `[lowestEquivalent(v), highestEquivalent(v)]`,
/// so a recorded range is counted in the first bucket whose bound is ≥ the range's lowest value:
/// - every value ≤ B is counted in `le=B` (never an under-count);
/// - values above B by less than the histogram's resolution at B are counted too. With three
///   significant digits (`.three`, the engine's setting, 2048 sub-buckets) a range is at most
///   B/1024 wide (≈ 0.1 %): values below 2048 ns are exact; 1 ms is the range
///   [999 936, 1 000 447] ns, so 1 000 447 ns still counts as ≤ 1 ms. Fewer significant digits
///   widen this (one digit: ≈ 6 %).
/// - `_count` is the histogram's `totalCount`: exact.
/// - `_sum` is *not* exact (HdrHistogram keeps no sum): each recorded range contributes its
///   middle value (`medianEquivalentForValue`) × its count, i.e. HdrHistogram's `mean × count`.
///   The error per value is at most half a range (≤ 2^-11 relative with three digits).
///
/// A `LatencySnapshot` (the engine's hot-path `LatencyRecorder` buckets) follows the same rule
/// with its own ranges: exact below 128 ns, otherwise 64 sub-buckets per power of two (≤ 1.6 %);
/// `_sum` takes each bucket's midpoint, as `LatencySummary` does.
///
/// ## Performance
/// One pass with a moving bucket index, plus one array of `upperBoundsNs.count` counts; the
/// bounds' `le` texts are rendered once, at `init`. The two sources differ a lot (release build,
/// this project's 2-core box, 100 000 values, three digits, 2^37 ns trackable):
/// - `LatencySnapshot`: a scan of 1984 counts, ≈ 3 µs. Use this on the scrape path.
/// - `Histogram`: HdrHistogram's `recordedValues()` visits every index up to the largest
///   recorded value, ≈ 10 ns each: ≈ 50 µs (values ≤ 5 µs), 120 µs (≤ 5 ms), 180 µs (≤ 5 s).
///   A dozen of those per scrape would eat the 1 ms scrape budget: convert HdrHistograms when
///   they are collected, not per scrape, and let the provider return the stored
///   `HistogramValue`. (Never use the histogram's `mean` for this: it is another, slower pass,
///   ≈ 0.7–2.7 ms.)
public struct LatencyBuckets: Sendable, Equatable {
    /// Strictly increasing bucket upper bounds in nanoseconds.
    public let upperBoundsNs: [UInt64]
    /// The same bounds in seconds, as rendered in `le`.
    public let bounds: HistogramBounds

    /// 100 ns, 200 ns, 500 ns, 1 µs, … 5 s, 10 s.
    public static let standard: LatencyBuckets = {
        var ns: [UInt64] = []
        var decade: UInt64 = 100
        while decade <= 1_000_000_000 {
            ns += [decade, 2 * decade, 5 * decade]
            decade *= 10
        }
        ns.append(10_000_000_000)
        return try! LatencyBuckets(upperBoundsNs: ns)  // constant, valid bounds
    }()

    /// - Throws: `MetricsError.invalidBucketBounds` when empty, zero or not strictly increasing.
    public init(upperBoundsNs: [UInt64]) throws {
        guard upperBoundsNs.first.map({ $0 > 0 }) ?? false else {
            throw MetricsError.invalidBucketBounds("latency bounds start above 0 ns")
        }
        self.upperBoundsNs = upperBoundsNs
        bounds = try HistogramBounds(upperBoundsNs.map { Double($0) / 1e9 })
    }

    /// Converts an HdrHistogram of nanosecond values into a histogram in seconds (see Precision).
    public func histogram<Count>(_ histogram: Histogram<Count>) -> HistogramValue {
        var counts = [UInt64](repeating: 0, count: upperBoundsNs.count)
        var bucket = 0
        var sumNs = 0.0
        for recorded in histogram.recordedValues() {
            let n = UInt64(recorded.count)
            let lowest = histogram.lowestEquivalentForValue(recorded.value)
            // Recorded values come in increasing order: the bucket index only moves forward.
            while bucket < upperBoundsNs.count, upperBoundsNs[bucket] < lowest { bucket += 1 }
            if bucket < counts.count { counts[bucket] &+= n }
            sumNs += Double(histogram.medianEquivalentForValue(recorded.value)) * Double(n)
        }
        return finish(&counts, total: histogram.totalCount, sumNs: sumNs)
    }

    /// Converts the engine's `LatencyRecorder` counts (nanoseconds) into a histogram in seconds
    /// without going through an HdrHistogram (see Precision).
    public func histogram(_ snapshot: LatencySnapshot) -> HistogramValue {
        var counts = [UInt64](repeating: 0, count: upperBoundsNs.count)
        var bucket = 0
        var sumNs = 0.0
        var total: UInt64 = 0
        snapshot.forEachBucket { range, n in
            while bucket < upperBoundsNs.count, upperBoundsNs[bucket] < range.lowerBound { bucket += 1 }
            if bucket < counts.count { counts[bucket] &+= n }
            sumNs += Double(range.lowerBound + (range.upperBound - range.lowerBound) / 2) * Double(n)
            total &+= n
        }
        return finish(&counts, total: total, sumNs: sumNs)
    }

    private func finish(_ counts: inout [UInt64], total: UInt64, sumNs: Double) -> HistogramValue {
        var running: UInt64 = 0
        for i in counts.indices {
            running &+= counts[i]
            counts[i] = running
        }
        return HistogramValue(unchecked: bounds, cumulativeCounts: counts, count: total, sum: sumNs / 1e9)
    }
}
