import Foundation
import Testing
@testable import TicklineControl
import TicklineCore
import TicklineEngine
import TicklineTestSupport

/// WebSocket events against a live server, with Python's `websockets` as the client: the
/// confirmation, events by account, price updates, the heartbeat closing a silent client, and a
/// client too slow for its send queue.
@Suite(.serialized) struct EventStreamTests {
    let btc = SymbolID(0)

    func json(_ line: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }

    func fill(_ account: UInt16, tradeID: Int64) -> EngineEvent.Body {
        var r = ExecutionReport.sample
        r.account = AccountID(account)
        r.symbol = btc
        r.tradeID = tradeID
        return .execution(r)
    }

    @Test func clientsGetAConfirmationThenTheEventsOfTheirAccount() async throws {
        let h = try await ControlHarness()
        let all = try h.webSocketClient(token: try await h.token(user: "ops"), mode: "answer")
        let bound = try h.webSocketClient(token: try await h.token(account: 1, user: "bob"), mode: "answer")
        let hello = try #require(json(try await all.lines(timeoutMs: 20_000) { _ in true }.last ?? ""))
        #expect(hello["type"] as? String == "connected")
        let data = try #require(hello["data"] as? [String: Any])
        #expect(data["user"] as? String == "ops" && data["ping_interval_ms"] as? Int == 30_000)
        let helloBound = try #require(json(try await bound.lines(timeoutMs: 10_000) { _ in true }.last ?? ""))
        #expect((helloBound["data"] as? [String: Any])?["account"] as? Int == 1)
        for _ in 0..<200 where h.plane.hub.stats.active < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(h.plane.hub.stats.active == 2)

        h.publish(fill(0, tradeID: 1001))
        h.publish(fill(1, tradeID: 1002))
        h.prices.update(btc, nowNs: 10, lastTrade: Price(raw: 4_330_010), mark: Price(raw: 4_330_000),
                        bid: Price(raw: 4_330_000), ask: Price(raw: 4_330_010))
        h.plane.publishPrices(nowMs: 1_795_608_000_000)

        let seen = try await all.lines(timeoutMs: 10_000) { $0.contains("price_update") }.compactMap(json)
        #expect(seen.compactMap { ($0["data"] as? [String: Any])?["trade_id"] as? Int } == [1001, 1002])
        let executed = try #require(seen.first)
        #expect(executed["type"] as? String == "trade_executed" && executed["account"] as? Int == 0)
        #expect((executed["data"] as? [String: Any])?["price"] as? String == "43250.10")
        let price = try #require(seen.last)
        #expect((price["data"] as? [String: Any])?["last"] as? String == "43300.10" && price["account"] is NSNull)

        let seenBound = try await bound.lines(timeoutMs: 10_000) { $0.contains("price_update") }.compactMap(json)
        #expect(seenBound.compactMap { ($0["data"] as? [String: Any])?["trade_id"] as? Int } == [1002], "account 1's only")
        await h.stop()
        _ = try? await all.lines(timeoutMs: 5_000) { $0.hasPrefix("closed") }
        #expect(h.logs.messages.contains { $0.contains("WebSocket client connected: c1") })
        #expect(h.logs.messages.contains { $0.contains("WebSocket client disconnected: c1") })
    }

    @Test func aTokenIsRequiredToConnect() async throws {
        let h = try await ControlHarness()
        let anonymous = try h.webSocketClient(token: "not-a-token", mode: "answer")
        let lines = try await anonymous.lines(timeoutMs: 10_000) { $0.hasPrefix("refused") || $0.hasPrefix("closed") }
        #expect(lines.first?.contains(#""type":"error""#) == true && lines.first?.contains(#""error":"Invalid token""#) == true)
        #expect(lines.last == "closed 4401 Invalid token")
        #expect(h.plane.hub.stats.connects == 0)
        await h.stop()
    }

