/// Accounts, positions and the margin arithmetic of Binance USD-M one-way mode.

/// Index of an account in the exchange (stable for its lifetime).
struct SimAccountID: Hashable, Comparable, Sendable, CustomStringConvertible {
    let rawValue: Int
    init(rawValue: Int) { self.rawValue = rawValue }
    static func < (a: SimAccountID, b: SimAccountID) -> Bool { a.rawValue < b.rawValue }
    var description: String { "acct\(rawValue)" }
}

/// One symbol's position of one account (one-way mode: a single signed amount, side "BOTH").
struct SimPositionState: Sendable {
    /// Signed: > 0 long, < 0 short.
    var amount: SimDecimal = .zero
    var entryPrice: SimDecimal = .zero
    /// Fees paid opening the current position (for the break-even price).
    var openFees: SimDecimal = .zero
    /// Σ realized PnL of this position's symbol (ACCOUNT_UPDATE `cr`).
    var accumulatedRealized: SimDecimal = .zero
    var leverage: Int
    var isolated: Bool = false
    /// Margin set aside for an isolated position (moves from the cross wallet as it opens).
    var isolatedWallet: SimDecimal = .zero
    var updateTime: Int64 = 0

    /// Entry adjusted by the fees already paid: the price at which closing breaks even.
    var breakEvenPrice: SimDecimal {
        guard !amount.isZero else { return .zero }
        return entryPrice + openFees / amount
    }
}

struct SimAccountState {
    var spec: SimAccountSpec
    /// Total USDT wallet (cross wallet + every isolated wallet).
    var wallet: SimDecimal
    var positions: [String: SimPositionState] = [:]
    /// MARGIN_CALL is sent once per crossing of the threshold.
    var marginCallArmed = true
    var updateTime: Int64 = 0
}

/// ACCOUNT_UPDATE `B` entry.
struct SimBalanceUpdate: Equatable, Sendable {
    var asset: String
    var walletBalance: SimDecimal
    var crossWalletBalance: SimDecimal
    var balanceChange: SimDecimal
}

/// ACCOUNT_UPDATE `P` entry.
struct SimPositionUpdate: Equatable, Sendable {
    var symbol: String
    var positionAmt: SimDecimal
    var entryPrice: SimDecimal
    var breakEvenPrice: SimDecimal
    var accumulatedRealized: SimDecimal
    var unrealizedPnl: SimDecimal
    /// "cross" or "isolated".
    var marginType: String
    var isolatedWallet: SimDecimal
    var positionSide: String = "BOTH"
}

/// MARGIN_CALL `p` entry.
struct SimMarginCallPosition: Equatable, Sendable {
    var symbol: String
    var positionSide: String = "BOTH"
    var positionAmt: SimDecimal
    var marginType: String
    var isolatedWallet: SimDecimal
    var markPrice: SimDecimal
    var unrealizedPnl: SimDecimal
    var maintMargin: SimDecimal
}

/// One position as `positionRisk` / `account` show it.
struct SimPositionSnapshot: Equatable, Sendable {
    var symbol: String
    var positionAmt: SimDecimal
    var entryPrice: SimDecimal
    var breakEvenPrice: SimDecimal
    var markPrice: SimDecimal
    var unRealizedProfit: SimDecimal
    /// 0 when the position cannot be liquidated (or is flat), as Binance prints it.
    var liquidationPrice: SimDecimal
    var leverage: Int
    var maxNotionalValue: SimDecimal
    /// "cross" or "isolated".
    var marginType: String
    var isolated: Bool
    var isolatedMargin: SimDecimal
    var isolatedWallet: SimDecimal
    var notional: SimDecimal
    var initialMargin: SimDecimal
    var positionInitialMargin: SimDecimal
    var openOrderInitialMargin: SimDecimal
    var maintMargin: SimDecimal
    var bidNotional: SimDecimal
    var askNotional: SimDecimal
    var positionSide: String = "BOTH"
    var isAutoAddMargin: Bool = false
    var updateTime: Int64
}

