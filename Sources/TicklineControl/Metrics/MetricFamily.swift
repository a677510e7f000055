/// One Prometheus metric family: a name, its help text, its type and the samples of its series.
///
/// The model enforces, when a family is built, what `promtool check metrics` and the
/// Prometheus naming conventions (https://prometheus.io/docs/practices/naming/) ask for:
/// - names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`
///   (https://prometheus.io/docs/concepts/data_model/), and label names starting with `__`
///   are reserved;
/// - conventions: snake_case without `:` (reserved for recording rules); counters end in
///   `_total` and nothing else does; `_bucket`, `_sum`, `_count` are left to histograms'
///   sample lines; base units only (`_seconds`, `_bytes`; not `_milliseconds`, `_ms`, `_us`);
///   a histogram's samples have no `le` label (the writer adds it); help is not empty;
/// - counters are finite and not negative; histograms are cumulative (see `HistogramValue`).
///
/// Samples of one family keep the order they were added in; the writer renders them in that
/// order. The provider must not add two samples with the same label set, nor return two
/// families with the same name (both make the exposition invalid; they are not checked per
/// scrape, to keep a scrape cheap).
///
/// ## Performance
/// A value type of a few arrays: building one costs a couple of allocations and a byte scan
/// of the name and of each label name. Label values and help are escaped when written.
public struct MetricFamily: Sendable, Equatable {
    public let name: String
    public let help: String
    public let type: MetricType
    public private(set) var samples: [MetricSample] = []

    /// A family without samples (such a family renders nothing).
    /// - Throws: `MetricsError` when the name or help breaks the rules above.
    public init(name: String, help: String, type: MetricType) throws {
        try Self.validateName(name, type: type)
        guard !help.isEmpty else { throw MetricsError.emptyHelp(name) }
        self.name = name
        self.help = help
        self.type = type
    }

    /// Adds a counter or gauge sample.
    /// - Throws: `MetricsError` for a histogram family, bad labels, or a negative or non-finite
    ///   counter value.
    public mutating func add(_ value: Double, labels: KeyValuePairs<String, String> = [:]) throws {
        try add(value, labels: labels.map { MetricLabel(name: $0.key, value: $0.value) })
    }

    /// Adds a counter or gauge sample (labels built at run time).
    public mutating func add(_ value: Double, labels: [MetricLabel]) throws {
        switch type {
        case .histogram:
            throw MetricsError.sampleKindMismatch(name)
        case .counter:
            guard value.isFinite, value >= 0 else { throw MetricsError.invalidCounterValue(metric: name, value: value) }
        case .gauge:
            break
        }
        try validateLabels(labels)
        samples.append(MetricSample(labels: labels, value: .number(value)))
    }

    /// Adds a counter or gauge sample from an integer (counters read from atomics). Exact up to
    /// 2^53; a literal without a type (`add(1)`) picks the `Double` overload.
    public mutating func add(_ value: some BinaryInteger, labels: KeyValuePairs<String, String> = [:]) throws {
        try add(Double(value), labels: labels)
    }

    /// Adds a histogram sample.
    /// - Throws: `MetricsError` for a counter or gauge family or bad labels (including `le`).
    public mutating func add(_ histogram: HistogramValue, labels: KeyValuePairs<String, String> = [:]) throws {
        try add(histogram, labels: labels.map { MetricLabel(name: $0.key, value: $0.value) })
    }

    /// Adds a histogram sample (labels built at run time).
    public mutating func add(_ histogram: HistogramValue, labels: [MetricLabel]) throws {
        guard type == .histogram else { throw MetricsError.sampleKindMismatch(name) }
        try validateLabels(labels)
        samples.append(MetricSample(labels: labels, value: .histogram(histogram)))
    }

    /// Drops the samples and keeps the storage: a provider may keep families between scrapes
    /// and refill them, so names are validated once.
    public mutating func removeAllSamples() {
        samples.removeAll(keepingCapacity: true)
    }
}

extension MetricFamily {
    /// A counter family with one sample.
    public static func counter(_ name: String, help: String, value: UInt64,
                               labels: KeyValuePairs<String, String> = [:]) throws -> MetricFamily {
        var f = try MetricFamily(name: name, help: help, type: .counter)
        try f.add(value, labels: labels)
        return f
    }

    /// A gauge family with one sample.
    public static func gauge(_ name: String, help: String, value: Double,
                             labels: KeyValuePairs<String, String> = [:]) throws -> MetricFamily {
        var f = try MetricFamily(name: name, help: help, type: .gauge)
        try f.add(value, labels: labels)
        return f
    }

    /// A histogram family with one sample.
    public static func histogram(_ name: String, help: String, value: HistogramValue,
                                 labels: KeyValuePairs<String, String> = [:]) throws -> MetricFamily {
        var f = try MetricFamily(name: name, help: help, type: .histogram)
        try f.add(value, labels: labels)
        return f
    }
}

/// The Prometheus metric types Tickline exposes (no summaries: quantiles come from histograms).
public enum MetricType: String, Sendable, Equatable {
    case counter, gauge, histogram
}

/// A label of one sample. Values may be any text; the writer escapes `\`, `"` and newline.
public struct MetricLabel: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One series of a family: its labels and its value.
public struct MetricSample: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// A counter or gauge value.
        case number(Double)
        /// A histogram: rendered as `_bucket{le=…}` lines, `_sum` and `_count`.
        case histogram(HistogramValue)
    }

    public let labels: [MetricLabel]
    public let value: Value
}
