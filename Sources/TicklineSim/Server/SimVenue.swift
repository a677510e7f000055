import Foundation
import HTTPTypes
import Hummingbird

/// The venue: one `SimExchange` (the market and account model) behind an actor, with Binance's
/// request authentication, rate limits, listen keys, fault injection and the latency probe.
///
/// REST handlers return JSON text or throw `SimHTTPError`; the server turns both into responses
/// with the rate-limit headers.
actor SimVenue {
    let exchange: SimExchange
    let clock: SimClock
    let hub: StreamHub
    var limiter: RateLimiter
    var faults: SimFaults
    let listenKeyValidityMs: Int64
    /// listenKey → (account, expiry).
    var listenKeys: [String: (account: SimAccountID, expiresMs: Int64)] = [:]
    var random: SimRandom
    /// Latency probe: CLOCK_MONOTONIC ns at which each market message was written, and at which
    /// each order arrived (bounded rings of the most recent).
    var probe = LatencyProbe()
    /// Stream messages rendered so far (fault injection counts with it).
    var streamMessages = 0
    /// User-data messages held back while `POST /sim/faults?hold_user_stream=true` is in force
    /// (nil when not holding): the venue has filled an order but its client has not heard yet.
    /// Released in order by `hold_user_stream=false`.
    var heldUserMessages: [(account: Int, payload: String)]?

    init(exchange: SimExchange, clock: SimClock, hub: StreamHub, limits: RateLimits, faults: SimFaults,
         listenKeyValidityMs: Int64, seed: UInt64) {
        self.exchange = exchange
        self.clock = clock
        self.hub = hub
        self.limiter = RateLimiter(limits: limits)
        self.faults = faults
        self.listenKeyValidityMs = listenKeyValidityMs
        self.random = SimRandom(seed: seed ^ 0x5EED_FA17)
    }

    enum Security { case none, userStream, signed }

    struct Endpoint {
        var security: Security
        var isOrder = false
        var weight: (SimParams) -> Int
    }

    /// Answers one REST request: (status, JSON body, headers).
    func handle(method: HTTPRequest.Method, path: String, params: SimParams, apiKey: String?, address: String)
        -> (HTTPResponse.Status, String, HTTPFields)
    {
        let now = clock.nowMs()
        var headers: HTTPFields = [:]
        guard let endpoint = Self.endpoint(method: method, path: path) else {
            return (.notFound, SimHTTPError.unknownPath.body, headers)
        }
        if faults.restErrorFraction > 0, random.nextUnit() < faults.restErrorFraction {
            let e = SimHTTPError(status: .serviceUnavailable, code: -1001,
                                 msg: "Internal error; unable to process your request. Please try again.")
            return (e.status, e.body, headers)
        }
        do {
            let account = try authenticate(endpoint.security, params: params, apiKey: apiKey, nowMs: now)
            let decision = limiter.charge(address: address, requestWeight: endpoint.weight(params),
                                          orderAccount: endpoint.isOrder ? account.map { "\($0.rawValue)" } : nil,
                                          nowMs: now)
            switch decision {
            case .allowed(let weight, let o10, let o60):
                headers[.mbxUsedWeight] = String(weight)
                if endpoint.isOrder {
                    headers[.mbxOrderCount10s] = String(o10)
                    headers[.mbxOrderCount1m] = String(o60)
                }
            case .tooMany(let retry, let weight):
                headers[.mbxUsedWeight] = String(weight)
                headers[.retryAfter] = String(retry)
                let e = SimHTTPError(status: .tooManyRequests, code: -1003,
                                     msg: "Too many requests; current limit is \(limiter.limits.requestWeightPerMinute) requests per minute. Please use the websocket for live updates to avoid polling the API.")
                return (e.status, e.body, headers)
            case .banned(let until):
                headers[.retryAfter] = String(max(1, (until - now + 999) / 1000))
                let e = SimHTTPError(status: .init(code: 418, reasonPhrase: "I'm a teapot"), code: -1003,
                                     msg: "Way too many requests; IP(\(address)) banned until \(until). Please use the websocket for live updates to avoid bans.")
                return (e.status, e.body, headers)
            }
            if endpoint.isOrder { probe.recordOrder(monotonicNs: SimPacer.monotonicNs()) }
            let body = try route(method: method, path: path, params: params, account: account, nowMs: now)
            return (.ok, body, headers)
        } catch let e as SimHTTPError {
            headers.append(contentsOf: e.headers)
            return (e.status, e.body, headers)
        } catch {
            let e = SimHTTPError(status: .internalServerError, code: -1000, msg: "An unknown error occurred while processing the request.")
            return (e.status, e.body, headers)
        }
    }

    /// Binance's checks for USER_STREAM and SIGNED endpoints, in Binance's order.
    func authenticate(_ security: Security, params: SimParams, apiKey: String?, nowMs: Int64) throws -> SimAccountID? {
        guard security != .none else { return nil }
        guard let apiKey, !apiKey.isEmpty else { throw SimHTTPError.apiKeyFormat }
        guard let account = exchange.account(apiKey: apiKey) else { throw SimHTTPError.invalidAPIKey }
        guard security == .signed else { return account }
        guard let ts = params["timestamp"], let timestamp = Int64(ts) else { throw SimHTTPError.mandatory("timestamp") }
        var recvWindow: Int64 = 5000
        if let rw = params["recvWindow"] {
            guard let v = Int64(rw), v > 0, v <= 60_000 else {
                throw SimHTTPError.badRequest(-1131, "recvWindow must be less than 60000")
            }
            recvWindow = v
        }
        if timestamp >= nowMs + 1000 {
            throw SimHTTPError.badRequest(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        }
        if nowMs - timestamp > recvWindow {
            throw SimHTTPError.badRequest(-1021, "Timestamp for this request is outside of the recvWindow.")
        }
        guard let signature = params.signature, !signature.isEmpty else { throw SimHTTPError.mandatory("signature") }
        let expected = SimSigner.signature(secret: exchange.secret(of: account), payload: params.signedPayload)
        guard SimSigner.matches(signature, expected) else { throw SimHTTPError.badSignature }
        return account
    }

    // MARK: listen keys

    func createListenKey(_ account: SimAccountID, nowMs: Int64) -> String {
        // Binance returns the existing key while it is valid, extending it.
        if let existing = listenKeys.first(where: { $0.value.account == account && $0.value.expiresMs > nowMs }) {
            listenKeys[existing.key]?.expiresMs = nowMs + listenKeyValidityMs
            return existing.key
        }
        var key = ""
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for _ in 0..<64 { key.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
        listenKeys[key] = (account, nowMs + listenKeyValidityMs)
        return key
    }

    func account(forListenKey key: String) -> SimAccountID? {
        guard let entry = listenKeys[key], entry.expiresMs > clock.nowMs() else { return nil }
        return entry.account
    }

    /// Expires listen keys past their validity: `listenKeyExpired` to their streams, then close.
    func expireListenKeys(nowMs: Int64, force: Bool = false) {
        for (key, entry) in listenKeys.sorted(by: { $0.key < $1.key }) where force || entry.expiresMs <= nowMs {
            listenKeys[key] = nil
            let payload = JSONWriter.object { w in
                w.string("e", "listenKeyExpired")
                w.int("E", nowMs)
                w.string("listenKey", key)
            }
            hub.publishUser(account: entry.account.rawValue, payload: payload)
            hub.disconnect(listenKey: key)
        }
    }
}

/// A small deterministic PRNG (SplitMix64) for fault injection and listen keys.
struct SimRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// What the latency probe keeps: when each market message was written and each order read, in
/// CLOCK_MONOTONIC ns (`SimPacer.monotonicNs()`, the clock of the paced messages' stamps), so the
/// delay from a market message to the first order after it can be measured from outside the
/// engine.
///
/// An order is "read" where `SimVenue.handle` has authenticated and rate-limited it, just before
/// the exchange model runs: after the HTTP parse, the body, the hop onto the venue actor and the
/// signature check. A request refused before that point (bad signature, -1021, 429) is not an
/// order read.
struct LatencyProbe {
    static let capacity = 100_000
    private(set) var marketWrites: [(id: String, ns: UInt64)] = []
    /// Ascending: recorded on the venue actor, one at a time, from a monotonic clock.
    private(set) var orderReads: [UInt64] = []

    mutating func recordMarket(id: String, monotonicNs: UInt64) {
        if marketWrites.count >= Self.capacity { marketWrites.removeFirst(marketWrites.count / 2) }
        marketWrites.append((id, monotonicNs))
    }

    mutating func recordOrder(monotonicNs: UInt64) {
        if orderReads.count >= Self.capacity { orderReads.removeFirst(orderReads.count / 2) }
        orderReads.append(monotonicNs)
    }

    /// ns from the market message `id` to the first order read after it.
    func delay(afterMarketMessage id: String) -> UInt64? {
        guard let m = marketWrites.last(where: { $0.id == id }) else { return nil }
        return delay(afterNs: m.ns)
    }

    /// ns from `stampNs` (CLOCK_MONOTONIC, e.g. a paced message's `a`) to the first order read
    /// at or after it (binary search: `orderReads` is ascending).
    func delay(afterNs stampNs: UInt64) -> UInt64? {
        var low = 0, high = orderReads.count
        while low < high {
            let mid = (low + high) / 2
            if orderReads[mid] < stampNs { low = mid + 1 } else { high = mid }
        }
        return low < orderReads.count ? orderReads[low] - stampNs : nil
    }
}