/// One asset row of `account` / `balance`.
struct SimBalanceSnapshot: Equatable, Sendable {
    var asset: String
    var walletBalance: SimDecimal
    var unrealizedProfit: SimDecimal
    var marginBalance: SimDecimal
    var maintMargin: SimDecimal
    var initialMargin: SimDecimal
    var positionInitialMargin: SimDecimal
    var openOrderInitialMargin: SimDecimal
    var crossWalletBalance: SimDecimal
    var crossUnPnl: SimDecimal
    var availableBalance: SimDecimal
    var maxWithdrawAmount: SimDecimal
    var marginAvailable: Bool = true
    var updateTime: Int64
}

/// `GET /fapi/v2|v3/account`. `positions` lists every symbol in exchange order (v3 shows only
/// non-zero ones: filter on `positionAmt`).
struct SimAccountSnapshot: Equatable, Sendable {
    var totalWalletBalance: SimDecimal
    var totalUnrealizedProfit: SimDecimal
    var totalMarginBalance: SimDecimal
    var totalInitialMargin: SimDecimal
    var totalMaintMargin: SimDecimal
    var totalPositionInitialMargin: SimDecimal
    var totalOpenOrderInitialMargin: SimDecimal
    var totalCrossWalletBalance: SimDecimal
    var totalCrossUnPnl: SimDecimal
    var availableBalance: SimDecimal
    var maxWithdrawAmount: SimDecimal
    var assets: [SimBalanceSnapshot]
    var positions: [SimPositionSnapshot]
    var updateTime: Int64
}

/// The audit trail: every fill, funding payment and liquidation, in order.
struct LedgerEntry: Equatable, Sendable {
    enum Kind: String, Sendable {
        case fill = "TRADE", funding = "FUNDING_FEE", liquidation = "LIQUIDATION"
    }
    var kind: Kind
    var account: SimAccountID
    var symbol: String
    var side: SimSide?
    var price: SimDecimal
    var qty: SimDecimal
    /// Commission paid (fills), clearance fee (liquidations); ≥ 0 is a cost.
    var fee: SimDecimal
    var realizedPnl: SimDecimal
    /// Funding: the account's income (negative when it paid).
    var fundingAmount: SimDecimal = .zero
    var fundingRate: SimDecimal = .zero
    var tradeId: Int64?
    var orderId: Int64?
    var timeMs: Int64
}

/// Liquidation price of a one-way position, by Binance's documented formula
///
///     LP = (WB − TMM₁ + UPNL₁ + cum − side·|q|·EP) / (|q|·MMR − side·|q|)
///
/// WB: wallet balance backing the position (isolated: its isolated wallet; cross: the cross
/// wallet), TMM₁/UPNL₁: maintenance margin and unrealized PnL of the account's *other* cross
/// positions (0 for isolated), side = +1 long / −1 short. The bracket (MMR, cum) is the one
/// containing the notional at the liquidation price itself, so each bracket is tried and the
/// consistent one kept. Returns 0 when there is no positive solution (cannot be liquidated).
func simLiquidationPrice(walletBalance wb: SimDecimal, otherMaint: SimDecimal, otherUnPnl: SimDecimal,
                         amount: SimDecimal, entryPrice: SimDecimal, brackets: [LeverageBracket]) -> SimDecimal
{
    guard !amount.isZero else { return .zero }
    let q = amount.abs
    let side = SimDecimal(Int(amount.signum))
    var fallback: SimDecimal?
    for b in brackets {
        let num = wb - otherMaint + otherUnPnl + b.cum - side * q * entryPrice
        let den = q * b.maintMarginRatio - side * q
        guard !den.isZero else { continue }
        let lp = num / den
        if fallback == nil { fallback = lp }
        let notional = q * lp
        if notional >= b.notionalFloor && notional < b.notionalCap {
            return lp.isPositive ? lp : .zero
        }
    }
    let lp = fallback ?? .zero
    return lp.isPositive ? lp : .zero
}
