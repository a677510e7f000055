import TicklineCore
import TicklineIndicators

/// The combiner's result for one candle close, in `Double`: what the reference script checks to
/// 1e-9, and what `signal(…)` turns into the integer `Signal` message.
@frozen
public struct SignalEvaluation: Sendable, BitwiseCopyable, Equatable {
    public var candleOpenTimeMs: Int64
    public var direction: SignalDirection
    public var reason: SignalReason
    /// Net score S in [−1, 1].
    public var score: Double
    /// |S|.
    public var confidence: Double
    /// |bullish − bearish| / (bullish + bearish), in [0, 1].
    public var agreement: Double
    /// The trading candle's close.
    public var entry: Double
    /// 0 for Neutral.
    public var stopLoss: Double
    /// 0 for Neutral.
    public var takeProfit: Double
    /// |TP − entry| / |entry − SL|; 0 for Neutral.
    public var riskReward: Double
    /// ATR ÷ entry.
    public var atrFraction: Double
    /// |entry − SL| ÷ entry; 0 for Neutral.
    public var stopDistanceFraction: Double
    public var analysis: MarketAnalysis
    public var strategies: StrategyScores

    @inlinable
    public init(candleOpenTimeMs: Int64, direction: SignalDirection, reason: SignalReason, score: Double,
                confidence: Double, agreement: Double, entry: Double, stopLoss: Double = 0, takeProfit: Double = 0,
                riskReward: Double = 0, atrFraction: Double = 0, stopDistanceFraction: Double = 0,
                analysis: MarketAnalysis = MarketAnalysis(), strategies: StrategyScores = StrategyScores()) {
        self.candleOpenTimeMs = candleOpenTimeMs
        self.direction = direction
        self.reason = reason
        self.score = score
        self.confidence = confidence
        self.agreement = agreement
        self.entry = entry
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.riskReward = riskReward
        self.atrFraction = atrFraction
        self.stopDistanceFraction = stopDistanceFraction
        self.analysis = analysis
        self.strategies = strategies
    }

    /// The message for risk, the journal and the event ring.
    ///
    /// Prices go onto the symbol's grid (`priceScale`): the entry to the nearest unit; stop and
    /// target down for a Long and up for a Short, so the stop is never nearer than computed and
    /// the target never further. Risk-reward and stop distance are then recomputed from those
    /// integers, so the message agrees with itself. Scores, confidence and agreement are rounded
    /// to basis points, ATR and stop distance to parts per million.
    @inlinable
    public func signal(symbol: SymbolID, interval: Interval, priceScale: DecimalScale, ingressNs: UInt64,
                       signalID: UInt64, eventTimeMs: Int64) -> Signal {
        let m = Double(priceScale.multiplier)
        let entryPrice = Self.price(entry * m, .toNearestOrEven)
        var stop = Price.zero, target = Price.zero
        var riskRewardBp: UInt32 = 0, stopPpm: UInt32 = 0
        if direction != .flat {
            let rule: FloatingPointRoundingRule = direction == .long ? .down : .up
            stop = Self.price(stopLoss * m, rule)
            target = Self.price(takeProfit * m, rule)
            let risk = Double(abs(entryPrice.raw - stop.raw))
            if risk > 0 && entryPrice.raw > 0 {
                riskRewardBp = Self.unsigned(Double(abs(target.raw - entryPrice.raw)) / risk * 10_000)
                stopPpm = Self.unsigned(risk / Double(entryPrice.raw) * 1_000_000)
            }
        }
        var slots = StrategyScoresBp()
        for i in 0..<StrategyScoresBp.count {
            if let s = strategies[StrategySlot(rawValue: i).unsafelyUnwrapped] {
                slots.set(i, scoreBp: Self.basisPoints(s.value), reasonCode: s.reason.rawValue)
            }
        }
        return Signal(ingressNs: ingressNs, signalID: signalID, eventTimeMs: eventTimeMs, symbol: symbol,
                      interval: interval, direction: direction, scoreBp: Self.basisPoints(score),
                      confidenceBp: UInt16(Self.basisPoints(confidence)), entryPrice: entryPrice, stopLoss: stop,
                      takeProfit: target, reasonCode: reason.rawValue, candleOpenTimeMs: candleOpenTimeMs,
                      riskRewardBp: riskRewardBp, atrPpm: Self.unsigned(atrFraction * 1_000_000),
                      stopDistancePpm: stopPpm, strategies: slots, analysis: analysis,
                      agreementBp: UInt16(Self.basisPoints(agreement)))
    }

    /// x in [−1, 1] as basis points (x outside is clamped).
    @inlinable
    static func basisPoints(_ x: Double) -> Int16 { Int16(clamp((x * 10_000).rounded(), -10_000, 10_000)) }

    @inlinable
    static func unsigned(_ x: Double) -> UInt32 {
        guard x.isFinite, x > 0 else { return 0 }
        return x >= Double(UInt32.max) ? UInt32.max : UInt32(x.rounded())
    }

    /// Zero (not provided) when the value does not fit.
    @inlinable
    static func price(_ raw: Double, _ rule: FloatingPointRoundingRule) -> Price {
        let r = raw.rounded(rule)
        guard r.isFinite, r > -9.2e18, r < 9.2e18 else { return .zero }
        return Price(raw: Int64(r))
    }
}
