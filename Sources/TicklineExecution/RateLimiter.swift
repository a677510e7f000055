/// A limit of `limit` units per fixed window of `windowMs`, aligned to the epoch as Binance
/// aligns its own (a minute window starts on the minute of the exchange's clock).
public struct WindowLimit: Sendable, Equatable {
    public var limit: Int
    public var windowMs: Int64
    public init(limit: Int, windowMs: Int64) {
        precondition(limit > 0 && windowMs > 0, "a window limit needs a positive limit and length")
        self.limit = limit
        self.windowMs = windowMs
    }
}

/// What the rate limiter enforces. Defaults: Binance USD-M's published limits (REQUEST_WEIGHT
/// 2 400/min per IP, ORDERS 300/10 s and 1 200/min per account; `exchangeInfo.rateLimits`
/// gives the live values) and the seed's per-endpoint budgets (orders 1 200/min, account
/// queries 1 200/min, position queries 40 per 10 s), with 20 % of each kept in reserve for
/// manual operations.
public struct RateLimitConfiguration: Sendable, Equatable {
    public var requestWeight = WindowLimit(limit: 2400, windowMs: 60_000)
    public var orders10s = WindowLimit(limit: 300, windowMs: 10_000)
    public var orders1m = WindowLimit(limit: 1200, windowMs: 60_000)
    /// Per `VenueEndpointGroup` (indexed by its raw value); nil: only the exchange's limits apply.
    public var groups: [WindowLimit?] = [
        WindowLimit(limit: 1200, windowMs: 60_000),  // orders
        nil,  // cancels
        WindowLimit(limit: 1200, windowMs: 60_000),  // account queries
        WindowLimit(limit: 40, windowMs: 10_000),  // position queries
        nil,  // market (public)
    ]
    /// Percent of every limit that `.automatic` requests leave unused.
    public var reservePercent = 20
    /// Waits after the 1st, 2nd, 3rd (and later) consecutive 429.
    public var backoffMs: [Int64] = [1000, 2000, 4000]
    /// After a 429's wait, one request probes alone; others re-check after this long.
    public var probeWaitMs: Int64 = 100

    public init() {}

    public subscript(group: VenueEndpointGroup) -> WindowLimit? {
        get { groups[group.rawValue] }
        set { groups[group.rawValue] = newValue }
    }
}

/// One fixed-window counter.
public struct WindowCounter: Sendable, Equatable {
    public let limit: WindowLimit
    public internal(set) var used = 0
    public internal(set) var windowStartMs: Int64 = .min

    public init(_ limit: WindowLimit) { self.limit = limit }

    /// When the current window ends (the count resets).
    public var resetsAtMs: Int64 { windowStartMs &+ limit.windowMs }

    /// Moves to `nowMs`'s window (only forward: if the venue clock steps back after a re-sync,
    /// the counts stay, which errs on the safe side).
    mutating func roll(_ nowMs: Int64) {
        let w = limit.windowMs
        let start = nowMs - ((nowMs % w) + w) % w
        if start > windowStartMs {
            windowStartMs = start
            used = 0
        }
    }

    func usable(reservePercent: Int, priority: RateLimitPriority) -> Int {
        priority == .manual ? limit.limit : limit.limit - limit.limit * reservePercent / 100
    }

    /// Nil if `cost` fits, else the ms until this window resets. A single request costlier than
    /// the whole budget goes through an empty window rather than waiting forever.
    func wait(cost: Int, usable: Int, nowMs: Int64) -> Int64? {
        guard cost > 0, used + cost > usable, used > 0 || cost <= usable else { return nil }
        return min(max(1, resetsAtMs - nowMs), limit.windowMs)
    }

    mutating func charge(_ cost: Int) { used += cost }

    /// The exchange's own count (a response header): trusted when higher than ours, since it
    /// includes other clients on the same IP or account; ours stays when higher, since it
    /// includes requests still in flight.
    mutating func observe(_ count: Int) { used = max(used, count) }
}

/// Whether a request may use the reserve.
public enum RateLimitPriority: Sendable, BitwiseCopyable { case automatic, manual }

/// Which limit made a request wait.
public enum RateLimitReason: Sendable, Equatable {
    case requestWeight, orders10s, orders1m
    case group(VenueEndpointGroup)
    /// After a 429: `Retry-After` or the 1-2-4 s back-off, whichever is longer.
    case backoff
}

public enum RateLimitDecision: Sendable, Equatable {
    /// Send now (the request is counted).
    case go
    /// Do not send before `ms` from now. The caller logs "Rate limit reached, waiting {ms}ms".
    case wait(ms: Int64, reason: RateLimitReason)
    /// Banned (418): nothing is sent until an operator calls `resume`.
    case halted
}

/// What a response told the limiter, for the caller to act on.
public enum RateLimitSignal: Sendable, Equatable {
    case none
    /// A 429: everything waits `ms` (the request may be retried after it).
    case backoff(ms: Int64)
    /// A 418: the IP is banned (until `untilMs`, when `Retry-After` said); critical.
    case banned(untilMs: Int64?)
}

