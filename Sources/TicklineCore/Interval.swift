/// A candle interval, as Binance names them (`1m`, `5m`, `15m`, `1h`, `4h`, …).
///
/// One byte in messages; `durationMs` is what candle aggregation and close detection use.
@frozen
public enum Interval: UInt8, CaseIterable, Sendable, BitwiseCopyable, Comparable {
    case m1, m3, m5, m15, m30, h1, h2, h4, h6, h8, h12, d1, d3, w1

    @inlinable public var durationMs: Int64 {
        switch self {
        case .m1: return 60_000
        case .m3: return 180_000
        case .m5: return 300_000
        case .m15: return 900_000
        case .m30: return 1_800_000
        case .h1: return 3_600_000
        case .h2: return 7_200_000
        case .h4: return 14_400_000
        case .h6: return 21_600_000
        case .h8: return 28_800_000
        case .h12: return 43_200_000
        case .d1: return 86_400_000
        case .d3: return 259_200_000
        case .w1: return 604_800_000
        }
    }

    /// The Binance spelling, for configuration, stream names and output.
    public var name: String {
        switch self {
        case .m1: return "1m"
        case .m3: return "3m"
        case .m5: return "5m"
        case .m15: return "15m"
        case .m30: return "30m"
        case .h1: return "1h"
        case .h2: return "2h"
        case .h4: return "4h"
        case .h6: return "6h"
        case .h8: return "8h"
        case .h12: return "12h"
        case .d1: return "1d"
        case .d3: return "3d"
        case .w1: return "1w"
        }
    }

    public init?(name: String) {
        guard let match = Interval.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// Open time of the candle of this interval that contains `timeMs` (epoch-aligned, as Binance).
    @inlinable public func openTime(containing timeMs: Int64) -> Int64 {
        let d = durationMs
        let r = timeMs % d
        return r >= 0 ? timeMs - r : timeMs - r - d
    }

    @inlinable public static func < (a: Interval, b: Interval) -> Bool { a.durationMs < b.durationMs }
}
