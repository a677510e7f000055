/// Order vocabulary, requests and records, named as Binance's USD-M API names them (the raw
/// values are the wire strings).

enum SimSide: String, Sendable, CaseIterable {
    case buy = "BUY", sell = "SELL"
    var opposite: SimSide { self == .buy ? .sell : .buy }
    /// +1 for BUY, −1 for SELL.
    var sign: Int64 { self == .buy ? 1 : -1 }
}

enum SimOrderType: String, Sendable, CaseIterable {
    case market = "MARKET", limit = "LIMIT"
    case stop = "STOP", stopMarket = "STOP_MARKET"
    case takeProfit = "TAKE_PROFIT", takeProfitMarket = "TAKE_PROFIT_MARKET"
    case trailingStopMarket = "TRAILING_STOP_MARKET"
    /// Only as `origType` of the exchange's forced-close orders.
    case liquidation = "LIQUIDATION"

    /// Types that since Dec 2025 live only on the Algo Order API.
    var isConditional: Bool {
        switch self {
        case .stop, .stopMarket, .takeProfit, .takeProfitMarket, .trailingStopMarket: return true
        case .market, .limit, .liquidation: return false
        }
    }
}

enum SimTimeInForce: String, Sendable, CaseIterable {
    case gtc = "GTC", ioc = "IOC", fok = "FOK", gtx = "GTX", gtd = "GTD"
}

enum SimOrderStatus: String, Sendable {
    case new = "NEW", partiallyFilled = "PARTIALLY_FILLED", filled = "FILLED"
    case canceled = "CANCELED", expired = "EXPIRED", newInsurance = "NEW_INSURANCE", newADL = "NEW_ADL"
    var isOpen: Bool { self == .new || self == .partiallyFilled }
}

/// `x` of ORDER_TRADE_UPDATE.
enum SimExecType: String, Sendable {
    case new = "NEW", trade = "TRADE", canceled = "CANCELED", expired = "EXPIRED"
    case calculated = "CALCULATED", amendment = "AMENDMENT"
}

enum SimWorkingType: String, Sendable {
    case markPrice = "MARK_PRICE", contractPrice = "CONTRACT_PRICE"
}

enum SimAlgoStatus: String, Sendable {
    case new = "NEW", triggering = "TRIGGERING", triggered = "TRIGGERED", finished = "FINISHED"
    case canceled = "CANCELED", expired = "EXPIRED", rejected = "REJECTED"
    var isOpen: Bool { self == .new }
}

/// A parsed `POST /fapi/v1/order`. Enum-valued fields are already typed; the HTTP layer can use
/// `NewOrder.parse(_:)` to get Binance's codes for bad parameters.
struct NewOrder: Sendable {
    var symbol: String
    var side: SimSide
    var type: SimOrderType
    var quantity: SimDecimal?
    var price: SimDecimal?
    var timeInForce: SimTimeInForce?
    var reduceOnly: Bool = false
    var newClientOrderId: String?
    /// Only "BOTH" (or absent) is accepted: the simulator runs accounts in one-way mode.
    var positionSide: String?

    init(symbol: String, side: SimSide, type: SimOrderType, quantity: SimDecimal?, price: SimDecimal? = nil,
         timeInForce: SimTimeInForce? = nil, reduceOnly: Bool = false, newClientOrderId: String? = nil,
         positionSide: String? = nil)
    {
        self.symbol = symbol
        self.side = side
        self.type = type
        self.quantity = quantity
        self.price = price
        self.timeInForce = timeInForce
        self.reduceOnly = reduceOnly
        self.newClientOrderId = newClientOrderId
        self.positionSide = positionSide
    }