/// The rate-limit headers of one response (names lower-cased, as the HTTP codec gives them).
public struct RateLimitHeaders: Sendable, Equatable {
    public var usedWeight1m: Int?
    public var orderCount10s: Int?
    public var orderCount1m: Int?
    public var retryAfterSeconds: Int?

    public init(usedWeight1m: Int? = nil, orderCount10s: Int? = nil, orderCount1m: Int? = nil,
                retryAfterSeconds: Int? = nil) {
        self.usedWeight1m = usedWeight1m
        self.orderCount10s = orderCount10s
        self.orderCount1m = orderCount1m
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// `X-MBX-USED-WEIGHT-1M`, `X-MBX-ORDER-COUNT-10S`, `X-MBX-ORDER-COUNT-1M` (any case: Binance
    /// writes the interval upper-case, some proxies lower) and `Retry-After` (seconds).
    public init(headers: [(name: String, value: String)]) {
        for (name, value) in headers {
            switch name.lowercased() {
            case "x-mbx-used-weight-1m": usedWeight1m = Int(value)
            case "x-mbx-order-count-10s": orderCount10s = Int(value)
            case "x-mbx-order-count-1m": orderCount1m = Int(value)
            case "retry-after": retryAfterSeconds = Int(value)
            default: break
            }
        }
    }
}

/// Client-side rate limiting for the order gateway, so the engine waits rather than exceeds:
/// the exchange's REQUEST_WEIGHT (per IP, per minute) and ORDERS (per account, 10 s and 1 min)
/// limits, kept in step with the `X-MBX-*` headers of every response, plus the engine's own
/// per-endpoint-class budgets. `.automatic` requests leave `reservePercent` of every limit for
/// manual operations.
///
/// On a 429 everything waits `max(Retry-After, back-off)`, the back-off growing 1 s, 2 s, 4 s
/// over consecutive 429s (any other answer resets it); when the wait is over, one request goes
/// alone as a probe, and the rest follow once it is answered without a 429. On a 418 (an IP ban: Binance escalates
/// from 2 minutes to 3 days for clients that ignore 429s) the limiter halts: every request is
/// refused until an operator calls `resume`, and the caller raises a critical alert.
///
/// A pure state machine: time is an input, in the exchange's milliseconds (`ServerTimeSync`),
/// since the exchange's windows follow its own clock. Windows are fixed and epoch-aligned, as
/// Binance counts them; each counter's reset time is kept (`resetsAtMs`), and a waiting request
/// is told how long until the window that blocks it resets.
///
/// ## Caveats
/// - A 429 blocks every endpoint, not only the one that got it (the weight limit is per IP).
/// - A request that never gets an answer stays counted (conservative).
public struct RateLimiter: Sendable {
    public let configuration: RateLimitConfiguration
    public private(set) var requestWeight: WindowCounter
    public private(set) var orders10s: WindowCounter
    public private(set) var orders1m: WindowCounter
    public private(set) var groups: [WindowCounter?]
    /// Nothing goes before this (a 429's back-off or `Retry-After`).
    public private(set) var blockedUntilMs: Int64 = .min
    public private(set) var consecutive429 = 0
    /// After a 429's wait, the one request allowed out has not been answered yet.
    public private(set) var probeInFlight = false
    public private(set) var isHalted = false
    /// When the ban ends, if the 418 said (`Retry-After`).
    public private(set) var bannedUntilMs: Int64?

    // Metrics.
    public private(set) var granted = 0
    public private(set) var waits = 0
    public private(set) var refusedWhileHalted = 0
    public private(set) var responses429 = 0
    public private(set) var responses418 = 0
    public private(set) var longestWaitMs: Int64 = 0

    public init(_ configuration: RateLimitConfiguration = RateLimitConfiguration()) {
        precondition(configuration.groups.count == VenueEndpointGroup.allCases.count, "one group limit per group")
        precondition((0..<100).contains(configuration.reservePercent), "reservePercent must be in 0..<100")
        precondition(!configuration.backoffMs.isEmpty, "backoffMs needs at least one step")
        self.configuration = configuration
        requestWeight = WindowCounter(configuration.requestWeight)
        orders10s = WindowCounter(configuration.orders10s)
        orders1m = WindowCounter(configuration.orders1m)
        groups = configuration.groups.map { $0.map(WindowCounter.init) }
    }

