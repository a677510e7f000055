/// One row of `GET /fapi/v1/leverageBracket`: positions with notional in
/// `[notionalFloor, notionalCap)` use maintenance margin `notional × maintMarginRatio − cum`.
struct LeverageBracket: Equatable, Sendable {
    var bracket: Int
    var initialLeverage: Int
    var notionalCap: SimDecimal
    var notionalFloor: SimDecimal
    var maintMarginRatio: SimDecimal
    /// Maintenance amount, so that maintenance margin is continuous across bracket boundaries.
    var cum: SimDecimal

    /// Builds a bracket table from `(cap, leverage, mmr)` rows in ascending notional order.
    /// Floors chain from 0 and `cum_i = cum_{i−1} + floor_i × (mmr_i − mmr_{i−1})`, which is
    /// what makes the maintenance margin continuous at each floor.
    static func table(_ rows: [(cap: Int, leverage: Int, mmr: String)]) -> [LeverageBracket] {
        var out: [LeverageBracket] = []
        var floor = SimDecimal.zero
        var cum = SimDecimal.zero
        var prevMMR = SimDecimal.zero
        for (i, row) in rows.enumerated() {
            let mmr = SimDecimal(row.mmr)!
            if i > 0 { cum = cum + floor * (mmr - prevMMR) }
            out.append(LeverageBracket(bracket: i + 1, initialLeverage: row.leverage, notionalCap: SimDecimal(row.cap),
                                       notionalFloor: floor, maintMarginRatio: mmr, cum: cum))
            floor = SimDecimal(row.cap)
            prevMMR = mmr
        }
        return out
    }
}

/// A USD-M perpetual as `exchangeInfo` and the account model need it.
struct SimSymbolSpec: Equatable, Sendable {
    var symbol: String
    var baseAsset: String
    var quoteAsset: String  // "USDT"
    var pricePrecision: Int
    var quantityPrecision: Int
    var tickSize: SimDecimal
    var stepSize: SimDecimal
    var minQty: SimDecimal
    var maxQty: SimDecimal
    var marketMinQty: SimDecimal
    var marketMaxQty: SimDecimal
    var minNotional: SimDecimal
    var brackets: [LeverageBracket]
    var makerFeeRate: SimDecimal
    var takerFeeRate: SimDecimal
    var initialPrice: SimDecimal
    var fundingIntervalHours: Int = 8
    var defaultFundingRate: SimDecimal = SimDecimal("0.0001")!
    /// PRICE_FILTER bounds; orders outside are refused (and they keep products inside `Int64`).
    var minPrice: SimDecimal = SimDecimal("0.01")!
    var maxPrice: SimDecimal = SimDecimal(1_000_000)

    var maxLeverage: Int { brackets.first?.initialLeverage ?? 1 }

    /// The bracket whose `[floor, cap)` contains `notional` (the last one beyond the table).
    func bracket(forNotional notional: SimDecimal) -> LeverageBracket {
        for b in brackets where notional < b.notionalCap { return b }
        return brackets[brackets.count - 1]
    }

    /// Largest position notional allowed at `leverage`: the cap of the last bracket whose
    /// initial leverage is still ≥ `leverage` (Binance's `maxNotionalValue`).
    func maxNotional(atLeverage leverage: Int) -> SimDecimal {
        var cap = SimDecimal.zero
        for b in brackets where b.initialLeverage >= leverage { cap = Swift.max(cap, b.notionalCap) }
        return cap
    }

    /// Maintenance margin of a position of this notional: `notional × mmr − cum`.
    func maintenanceMargin(notional: SimDecimal) -> SimDecimal {
        let b = bracket(forNotional: notional)
        return notional * b.maintMarginRatio - b.cum
    }
}

/// A simulated account with its API credentials.
struct SimAccountSpec: Equatable, Sendable {
    var name: String
    var apiKey: String
    var secret: String
    var usdtBalance: SimDecimal
}

