import NIOCore

/// Renders metric families in the Prometheus text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
///
/// Per family: `# HELP name text` (help escapes `\` and newline), `# TYPE name type`, then one
/// line per sample, `name{label="value",…} number` (label values escape `\`, `"` and newline).
/// A histogram sample becomes its `_bucket` lines in increasing `le` order ending with
/// `le="+Inf"`, then `_sum` and `_count`. Families without samples are skipped. No timestamps:
/// Prometheus stamps the scrape. Lines end in `\n`, as the format requires.
///
/// Numbers: integral values below 2^53 print as integers ("42"); other finite values in Swift's
/// shortest round-trip form ("0.001005692", "1e-06", "1.5e+20"), which Go's `ParseFloat`
/// (Prometheus, promtool) reads back exactly; `+Inf`, `-Inf`, `NaN` as spelled by the format.
///
/// ## Performance
/// Writes straight into one `ByteBuffer` (no intermediate `String`s except for non-integral
/// doubles, which fit Swift's small-string storage and do not allocate). `reset()` keeps the
/// buffer's capacity, so a writer reused across renders allocates only when the output grows.
/// `MetricsServer` gives each scrape a buffer sized from the previous scrape instead, because
/// the response owns its body until it is written to the socket. Measured (release, 2-core
/// box): ≈ 70 µs p50 / 90 µs p99 for a 28 kB rendering of 12 histograms (25 buckets each) and
/// ~40 counters and gauges, about 2.5 ns per output byte.
public struct PrometheusTextWriter {
    /// The `Content-Type` of a text-format 0.0.4 response.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public private(set) var buffer: ByteBuffer

    public init(capacityBytes: Int = 16 * 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacityBytes)
    }

    /// Starts over, keeping the capacity.
    public mutating func reset() {
        buffer.clear()
    }

    /// The text written so far.
    public var text: String { String(buffer: buffer) }

    /// Renders `families` into a string (tests, tools; the server uses `write`).
    public static func render(_ families: [MetricFamily]) -> String {
        var w = PrometheusTextWriter()
        w.write(families)
        return w.text
    }

    public mutating func write(_ families: [MetricFamily]) {
        for f in families { write(f) }
    }

    public mutating func write(_ family: MetricFamily) {
        guard !family.samples.isEmpty else { return }
        buffer.writeStaticString("# HELP ")
        buffer.writeString(family.name)
        buffer.writeInteger(UInt8(ascii: " "))
        writeEscaped(family.help, quotes: false)
        buffer.writeStaticString("\n# TYPE ")
        buffer.writeString(family.name)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(family.type.rawValue)
        buffer.writeInteger(UInt8(ascii: "\n"))
        for sample in family.samples {
            switch sample.value {
            case .number(let v):
                writeSeries(family.name, suffix: "", sample.labels, le: nil)
                writeNumber(v)
            case .histogram(let h):
                for i in h.bounds.upperBounds.indices {
                    writeSeries(family.name, suffix: "_bucket", sample.labels, le: h.bounds.leTexts[i])
                    writeUInt(h.cumulativeCounts[i])
                }
                writeSeries(family.name, suffix: "_bucket", sample.labels, le: "+Inf")
                writeUInt(h.count)
                writeSeries(family.name, suffix: "_sum", sample.labels, le: nil)
                writeNumber(h.sum)
                writeSeries(family.name, suffix: "_count", sample.labels, le: nil)
                writeUInt(h.count)
            }
        }
    }

    /// `name{labels,le="…"} ` up to the value.
    private mutating func writeSeries(_ name: String, suffix: StaticString, _ labels: [MetricLabel], le: String?) {
        buffer.writeString(name)
        buffer.writeStaticString(suffix)
        if !labels.isEmpty || le != nil {
            buffer.writeInteger(UInt8(ascii: "{"))
            for (i, label) in labels.enumerated() {
                if i > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeString(label.name)
                buffer.writeStaticString("=\"")
                writeEscaped(label.value, quotes: true)
                buffer.writeInteger(UInt8(ascii: "\""))
            }
            if let le {
                buffer.writeStaticString(labels.isEmpty ? "le=\"" : ",le=\"")
                buffer.writeString(le)
                buffer.writeInteger(UInt8(ascii: "\""))
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
        buffer.writeInteger(UInt8(ascii: " "))
    }

    /// Help text escapes `\` and newline; label values also escape `"`.
    private mutating func writeEscaped(_ text: String, quotes: Bool) {
        let needsEscaping = text.utf8.contains {
            $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || (quotes && $0 == UInt8(ascii: "\""))
        }
        guard needsEscaping else {
            buffer.writeString(text)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\"") where quotes: buffer.writeStaticString("\\\"")
            default: buffer.writeInteger(byte)
            }
        }
    }

    /// The value and the end of its line.
    private mutating func writeNumber(_ value: Double) {
        if let integral = Self.integral(value) {
            if integral < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
            writeUInt(integral.magnitude)
        } else {
            buffer.writeString(Self.text(of: value))
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
    }

    /// The value and the end of its line.
    private mutating func writeUInt(_ value: UInt64) {
        // At most 20 decimal digits and the newline, written back to front into a stack buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            digits[20] = UInt8(ascii: "\n")
            var v = value
            var i = 20
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            } while v != 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[i...]))
        }
    }

    /// `value` as an integer when it is one and below 2^53 (where doubles are exact integers).
    static func integral(_ value: Double) -> Int64? {
        guard value.magnitude < 9_007_199_254_740_992, value.rounded(.towardZero) == value else { return nil }
        return Int64(value)
    }

    /// The text of a sample value or `le` bound (see the type's Numbers paragraph).
    static func text(of value: Double) -> String {
        if let integral = integral(value) { return String(integral) }
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return value.description
    }
}
