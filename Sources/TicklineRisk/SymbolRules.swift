import TicklineCore

/// What risk needs to know about a symbol to size and price orders: the venue's filters from
/// `GET /fapi/v1/exchangeInfo` (`PRICE_FILTER.tickSize`, `LOT_SIZE.stepSize`, `MIN_NOTIONAL.notional`,
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/common-definition) and
/// the configured position cap.
///
/// Quote amounts (`minNotional`, `maxPositionNotional`) are at `RiskEngine.moneyScale` (8 places),
/// prices at `priceScale`, quantities at `quantityScale`.
public struct SymbolRules: Sendable, Equatable {
    public var symbol: SymbolID
    public var priceScale: DecimalScale
    public var quantityScale: DecimalScale
    public var tickSize: Price
    public var stepSize: Quantity
    public var minNotional: Price
    /// Largest position, in base units; zero means no limit.
    public var maxPositionQuantity: Quantity
    /// Largest position notional at entry, 8 places; zero means no limit.
    public var maxPositionNotional: Price

    public init(symbol: SymbolID, priceScale: DecimalScale, quantityScale: DecimalScale, tickSize: Price,
                stepSize: Quantity, minNotional: Price, maxPositionQuantity: Quantity = .zero,
                maxPositionNotional: Price = .zero) {
        precondition(tickSize.raw > 0 && stepSize.raw > 0, "tick and step sizes must be positive")
        self.symbol = symbol
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        self.tickSize = tickSize
        self.stepSize = stepSize
        self.minNotional = minNotional
        self.maxPositionQuantity = maxPositionQuantity
        self.maxPositionNotional = maxPositionNotional
    }

    /// From the exchange's texts: scales come from the increments as written ("0.10" → 2 places),
    /// as `SymbolTable` and the parsers derive them. Nil if a text does not parse exactly.
    public init?(symbol: SymbolID, tickSize: String, stepSize: String, minNotional: String,
                 maxPositionQuantity: String? = nil, maxPositionNotional: String? = nil) {
        guard let ps = DecimalScale(ofIncrement: tickSize), let qs = DecimalScale(ofIncrement: stepSize),
            let tick = Price(tickSize, scale: ps), let step = Quantity(stepSize, scale: qs),
            let minN = Price(minNotional, scale: RiskEngine.moneyScale)
        else { return nil }
        var maxQ = Quantity.zero
        if let text = maxPositionQuantity {
            guard let q = Quantity(text, scale: qs) else { return nil }
            maxQ = q
        }
        var maxN = Price.zero
        if let text = maxPositionNotional {
            guard let n = Price(text, scale: RiskEngine.moneyScale) else { return nil }
            maxN = n
        }
        self.init(symbol: symbol, priceScale: ps, quantityScale: qs, tickSize: tick, stepSize: step, minNotional: minN,
                  maxPositionQuantity: maxQ, maxPositionNotional: maxN)
    }
}
