import Foundation
import Logging
import Synchronization
import TicklineCore
import TicklineRing

/// The WebSocket event fan-out (US-SYSTEM-006, 019). Each connection has a bounded send queue:
/// an event is rendered once and offered to every client allowed to see it (its account's, or
/// everyone's); a client whose queue is full is too slow and is disconnected, counted, never
/// buffered without bound.
///
/// Heartbeat at the application level, so that browser clients (which cannot see protocol
/// pings) take part: every `pingInterval` the server sends `{"type":"ping","id":n}`; the client
/// answers `{"type":"pong","id":n}`. A ping unanswered after `pongTimeout` is missed; after
/// `maxMissedPongs` in a row the connection is dead: "Dead connection detected: {client_id}",
/// closed, its resources freed.
public final class EventHub: Sendable {
    public struct Settings: Sendable {
        public var pingInterval: Duration = .seconds(30)
        public var pongTimeout: Duration = .seconds(5)
        public var maxMissedPongs = 3
        /// Messages a client may have queued before it counts as too slow.
        public var sendQueueLimit = 1024
        public var maxMessageBytes = 1 << 16

        public init() {}
    }

    /// What one connection sees and who it is.
    final class Client: Sendable {
        let id: String
        let user: String
        let account: AccountID?
        let queue: AsyncStream<Outgoing>.Continuation
        /// Set when the queue overflowed: the writer closes the connection.
        let slow = Atomic<Bool>(false)
        /// The id of the last ping the client answered.
        let lastPong = Atomic<UInt64>(0)
        /// Why the server ended the connection (0 gone: the client left or the server stopped).
        let endingRaw = Atomic<UInt8>(0)

        func end(_ e: Ending) { _ = endingRaw.compareExchange(expected: 0, desired: e.rawValue, ordering: .relaxed) }
        var ending: Ending { Ending(rawValue: endingRaw.load(ordering: .relaxed)) ?? .gone }
        let connectedNs: UInt64

        init(id: String, user: String, account: AccountID?, queue: AsyncStream<Outgoing>.Continuation, connectedNs: UInt64) {
            self.id = id
            self.user = user
            self.account = account
            self.queue = queue
            self.connectedNs = connectedNs
        }
    }

    public struct Stats: Sendable, Equatable {
        public var active: Int
        public var connects: Int
        public var closedByTimeout: Int
        public var closedSlow: Int
        public var messagesQueued: Int
        /// Σ durations of closed connections (seconds), for the average.
        public var closedConnectionSeconds: Double
        public var closed: Int

        public var averageConnectionSeconds: Double { closed == 0 ? 0 : closedConnectionSeconds / Double(closed) }
    }

    /// A queued message and when it was queued (for the delivery latency).
    struct Outgoing: Sendable {
        var text: String
        var queuedNs: UInt64
    }

    public let settings: Settings
    /// Broadcast → written to a client's socket, per (client, message).
    public let deliveryLatency = LatencyAccumulator(name: "websocket_delivery")
    let logger: Logger
    let clients = Mutex<[String: Client]>([:])
    let counters = Mutex(Stats(active: 0, connects: 0, closedByTimeout: 0, closedSlow: 0, messagesQueued: 0,
                               closedConnectionSeconds: 0, closed: 0))
    let nextClient = Atomic<UInt64>(1)

