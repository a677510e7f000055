/// Why a metric family, sample, histogram or bucket layout was refused. Each case names the
/// metric (or layout) so a provider's mistake is found from the message alone.
public enum MetricsError: Error, Equatable, CustomStringConvertible {
    /// The name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*` (or starts with the reserved `__`).
    case invalidName(String)
    /// The name is valid Prometheus but breaks a naming convention (the reason says which).
    case nameConvention(name: String, reason: String)
    /// Empty help text (`promtool check metrics`: "no help text").
    case emptyHelp(String)
    /// A label name that does not match `[a-zA-Z_][a-zA-Z0-9_]*` or is not snake_case.
    case invalidLabelName(metric: String, label: String)
    /// A label name reserved by Prometheus (`__…`) or by the histogram's `le`.
    case reservedLabelName(metric: String, label: String)
    /// The same label name twice in one sample.
    case duplicateLabelName(metric: String, label: String)
    /// A number added to a histogram family, or a histogram added to a counter or gauge.
    case sampleKindMismatch(String)
    /// A counter value that is negative, NaN or infinite.
    case invalidCounterValue(metric: String, value: Double)
    /// Histogram bounds that are empty, not finite or not strictly increasing.
    case invalidBucketBounds(String)
    /// Bucket counts that do not match the bounds, decrease, or exceed the total count.
    case invalidHistogram(String)

    public var description: String {
        switch self {
        case .invalidName(let n): "invalid metric name \"\(n)\": must match [a-zA-Z_:][a-zA-Z0-9_:]* and not start with __"
        case .nameConvention(let n, let reason): "metric name \"\(n)\": \(reason)"
        case .emptyHelp(let n): "metric \(n): help text is empty"
        case .invalidLabelName(let m, let l): "metric \(m): invalid label name \"\(l)\": must match [a-z_][a-z0-9_]* (snake_case)"
        case .reservedLabelName(let m, let l): "metric \(m): label name \"\(l)\" is reserved"
        case .duplicateLabelName(let m, let l): "metric \(m): label \"\(l)\" given twice"
        case .sampleKindMismatch(let m): "metric \(m): sample kind does not match the family's type"
        case .invalidCounterValue(let m, let v): "counter \(m): value \(v) is negative or not finite"
        case .invalidBucketBounds(let reason): "histogram bucket bounds: \(reason)"
        case .invalidHistogram(let reason): "histogram: \(reason)"
        }
    }
}
