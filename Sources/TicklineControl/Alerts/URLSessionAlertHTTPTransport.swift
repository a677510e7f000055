import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP(S) POST through Foundation's URLSession (libcurl on Linux): how `https://` endpoints —
/// Slack, PagerDuty — are reached, since this target has no TLS of its own on SwiftNIO.
///
/// ## Caveats
/// - Links FoundationNetworking, hence libcurl at run time (Debian: `libcurl4`).
/// - Certificates are verified against the system trust store; there is no pinning.
public struct URLSessionAlertHTTPTransport: AlertHTTPTransport {
    let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    public func post(_ url: AlertURL, headers: [(name: String, value: String)], body: [UInt8], timeoutMs: Int64)
        async throws -> AlertHTTPResponse
    {
        guard let target = URL(string: url.string) else { throw AlertSendError.protocolError("unparseable URL \(url)") }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData,
                                 timeoutInterval: Double(timeoutMs) / 1000)
        request.httpMethod = "POST"
        request.setValue("Tickline-Alerts/1", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)

        let taskBox = Mutex<URLSessionDataTask?>(nil)
        let endpoint = url.endpoint
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<AlertHTTPResponse, any Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        let code = (error as? URLError)?.code
                        switch code {
                        case .timedOut?: continuation.resume(throwing: AlertSendError.timedOut(timeoutMs: timeoutMs))
                        case .cancelled?: continuation.resume(throwing: CancellationError())
                        case .cannotConnectToHost?, .cannotFindHost?, .dnsLookupFailed?, .networkConnectionLost?:
                            continuation.resume(throwing: AlertSendError.connectFailed(
                                endpoint: endpoint, reason: error.localizedDescription))
                        default:
                            continuation.resume(throwing: AlertSendError.io("\(endpoint): \(error.localizedDescription)"))
                        }
                        return
                    }
                    guard let http = response as? HTTPURLResponse else {
                        continuation.resume(throwing: AlertSendError.protocolError("\(endpoint): not an HTTP response"))
                        return
                    }
                    continuation.resume(returning: AlertHTTPResponse(
                        status: http.statusCode, body: Array((data ?? Data()).prefix(64 * 1024))))
                }
                taskBox.withLock { $0 = task }
                task.resume()
                if Task.isCancelled { task.cancel() }  // cancelled before the handler could see the task
            }
        } onCancel: {
            taskBox.withLock { $0 }?.cancel()
        }
    }
}

/// `http://` over SwiftNIO, `https://` over URLSession: what the HTTP sinks use unless told
/// otherwise.
public struct DefaultAlertHTTPTransport: AlertHTTPTransport {
    let plain: NIOAlertHTTPTransport
    let secure: URLSessionAlertHTTPTransport

    public init(plain: NIOAlertHTTPTransport = NIOAlertHTTPTransport(),
                secure: URLSessionAlertHTTPTransport = URLSessionAlertHTTPTransport()) {
        self.plain = plain
        self.secure = secure
    }

    public func post(_ url: AlertURL, headers: [(name: String, value: String)], body: [UInt8], timeoutMs: Int64)
        async throws -> AlertHTTPResponse
    {
        url.scheme == "https"
            ? try await secure.post(url, headers: headers, body: body, timeoutMs: timeoutMs)
            : try await plain.post(url, headers: headers, body: body, timeoutMs: timeoutMs)
    }
}
