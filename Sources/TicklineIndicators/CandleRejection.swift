/// Why a candle was refused. Refused candles are counted and never reach an indicator.
public enum CandleRejection: UInt8, CaseIterable, Sendable, BitwiseCopyable {
    /// A NaN or an infinity in a price or the volume.
    case nonFinite
    /// A price of zero or below.
    case nonPositivePrice
    case negativeVolume
    /// High below low, or open or close outside [low, high].
    case inconsistentRange
    /// The open time is not on the interval's epoch-aligned grid.
    case misalignedOpenTime
    /// The same open time as the last accepted candle (a closed candle arrives once).
    case duplicate
    /// An open time before the last accepted candle's.
    case outOfOrder
    /// A kline of another interval than the bank's.
    case wrongInterval
}

/// Counters of one candle sequence: what was accepted, what was refused and why, and gaps.
@frozen
public struct CandleCounters: Sendable, BitwiseCopyable, Equatable {
    public var accepted: UInt64 = 0
    /// Accepted candles that followed a gap, and the open times missing in all those gaps.
    public var gaps: UInt64 = 0
    public var missingCandles: UInt64 = 0
    public var nonFinite: UInt64 = 0
    public var nonPositivePrice: UInt64 = 0
    public var negativeVolume: UInt64 = 0
    public var inconsistentRange: UInt64 = 0
    public var misalignedOpenTime: UInt64 = 0
    public var duplicate: UInt64 = 0
    public var outOfOrder: UInt64 = 0
    public var wrongInterval: UInt64 = 0

    @inlinable public init() {}

    @inlinable
    public subscript(reason: CandleRejection) -> UInt64 {
        get {
            switch reason {
            case .nonFinite: nonFinite
            case .nonPositivePrice: nonPositivePrice
            case .negativeVolume: negativeVolume
            case .inconsistentRange: inconsistentRange
            case .misalignedOpenTime: misalignedOpenTime
            case .duplicate: duplicate
            case .outOfOrder: outOfOrder
            case .wrongInterval: wrongInterval
            }
        }
        set {
            switch reason {
            case .nonFinite: nonFinite = newValue
            case .nonPositivePrice: nonPositivePrice = newValue
            case .negativeVolume: negativeVolume = newValue
            case .inconsistentRange: inconsistentRange = newValue
            case .misalignedOpenTime: misalignedOpenTime = newValue
            case .duplicate: duplicate = newValue
            case .outOfOrder: outOfOrder = newValue
            case .wrongInterval: wrongInterval = newValue
            }
        }
    }

    /// All refused candles.
    @inlinable public var rejected: UInt64 {
        nonFinite &+ nonPositivePrice &+ negativeVolume &+ inconsistentRange &+ misalignedOpenTime &+ duplicate
            &+ outOfOrder &+ wrongInterval
    }
}
