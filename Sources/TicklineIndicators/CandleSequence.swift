import TicklineCore

/// The admission rule for one (symbol, interval) stream of closed candles: intrinsic checks
/// (`Candle.defect`), an open time on the interval's grid, and strictly increasing open times.
///
/// Gaps (a later open time than the next expected one) are accepted and counted, not refused
/// and not filled: refusing would stall every indicator until a restart, and inventing candles
/// (repeating the last close with zero volume) would put prices into the averages that never
/// traded. Live, a gap means missed stream messages and the REST backfill delivers the real
/// candles before the stream resumes; in replay a gap is a hole in the file, and TA-Lib run on
/// the same file treats the neighbours as adjacent too, so the values stay comparable. The count
/// lets a monitor flag a symbol whose indicators span a hole.
@frozen
public struct CandleSequence: Sendable, BitwiseCopyable {
    public let interval: Interval
    @usableFromInline var _lastOpenTimeMs: Int64 = .min
    @usableFromInline var _hasLast = false
    public var counters = CandleCounters()

    @inlinable
    public init(interval: Interval) { self.interval = interval }

    /// The open time of the last accepted candle, if any.
    @inlinable public var lastOpenTimeMs: Int64? { _hasLast ? _lastOpenTimeMs : nil }

    /// Why `candle` would be refused now, or nil if it would be accepted.
    @inlinable
    public func check(_ candle: Candle) -> CandleRejection? {
        if let defect = candle.defect { return defect }
        if interval.openTime(containing: candle.openTimeMs) != candle.openTimeMs { return .misalignedOpenTime }
        if _hasLast {
            if candle.openTimeMs == _lastOpenTimeMs { return .duplicate }
            if candle.openTimeMs < _lastOpenTimeMs { return .outOfOrder }
        }
        return nil
    }

    /// Checks `candle`, counts the outcome and, when accepted, makes it the last candle.
    @inlinable
    public mutating func admit(_ candle: Candle) -> CandleAdmission {
        if let reason = check(candle) {
            counters[reason] &+= 1
            return .rejected(reason)
        }
        counters.accepted &+= 1
        defer {
            _lastOpenTimeMs = candle.openTimeMs
            _hasLast = true
        }
        guard _hasLast, candle.openTimeMs - _lastOpenTimeMs != interval.durationMs else { return .accepted }
        let missing = (candle.openTimeMs - _lastOpenTimeMs) / interval.durationMs - 1
        guard missing > 0 else { return .accepted }
        counters.gaps &+= 1
        counters.missingCandles &+= UInt64(missing)
        return .acceptedAfterGap(missingCandles: missing)
    }

    /// Counts a refusal decided by the caller (e.g. `.wrongInterval`).
    @inlinable
    public mutating func count(_ reason: CandleRejection) { counters[reason] &+= 1 }
}

/// What happened to one offered candle.
@frozen
public enum CandleAdmission: Sendable, BitwiseCopyable, Equatable {
    case accepted
    /// Accepted, but `missingCandles` open times between the previous candle and this one never
    /// arrived. The indicators treat the two as adjacent (as TA-Lib does an array with a hole):
    /// see `CandleSequence` for why a gap is counted rather than refused or filled.
    case acceptedAfterGap(missingCandles: Int64)
    case rejected(CandleRejection)

    @inlinable public var isAccepted: Bool {
        if case .rejected = self { return false }
        return true
    }
}
