import TicklineCore

// Text for the control plane, the CLI and logs: off the hot path (plain `String`, which
// allocates; no Foundation). The names are also the reference script's.

extension SignalDirection {
    /// "long", "short" or "neutral".
    public var name: String {
        switch self {
        case .long: return "long"
        case .short: return "short"
        case .flat: return "neutral"
        }
    }
}

extension SignalReason {
    public var name: String {
        switch self {
        case .none: return "none"
        case .confirmed: return "confirmed"
        case .noOpinion: return "noOpinion"
        case .lowConfidence: return "lowConfidence"
        case .conflict: return "conflict"
        case .counterTrend: return "counterTrend"
        case .noRange: return "noRange"
        }
    }
}

extension StrategySlot {
    public var name: String {
        switch self {
        case .rsi: return "rsi"
        case .macd: return "macd"
        case .bollinger: return "bollinger"
        case .trend: return "trend"
        case .volume: return "volume"
        case .model1: return "model1"
        case .model2: return "model2"
        case .advisor: return "advisor"
        }
    }
}

extension StrategyReason {
    public var name: String {
        switch self {
        case .none: return "none"
        case .rsiNeutral: return "rsiNeutral"
        case .rsiOversold: return "rsiOversold"
        case .rsiOverbought: return "rsiOverbought"
        case .macdNoRange: return "macdNoRange"
        case .macdBullishCross: return "macdBullishCross"
        case .macdBearishCross: return "macdBearishCross"
        case .macdAboveSignal: return "macdAboveSignal"
        case .macdBelowSignal: return "macdBelowSignal"
        case .macdFlat: return "macdFlat"
        case .bandsFlat: return "bandsFlat"
        case .insideBands: return "insideBands"
        case .breakoutUp: return "breakoutUp"
        case .breakoutDown: return "breakoutDown"
        case .reversionFromUpper: return "reversionFromUpper"
        case .reversionFromLower: return "reversionFromLower"
        case .trendNoRange: return "trendNoRange"
        case .trendUp: return "trendUp"
        case .trendDown: return "trendDown"
        case .trendSideways: return "trendSideways"
        case .volumeUnconfirmed: return "volumeUnconfirmed"
        case .volumeConfirmsUp: return "volumeConfirmsUp"
        case .volumeConfirmsDown: return "volumeConfirmsDown"
        case .volumeNoDirection: return "volumeNoDirection"
        }
    }
}

extension MarketTrend {
    public var name: String {
        switch self {
        case .unknown: return "unknown"
        case .strongDown: return "strongDown"
        case .down: return "down"
        case .sideways: return "sideways"
        case .up: return "up"
        case .strongUp: return "strongUp"
        }
    }
}

extension VolatilityRegime {
    public var name: String {
        switch self {
        case .unknown: return "unknown"
        case .low: return "low"
        case .normal: return "normal"
        case .high: return "high"
        case .extreme: return "extreme"
        }
    }
}

extension VolumeState {
    public var name: String {
        switch self {
        case .unknown: return "unknown"
        case .low: return "low"
        case .normal: return "normal"
        case .high: return "high"
        case .spike: return "spike"
        }
    }
}

extension Signal {
    /// The combiner's reason, if the code is one of `SignalReason`'s.
    public var reason: SignalReason? { SignalReason(rawValue: reasonCode) }

    /// One line for people, e.g.
    /// `long 5m conf 0.4213 score +0.4213 agree 1.0000 entry 16823.8 SL 16800.1 TP 16871.0 RR 2.0000
    ///  | ATR 0.1505% stop 0.2258% | trend strongUp, volatility normal, volume high | confirmed
    ///  | rsi +0.5000 rsiOversold, macd …`. The symbol is left to the caller (it has the table).
    public func rendered(priceScale: DecimalScale) -> String {
        var s = direction.name + " " + interval.name
        s += " conf " + Self.decimal(Int64(confidenceBp), places: 4)
        s += " score " + Self.signed(Int64(scoreBp), places: 4)
        s += " agree " + Self.decimal(Int64(agreementBp), places: 4)
        s += " entry " + entryPrice.description(scale: priceScale)
        if direction != .flat {
            s += " SL " + stopLoss.description(scale: priceScale) + " TP " + takeProfit.description(scale: priceScale)
            s += " RR " + Self.decimal(Int64(riskRewardBp), places: 4)
        }
        s += " | ATR " + Self.decimal(Int64(atrPpm), places: 4) + "%"
        if direction != .flat { s += " stop " + Self.decimal(Int64(stopDistancePpm), places: 4) + "%" }
        s += " | trend " + analysis.trend.name + ", volatility " + analysis.volatility.name
        s += ", volume " + analysis.volume.name
        s += " | " + (reason?.name ?? "reason \(reasonCode)")
        var first = true
        for i in 0..<StrategyScoresBp.count where strategies.isPresent(i) {
            s += first ? " | " : ", "
            first = false
            let code = strategies.reasonCode(i)
            s += StrategySlot(rawValue: i)!.name + " " + Self.signed(Int64(strategies.scoreBp(i)), places: 4) + " "
            s += StrategyReason(rawValue: code)?.name ?? "reason \(code)"
        }
        return s
    }

    /// value / 10^places with exactly `places` digits, from integers (no floating point).
    static func decimal(_ value: Int64, places: Int) -> String {
        var divisor: Int64 = 1
        for _ in 0..<places { divisor *= 10 }
        let magnitude = value.magnitude
        var fraction = String(magnitude % UInt64(divisor))
        while fraction.count < places { fraction = "0" + fraction }
        return (value < 0 ? "-" : "") + String(magnitude / UInt64(divisor)) + (places > 0 ? "." + fraction : "")
    }

    static func signed(_ value: Int64, places: Int) -> String {
        (value >= 0 ? "+" : "") + decimal(value, places: places)
    }
}
