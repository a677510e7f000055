/// Binance's REST limits: `REQUEST_WEIGHT` per minute per client address, `ORDERS` per 10 s and
/// per minute per account, in fixed windows aligned to the clock (as Binance counts them).
///
/// Over a limit the answer is 429 with `Retry-After`; a client that keeps sending while limited
/// is banned with 418 for `banSeconds` (Binance escalates from 2 minutes to 3 days).
struct RateLimits: Sendable, Equatable {
    var requestWeightPerMinute = 2400
    var ordersPer10s = 300
    var ordersPerMinute = 1200
    /// Requests tolerated after a 429 (within the same window) before the address is banned.
    var requestsAfter429BeforeBan = 10
    var banSeconds = 120
}

struct RateLimiter {
    enum Decision: Equatable {
        case allowed(usedWeight: Int, orders10s: Int, orders1m: Int)
        case tooMany(retryAfterSeconds: Int, usedWeight: Int)
        case banned(untilMs: Int64)
    }

    var limits: RateLimits
    private var weight: [String: (window: Int64, used: Int)] = [:]
    private var orders10s: [String: (window: Int64, count: Int)] = [:]
    private var orders1m: [String: (window: Int64, count: Int)] = [:]
    private var violations: [String: (window: Int64, count: Int)] = [:]
    private var bannedUntil: [String: Int64] = [:]
    /// Set by fault injection: answer every request with 429 (or 418) regardless of counts.
    var forced: Decision?

    init(limits: RateLimits) { self.limits = limits }

    /// Counts one request of `requestWeight` (and one order when `account` is given) at `nowMs`.
    mutating func charge(address: String, requestWeight: Int, orderAccount: String?, nowMs: Int64) -> Decision {
        if let forced { return forced }
        if let until = bannedUntil[address] {
            if nowMs < until { return .banned(untilMs: until) }
            bannedUntil[address] = nil
        }
        let minute = nowMs / 60_000
        var w = weight[address] ?? (minute, 0)
        if w.window != minute { w = (minute, 0) }
        if w.used + requestWeight > limits.requestWeightPerMinute {
            var v = violations[address] ?? (minute, 0)
            if v.window != minute { v = (minute, 0) }
            v.count += 1
            violations[address] = v
            if v.count > limits.requestsAfter429BeforeBan {
                let until = nowMs + Int64(limits.banSeconds) * 1000
                bannedUntil[address] = until
                return .banned(untilMs: until)
            }
            return .tooMany(retryAfterSeconds: Int((minute + 1) * 60_000 - nowMs + 999) / 1000, usedWeight: w.used)
        }
        w.used += requestWeight
        weight[address] = w
        var o10 = 0, o60 = 0
        if let account = orderAccount {
            let tenSeconds = nowMs / 10_000
            var a = orders10s[account] ?? (tenSeconds, 0)
            if a.window != tenSeconds { a = (tenSeconds, 0) }
            var b = orders1m[account] ?? (minute, 0)
            if b.window != minute { b = (minute, 0) }
            if a.count + 1 > limits.ordersPer10s || b.count + 1 > limits.ordersPerMinute {
                let retry = a.count + 1 > limits.ordersPer10s ? (tenSeconds + 1) * 10_000 - nowMs : (minute + 1) * 60_000 - nowMs
                return .tooMany(retryAfterSeconds: Int(retry + 999) / 1000, usedWeight: w.used)
            }
            a.count += 1
            b.count += 1
            orders10s[account] = a
            orders1m[account] = b
            o10 = a.count
            o60 = b.count
        }
        return .allowed(usedWeight: w.used, orders10s: o10, orders1m: o60)
    }

    /// Current counters for the response headers of a request that was not charged again.
    func usage(address: String, account: String?, nowMs: Int64) -> (weight: Int, orders10s: Int, orders1m: Int) {
        let minute = nowMs / 60_000, ten = nowMs / 10_000
        let w = weight[address].flatMap { $0.window == minute ? $0.used : nil } ?? 0
        let a = account.flatMap { orders10s[$0] }.flatMap { $0.window == ten ? $0.count : nil } ?? 0
        let b = account.flatMap { orders1m[$0] }.flatMap { $0.window == minute ? $0.count : nil } ?? 0
        return (w, a, b)
    }
}
