/// A Binance USD-M error: `{"code":…,"msg":…}` with its HTTP status.
///
/// Every refusal the model produces is one of these, with the code and message text Binance
/// documents (futures error-code list), so clients' error mapping is exercised for real.
struct SimError: Error, Equatable, Sendable, CustomStringConvertible {
    var code: Int
    var msg: String
    var httpStatus: Int

    init(code: Int, msg: String, http: Int = 400) {
        self.code = code
        self.msg = msg
        self.httpStatus = http
    }

    var description: String { "{\"code\":\(code),\"msg\":\"\(msg)\"}" }

    static let invalidSymbol = SimError(code: -1121, msg: "Invalid symbol.")
    static func mandatory(_ name: String) -> SimError {
        SimError(code: -1102, msg: "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.")
    }
    static func invalidParameter(_ name: String) -> SimError {
        SimError(code: -1130, msg: "Data sent for parameter '\(name)' is not valid.")
    }
    static let precision = SimError(code: -1111, msg: "Precision is over the maximum defined for this asset.")
    static let invalidTimeInForce = SimError(code: -1115, msg: "Invalid timeInForce.")
    static let invalidOrderType = SimError(code: -1116, msg: "Invalid orderType.")
    static let invalidSide = SimError(code: -1117, msg: "Invalid side.")
    static let tifNotRequired = SimError(code: -1106, msg: "Parameter 'timeInForce' sent when not required.")
    static let priceNotRequired = SimError(code: -1106, msg: "Parameter 'price' sent when not required.")
    static let unknownOrder = SimError(code: -2011, msg: "Unknown order sent.")
    static let noSuchOrder = SimError(code: -2013, msg: "Order does not exist.")
    static let marginInsufficient = SimError(code: -2019, msg: "Margin is insufficient.")
    static let orderWouldTrigger = SimError(code: -2021, msg: "Order would immediately trigger.")
    static let reduceOnlyRejected = SimError(code: -2022, msg: "ReduceOnly Order is rejected.")
    static let maxLeverageRatio = SimError(code: -2027, msg: "Exceeded the maximum allowable position at current leverage.")
    static let priceLessThanZero = SimError(code: -4001, msg: "Price less than 0.")
    static let priceTooHigh = SimError(code: -4002, msg: "Price greater than max price.")
    static let quantityNotPositive = SimError(code: -4003, msg: "Quantity less than or equal to zero.")
    static let quantityBelowMin = SimError(code: -4004, msg: "Quantity less than min quantity.")
    static let quantityAboveMax = SimError(code: -4005, msg: "Quantity greater than max quantity.")
    static let stopPriceNotPositive = SimError(code: -4006, msg: "Stop price less than zero.")
    static let priceBelowMin = SimError(code: -4013, msg: "Price less than min price.")
    static let priceNotTick = SimError(code: -4014, msg: "Price not increased by tick size.")
    static let clientOrderIdInvalid = SimError(code: -4015, msg: "Client order id is not valid.")
    static let quantityNotStep = SimError(code: -4023, msg: "Qty not increased by step size.")
    static func invalidLeverage(_ leverage: Int) -> SimError {
        SimError(code: -4028, msg: "Leverage \(leverage) is not valid")
    }
    static let noNeedToChangeMarginType = SimError(code: -4046, msg: "No need to change margin type.")
    static let marginTypeOpenOrders = SimError(code: -4047, msg: "Margin type cannot be changed if there exists open orders.")
    static let marginTypePosition = SimError(code: -4048, msg: "Margin type cannot be changed if there exists position.")
    static let positionSideMismatch = SimError(code: -4061, msg: "Order's position side does not match user's setting.")
    static let duplicateClientOrderId = SimError(code: -4116, msg: "ClientOrderId is duplicated.")
    static let useAlgoEndpoint = SimError(
        code: -4120, msg: "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.")
    static let invalidActivationPrice = SimError(code: -4135, msg: "Invalid activation price.")
    static let quantityWithClosePosition = SimError(code: -4137, msg: "Quantity must be zero with closePosition equals true")
    static let reduceOnlyWithClosePosition = SimError(code: -4138, msg: "Reduce only must be true with closePosition equals true")
    static let isolatedLeverageReduction = SimError(
        code: -4161, msg: "Leverage reduction is not supported in Isolated Margin Mode with open positions")
    static func minNotional(_ min: SimDecimal) -> SimError {
        SimError(code: -4164, msg: "Order's notional must be no smaller than \(min.plain) (unless you choose reduce only).")
    }
    static let fokRejected = SimError(
        code: -5021, msg: "Due to the order could not be filled immediately, the FOK order has been rejected.")
    static let gtxRejected = SimError(
        code: -5022, msg: "Due to the order could not be executed as maker, the Post Only order will be rejected.")
    static let unknownAlgoOrder = SimError(code: -2011, msg: "Unknown order sent.")
    static let invalidAlgoType = SimError(code: -1130, msg: "Data sent for parameter 'algoType' is not valid.")
    static let invalidWorkingType = SimError(code: -4031, msg: "Invalid parameter working type")
    static let invalidCallbackRate = SimError(code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid.")
}