extension SimSymbolSpec {
    /// BTCUSDT with Binance's published leverage brackets (the 125× table as returned by
    /// `GET /fapi/v1/leverageBracket`; `cum` is recomputed and matches: 50, 1 300, 46 300, …).
    static let btcusdt = SimSymbolSpec(
        symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT",
        pricePrecision: 2, quantityPrecision: 3,
        tickSize: SimDecimal("0.10")!, stepSize: SimDecimal("0.001")!,
        minQty: SimDecimal("0.001")!, maxQty: SimDecimal(1000),
        marketMinQty: SimDecimal("0.001")!, marketMaxQty: SimDecimal(120),
        minNotional: SimDecimal(100),
        brackets: LeverageBracket.table([
            (50_000, 125, "0.004"),
            (250_000, 100, "0.005"),
            (3_000_000, 50, "0.01"),
            (20_000_000, 20, "0.025"),
            (40_000_000, 10, "0.05"),
            (100_000_000, 5, "0.1"),
            (120_000_000, 4, "0.125"),
            (200_000_000, 3, "0.15"),
            (300_000_000, 2, "0.25"),
            (500_000_000, 1, "0.5"),
        ]),
        makerFeeRate: SimDecimal("0.0002")!, takerFeeRate: SimDecimal("0.0004")!,
        initialPrice: SimDecimal("43250.00")!,
        minPrice: SimDecimal("556.80")!, maxPrice: SimDecimal(4_529_764))

    /// ETHUSDT with Binance's published 100× bracket table (cum 15, 365, 5 365, …).
    static let ethusdt = SimSymbolSpec(
        symbol: "ETHUSDT", baseAsset: "ETH", quoteAsset: "USDT",
        pricePrecision: 2, quantityPrecision: 3,
        tickSize: SimDecimal("0.01")!, stepSize: SimDecimal("0.001")!,
        minQty: SimDecimal("0.001")!, maxQty: SimDecimal(10_000),
        marketMinQty: SimDecimal("0.001")!, marketMaxQty: SimDecimal(2_000),
        minNotional: SimDecimal(20),
        brackets: LeverageBracket.table([
            (10_000, 100, "0.005"),
            (100_000, 75, "0.0065"),
            (500_000, 50, "0.01"),
            (1_000_000, 25, "0.02"),
            (2_000_000, 10, "0.05"),
            (5_000_000, 5, "0.1"),
            (10_000_000, 4, "0.125"),
            (20_000_000, 3, "0.15"),
            (50_000_000, 2, "0.25"),
        ]),
        makerFeeRate: SimDecimal("0.0002")!, takerFeeRate: SimDecimal("0.0004")!,
        initialPrice: SimDecimal("2300.00")!,
        minPrice: SimDecimal("39.86")!, maxPrice: SimDecimal(306_177))
}

extension SimSymbolSpec {
    /// SOLUSDT with Binance's filters (tick 0.0100, step 1, min notional 5) and a 75× bracket
    /// table in the shape of Binance's (cum recomputed); listed only when a configuration file
    /// asks for it (a third symbol for multi-position tests).
    static let solusdt = SimSymbolSpec(
        symbol: "SOLUSDT", baseAsset: "SOL", quoteAsset: "USDT",
        pricePrecision: 4, quantityPrecision: 0,
        tickSize: SimDecimal("0.0100")!, stepSize: SimDecimal(1),
        minQty: SimDecimal(1), maxQty: SimDecimal(1_000_000),
        marketMinQty: SimDecimal(1), marketMaxQty: SimDecimal(100_000),
        minNotional: SimDecimal(5),
        brackets: LeverageBracket.table([
            (5_000, 75, "0.0065"),
            (50_000, 50, "0.01"),
            (500_000, 25, "0.02"),
            (2_000_000, 10, "0.05"),
            (10_000_000, 5, "0.1"),
            (20_000_000, 4, "0.125"),
            (50_000_000, 3, "0.15"),
            (100_000_000, 2, "0.25"),
        ]),
        makerFeeRate: SimDecimal("0.0002")!, takerFeeRate: SimDecimal("0.0004")!,
        initialPrice: SimDecimal("150.0000")!,
        minPrice: SimDecimal("0.4200")!, maxPrice: SimDecimal(6_857))
}

extension SimAccountSpec {
    static let demo = SimAccountSpec(name: "demo", apiKey: "demo-key", secret: "demo-secret", usdtBalance: 10000)
}
