// The CSV form of evaluations, shared by `tickline signals --csv` and the reference script's
// output (scripts/strategy_reference.py writes the same columns). Off the hot path.

extension SignalEvaluation {
    public static let csvHeader =
        "open_time_ms,direction,score,confidence,agreement,entry,stop_loss,take_profit,risk_reward,atr_fraction,"
        + "stop_distance_fraction,trend,volatility,volume,reason,rsi,rsi_reason,macd,macd_reason,bollinger,"
        + "bollinger_reason,trend_score,trend_reason,volume_score,volume_reason"

    /// One row (no newline): numbers in Swift's shortest round-trip form, names as rendered; an
    /// empty score and reason for a rule slot without a score.
    public var csvRow: String {
        var s = String(candleOpenTimeMs) + "," + direction.name
        for x in [score, confidence, agreement, entry, stopLoss, takeProfit, riskReward, atrFraction,
                  stopDistanceFraction] {
            s += "," + String(x)
        }
        s += "," + analysis.trend.name + "," + analysis.volatility.name + "," + analysis.volume.name + "," + reason.name
        for slot in StrategySlot.rules {
            if let score = strategies[slot] {
                s += "," + String(score.value) + "," + score.reason.name
            } else {
                s += ",,"
            }
        }
        return s
    }
}
