import TicklineCore
import TicklineRisk

/// What the risk stage builds its `RiskEngine` from: accounts, symbol rules, the starting wallet
/// balances and the engine's switches.
///
/// The default (`paper(symbols:)`, the synthetic pipeline's) is one paper account, id 0 (the
/// engine requires dense ids 0, 1, 2, …), crossed, 2 % / 3 % fallback stop-loss / take-profit,
/// 0.04 % taker fee, taking signals of any confidence and risk-reward at 0.1 % risk per trade and
/// leverage 50 — the synthetic source exists to exercise and measure the whole path to the order
/// (its 1-second candles make ATR stops very tight, so positions are large), not to judge the
/// strategies — a wallet
/// of 10 000 USDT (the simulator's demo account) and rules derived from the symbol table's
/// scales. A venue run builds its configuration from `[[accounts]]` and exchangeInfo instead.
public struct RiskStageConfiguration: Sendable {
    /// Default `MIN_NOTIONAL` when no exchange filters are known: 5 USDT (Binance USDⓈ-M's usual
    /// minimum for most symbols), at `RiskEngine.moneyScale`.
    public static let defaultMinNotional = Price(raw: 5 * 100_000_000)
    /// Default position cap: none (zero). The account's margin and risk-per-trade bound the size.
    public static let defaultMaxPositionNotional = Price.zero
    /// Default paper wallet: 10 000 USDT, at `RiskEngine.moneyScale`.
    public static let defaultWalletBalance = Price(raw: 10_000 * 100_000_000)

    public var accounts: [AccountSettings]
    public var symbols: [SymbolRules]
    /// Starting wallet balance per account (index = account id), quote at 8 places; missing
    /// entries start at zero.
    public var walletBalances: [Price]
    public var globalTradingEnabled: Bool
    public var positionUpdateIntervalNs: UInt64
    /// Portfolio snapshots to the journal this often (`[trading] snapshot_interval_ms`; 15 min by
    /// default); 0 disables them.
    public var snapshotIntervalNs: UInt64
    /// Whether risk sends the exchange-side STOP_MARKET / TAKE_PROFIT_MARKET safety net after an
    /// entry fill. Off for paper trading: the pass-through order stage has no venue to hold them.
    public var exchangeProtectiveOrders: Bool
    /// Positions found on the venue at start-up, taken over before trading starts.
    public var adoptedPositions: [AdoptedPosition] = []
    /// Where risk's order ids start: past anything sent before (the start time in ms, which a
    /// restart always exceeds), so wire ids stay unique across restarts.
    public var firstClientOrderID: UInt64 = 1
    /// Where position ids start (the same rule: past those of earlier runs).
    public var firstPositionID: UInt64 = 1

    public init(accounts: [AccountSettings], symbols: [SymbolRules], walletBalances: [Price] = [],
                globalTradingEnabled: Bool = true,
                positionUpdateIntervalNs: UInt64 = RiskEngine.defaultPositionUpdateIntervalNs,
                snapshotIntervalNs: UInt64 = RiskEngine.defaultSnapshotIntervalNs,
                exchangeProtectiveOrders: Bool = true) {
        self.accounts = accounts
        self.symbols = symbols
        self.walletBalances = walletBalances
        self.globalTradingEnabled = globalTradingEnabled
        self.positionUpdateIntervalNs = positionUpdateIntervalNs
        self.snapshotIntervalNs = snapshotIntervalNs
        self.exchangeProtectiveOrders = exchangeProtectiveOrders
    }

    /// Rules for every symbol of `table`: tick and step one unit of its price and quantity scales,
    /// `minNotional`, `maxPositionNotional`.
    public static func derivedRules(_ table: SymbolTable, minNotional: Price = defaultMinNotional,
                                    maxPositionNotional: Price = defaultMaxPositionNotional) -> [SymbolRules] {
        (0..<table.count).map { i in
            let id = SymbolID(UInt16(i))
            let e = table[id]
            return SymbolRules(symbol: id, priceScale: e.priceScale, quantityScale: e.quantityScale,
                               tickSize: Price(raw: 1), stepSize: Quantity(raw: 1), minNotional: minNotional,
                               maxPositionNotional: maxPositionNotional)
        }
    }

    /// One paper account (id 0, default settings, 10 000 USDT), rules derived from `table`, no
    /// exchange-side protective orders.
    public static func paper(symbols table: SymbolTable, wallet: Price = defaultWalletBalance) -> RiskStageConfiguration {
        RiskStageConfiguration(accounts: [AccountSettings(id: AccountID(0))], symbols: derivedRules(table),
                               walletBalances: [wallet], exchangeProtectiveOrders: false)
    }

    /// The synthetic pipeline's account (`tickline bench pipeline --source synthetic`, `run --venue
    /// synthetic`): like `paper`, but it takes signals of any confidence and risk-reward, at 0.1 %
    /// risk per trade and leverage 50. The synthetic source exists to exercise and measure the
    /// whole path to the order, not to judge the strategies, and its 1-second candles make ATR
    /// stops very tight (so positions are large for their risk).
    public static func synthetic(symbols table: SymbolTable, wallet: Price = defaultWalletBalance) -> RiskStageConfiguration {
        RiskStageConfiguration(accounts: [AccountSettings(id: AccountID(0), leverage: 50, riskPerTradeBp: 10,
                                                          minConfidenceBp: 0, minRiskRewardBp: 0)],
                               symbols: derivedRules(table), walletBalances: [wallet], exchangeProtectiveOrders: false)
    }
}

/// A position the start-up sequence found on the venue (`positionRisk`).
public struct AdoptedPosition: Sendable, Equatable {
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    public var quantity: Quantity
    public var entryPrice: Price

    public init(account: AccountID, symbol: SymbolID, side: Side, quantity: Quantity, entryPrice: Price) {
        self.account = account
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.entryPrice = entryPrice
    }
}
