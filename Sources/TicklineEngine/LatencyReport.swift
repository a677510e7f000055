import TicklineRing
import Histogram

/// Percentiles of a latency snapshot, computed with HdrHistogram off the hot path.
public struct LatencySummary: Sendable, Equatable {
    public var count: UInt64
    public var p50Ns: UInt64
    public var p90Ns: UInt64
    public var p99Ns: UInt64
    public var p999Ns: UInt64
    public var maxNs: UInt64
    public var messagesPerSecond: Double

    /// - Parameter elapsedNs: the wall time the counts were gathered over (for messages/s).
    public init(_ snapshot: LatencySnapshot, elapsedNs: UInt64) {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 1 << 37,
                                  numberOfSignificantValueDigits: .three)
        // Each bucket is recorded at its midpoint: within the bucket's ≤ 1.6 % error.
        snapshot.forEachBucket { range, count in
            _ = h.record(range.lowerBound + (range.upperBound - range.lowerBound) / 2, count: count)
        }
        let total = h.totalCount
        func at(_ p: Double) -> UInt64 { total == 0 ? 0 : min(h.valueAtPercentile(p), snapshot.maxNs) }
        count = total
        p50Ns = at(50)
        p90Ns = at(90)
        p99Ns = at(99)
        p999Ns = at(99.9)
        maxNs = snapshot.maxNs
        messagesPerSecond = elapsedNs == 0 ? 0 : Double(total) * 1e9 / Double(elapsedNs)
    }
}
