import TicklineRing
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The Prometheus scrape endpoint: `GET /metrics` on its own port (default 9464) answers the
/// families a provider returns, rendered in text format 0.0.4; every other path is 404, every
/// other method on `/metrics` 405.
///
/// A swift-service-lifecycle `Service` (it runs a Hummingbird `Application`, which is one):
/// put it in the control plane's `ServiceGroup`, or call `run()` and cancel the task to stop.
///
/// ## The provider contract
/// `provider` runs on a SwiftNIO/Swift-concurrency thread of the control plane, once per scrape,
/// possibly concurrently with itself (two scrapers). It must only **read values the data plane
/// publishes without blocking it**: atomics (counters, gauges), snapshots a stage publishes
/// (`LatencySnapshot` collected through `LatencyRecorder`'s swap protocol, copies taken by the
/// control plane's own collector), or state owned by the control plane. It must not take a lock
/// that a stage (data-plane) thread takes, wait for a stage, or allocate on a stage's behalf —
/// a slow scrape then delays only the scraper, never a tick. Locks private to the control plane
/// (e.g. around the control plane's copy of the last snapshots) are fine. It should return in
/// well under a millisecond: it runs inside the request handler.
///
/// ## Performance
/// One provider call, one render into one `ByteBuffer` sized from the previous scrape (the
/// response owns its buffer until it is written, so it cannot be reused across scrapes; sizing
/// it from the last scrape avoids regrowth), no compression (Prometheus scrapes loopback or a
/// LAN; gzip would cost more than it saves for ~50 kB).
public struct MetricsServer: Service {
    /// Returns the families of one scrape. See "The provider contract".
    public typealias Provider = @Sendable () -> [MetricFamily]

    public struct Configuration: Sendable, Equatable {
        /// The metrics port unless configured (9464, the default; also the default of
        /// OpenTelemetry's Prometheus exporters), separate from the REST/WebSocket port.
        public static let defaultPort = 9464

        /// Interface to bind. Loopback by default: expose the metrics to another host
        /// deliberately ("0.0.0.0" or a LAN address).
        public var host: String
        /// TCP port; 0 lets the OS pick one (tests), reported through `onListening`.
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = Configuration.defaultPort) {
            self.host = host
            self.port = port
        }
    }

    /// The scrape path.
    public static let path = "/metrics"

    /// The Hummingbird application serving the endpoint (tests may drive it directly).
    public let application: Application<CallbackResponder<BasicRequestContext>>

    /// - Parameters:
    ///   - onListening: called once the socket is bound, with the bound port (the OS's pick for 0).
    ///   - provider: the families of one scrape; see "The provider contract".
    public init(configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "tickline.metrics"),
                onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in },
                provider: @escaping Provider) {
        application = Application(
            responder: Self.responder(provider: provider),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "tickline-metrics"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Serves until cancelled (or until a `ServiceGroup` shuts it down gracefully).
    public func run() async throws {
        try await application.run()
    }

    /// The request handler alone: `/metrics` → the provider's families as text 0.0.4.
    public static func responder(provider: @escaping Provider) -> CallbackResponder<BasicRequestContext> {
        let sizeHint = ScrapeSizeHint()
        return CallbackResponder { request, _ in
            guard request.uri.path == path else { return Response(status: .notFound) }
            guard request.method == .get else {
                return Response(status: .methodNotAllowed, headers: [.allow: "GET"])
            }
            var writer = PrometheusTextWriter(capacityBytes: sizeHint.capacityBytes)
            writer.write(provider())
            sizeHint.record(writer.buffer.readableBytes)
            return Response(
                status: .ok, headers: [.contentType: PrometheusTextWriter.contentType],
                body: ResponseBody(byteBuffer: writer.buffer))
        }
    }
}

/// The size of the last scrape, so the next one allocates its buffer once. Relaxed: a stale
/// hint only costs a regrowth.
final class ScrapeSizeHint: Sendable {
    private let lastBytes = Atomic<Int>(0)

    var capacityBytes: Int {
        let last = lastBytes.load(ordering: .relaxed)
        return last == 0 ? 16 * 1024 : last + last / 8 + 256
    }

    func record(_ bytes: Int) {
        lastBytes.store(bytes, ordering: .relaxed)
    }
}