    public init(settings: Settings = Settings(), logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public var stats: Stats { counters.withLock { $0 } }

    /// Offers `message` to every client allowed to see it; too-slow clients are marked for closing.
    public func broadcast(_ message: EventMessage) {
        let targets = clients.withLock { Array($0.values) }
        let outgoing = Outgoing(text: message.json, queuedNs: LiveClock().nowNs())
        var queued = 0
        for c in targets {
            if let account = message.account, let mine = c.account, mine != account { continue }
            if c.slow.load(ordering: .relaxed) { continue }
            switch c.queue.yield(outgoing) {
            case .enqueued: queued += 1
            case .dropped:
                // Full queue: the client cannot keep up. Its writer closes it.
                if !c.slow.exchange(true, ordering: .relaxed) {
                    counters.withLock { $0.closedSlow += 1 }
                    logger.warning("WebSocket client too slow, disconnecting: \(c.id)", metadata: ["user": "\(c.user)"])
                }
                c.queue.finish()
            case .terminated: break
            @unknown default: break
            }
        }
        if queued > 0 { counters.withLock { $0.messagesQueued += queued } }
    }

    /// Serves one upgraded connection until it closes: the confirmation message, queued events,
    /// the heartbeat, and the client's pongs.
    /// - Parameters:
    ///   - send: writes one text message to the socket.
    ///   - close: closes the socket with a code and a reason (which also ends `readMessages`).
    ///   - readMessages: reads the client's text messages, handing each to its argument, until
    ///     the connection closes (runs in the calling task: the socket's inbound stream stays there).
    public func serve(user: String, account: AccountID?, nowNs: @escaping @Sendable () -> UInt64,
                      send: @escaping @Sendable (String) async throws -> Void,
                      close: @escaping @Sendable (_ code: UInt16, _ reason: String) async -> Void,
                      readMessages: (_ onText: @Sendable (String) -> Void) async -> Void) async {
        let id = "c\(nextClient.wrappingAdd(1, ordering: .relaxed).oldValue)"
        let (stream, queue) = AsyncStream.makeStream(of: Outgoing.self,
                                                     bufferingPolicy: .bufferingOldest(settings.sendQueueLimit))
        let client = Client(id: id, user: user, account: account, queue: queue, connectedNs: nowNs())
        clients.withLock { $0[id] = client }
        counters.withLock {
            $0.active += 1
            $0.connects += 1
        }
        logger.info("WebSocket client connected: \(id)", metadata: [
            "user": "\(user)", "account": "\(account.map { String($0.rawValue) } ?? "all")",
        ])
        var confirmation = JSONText()
        confirmation.string("client_id", id)
        confirmation.string("user", user)
        confirmation.int("account", account.map { Int64($0.rawValue) })
        confirmation.int("ping_interval_ms", settings.pingInterval.milliseconds)
        confirmation.int("pong_timeout_ms", settings.pongTimeout.milliseconds)
        queue.yield(Outgoing(text: EventMessages.envelope(type: "connected", timeMs: Int64(Date().timeIntervalSince1970 * 1000),
                                                          account: account, data: confirmation.finished()),
                             queuedNs: nowNs()))

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let clock = LiveClock()
                for await message in stream {
                    if client.slow.load(ordering: .relaxed) { break }
                    do { try await send(message.text) } catch { break }
                    self.deliveryLatency.record(clock.nowNs() &- message.queuedNs)
                }
                if client.slow.load(ordering: .relaxed) {
                    client.end(.slow)
                    await close(1008, "client too slow: send queue full")
                }
            }
            group.addTask { [settings] in
                var missed = 0
                var ping: UInt64 = 0
                while !Task.isCancelled {
                    do { try await Task.sleep(for: settings.pingInterval) } catch { return }
                    ping += 1
                    queue.yield(Outgoing(text: "{\"type\":\"ping\",\"id\":\(ping)}", queuedNs: nowNs()))
                    do { try await Task.sleep(for: settings.pongTimeout) } catch { return }
                    if client.lastPong.load(ordering: .relaxed) >= ping {
                        missed = 0
                    } else {
                        missed += 1
                        if missed >= settings.maxMissedPongs {
                            client.end(.dead)
                            await close(1001, "heartbeat timeout")
                            return
                        }
                    }
                }
            }
            await readMessages { text in
                if let pong = Self.pongID(text) { client.lastPong.store(pong, ordering: .relaxed) }
            }
            queue.finish()
            group.cancelAll()
        }
        clients.withLock { $0[id] = nil }
        let outcome = client.ending
        let seconds = Double(nowNs() &- client.connectedNs) / 1e9
        counters.withLock {
            $0.active -= 1
            $0.closed += 1
            $0.closedConnectionSeconds += seconds
            if outcome == .dead { $0.closedByTimeout += 1 }
        }
        if outcome == .dead { logger.warning("Dead connection detected: \(id)", metadata: ["user": "\(user)"]) }
        if outcome == .gone { await close(1000, "closed") }
        logger.info("WebSocket client disconnected: \(id)", metadata: [
            "user": "\(user)", "duration_s": "\(Int(seconds))", "reason": "\(outcome)",
        ])
    }

    enum Ending: UInt8, Sendable, Equatable { case gone = 0, dead, slow }

    /// The id of `{"type":"pong","id":n}`, or nil for any other message.
    static func pongID(_ text: String) -> UInt64? {
        guard text.count < 256,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              object["type"] as? String == "pong", let id = object["id"] as? NSNumber
        else { return nil }
        return id.uint64Value
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
