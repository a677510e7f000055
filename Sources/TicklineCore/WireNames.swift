/// The names the engine's own outputs use for its enums (the store's export, the control plane's
/// JSON): snake_case, stable across versions.
extension Side {
    public var wireName: String { self == .buy ? "buy" : "sell" }
}

extension CloseReason {
    /// Nil for `.none` (an open position, an entry).
    public var wireName: String? {
        switch self {
        case .none: return nil
        case .signal: return "signal"
        case .stopLoss: return "stop_loss"
        case .takeProfit: return "take_profit"
        case .marginCall: return "margin_call"
        case .manual: return "manual"
        case .liquidation: return "liquidation"
        case .reconciled: return "reconciled"
        }
    }
}

extension SignalDirection {
    public var wireName: String {
        switch self {
        case .flat: return "flat"
        case .long: return "long"
        case .short: return "short"
        }
    }
}

extension DenialReason {
    public var wireName: String {
        switch self {
        case .notDirectional: return "not_directional"
        case .lowConfidence: return "low_confidence"
        case .maxOpenPositions: return "max_open_positions"
        case .tradingDisabledGlobally: return "trading_disabled_globally"
        case .tradingDisabledForAccount: return "trading_disabled_for_account"
        case .riskRewardTooLow: return "risk_reward_too_low"
        case .insufficientMargin: return "insufficient_margin"
        case .belowMinNotional: return "below_min_notional"
        case .aboveMaxPosition: return "above_max_position"
        case .invalidStopDistance: return "invalid_stop_distance"
        case .storeDegraded: return "store_degraded"
        case .positionAlreadyOpen: return "position_already_open"
        case .noMarketPrice: return "no_market_price"
        case .symbolNotTradable: return "symbol_not_tradable"
        }
    }
}
