import HTTPTypes
import Hummingbird

/// Every REST path the simulator serves, with its security and request weight as Binance's
/// USD-M documentation gives them.
extension SimVenue {
    static func endpoint(method: HTTPRequest.Method, path: String) -> Endpoint? {
        func fixed(_ w: Int) -> (SimParams) -> Int { { _ in w } }
        /// Weight 1 with a symbol, `without` for every symbol.
        func perSymbol(_ with: Int, _ without: Int) -> (SimParams) -> Int { { $0["symbol"] == nil ? without : with } }
        switch (method, path) {
        case (.get, "/fapi/v1/ping"), (.get, "/fapi/v1/time"), (.get, "/fapi/v1/exchangeInfo"):
            return Endpoint(security: .none, weight: fixed(1))
        case (.get, "/fapi/v1/klines"):
            return Endpoint(security: .none) { p in
                let limit = Int(p["limit"] ?? "500") ?? 500
                return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10
            }
        case (.get, "/fapi/v1/depth"):
            return Endpoint(security: .none) { p in
                let limit = Int(p["limit"] ?? "500") ?? 500
                return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20
            }
        case (.get, "/fapi/v1/premiumIndex"), (.get, "/fapi/v1/fundingRate"), (.get, "/fapi/v1/ticker/price"),
             (.get, "/fapi/v2/ticker/price"):
            return Endpoint(security: .none, weight: perSymbol(1, 2))
        case (.get, "/fapi/v1/ticker/24hr"):
            return Endpoint(security: .none, weight: perSymbol(1, 40))
        case (.get, "/fapi/v1/ticker/bookTicker"):
            return Endpoint(security: .none, weight: perSymbol(2, 5))
        case (.post, "/fapi/v1/order"):
            return Endpoint(security: .signed, isOrder: true, weight: fixed(0))
        case (.get, "/fapi/v1/order"), (.delete, "/fapi/v1/order"), (.delete, "/fapi/v1/allOpenOrders"):
            return Endpoint(security: .signed, weight: fixed(1))
        case (.get, "/fapi/v1/openOrders"):
            return Endpoint(security: .signed, weight: perSymbol(1, 40))
        case (.get, "/fapi/v1/allOrders"), (.get, "/fapi/v1/userTrades"):
            return Endpoint(security: .signed, weight: fixed(5))
        case (.post, "/fapi/v1/algoOrder"):
            return Endpoint(security: .signed, isOrder: true, weight: fixed(0))
        case (.get, "/fapi/v1/algoOrder"), (.delete, "/fapi/v1/algoOrder"), (.delete, "/fapi/v1/algoOpenOrders"):
            return Endpoint(security: .signed, weight: fixed(1))
        case (.get, "/fapi/v1/openAlgoOrders"):
            return Endpoint(security: .signed, weight: perSymbol(1, 40))
        case (.get, "/fapi/v2/positionRisk"), (.get, "/fapi/v3/positionRisk"),
             (.get, "/fapi/v2/account"), (.get, "/fapi/v3/account"),
             (.get, "/fapi/v2/balance"), (.get, "/fapi/v3/balance"):
            return Endpoint(security: .signed, weight: fixed(5))
        case (.get, "/fapi/v1/leverageBracket"), (.post, "/fapi/v1/leverage"), (.post, "/fapi/v1/marginType"),
             (.get, "/fapi/v1/positionSide/dual"), (.post, "/fapi/v1/positionSide/dual"),
             (.get, "/fapi/v1/multiAssetsMargin"), (.get, "/fapi/v1/commissionRate"):
            return Endpoint(security: .signed, weight: fixed(1))
        case (.post, "/fapi/v1/listenKey"), (.put, "/fapi/v1/listenKey"), (.delete, "/fapi/v1/listenKey"):
            return Endpoint(security: .userStream, weight: fixed(1))
        default:
            return nil
        }
    }
}
