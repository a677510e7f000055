/// The REST endpoints the order gateway calls, with what the rate limiter needs to know of each.
///
/// Weights are Binance USD-M's documented `REQUEST_WEIGHT` costs (per IP, per minute; the
/// "Weight" line of each endpoint's page under
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/): new orders (plain
/// and algo) cost 0 weight but count 1 against the account's `ORDERS` limits (10 s and 1 min).
public enum VenueEndpoint: UInt8, CaseIterable, Sendable, BitwiseCopyable {
    /// `GET /fapi/v1/time`
    case serverTime
    /// `GET /fapi/v1/exchangeInfo`
    case exchangeInfo
    /// `POST /fapi/v1/order`
    case newOrder
    /// `GET /fapi/v1/order`
    case queryOrder
    /// `DELETE /fapi/v1/order`
    case cancelOrder
    /// `POST /fapi/v1/algoOrder`
    case newAlgoOrder
    /// `DELETE /fapi/v1/algoOrder`
    case cancelAlgoOrder
    /// `GET /fapi/v1/algoOrder`
    case queryAlgoOrder
    /// `GET /fapi/v1/openAlgoOrders` (with a symbol)
    case openAlgoOrders
    /// `GET /fapi/v2/positionRisk`
    case positionRisk
    /// `POST /fapi/v1/leverage`
    case leverage
    /// `POST /fapi/v1/marginType`
    case marginType
    /// `POST`/`PUT /fapi/v1/listenKey`
    case listenKey
    /// `GET /fapi/v2/balance`
    case balance
    /// `GET /fapi/v1/userTrades` (new cases go last, so the others keep their raw values)
    case userTrades

    /// REQUEST_WEIGHT cost.
    public var weight: Int {
        switch self {
        case .newOrder, .newAlgoOrder: 0
        case .positionRisk, .balance, .userTrades: 5
        case .serverTime, .exchangeInfo, .queryOrder, .cancelOrder, .cancelAlgoOrder, .queryAlgoOrder, .openAlgoOrders,
             .leverage, .marginType, .listenKey: 1
        }
    }

    /// Counts against the exchange's per-account `ORDERS` limits (`X-MBX-ORDER-COUNT-*`).
    public var isOrder: Bool { self == .newOrder || self == .newAlgoOrder }

    /// The engine's own per-endpoint-class budget this endpoint draws on.
    public var group: VenueEndpointGroup {
        switch self {
        case .newOrder, .newAlgoOrder: .orders
        case .cancelOrder, .cancelAlgoOrder: .cancels
        case .queryOrder, .queryAlgoOrder, .openAlgoOrders, .leverage, .marginType, .listenKey, .balance, .userTrades:
            .accountQueries
        case .positionRisk: .positionQueries
        case .serverTime, .exchangeInfo: .market
        }
    }
}

/// Classes of endpoints with their own request budget per window (the seed's limits).
public enum VenueEndpointGroup: Int, CaseIterable, Sendable, BitwiseCopyable {
    /// New orders, plain and algo.
    case orders = 0
    /// Cancels: protective-order clean-up must not queue behind new orders.
    case cancels
    /// Order queries, open algo orders, leverage, margin type, listen key, balance, account trades.
    case accountQueries
    /// `positionRisk`.
    case positionQueries
    /// Public: server time, exchange info.
    case market
}
