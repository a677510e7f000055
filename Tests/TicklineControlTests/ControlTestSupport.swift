import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle
import TicklineConfig
@testable import TicklineControl
import TicklineCore
import TicklineEngine
import TicklineRing
@testable import TicklineStore
import TicklineTestSupport

/// A control plane on 127.0.0.1 (port 0) over state the test writes itself: an `EngineState` fed
/// with events, a price cache, a real LMDB store in a temp directory, and risk's command ring
/// (the test reads what the API pushes into it).
final class ControlHarness: @unchecked Sendable {
    static let symbols: SymbolTable = {
        try! SymbolTable([
            .init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)),
            .init(name: "ETHUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)),
        ])
    }()
    static let secret = "tickline-control-test-secret-0123456789abcdef"

    let directory: URL
    let store: TicklineStore
    let state = EngineState(symbols: ControlHarness.symbols)
    let prices = PriceCache(symbolCount: 2)
    let indicators = IndicatorCache(symbolCount: 2)
    let commands = SPSCRing<Command>(capacity: 64, name: "control→risk (test)")
    let plane: ControlPlane
    let authority: TokenAuthority
    let logs = LogCapture()
    let group: ServiceGroup
    let running: Task<Void, any Error>
    /// Wall clock the API sees (ms); tests move it to expire cache entries.
    let clockMs = ManagedClock(ms: 1_795_608_000_000)
    let port: Int

    init(checks: [HealthMonitor.Check] = [], configure: (inout ControlSettings) -> Void = { _ in }) async throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tickline-control-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        store = try TicklineStore(directory: directory.path, options: .small(mapSizeBytes: 8 << 20))
        authority = await TokenAuthority(secret: try JWTSecret(bytes: Array(Self.secret.utf8), source: "test"))
        var settings = ControlSettings()
        settings.port = 0
        configure(&settings)
        let clock = clockMs
        let data = ControlData(
            state: state, prices: prices, indicators: indicators, intervals: [.m1, .m5], store: store,
            commands: CommandGate(ring: commands, nowNs: { 1 }),
            accounts: [.init(id: AccountID(0), name: "main", leverage: 10, tradingEnabled: true),
                       .init(id: AccountID(1), name: "second", leverage: 5, tradingEnabled: false)],
            globalTradingEnabled: true, version: "test", wallTimeMs: { clock.ms })
        plane = ControlPlane(settings: settings, data: data, authority: authority, checks: checks, logger: logs.logger)
        group = ServiceGroup(configuration: .init(services: [.init(service: plane.apiServer(port: 0))], logger: logs.logger))
        let g = group
        running = Task { try await g.run() }
        var p = 0
        for _ in 0..<400 {
            p = plane.apiPort.load(ordering: .relaxed)
            if p != 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard p != 0 else { throw Failure(description: "the control plane did not start") }
        port = p
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        try? FileManager.default.removeItem(at: directory)
    }

    func token(_ role: Role = .viewer, account: UInt16? = nil, user: String = "alice") async throws -> String {
        try await authority.issue(user: user, role: role, account: account)
    }

    /// One HTTP request over loopback: status and body.
    func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws
        -> (status: Int, body: String)
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 10)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// GET `path` as JSON.
    func json(_ path: String, token: String) async throws -> Any {
        let (status, body) = try await request("GET", path, token: token)
        guard status == 200 else { throw Failure(description: "GET \(path): \(status) \(body)") }
        return try JSONSerialization.jsonObject(with: Data(body.utf8))
    }

    /// Hands `body` to the state as the publish agent would.
    func publish(_ body: EngineEvent.Body) {
        state.publish(EngineEvent(producer: .risk, timeNs: 1, body: body))
    }

    /// The commands the API pushed, in order.
    func drainCommands() -> [Command] {
        var out: [Command] = []
        _ = commands.handle.drain(limit: 64) { out.append($0.pointee); return true }
        return out
    }

    /// A Python `websockets` client (the ccxt venv) connected to `/ws` with `token`.
    func webSocketClient(token: String, mode: String) throws -> LineChildProcess {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let python = root.appendingPathComponent(".build/venv-ccxt/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "run Tests/clients/venvs.sh ccxt first (\(python))")
        }
        let script = root.appendingPathComponent("Tests/TicklineControlTests/Scripts/ws_client.py").path
        return try LineChildProcess(path: python, arguments: [script, "ws://127.0.0.1:\(port)/ws?token=\(token)", mode])
    }
}

/// A settable wall clock for the API.
final class ManagedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(ms: Int64) { value = ms }
    var ms: Int64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// A logger whose messages the test reads back.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var logger: Logger {
        Logger(label: "test") { [self] _ in Handler(capture: self) }
    }

    var messages: [String] { lock.withLock { lines } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append("\(event.level): \(event.message)")
        }
    }
}
