import TicklineIO

/// Why the venue refused a request, from Binance's error code (USD-M "Error Codes" page:
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code).
public enum RejectionReason: UInt8, CaseIterable, Sendable, BitwiseCopyable {
    /// -2019 Margin is insufficient.
    case insufficientMargin
    /// -4164 Order's notional must be no smaller than the minimum.
    case minNotional
    /// -1021 Timestamp outside recvWindow or ahead of the server (after one re-sync and retry).
    case timestamp
    /// -2022 ReduceOnly Order is rejected (a close for a position that is already gone).
    case reduceOnlyRejected
    /// -4028 Leverage not valid (or outside 1–125: refused locally, nothing sent).
    case invalidLeverage
    /// -4116 ClientOrderId is duplicated.
    case duplicateClientOrderID
    /// -2013 Order does not exist / -2011 Unknown order sent (cancel of a gone order).
    case orderNotFound
    /// -2021 Order would immediately trigger (a protective trigger on the wrong side of the price).
    case wouldTriggerImmediately
    /// -1125 This listenKey does not exist: create a new one.
    case listenKeyNotFound
    /// -1022 Signature not valid.
    case invalidSignature
    /// -2014 / -2015 API key format invalid / invalid key, IP or permissions.
    case invalidAPIKey
    /// -1003 / -1015 Too many requests, still refused after the limiter's retries.
    case rateLimited
    /// -4120 Order type not supported on this endpoint (conditional types belong on algoOrder).
    case wrongEndpoint
    /// Any other code (parameters, precision, filters…): a bug or a configuration error.
    case other

    public init(code: Int) {
        switch code {
        case -2019: self = .insufficientMargin
        case -4164: self = .minNotional
        case -1021: self = .timestamp
        case -2022: self = .reduceOnlyRejected
        case -4028: self = .invalidLeverage
        case -4116: self = .duplicateClientOrderID
        case -2013, -2011: self = .orderNotFound
        case -2021: self = .wouldTriggerImmediately
        case -1125: self = .listenKeyNotFound
        case -1022: self = .invalidSignature
        case -2014, -2015: self = .invalidAPIKey
        case -1003, -1015: self = .rateLimited
        case -4120: self = .wrongEndpoint
        default: self = .other
        }
    }
}

/// A definitive refusal: the request had no effect at the venue.
public struct VenueRejection: Error, Sendable, Equatable {
    /// Binance's code (e.g. -2019).
    public var code: Int
    /// The HTTP status; 0 when the client refused locally and sent nothing.
    public var httpStatus: Int
    public var reason: RejectionReason
    public var message: String

    public init(code: Int, httpStatus: Int, message: String = "") {
        self.code = code
        self.httpStatus = httpStatus
        self.reason = RejectionReason(code: code)
        self.message = message
    }
}

/// No definitive answer: the request may or may not have taken effect. For an order, query it
/// (`queryOrder` by its client order id) before anything else.
public enum UnknownCause: Sendable, Equatable {
    /// No response: connect failure, timeout, connection lost, pool shut down.
    case transport(HTTPPoolError)
    /// 5xx, or Binance's -1006/-1007 ("execution status unknown").
    case serverError(status: Int, code: Int?)
    /// A 2xx whose body could not be read.
    case malformedResponse(status: Int)
}

/// The answer to a request other than a new market order.
public enum VenueOutcome<Value> {
    case ok(Value)
    case rejected(VenueRejection)
    case unknown(UnknownCause)
    /// The IP is banned (418): nothing was sent.
    case halted

    public var value: Value? { if case .ok(let v) = self { v } else { nil } }
    public var rejection: VenueRejection? { if case .rejected(let r) = self { r } else { nil } }
}

extension VenueOutcome: Sendable where Value: Sendable {}

/// The answer to a new market order.
public enum OrderOutcome: Sendable {
    /// The venue took the order (its status says how far it filled).
    case accepted(OrderAck)
    /// A reduce-only close refused with -2022: the position is already gone. Counts as closed.
    case alreadyClosed
    case rejected(VenueRejection)
    /// Query the order before anything else.
    case unknown(UnknownCause)
    case halted

    public var ack: OrderAck? { if case .accepted(let a) = self { a } else { nil } }
}

/// Events the owner logs, counts or alerts on.
public enum OrderClientEvent: Sendable, Equatable {
    /// A request waits for the rate limiter: log `RateLimiter.waitMessage(ms:)`.
    case rateLimitWait(VenueEndpoint, ms: Int64, reason: RateLimitReason)
    /// A 429: everything waits `ms`.
    case backoff(ms: Int64)
    /// A 418: trading stops; raise a critical alert.
    case banned(untilMs: Int64?)
    /// The server-time offset was (re)measured.
    case timeSynced(offsetMs: Int64, roundTripMs: Int64)
}
