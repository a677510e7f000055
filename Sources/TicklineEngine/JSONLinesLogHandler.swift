import Logging
import TicklineCore
import TicklineStore

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to stderr:
/// `{"timestamp":"2026-11-25T12:00:00.123Z","level":"info","label":"tickline","component":"parse",
/// "message":"…","stage":"parse",…}`.
///
/// For log shippers (journald, Vector, Loki): one line per record, string-escaped, metadata
/// flattened into the object — the context keys the engine uses are `account`, `symbol`,
/// `trade_id`, `request_id`, `user` and `error_type`. `component` is the record's `stage` when it
/// has one (records from the data plane), else the logger's label. The timestamp is the wall
/// clock at the millisecond, UTC.
public struct JSONLinesLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    private let output: @Sendable (String) -> Void

    public init(label: String, write: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.output = write ?? { line in
            var line = line
            line.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        var component = label
        if case .string(let stage)? = merged["stage"] { component = stage }
        var line = "{\"timestamp\":\"" + StoreExportTime.iso8601(ms: Self.wallTimeMs()) + "\",\"level\":\"\(event.level.rawValue)\""
            + ",\"label\":" + Self.quote(label) + ",\"component\":" + Self.quote(component)
            + ",\"message\":" + Self.quote(event.message.description)
        for key in merged.keys.sorted() {
            line += "," + Self.quote(key) + ":" + Self.json(merged[key]!)
        }
        line += "}\n"
        output(line)
    }

    static func wallTimeMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return quote(s)
        case .stringConvertible(let c): return quote(c.description)
        case .array(let a): return "[" + a.map(json).joined(separator: ",") + "]"
        case .dictionary(let d):
            return "{" + d.keys.sorted().map { quote($0) + ":" + json(d[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 escaping).
    static func quote(_ s: String) -> String { JSONString.quoted(s) }
}