    /// May a request to `endpoint` go now? `.go` counts it.
    public mutating func acquire(_ endpoint: VenueEndpoint, priority: RateLimitPriority = .automatic, nowMs: Int64)
        -> RateLimitDecision
    {
        if isHalted {
            refusedWhileHalted += 1
            return .halted
        }
        if nowMs < blockedUntilMs { return wait(blockedUntilMs - nowMs, .backoff) }
        // Still in a storm: one request at a time until one is answered without a 429, so a
        // queue released at the end of a wait does not turn into a burst of 429s (and a ban).
        if consecutive429 > 0, probeInFlight { return wait(configuration.probeWaitMs, .backoff) }
        roll(nowMs)
        let reserve = configuration.reservePercent
        // The longest wait any budget asks for (written out, not a nested function capturing a
        // mutable local: that boxes the local on the heap on every call).
        var longestMs: Int64 = 0
        var longestReason = RateLimitReason.requestWeight
        let orderCost = endpoint.isOrder ? 1 : 0
        if let ms = Self.waitMs(requestWeight, cost: endpoint.weight, reserve, priority, nowMs), ms > longestMs {
            (longestMs, longestReason) = (ms, .requestWeight)
        }
        if let ms = Self.waitMs(orders10s, cost: orderCost, reserve, priority, nowMs), ms > longestMs {
            (longestMs, longestReason) = (ms, .orders10s)
        }
        if let ms = Self.waitMs(orders1m, cost: orderCost, reserve, priority, nowMs), ms > longestMs {
            (longestMs, longestReason) = (ms, .orders1m)
        }
        if let ms = Self.waitMs(groups[endpoint.group.rawValue], cost: 1, reserve, priority, nowMs), ms > longestMs {
            (longestMs, longestReason) = (ms, .group(endpoint.group))
        }
        if longestMs > 0 { return wait(longestMs, longestReason) }
        requestWeight.charge(endpoint.weight)
        orders10s.charge(orderCost)
        orders1m.charge(orderCost)
        groups[endpoint.group.rawValue]?.charge(1)
        granted += 1
        if consecutive429 > 0 { probeInFlight = true }
        return .go
    }

    /// How long `counter` makes a request of `cost` wait (nil: it may go now).
    static func waitMs(_ counter: WindowCounter?, cost: Int, _ reserve: Int, _ priority: RateLimitPriority,
                       _ nowMs: Int64) -> Int64? {
        guard let counter else { return nil }
        return counter.wait(cost: cost, usable: counter.usable(reservePercent: reserve, priority: priority), nowMs: nowMs)
    }

    /// The exchange answered a request to `endpoint` with `status` and these headers.
    public mutating func onResponse(_ endpoint: VenueEndpoint, status: Int, headers: RateLimitHeaders, nowMs: Int64)
        -> RateLimitSignal
    {
        roll(nowMs)
        probeInFlight = false
        if let w = headers.usedWeight1m { requestWeight.observe(w) }
        if let o = headers.orderCount10s { orders10s.observe(o) }
        if let o = headers.orderCount1m { orders1m.observe(o) }
        let retryAfterMs = headers.retryAfterSeconds.map { Int64(max(0, $0)) * 1000 }
        switch status {
        case 418:
            responses418 += 1
            isHalted = true
            bannedUntilMs = retryAfterMs.map { nowMs + $0 }
            return .banned(untilMs: bannedUntilMs)
        case 429:
            responses429 += 1
            consecutive429 += 1
            let steps = configuration.backoffMs
            let backoff = steps[min(consecutive429, steps.count) - 1]
            let ms = max(backoff, retryAfterMs ?? 0)
            blockedUntilMs = max(blockedUntilMs, nowMs + ms)
            return .backoff(ms: blockedUntilMs - nowMs)
        default:
            consecutive429 = 0
            return .none
        }
    }

    /// A request got no answer (timeout, connection lost): it no longer holds the probe.
    public mutating func onNoResponse() { probeInFlight = false }

    /// An operator lifts the halt after a ban (the ban's end is in `bannedUntilMs`).
    public mutating func resume() {
        isHalted = false
        bannedUntilMs = nil
        consecutive429 = 0
    }

    /// Replaces the exchange limits with `exchangeInfo.rateLimits`' values (counts kept).
    public mutating func updateExchangeLimits(requestWeightPerMinute: Int?, ordersPer10s: Int?, ordersPerMinute: Int?) {
        func update(_ c: inout WindowCounter, _ limit: Int?) {
            guard let limit, limit > 0, limit != c.limit.limit else { return }
            var n = WindowCounter(WindowLimit(limit: limit, windowMs: c.limit.windowMs))
            n.windowStartMs = c.windowStartMs
            n.used = c.used
            c = n
        }
        update(&requestWeight, requestWeightPerMinute)
        update(&orders10s, ordersPer10s)
        update(&orders1m, ordersPerMinute)
    }

    /// The line the caller logs when a request has to wait.
    public static func waitMessage(ms: Int64) -> String { "Rate limit reached, waiting \(ms)ms" }

    mutating func roll(_ nowMs: Int64) {
        requestWeight.roll(nowMs)
        orders10s.roll(nowMs)
        orders1m.roll(nowMs)
        for i in groups.indices { groups[i]?.roll(nowMs) }
    }

    mutating func wait(_ ms: Int64, _ reason: RateLimitReason) -> RateLimitDecision {
        waits += 1
        longestWaitMs = max(longestWaitMs, ms)
        return .wait(ms: ms, reason: reason)
    }
}
