import TicklineCore

/// A deterministic stand-in for the market-data socket: trades in a seeded random walk,
/// round-robin over the symbols, on a synthetic clock.
///
/// Trade `n` (from 1) happens at `startTimeMs + n × msPerTick`, whatever the wall clock says, so
/// candles close on a regular schedule and the same seed gives the same ticks, candles and
/// signals: pipeline runs are comparable, and the parse stage's `KlineCloser`s close candles
/// from these trades as they do live.
public struct SyntheticTickSource: Sendable {
    public let symbolCount: Int
    /// Synthetic time of tick 0 (epoch ms). Default 2024-01-01T00:00:00Z: aligned to every
    /// interval up to a day, so the first candles are whole.
    public let startTimeMs: Int64
    /// Synthetic time between two ticks. Default 1 s: with two symbols, 30 trades per symbol per
    /// 1m candle, a 5m close every 300 ticks, and the 4h trend filter warm (20 candles) after
    /// ~300 000 ticks.
    public let msPerTick: Int64
    @usableFromInline var state: UInt64
    @usableFromInline var prices: [Int64]
    @usableFromInline var sequence: Int64 = 0

    public static let defaultStartTimeMs: Int64 = 1_704_067_200_000

    /// - Parameters:
    ///   - startPrices: one raw price per symbol (in each symbol's price scale).
    public init(seed: UInt64, startPrices: [Int64], startTimeMs: Int64 = defaultStartTimeMs, msPerTick: Int64 = 1_000) {
        precondition(!startPrices.isEmpty, "need at least one symbol")
        precondition(msPerTick >= 1, "msPerTick must be ≥ 1")
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        prices = startPrices
        symbolCount = startPrices.count
        self.startTimeMs = startTimeMs
        self.msPerTick = msPerTick
    }

    /// xorshift64*: fast, deterministic, good enough for a random walk.
    @inlinable
    mutating func nextRandom() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// The synthetic time of the last tick.
    @inlinable public var nowMs: Int64 { startTimeMs &+ sequence &* msPerTick }

    /// The next trade, stamped with `ingressNs` (when its "bytes left the socket").
    @inlinable
    public mutating func next(ingressNs: UInt64) -> MarketEvent {
        sequence &+= 1
        let s = Int(sequence % Int64(symbolCount))
        let r = nextRandom()
        let step = Int64(r % 5) - 2  // -2...+2 ticks
        prices[s] = max(1, prices[s] &+ step)
        let timeMs = nowMs
        let trade = TradeTick(eventTimeMs: timeMs, tradeTimeMs: timeMs, tradeID: sequence, price: Price(raw: prices[s]),
                              quantity: Quantity(raw: 1 + Int64(r >> 58)), aggressor: r & 1 == 0 ? .buy : .sell,
                              isAggregate: false)
        return MarketEvent(ingressNs: ingressNs, symbol: SymbolID(UInt16(s)), body: .trade(trade))
    }
}
