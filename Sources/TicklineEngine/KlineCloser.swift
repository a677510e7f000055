import TicklineCore

/// Closes each candle of one subscribed (symbol, interval) exactly once, at the earlier of two
/// sources: the local close (a trade or the clock passes the interval boundary) and the
/// exchange's `"x":true` kline event, which arrives up to ~2 s late on futures. Whichever comes
/// second only reconciles: the exchange's values win, a differing local close produces one
/// correction (counted as a mismatch), never a second close downstream.
///
/// Between closes the provisional bar is the exchange's latest snapshot plus the trades that
/// arrived after it (trade time > the snapshot's event time, so no trade is counted twice).
/// REST history (the start-up warm-up, and the backfill after every reconnect) goes through the
/// same closer: between `beginBackfill` and `completeBackfill` closes are held back, and the
/// history then fills the gap in front of them, so downstream always sees candles in open-time
/// order with none missing, and a candle closed locally from partial data during an outage is
/// replaced by the exchange's values before it ever leaves.
///
/// Pure value type: the parse stage owns one per (symbol, interval) and feeds it in event order.
public struct KlineCloser: Sendable {
    public enum Source: Sendable, Equatable { case local, exchange }

    public enum Output: Sendable, Equatable {
        case none
        /// The candle closed; send it downstream (once).
        case closed(Kline, Source)
        /// The exchange's final values differ from a local close already sent: journal and count,
        /// do not close again.
        case corrected(Kline)
    }

    public let interval: Interval
    /// The candle in progress.
    public private(set) var current: Kline?
    /// The last candle closed downstream, kept to reconcile with the exchange's late close.
    public private(set) var lastClosed: Kline?
    public private(set) var localCloses = 0
    public private(set) var exchangeCloses = 0
    public private(set) var corrections = 0
    /// Exchange finals that agreed with the local close.
    public private(set) var confirmations = 0
    /// Trades or updates for candles already closed (late data), ignored.
    public private(set) var lateEvents = 0
    /// Candles that came from REST history to fill a gap or warm up.
    public private(set) var backfilled = 0
    /// True between `beginBackfill` and `completeBackfill`: closes are held, not sent.
    public private(set) var awaitingBackfill = false
    /// The last candle sent downstream (held ones are not).
    public private(set) var lastEmitted: Kline?
    /// Event time of the exchange snapshot `current` was built on (trades at or before it are in it).
    var snapshotTimeMs: Int64 = .min
    /// Closes held while history is awaited, in open-time order.
    var held: [(bar: Kline, source: Source)] = []

    public init(interval: Interval) { self.interval = interval }

    /// A trade from the trade stream.
    public mutating func onTrade(price: Price, quantity: Quantity, buyerIsTaker: Bool, tradeTimeMs: Int64,
                                 eventTimeMs: Int64) -> Output {
        let openTime = interval.openTime(containing: tradeTimeMs)
        if let last = lastClosed, openTime <= last.openTimeMs {
            lateEvents += 1
            return .none
        }
        var output = Output.none
        if let bar = current, openTime > bar.openTimeMs {
            output = closeLocally()
        }
        if var bar = current {
            guard tradeTimeMs > snapshotTimeMs else { return output }  // already in the snapshot
            if price > bar.high { bar.high = price }
            if price < bar.low { bar.low = price }
            bar.close = price
            bar.volume = bar.volume &+ quantity
            if buyerIsTaker { bar.takerBuyVolume = bar.takerBuyVolume &+ quantity }
            bar.tradeCount &+= 1
            bar.eventTimeMs = eventTimeMs
            current = bar
        } else {
            current = Kline(eventTimeMs: eventTimeMs, openTimeMs: openTime, interval: interval, open: price, high: price,
                            low: price, close: price, volume: quantity, quoteVolume: .zero,
                            takerBuyVolume: buyerIsTaker ? quantity : Quantity(raw: 0), tradeCount: 1)
            snapshotTimeMs = .min
        }
        return output
    }

    /// The clock: closes the candle in progress once its interval has ended.
    public mutating func onClock(nowMs: Int64) -> Output {
        guard let bar = current, nowMs > bar.closeTimeMs else { return .none }
        return closeLocally()
    }

