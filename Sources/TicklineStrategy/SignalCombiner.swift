import TicklineCore
import TicklineIndicators

/// Turns the slot scores of one candle close into a direction, a confidence and levels.
///
/// Over the enabled slots with weight w > 0, in slot order:
///
///     score      S = Σ wᵢ·sᵢ / Σ wᵢ                      in [−1, 1]
///     confidence C = |S|                                 in [0, 1]
///     bullish    B = Σ_{sᵢ>0} wᵢ·sᵢ,  bearish  R = Σ_{sᵢ<0} wᵢ·(−sᵢ)
///     agreement  A = |B − R| / (B + R)                   (0 when B + R = 0)
///
/// The first rule that applies decides (`SignalReason`):
///
/// 1. S = 0 → Neutral, `noOpinion`.
/// 2. C < `minConfidence` → Neutral, `lowConfidence`.
/// 3. A < `minAgreement` → Neutral, `conflict`: the strategies disagree (with 0.5 the losing side
///    may weigh at most a third of the winning one).
/// 4. the trend slot is enabled and S > 0 with trend score t ≤ −`counterTrendVeto`, or S < 0 with
///    t ≥ `counterTrendVeto` → Neutral, `counterTrend` (nil turns the veto off).
/// 5. ATR = 0 → Neutral, `noRange` (no stop distance to trade with).
/// 6. otherwise Long (S > 0) or Short, `confirmed`.
///
/// Levels (Long/Short only; Neutral has none): entry E = the trading candle's close,
/// Long: SL = E − `stopATR`·ATR, TP = E + `takeProfitATR`·ATR; Short mirrored. Risk assessment:
/// risk-reward = |TP − E| / |E − SL|, ATR fraction = ATR / E, stop distance = |E − SL| / E.
/// Analysis: `MarketTrend` from t (the trend filter's levels), `VolatilityRegime` from the ATR
/// fraction, `VolumeState` from the volume ratio.
///
/// No signal at all (nil) while the trading ATR or any enabled slot's score is missing: before
/// warm-up there is nothing to say, not a Neutral.
///
/// ## Performance
/// Scalars and fixed-size values only: no allocation, no dynamic dispatch.
@frozen
public struct SignalCombiner: Sendable, BitwiseCopyable, Equatable {
    public var weights = StrategyWeights()
    /// Default 0.3.
    public var minConfidence = 0.3
    /// Default 0.5.
    public var minAgreement = 0.5
    /// Trend score against the direction at which the signal is vetoed; nil: no veto. Default 0.25
    /// (the trend filter's sideways band: trades against a sideways 4h trend are allowed).
    public var counterTrendVeto: Double? = 0.25
    /// Stop-loss distance in ATRs. Default 1.5.
    public var stopATR = 1.5
    /// Take-profit distance in ATRs. Default 3.
    public var takeProfitATR = 3.0
    /// ATR ÷ price below which volatility is low; then below `highVolatility` normal, below
    /// `extremeVolatility` high, else extreme. Defaults 0.001, 0.003, 0.006.
    public var lowVolatility = 0.001
    public var highVolatility = 0.003
    public var extremeVolatility = 0.006
    /// Volume ratio below which volume is low (`VolumeState.low`); `high` from the volume
    /// confirmation's confirm ratio, `spike` from its full ratio. Default 0.5.
    public var lowVolumeRatio = 0.5

    @inlinable public init() {}

