import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to stderr:
/// `{"level":"info","label":"tickline","message":"…","stage":"parse",…}`.
///
/// For log shippers (journald, Vector, Loki): one line per record, string-escaped, metadata
/// flattened into the object.
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
        var line = "{\"level\":\"\(event.level.rawValue)\",\"label\":" + Self.quote(label)
            + ",\"message\":" + Self.quote(event.message.description)
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            line += "," + Self.quote(key) + ":" + Self.json(merged[key]!)
        }
        line += "}\n"
        output(line)
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
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
