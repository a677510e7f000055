import TicklineCore

/// How the venue backs an account's positions with margin (Binance `marginType`).
public enum MarginType: UInt8, Sendable, BitwiseCopyable {
    /// Each position has its own margin (notional at entry ÷ leverage) set aside from the wallet.
    case isolated = 1
    /// All positions share the wallet; unrealized PnL counts toward available margin.
    case crossed
}

/// The price risk marks an account's positions to, checks SL/TP against and computes margin from.
///
/// It should match the `workingType` of the exchange-side protective orders (`CONTRACT_PRICE` is
/// the last trade, `MARK_PRICE` the mark price), so the engine's own checks and the venue's safety
/// net fire on the same price.
public enum MarkingSource: UInt8, Sendable, BitwiseCopyable {
    case lastTrade = 1
    case markPrice
}

/// One trading account's risk configuration (the `[[accounts]]` table of `tickline.toml`, minus the
/// credentials, which never reach the data plane).
///
/// Percentages are integers so that comparisons with the signal's basis-point fields are exact:
/// `…Bp` in basis points (1 bp = 0.01 %), fees in parts per million.
public struct AccountSettings: Sendable, Equatable {
    /// Dense, in configuration order: account `i` has id `i`.
    public var id: AccountID
    /// The account's trading switch at start-up; flipped at run time by `Command.setAccountTrading`.
    public var tradingEnabled: Bool
    /// 1...125 (Binance's range; the venue may cap a symbol lower). Default 10.
    public var leverage: Int
    public var marginType: MarginType
    /// Positions open or opening at once. Default 10.
    public var maxOpenPositions: Int
    /// Equity put at risk per trade (the loss if the stop-loss is hit), 1...10_000 bp. Default 100 (1 %).
    public var riskPerTradeBp: Int
    /// Minimum signal confidence, 0...10_000 bp. Default 7_000 (0.70).
    public var minConfidenceBp: Int
    /// Minimum risk-reward when the signal states one, in 1e-4 (15_000 = 1.5). Default 15_000.
    public var minRiskRewardBp: Int
    /// Stop-loss and take-profit distances from the entry when the signal gives no levels, in bp
    /// of the entry price. Defaults 200 (2 %) and 300 (3 %), a risk-reward of 1.5.
    public var stopLossFallbackBp: Int
    public var takeProfitFallbackBp: Int
    public var markingSource: MarkingSource
    /// Taker commission rate, parts per million of the notional. Default 400 (0.04 %, Binance's
    /// VIP 0 USDⓈ-M taker rate and the simulator's default).
    public var takerFeePpm: Int

    public init(id: AccountID, tradingEnabled: Bool = true, leverage: Int = 10, marginType: MarginType = .crossed,
                maxOpenPositions: Int = 10, riskPerTradeBp: Int = 100, minConfidenceBp: Int = 7_000,
                minRiskRewardBp: Int = 15_000, stopLossFallbackBp: Int = 200, takeProfitFallbackBp: Int = 300,
                markingSource: MarkingSource = .lastTrade, takerFeePpm: Int = 400) {
        self.id = id
        self.tradingEnabled = tradingEnabled
        self.leverage = leverage
        self.marginType = marginType
        self.maxOpenPositions = maxOpenPositions
        self.riskPerTradeBp = riskPerTradeBp
        self.minConfidenceBp = minConfidenceBp
        self.minRiskRewardBp = minRiskRewardBp
        self.stopLossFallbackBp = stopLossFallbackBp
        self.takeProfitFallbackBp = takeProfitFallbackBp
        self.markingSource = markingSource
        self.takerFeePpm = takerFeePpm
    }

    /// Throws the first out-of-range value, naming its key as `tickline.toml` spells it.
    public func validate() throws(RiskConfigurationError) {
        func check(_ ok: Bool, _ key: String, _ value: Int) throws(RiskConfigurationError) {
            if !ok { throw .outOfRange(account: id.rawValue, key: key, value: value) }
        }
        try check((1...125).contains(leverage), "leverage", leverage)
        try check(maxOpenPositions >= 1, "max_open_positions", maxOpenPositions)
        try check((1...10_000).contains(riskPerTradeBp), "risk_per_trade_bp", riskPerTradeBp)
        try check((0...10_000).contains(minConfidenceBp), "min_confidence_bp", minConfidenceBp)
        try check(minRiskRewardBp >= 0, "min_risk_reward_bp", minRiskRewardBp)
        try check((1...9_999).contains(stopLossFallbackBp), "stop_loss_fallback_bp", stopLossFallbackBp)
        try check((1...9_999).contains(takeProfitFallbackBp), "take_profit_fallback_bp", takeProfitFallbackBp)
        try check((0...100_000).contains(takerFeePpm), "taker_fee_ppm", takerFeePpm)
    }
}

/// A configuration the risk engine cannot start with.
public enum RiskConfigurationError: Error, Equatable, CustomStringConvertible {
    case outOfRange(account: UInt16, key: String, value: Int)
    /// Account settings must be listed with ids 0, 1, 2, … in order.
    case accountIDsNotDense(position: Int, id: UInt16)
    case duplicateSymbol(UInt16)
    case noAccounts

    public var description: String {
        switch self {
        case .outOfRange(let a, let key, let value): return "account \(a): \(key) = \(value) is out of range"
        case .accountIDsNotDense(let p, let id): return "account #\(p) has id \(id); ids must be 0, 1, 2, … in order"
        case .duplicateSymbol(let s): return "symbol id \(s) has two rule sets"
        case .noAccounts: return "no accounts configured"
        }
    }
}