    /// Builds a request from Binance's parameter names (`symbol`, `side`, `type`, `quantity`,
    /// `price`, `timeInForce`, `reduceOnly`, `newClientOrderId`, `positionSide`), refusing with
    /// the codes Binance uses for missing or malformed values.
    static func parse(_ p: (String) -> String?) -> Result<NewOrder, SimError> {
        guard let symbol = p("symbol"), !symbol.isEmpty else { return .failure(.mandatory("symbol")) }
        guard let sideText = p("side"), !sideText.isEmpty else { return .failure(.mandatory("side")) }
        guard let side = SimSide(rawValue: sideText) else { return .failure(.invalidSide) }
        guard let typeText = p("type"), !typeText.isEmpty else { return .failure(.mandatory("type")) }
        guard let type = SimOrderType(rawValue: typeText), type != .liquidation else { return .failure(.invalidOrderType) }
        var r = NewOrder(symbol: symbol, side: side, type: type, quantity: nil)
        if let q = p("quantity") {
            guard let v = SimDecimal(q) else { return .failure(q.contains(".") ? .precision : .mandatory("quantity")) }
            r.quantity = v
        }
        if let pr = p("price") {
            guard let v = SimDecimal(pr) else { return .failure(pr.contains(".") ? .precision : .mandatory("price")) }
            r.price = v
        }
        if let t = p("timeInForce") {
            guard let v = SimTimeInForce(rawValue: t) else { return .failure(.invalidTimeInForce) }
            r.timeInForce = v
        }
        if let ro = p("reduceOnly") {
            guard ro == "true" || ro == "false" else { return .failure(.invalidParameter("reduceOnly")) }
            r.reduceOnly = ro == "true"
        }
        r.newClientOrderId = p("newClientOrderId")
        r.positionSide = p("positionSide")
        return .success(r)
    }
}

/// A parsed `POST /fapi/v1/algoOrder` (algoType CONDITIONAL).
struct NewAlgoOrder: Sendable {
    var algoType: String = "CONDITIONAL"
    var symbol: String
    var side: SimSide
    var type: SimOrderType
    var quantity: SimDecimal?
    var price: SimDecimal?
    var triggerPrice: SimDecimal?
    var workingType: SimWorkingType = .contractPrice
    var timeInForce: SimTimeInForce?
    var closePosition: Bool = false
    var reduceOnly: Bool = false
    var priceProtect: Bool = false
    var clientAlgoId: String?
    var callbackRate: SimDecimal?
    var activatePrice: SimDecimal?
    var positionSide: String?

    init(symbol: String, side: SimSide, type: SimOrderType, quantity: SimDecimal? = nil, price: SimDecimal? = nil,
         triggerPrice: SimDecimal? = nil, workingType: SimWorkingType = .contractPrice, timeInForce: SimTimeInForce? = nil,
         closePosition: Bool = false, reduceOnly: Bool = false, clientAlgoId: String? = nil,
         callbackRate: SimDecimal? = nil, activatePrice: SimDecimal? = nil, positionSide: String? = nil)
    {
        self.symbol = symbol
        self.side = side
        self.type = type
        self.quantity = quantity
        self.price = price
        self.triggerPrice = triggerPrice
        self.workingType = workingType
        self.timeInForce = timeInForce
        self.closePosition = closePosition
        self.reduceOnly = reduceOnly
        self.clientAlgoId = clientAlgoId
        self.callbackRate = callbackRate
        self.activatePrice = activatePrice
        self.positionSide = positionSide
    }

    /// Builds a request from Binance's parameter names (`algoType`, `symbol`, `side`, `type`,
    /// `quantity`, `price`, `triggerPrice`, `workingType`, `timeInForce`, `closePosition`,
    /// `reduceOnly`, `priceProtect`, `clientAlgoId`, `callbackRate`, `activatePrice`, `positionSide`).
    static func parse(_ p: (String) -> String?) -> Result<NewAlgoOrder, SimError> {
        guard let algoType = p("algoType"), !algoType.isEmpty else { return .failure(.mandatory("algoType")) }
        guard algoType == "CONDITIONAL" else { return .failure(.invalidAlgoType) }
        guard let symbol = p("symbol"), !symbol.isEmpty else { return .failure(.mandatory("symbol")) }
        guard let sideText = p("side"), !sideText.isEmpty else { return .failure(.mandatory("side")) }
        guard let side = SimSide(rawValue: sideText) else { return .failure(.invalidSide) }
        guard let typeText = p("type"), !typeText.isEmpty else { return .failure(.mandatory("type")) }
        guard let type = SimOrderType(rawValue: typeText), type.isConditional else { return .failure(.invalidOrderType) }
        var r = NewAlgoOrder(symbol: symbol, side: side, type: type)
        func dec(_ name: String) -> Result<SimDecimal?, SimError> {
            guard let t = p(name) else { return .success(nil) }
            guard let v = SimDecimal(t) else { return .failure(t.contains(".") ? .precision : .mandatory(name)) }
            return .success(v)
        }
        func flag(_ name: String) -> Result<Bool, SimError> {
            guard let t = p(name) else { return .success(false) }
            guard t == "true" || t == "false" else { return .failure(.invalidParameter(name)) }
            return .success(t == "true")
        }
        do {
            r.quantity = try dec("quantity").get()
            r.price = try dec("price").get()
            r.triggerPrice = try dec("triggerPrice").get()
            r.callbackRate = try dec("callbackRate").get()
            r.activatePrice = try dec("activatePrice").get()
            r.closePosition = try flag("closePosition").get()
            r.reduceOnly = try flag("reduceOnly").get()
            r.priceProtect = try flag("priceProtect").get()
        } catch {
            return .failure(error)
        }
        if let w = p("workingType") {
            guard let v = SimWorkingType(rawValue: w) else { return .failure(.invalidWorkingType) }
            r.workingType = v
        }
        if let t = p("timeInForce") {
            guard let v = SimTimeInForce(rawValue: t) else { return .failure(.invalidTimeInForce) }
            r.timeInForce = v
        }
        r.algoType = algoType
        r.clientAlgoId = p("clientAlgoId")
        r.positionSide = p("positionSide")
        return .success(r)
    }
}