    /// A kline event from the exchange's `@kline_<interval>` stream. Up to two outputs, in
    /// order: when the exchange already reports a later candle, ours closes first.
    public mutating func onExchange(_ k: Kline, isClosed: Bool) -> (Output, Output) {
        if let last = lastClosed, k.openTimeMs <= last.openTimeMs {
            guard isClosed, k.openTimeMs == last.openTimeMs else {
                lateEvents += 1
                return (.none, .none)
            }
            // Already closed locally: reconcile, the exchange's values win.
            lastClosed = k
            if sameValues(k, last) {
                confirmations += 1
                return (.none, .none)
            }
            corrections += 1
            if let i = held.lastIndex(where: { $0.bar.openTimeMs == k.openTimeMs }) {
                held[i] = (k, .exchange)  // not sent yet: it leaves with the exchange's values
                return (.none, .none)
            }
            lastEmitted = k
            return (.corrected(k), .none)
        }
        var first = Output.none
        if let bar = current, k.openTimeMs > bar.openTimeMs {
            first = closeLocally()  // the exchange moved on: our candle's interval is over
        }
        if isClosed {
            // The exchange closed first (or there was no local candle): close with its values.
            current = nil
            lastClosed = k
            exchangeCloses += 1
            let second = release(k, .exchange)
            return first == .none ? (second, .none) : (first, second)
        }
        current = k
        snapshotTimeMs = k.eventTimeMs
        return (first, .none)
    }

    mutating func closeLocally() -> Output {
        guard let bar = current else { return .none }
        current = nil
        lastClosed = bar
        localCloses += 1
        return release(bar, .local)
    }

    /// Sends a closed candle, or holds it while history is awaited.
    mutating func release(_ bar: Kline, _ source: Source) -> Output {
        if awaitingBackfill {
            held.append((bar, source))
            return .none
        }
        lastEmitted = bar
        return .closed(bar, source)
    }

    /// History is on its way (start-up, or the stream dropped): hold closes until it arrives.
    public mutating func beginBackfill() {
        awaitingBackfill = true
    }

    /// REST history arrived: candles from it that end before `completeBeforeMs` (the time the
    /// request was sent, so none is still in progress) fill the gap between the last candle sent
    /// and the candle in progress; a held candle of the same time is replaced by the exchange's
    /// values; the last candle sent, if the exchange's values differ, becomes a correction. Then
    /// everything goes out in open-time order. Call with no bars to give up on history (the held
    /// candles go out as they are).
    public mutating func completeBackfill(_ bars: [Kline], completeBeforeMs: Int64, emit: (Output) -> Void) {
        let sentUpTo = lastEmitted?.openTimeMs ?? .min
        let inProgress = current?.openTimeMs ?? .max
        var out = held
        held.removeAll(keepingCapacity: true)
        awaitingBackfill = false
        for bar in bars where bar.interval == interval && bar.closeTimeMs < completeBeforeMs && bar.openTimeMs >= sentUpTo {
            if bar.openTimeMs == sentUpTo {
                if let last = lastEmitted, !sameValues(bar, last) {
                    corrections += 1
                    lastEmitted = bar
                    if lastClosed?.openTimeMs == bar.openTimeMs { lastClosed = bar }
                    emit(.corrected(bar))
                }
            } else if let i = out.firstIndex(where: { $0.bar.openTimeMs == bar.openTimeMs }) {
                if !sameValues(bar, out[i].bar) { corrections += 1 }
                out[i] = (bar, .exchange)
            } else if bar.openTimeMs < inProgress {
                backfilled += 1
                out.append((bar, .exchange))
            }
        }
        out.sort { $0.bar.openTimeMs < $1.bar.openTimeMs }
        for (bar, source) in out {
            lastEmitted = bar
            emit(.closed(bar, source))
        }
        if let sent = lastEmitted, sent.openTimeMs > lastClosed?.openTimeMs ?? .min { lastClosed = sent }
    }

    func sameValues(_ a: Kline, _ b: Kline) -> Bool {
        a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close && a.volume == b.volume
    }
}