    /// Pings every second, 1 s to answer, 3 missed in a row: the silent client is closed
    /// (1001) after ~6 s with "Dead connection detected"; the one that answers stays.
    @Test func aSilentClientIsClosedAfterThreeMissedPongs() async throws {
        let h = try await ControlHarness { s in
            s.wsPingIntervalSeconds = 1
            s.wsPongTimeoutSeconds = 1
        }
        let silent = try h.webSocketClient(token: try await h.token(user: "mute"), mode: "silent")
        let alive = try h.webSocketClient(token: try await h.token(user: "chatty"), mode: "answer")
        let lines = try await silent.lines(timeoutMs: 15_000) { $0.hasPrefix("closed") }
        #expect(lines.filter { $0.contains("\"type\":\"ping\"") }.count == 3)
        #expect(lines.last == "closed 1001 heartbeat timeout")
        for _ in 0..<200 where h.plane.hub.stats.closedByTimeout < 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(h.plane.hub.stats.closedByTimeout == 1)
        #expect(h.logs.messages.filter { $0.hasPrefix("warning: Dead connection detected: c") }.count == 1)
        #expect(h.plane.hub.stats.active == 1, "the client that answers stays")
        let pings = try await alive.lines(timeoutMs: 5_000) { $0.contains("\"id\":4") }
        #expect(!pings.contains { $0.hasPrefix("closed") })
        await h.stop()
    }

    /// A client that stops reading: once the socket buffers are full its queue (16 messages)
    /// fills and it is disconnected (1008) and counted; a client that reads the same stream at the
    /// same pace stays connected. The server's memory stays bounded by the queue.
    @Test func aClientThatCannotKeepUpIsDisconnected() async throws {
        let h = try await ControlHarness { s in s.wsSendQueue = 16 }
        let stalled = try h.webSocketClient(token: try await h.token(user: "slow"), mode: "stall")
        let reader = try h.webSocketClient(token: try await h.token(user: "fast"), mode: "quiet")
        _ = try await stalled.lines(timeoutMs: 20_000) { $0.contains("connected") }
        for _ in 0..<500 where h.plane.hub.stats.active < 2 { try await Task.sleep(for: .milliseconds(10)) }
        let padding = String(repeating: "x", count: 1_000)
        var sent = 0
        // 8 messages every 5 ms (~1.6 MB/s): well within a reading client's pace.
        while h.plane.hub.stats.closedSlow == 0, sent < 200_000 {
            for _ in 0..<8 {
                h.plane.hub.broadcast(EventMessage(type: "test", account: nil, json: "{\"type\":\"test\",\"pad\":\"\(padding)\"}"))
            }
            sent += 8
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(h.plane.hub.stats.closedSlow == 1, "after \(sent) messages")
        let lines = try await stalled.lines(timeoutMs: 15_000) { $0.hasPrefix("closed") }
        #expect(lines.last == "closed 1008 client too slow: send queue full")
        try await Task.sleep(for: .milliseconds(200))
        #expect(h.plane.hub.stats.active == 1, "the reading client stays")
        await h.stop()
        let end = try await reader.lines(timeoutMs: 10_000) { $0.hasPrefix("closed") }
        let received = Int(end.first { $0.hasPrefix("received ") }?.dropFirst(9) ?? "") ?? 0
        #expect(received >= sent, "the reader got every message (\(received) of \(sent), plus pings)")
    }
}

extension ExecutionReport {
    /// A fill of 0.100 BTC at 43 250.10.
    static var sample: ExecutionReport {
        ExecutionReport(ingressNs: 1, eventTimeMs: 1_795_608_000_000, clientOrderID: 5, venueOrderID: 77,
                        account: AccountID(0), symbol: SymbolID(0), side: .buy, kind: .filled, tradeID: 1,
                        lastFillQuantity: Quantity(raw: 100), lastFillPrice: Price(raw: 4_325_010),
                        cumulativeQuantity: Quantity(raw: 100), averagePrice: Price(raw: 4_325_010),
                        commission: Price(raw: 173))
    }
}