    @inlinable
    public func combine(_ scores: StrategyScores, input: StrategyInput, configuration: StrategyConfiguration)
        -> SignalEvaluation?
    {
        let c = input.current
        guard c.ready.contains(.atr) else { return nil }
        var total = 0.0, weighted = 0.0, bullish = 0.0, bearish = 0.0
        var i = 0
        while i < StrategyScoresBp.count {
            let slot = StrategySlot(rawValue: i).unsafelyUnwrapped
            i &+= 1
            guard configuration.enabled.contains(slot) else { continue }
            guard let s = scores[slot] else { return nil }
            let w = weights[slot]
            guard w > 0 else { continue }
            total += w
            weighted += w * s.value
            if s.value > 0 { bullish += w * s.value } else if s.value < 0 { bearish += w * -s.value }
        }
        guard total > 0 else { return nil }
        let score = weighted / total
        let confidence = abs(score)
        let agreement = bullish + bearish > 0 ? abs(bullish - bearish) / (bullish + bearish) : 0
        let trendScore = configuration.enabled.contains(.trend) ? scores.trend?.value : nil
        let atr = c.values.atr
        let direction: SignalDirection
        let reason: SignalReason
        if score == 0 {
            (direction, reason) = (.flat, .noOpinion)
        } else if confidence < minConfidence {
            (direction, reason) = (.flat, .lowConfidence)
        } else if agreement < minAgreement {
            (direction, reason) = (.flat, .conflict)
        } else if let t = trendScore, let veto = counterTrendVeto, score > 0 ? t <= -veto : t >= veto {
            (direction, reason) = (.flat, .counterTrend)
        } else if !(atr > 0) {
            (direction, reason) = (.flat, .noRange)
        } else {
            (direction, reason) = (score > 0 ? .long : .short, .confirmed)
        }

        var e = SignalEvaluation(candleOpenTimeMs: c.openTimeMs, direction: direction, reason: reason, score: score,
                                 confidence: confidence, agreement: agreement, entry: c.close, strategies: scores)
        switch direction {
        case .long:
            e.stopLoss = e.entry - stopATR * atr
            e.takeProfit = e.entry + takeProfitATR * atr
        case .short:
            e.stopLoss = e.entry + stopATR * atr
            e.takeProfit = e.entry - takeProfitATR * atr
        case .flat:
            break
        }
        if direction != .flat {
            let risk = abs(e.entry - e.stopLoss)
            e.riskReward = abs(e.takeProfit - e.entry) / risk
            e.stopDistanceFraction = risk / e.entry
        }
        e.atrFraction = atr / e.entry
        e.analysis = MarketAnalysis(trend: marketTrend(trendScore, configuration.trend),
                                    volatility: volatilityRegime(e.atrFraction),
                                    volume: c.ready.contains(.volume)
                                        ? volumeState(c.values.volumeRatio, configuration.volume) : .unknown)
        return e
    }

    @inlinable
    func marketTrend(_ t: Double?, _ filter: EMATrendFilter) -> MarketTrend {
        guard let t else { return .unknown }
        if t >= filter.strongLevel { return .strongUp }
        if t >= filter.sidewaysBand { return .up }
        if t <= -filter.strongLevel { return .strongDown }
        if t <= -filter.sidewaysBand { return .down }
        return .sideways
    }

    @inlinable
    func volatilityRegime(_ atrFraction: Double) -> VolatilityRegime {
        if atrFraction < lowVolatility { return .low }
        if atrFraction < highVolatility { return .normal }
        if atrFraction < extremeVolatility { return .high }
        return .extreme
    }

    @inlinable
    func volumeState(_ ratio: Double, _ volume: VolumeConfirmation) -> VolumeState {
        if ratio < lowVolumeRatio { return .low }
        if ratio < volume.confirmRatio { return .normal }
        if ratio < volume.fullRatio { return .high }
        return .spike
    }

    public var problem: String? {
        for i in 0..<StrategyScoresBp.count {
            let w = weights[StrategySlot(rawValue: i)!]
            if !(w.isFinite && w >= 0) { return "strategy weights must be finite and ≥ 0" }
        }
        guard minConfidence.isFinite, 0 <= minConfidence, minConfidence <= 1 else { return "min confidence must be in 0...1" }
        guard minAgreement.isFinite, 0 <= minAgreement, minAgreement <= 1 else { return "min agreement must be in 0...1" }
        if let v = counterTrendVeto, !(v.isFinite && 0 <= v && v <= 1) { return "counter-trend veto must be in 0...1" }
        guard stopATR.isFinite, stopATR > 0, takeProfitATR.isFinite, takeProfitATR > 0 else {
            return "stop and take-profit distances must be > 0 ATR"
        }
        guard lowVolatility.isFinite, highVolatility.isFinite, extremeVolatility.isFinite,
              0 <= lowVolatility, lowVolatility <= highVolatility, highVolatility <= extremeVolatility else {
            return "volatility thresholds must satisfy 0 ≤ low ≤ high ≤ extreme"
        }
        guard lowVolumeRatio.isFinite, lowVolumeRatio >= 0 else { return "low volume ratio must be ≥ 0" }
        return nil
    }
}

/// Why the combiner decided as it did: `Signal.reasonCode`.
public enum SignalReason: UInt32, Sendable, BitwiseCopyable, CaseIterable {
    case none = 0
    /// Long or Short: confident, one-sided and not against the trend.
    case confirmed = 1
    /// Neutral: the net score is exactly 0.
    case noOpinion = 2
    /// Neutral: confidence below `minConfidence`.
    case lowConfidence = 3
    /// Neutral: agreement below `minAgreement`.
    case conflict = 4
    /// Neutral: against the 4h trend.
    case counterTrend = 5
    /// Neutral: the ATR is 0, so no stop can be placed.
    case noRange = 6
}
