import Hummingbird
import NIOCore
import Synchronization
import TicklineCore

/// A token bucket per client address: `ratePerSecond` requests a second on average, bursts of
/// `burst`. Past it, 429 `{"error":"too many requests"}` with `Retry-After: 1`, answered before any
/// other work — a flood costs the server a map lookup per request, nothing more. At most
/// `maxClients` buckets are kept; when full, the idle ones are dropped.
public struct RateLimitMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    final class Buckets: Sendable {
        struct Bucket {
            var tokens: Double
            var lastNs: UInt64
        }

        let state = Mutex<[String: Bucket]>([:])
    }

    let ratePerSecond: Double
    let burst: Double
    let maxClients: Int
    let buckets = Buckets()
    let nowNs: @Sendable () -> UInt64

    public init(ratePerSecond: Double, burst: Double, maxClients: Int = 10_000,
                nowNs: @escaping @Sendable () -> UInt64 = { LiveClock().nowNs() }) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst)
        self.maxClients = maxClients
        self.nowNs = nowNs
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard admit(context.remoteAddress?.ipAddress ?? "unknown") else {
            var response = ControlAPI.json(JSONText.error("too many requests"), status: .tooManyRequests)
            response.headers[.retryAfter] = "1"
            return response
        }
        return try await next(request, context)
    }

    /// Takes a token from `client`'s bucket; false when it is empty.
    func admit(_ client: String) -> Bool {
        let now = nowNs()
        return buckets.state.withLock { all in
            var b = all[client] ?? .init(tokens: burst, lastNs: now)
            b.tokens = min(burst, b.tokens + Double(now &- b.lastNs) / 1e9 * ratePerSecond)
            b.lastNs = now
            let admitted = b.tokens >= 1
            if admitted { b.tokens -= 1 }
            if all[client] == nil, all.count >= maxClients {
                // Buckets full again since their last request carry no state worth keeping.
                all = all.filter { Double(now &- $0.value.lastNs) / 1e9 * ratePerSecond + $0.value.tokens < burst }
            }
            all[client] = b
            return admitted
        }
    }
}
