import TicklineCore

/// Builds candles of a larger interval (5m, 15m, 1h, 4h, …) from closed candles of a smaller
/// one (1m by default), for intervals that are not subscribed — in replay of a 1m file, say.
/// Subscribed intervals come closed from the parse stage and are never rebuilt here.
///
/// Buckets are epoch-aligned, as Binance's (`Interval.openTime(containing:)`): open = the
/// first source candle's open, high/low = the extremes, close = the last close, volume = the
/// sum. A bucket closes as soon as its last source candle arrives (source candles are closed,
/// so nothing can change it after that). A gap that skips a bucket's last candle leaves it
/// open until a candle of a later bucket arrives; it is then emitted as `flushedByGap` and
/// counted in `incompleteBuckets`, because its time is over and its real trades are in it, even
/// if one minute's are missing. Input goes through `CandleSequence` (refused candles are
/// counted and ignored).
///
/// ## Performance
/// O(1) per candle, scalars only.
public struct CandleAggregator: Sendable {
    public let source: Interval
    public let target: Interval
    public var sequence: CandleSequence
    @usableFromInline var _bucket: Candle?
    @usableFromInline var sourceCandlesInBucket: Int64 = 0
    /// Buckets emitted with every source candle, and with some missing.
    public var completeBuckets: UInt64 = 0
    public var incompleteBuckets: UInt64 = 0

    /// What one source candle produced, oldest first.
    @frozen
    public struct Output: Sendable, BitwiseCopyable, Equatable {
        /// An earlier bucket whose last source candle never came, closed because the input moved
        /// past it.
        public var flushedByGap: Candle?
        /// The bucket the input completed.
        public var closed: Candle?
        @inlinable
        public init(flushedByGap: Candle? = nil, closed: Candle? = nil) {
            self.flushedByGap = flushedByGap
            self.closed = closed
        }
    }

    /// `target` must be a whole multiple of `source`, and not `.w1` (Binance's weeks start on
    /// Monday, not on the epoch's Thursday).
    public init(from source: Interval = .m1, to target: Interval) {
        precondition(target > source && target.durationMs % source.durationMs == 0,
                     "CandleAggregator: \(target.name) is not a multiple of \(source.name)")
        precondition(target != .w1, "CandleAggregator: weekly candles are not epoch-aligned")
        self.source = source
        self.target = target
        sequence = CandleSequence(interval: source)
    }

    /// The bucket in progress: the larger candle so far, for provisional indicator values.
    @inlinable public var inProgress: Candle? { _bucket }

    @inlinable
    public mutating func add(_ candle: Candle) -> Output {
        guard sequence.admit(candle).isAccepted else { return Output() }
        var output = Output()
        let bucketOpenMs = target.openTime(containing: candle.openTimeMs)
        if var bucket = _bucket {
            if bucket.openTimeMs != bucketOpenMs {
                output.flushedByGap = bucket
                incompleteBuckets &+= 1
                _bucket = nil
            } else {
                if candle.high > bucket.high { bucket.high = candle.high }
                if candle.low < bucket.low { bucket.low = candle.low }
                bucket.close = candle.close
                bucket.volume += candle.volume
                _bucket = bucket
            }
        }
        if _bucket == nil {
            _bucket = Candle(openTimeMs: bucketOpenMs, open: candle.open, high: candle.high, low: candle.low,
                             close: candle.close, volume: candle.volume)
            sourceCandlesInBucket = 0
        }
        sourceCandlesInBucket &+= 1
        if candle.openTimeMs + source.durationMs == bucketOpenMs + target.durationMs {
            output.closed = _bucket
            if sourceCandlesInBucket == target.durationMs / source.durationMs {
                completeBuckets &+= 1
            } else {
                incompleteBuckets &+= 1
            }
            _bucket = nil
        }
        return output
    }

    /// Emits the bucket in progress, if any, as incomplete: for the end of a replay.
    @inlinable
    public mutating func flush() -> Candle? {
        guard let bucket = _bucket else { return nil }
        _bucket = nil
        incompleteBuckets &+= 1
        return bucket
    }
}