/// An order as REST (`GET /fapi/v1/order`) and ORDER_TRADE_UPDATE show it.
struct SimOrder: Equatable, Sendable {
    var orderId: Int64
    var clientOrderId: String
    var symbol: String
    var side: SimSide
    var type: SimOrderType
    var origType: SimOrderType
    var timeInForce: SimTimeInForce
    var price: SimDecimal
    var avgPrice: SimDecimal
    var origQty: SimDecimal
    var executedQty: SimDecimal
    /// Σ price × qty of the fills (quote quantity).
    var cumQuote: SimDecimal
    var status: SimOrderStatus
    var reduceOnly: Bool
    var closePosition: Bool
    var positionSide: String = "BOTH"
    var stopPrice: SimDecimal = .zero
    var workingType: SimWorkingType = .contractPrice
    var priceProtect: Bool = false
    var activatePrice: SimDecimal?
    var priceRate: SimDecimal?
    var time: Int64
    var updateTime: Int64
    /// Commission and realized profit accumulated over this order's fills.
    var cumCommission: SimDecimal = .zero
    var cumRealizedPnl: SimDecimal = .zero
    var account: SimAccountID
    /// Whether the last fill was maker (ORDER_TRADE_UPDATE `m`).
    var isMakerOnLastFill: Bool = false

    var remainingQty: SimDecimal { origQty - executedQty }
    var isOpen: Bool { status.isOpen }
}

/// One execution of one order (a row of `GET /fapi/v1/userTrades`).
struct SimFill: Equatable, Sendable {
    var tradeId: Int64
    var orderId: Int64
    var symbol: String
    var side: SimSide
    var price: SimDecimal
    var qty: SimDecimal
    var quoteQty: SimDecimal
    var commission: SimDecimal
    var commissionAsset: String
    var realizedPnl: SimDecimal
    var isMaker: Bool
    var isBuyer: Bool { side == .buy }
    var positionSide: String = "BOTH"
    var time: Int64
}

/// A conditional order held by the Algo Service until its trigger.
struct SimAlgoOrder: Equatable, Sendable {
    var algoId: Int64
    var clientAlgoId: String
    var algoType: String = "CONDITIONAL"
    var orderType: SimOrderType
    var symbol: String
    var side: SimSide
    var positionSide: String = "BOTH"
    var timeInForce: SimTimeInForce
    var quantity: SimDecimal
    var algoStatus: SimAlgoStatus
    var triggerPrice: SimDecimal
    var price: SimDecimal
    var workingType: SimWorkingType
    var closePosition: Bool
    var priceProtect: Bool
    var reduceOnly: Bool
    var activatePrice: SimDecimal?
    var callbackRate: SimDecimal?
    var createTime: Int64
    var updateTime: Int64
    var triggerTime: Int64 = 0
    /// The matching-engine order created at trigger (as Binance's `actualOrderId`).
    var actualOrderId: Int64?
    var actualPrice: SimDecimal?
    var executedQty: SimDecimal = .zero
    var avgPrice: SimDecimal = .zero
    var account: SimAccountID
    /// Trailing stop: best price seen since activation (highest for SELL, lowest for BUY).
    var trailingExtreme: SimDecimal?
    var trailingActivated: Bool = false
}
