// Name and label checks: the Prometheus grammar, then the conventions `promtool check metrics`
// lints for (its rules live in client_golang's prometheus/testutil/promlint). A byte scan, no
// Regex: families may be built on every scrape.

extension MetricFamily {
    /// Unit abbreviations promlint reports ("metric names should not contain abbreviated units").
    static let abbreviatedUnits: Set<Substring> = [
        "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
    ]
    /// Base units (promlint's list) and the SI prefixes that make them non-base.
    static let baseUnits: Set<Substring> = [
        "amperes", "bytes", "celsius", "grams", "joules", "kelvin", "metres", "seconds", "volts",
    ]
    static let unitPrefixes = [
        "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "mega", "giga", "tera", "peta",
        "exa", "zetta", "yotta",
    ]
    /// Units that are not base units (Prometheus naming practice: seconds, metres).
    static let nonBaseUnits: Set<Substring> = ["minutes", "hours", "days", "weeks", "meters"]
    /// Type names promlint rejects inside a name ("metric name should not include type").
    static let typeWords: Set<Substring> = ["counter", "gauge", "histogram", "summary", "untyped"]

    static func validateName(_ name: String, type: MetricType) throws {
        let bytes = name.utf8
        guard let first = bytes.first, first.isNameStart || first == UInt8(ascii: ":"),
              bytes.allSatisfy({ $0.isNameContinuation || $0 == UInt8(ascii: ":") }),
              !name.hasPrefix("__")
        else { throw MetricsError.invalidName(name) }

        func convention(_ reason: String) -> MetricsError { .nameConvention(name: name, reason: reason) }
        if bytes.contains(UInt8(ascii: ":")) { throw convention("':' is reserved for recording rules") }
        if bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
            throw convention("use snake_case (lower case)")
        }
        let isTotal = name.hasSuffix("_total")
        if type == .counter, !isTotal { throw convention("a counter's name ends in _total") }
        if type != .counter, isTotal { throw convention("only counters end in _total") }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            throw convention("\(suffix) is reserved for histogram sample lines")
        }
        for token in name.split(separator: "_") {
            if abbreviatedUnits.contains(token) {
                throw convention("abbreviated unit \"\(token)\": use base units (seconds, bytes)")
            }
            if typeWords.contains(token) { throw convention("the type (\(token)) does not belong in the name") }
            if nonBaseUnits.contains(token) { throw convention("\"\(token)\" is not a base unit") }
            if !baseUnits.contains(token) {
                for prefix in unitPrefixes where token.hasPrefix(prefix) && baseUnits.contains(token.dropFirst(prefix.count)) {
                    throw convention("\"\(token)\" is not a base unit: use \(token.dropFirst(prefix.count))")
                }
            }
        }
    }

    func validateLabels(_ labels: [MetricLabel]) throws {
        for (i, label) in labels.enumerated() {
            let bytes = label.name.utf8
            guard let first = bytes.first, first.isNameStart, bytes.allSatisfy(\.isNameContinuation),
                  !bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
            else { throw MetricsError.invalidLabelName(metric: name, label: label.name) }
            if label.name.hasPrefix("__") || (type == .histogram && label.name == "le") {
                throw MetricsError.reservedLabelName(metric: name, label: label.name)
            }
            // Label sets are small (a handful): a quadratic scan beats hashing.
            for j in 0..<i where labels[j].name == label.name {
                throw MetricsError.duplicateLabelName(metric: name, label: label.name)
            }
        }
    }
}

extension UInt8 {
    /// `[a-zA-Z_]`
    fileprivate var isNameStart: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
            || self == UInt8(ascii: "_")
    }

    /// `[a-zA-Z0-9_]`
    fileprivate var isNameContinuation: Bool { isNameStart || (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")) }
}
