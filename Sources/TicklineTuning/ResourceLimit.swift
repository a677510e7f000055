/// A resource limit's soft and hard values.
public struct ResourceLimit: Equatable, Sendable {
    public enum Value: Equatable, Sendable, CustomStringConvertible {
        case unlimited
        case bytes(UInt64)

        public var description: String {
            switch self {
            case .unlimited: return "unlimited"
            case let .bytes(b): return formatBytes(b)
            }
        }

        /// Whether this is at least `bytes`.
        public func isAtLeast(_ bytes: UInt64) -> Bool {
            if case let .bytes(b) = self { return b >= bytes }
            return true
        }
    }

    public var soft: Value
    public var hard: Value
    /// `getrlimit` or `/proc/self/limits`.
    public var source: String

    public init(soft: Value, hard: Value, source: String) {
        self.soft = soft
        self.hard = hard
        self.source = source
    }
}

/// `65536` → `64 KiB`, `8388608` → `8 MiB`; exact multiples only, else bytes.
func formatBytes(_ b: UInt64) -> String {
    let units: [(UInt64, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (size, name) in units where b >= size && b % size == 0 { return "\(b / size) \(name)" }
    return "\(b) bytes"
}
