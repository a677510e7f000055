/// One Prometheus histogram series: cumulative bucket counts over fixed upper bounds, the
/// total count (the `+Inf` bucket) and the sum of the observed values.
///
/// Rendered as `name_bucket{…,le="<bound>"}` for each bound, `name_bucket{…,le="+Inf"}`,
/// `name_sum{…}` and `name_count{…}` (text format 0.0.4; the `+Inf` bucket equals `_count`).
/// `LatencyBuckets` builds these from HdrHistogram snapshots.
public struct HistogramValue: Sendable, Equatable {
    public let bounds: HistogramBounds
    /// `cumulativeCounts[i]` = observations ≤ `bounds.upperBounds[i]`; non-decreasing.
    public let cumulativeCounts: [UInt64]
    /// All observations (the `+Inf` bucket and `_count`).
    public let count: UInt64
    /// The sum of all observations, in the histogram's unit.
    public let sum: Double

    /// - Throws: `MetricsError.invalidHistogram` when the counts do not match the bounds, decrease,
    ///   or exceed `count`.
    public init(bounds: HistogramBounds, cumulativeCounts: [UInt64], count: UInt64, sum: Double) throws {
        guard cumulativeCounts.count == bounds.upperBounds.count else {
            throw MetricsError.invalidHistogram("\(cumulativeCounts.count) counts for \(bounds.upperBounds.count) bounds")
        }
        var previous: UInt64 = 0
        for c in cumulativeCounts {
            guard c >= previous else { throw MetricsError.invalidHistogram("bucket counts are not cumulative") }
            previous = c
        }
        guard previous <= count else { throw MetricsError.invalidHistogram("a bucket count exceeds the total count") }
        self.init(unchecked: bounds, cumulativeCounts: cumulativeCounts, count: count, sum: sum)
    }

    init(unchecked bounds: HistogramBounds, cumulativeCounts: [UInt64], count: UInt64, sum: Double) {
        self.bounds = bounds
        self.cumulativeCounts = cumulativeCounts
        self.count = count
        self.sum = sum
    }

    /// Observations ≤ `upperBound` when it is one of the bounds (`.infinity` gives `count`).
    public func cumulativeCount(le upperBound: Double) -> UInt64? {
        if upperBound == .infinity { return count }
        return bounds.upperBounds.firstIndex(of: upperBound).map { cumulativeCounts[$0] }
    }
}

/// The finite upper bounds of a histogram's buckets (`+Inf` is implicit), with the text of each
/// `le` label rendered once, so a scrape copies bytes instead of formatting doubles.
public struct HistogramBounds: Sendable, Equatable {
    /// Finite, strictly increasing.
    public let upperBounds: [Double]
    /// `le` label values as client_golang writes them (`strconv.FormatFloat(b, 'g', -1, 64)`):
    /// "1e-06", "0.0005", "1", "10". The same text on every scrape keeps series identity.
    let leTexts: [String]

    /// - Throws: `MetricsError.invalidBucketBounds` when empty, not finite or not strictly increasing.
    public init(_ upperBounds: [Double]) throws {
        guard !upperBounds.isEmpty else { throw MetricsError.invalidBucketBounds("no bounds") }
        for (i, b) in upperBounds.enumerated() {
            guard b.isFinite else { throw MetricsError.invalidBucketBounds("\(b) is not finite (+Inf is implicit)") }
            if i > 0, b <= upperBounds[i - 1] { throw MetricsError.invalidBucketBounds("not strictly increasing at \(b)") }
        }
        self.upperBounds = upperBounds
        leTexts = upperBounds.map(PrometheusTextWriter.text(of:))
    }

    public static func == (a: Self, b: Self) -> Bool { a.upperBounds == b.upperBounds }
}
