import Logging
import TicklineCore
import TicklineRing

/// Renders the stages' log records to text through swift-log, on a non-spinning thread.
///
/// This is where formatting, allocation and I/O happen, so that stages never do any.
public final class LogDrainAgent: Agent {
    public let roleName = "log"
    public let rings: [SPSCRing<LogRecord>]
    public let logger: Logger
    public private(set) var rendered = 0
    /// Sees every record after it is logged, with its rendered message (the control plane's
    /// alerts: a critical record becomes an alert). Called on the log thread.
    let observer: (@Sendable (LogRecord, String) -> Void)?

    public init(rings: [SPSCRing<LogRecord>], logger: Logger, observer: (@Sendable (LogRecord, String) -> Void)? = nil) {
        self.rings = rings
        self.logger = logger
        self.observer = observer
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        var work = 0
        for ring in rings {
            work &+= ring.drain(limit: 256) { record in
                emit(record.pointee)
                return true
            }
        }
        rendered &+= work
        return work
    }

    func emit(_ r: LogRecord) {
        var metadata: Logger.Metadata = [
            "stage": .string(r.stage.name), "code": .stringConvertible(r.code.rawValue),
            "mono_ns": .stringConvertible(r.timeNs),
        ]
        if r.argumentCount > 0 {
            metadata["args"] = .array((0..<Int(r.argumentCount)).map { .string(Self.format(r.argument($0))) })
        }
        let message = Self.render(r)
        logger.log(level: r.level.swiftLogLevel, "\(message)", metadata: metadata)
        observer?(r, message)
    }

    /// The code's template with each `{}` replaced by the next argument.
    public static func render(_ r: LogRecord) -> String {
        var out = ""
        var next = 0
        var rest = Substring(r.code.template)
        while let range = rest.firstRange(of: "{}") {
            out += rest[..<range.lowerBound]
            out += next < Int(r.argumentCount) ? format(r.argument(next)) : "?"
            next += 1
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    /// An integer with `places` implied decimals, e.g. (4325010, 2) → "43250.10"; with
    /// `LogRecord.hexPlaces`, its bit pattern in 16 hex digits.
    public static func format(_ arg: (value: Int64, places: UInt8)) -> String {
        guard arg.places > 0 else { return String(arg.value) }
        if arg.places == LogRecord.hexPlaces {
            let digits = String(UInt64(bitPattern: arg.value), radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        let negative = arg.value < 0
        var digits = String(arg.value.magnitude)
        let places = Int(arg.places)
        if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -places)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }
}

extension LogLevel {
    var swiftLogLevel: Logger.Level {
        switch self {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }
}
