import TicklineCore

/// A deterministic stand-in for the market-data socket: trades in a seeded random walk,
/// round-robin over the symbols, with a closed 1m candle every `klineEvery` ticks.
///
/// The parse stage reads from it where it will later read from io_uring; the same seed gives
/// the same ticks, so pipeline runs are comparable.
public struct SyntheticTickSource: Sendable {
    public let symbolCount: Int
    public let klineEvery: Int
    @usableFromInline var state: UInt64
    @usableFromInline var prices: [Int64]
    @usableFromInline var sequence: Int64 = 0

    /// - Parameters:
    ///   - startPrices: one raw price per symbol (in each symbol's price scale).
    public init(seed: UInt64, startPrices: [Int64], klineEvery: Int = 1_000) {
        precondition(!startPrices.isEmpty, "need at least one symbol")
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        prices = startPrices
        symbolCount = startPrices.count
        self.klineEvery = klineEvery
    }

    /// xorshift64*: fast, deterministic, good enough for a random walk.
    @inlinable
    mutating func nextRandom() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// The next event, stamped with `ingressNs` (when its "bytes left the socket").
    @inlinable
    public mutating func next(ingressNs: UInt64, eventTimeMs: Int64) -> MarketEvent {
        sequence &+= 1
        let s = Int(sequence % Int64(symbolCount))
        let r = nextRandom()
        let step = Int64(r % 5) - 2  // -2...+2 ticks
        prices[s] = max(1, prices[s] &+ step)
        let price = Price(raw: prices[s])
        let symbol = SymbolID(UInt16(s))
        if klineEvery > 0 && sequence % Int64(klineEvery) == 0 {
            let open = Interval.m1.openTime(containing: eventTimeMs)
            let k = Kline(eventTimeMs: eventTimeMs, openTimeMs: open, interval: .m1, open: price, high: price,
                          low: price, close: price, volume: Quantity(raw: Int64(r >> 54)), quoteVolume: .zero,
                          takerBuyVolume: Quantity(raw: 0), tradeCount: 1)
            return MarketEvent(ingressNs: ingressNs, symbol: symbol, body: .klineClosed(k))
        }
        let trade = TradeTick(eventTimeMs: eventTimeMs, tradeTimeMs: eventTimeMs, tradeID: sequence, price: price,
                              quantity: Quantity(raw: 1 + Int64(r >> 58)), aggressor: r & 1 == 0 ? .buy : .sell,
                              isAggregate: false)
        return MarketEvent(ingressNs: ingressNs, symbol: symbol, body: .trade(trade))
    }
}
