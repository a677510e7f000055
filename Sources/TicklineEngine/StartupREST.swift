import TicklineCore
import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

/// Blocking REST for start-up only (exchange info, before any stage thread runs): one request
/// through an `HTTPConnectionPool` on a throwaway polling loop, so start-up speaks plain HTTP or
/// TLS exactly as the stages do. The trading path never calls it.
public enum StartupREST {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func get(_ endpoint: RESTEndpoint, path: String, timeoutNs: UInt64 = 10_000_000_000) throws
        -> (status: Int, body: [UInt8])
    {
        try request(endpoint, method: "GET", path: path, timeoutNs: timeoutNs)
    }

    public static func request(_ endpoint: RESTEndpoint, method: String, path: String,
                               timeoutNs: UInt64 = 10_000_000_000) throws -> (status: Int, body: [UInt8]) {
        let loop = PollingSocketLoop()
        let pool = HTTPConnectionPool(loop: loop, address: endpoint.address, host: endpoint.host,
                                      security: endpoint.security, tokenBase: 0, maxConnections: 1,
                                      requestTimeoutNs: timeoutNs)
        var outcome: Result<(status: Int, body: [UInt8]), HTTPPoolError>?
        pool.request(method: method, path: path) { result in
            outcome = result.map { ($0.status, Array($0.body)) }
        }
        let clock = LiveClock()
        let deadline = clock.nowNs() + timeoutNs + 1_000_000_000
        while outcome == nil, clock.nowNs() < deadline {
            if pool.doWork(nowNs: clock.nowNs()) == 0 { usleep(100) }
        }
        pool.shutDown()
        for _ in 0..<1000 where pool.retiredOperations > 0 { _ = pool.doWork(nowNs: clock.nowNs()) }
        switch outcome {
        case .success(let answer)?: return answer
        case .failure(let error)?: throw Failure(description: "\(method) \(endpoint.host)\(path): \(error)")
        case nil: throw Failure(description: "\(method) \(endpoint.host)\(path): no answer")
        }
    }
}
