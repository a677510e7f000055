import Foundation
import Testing

@testable import TicklineSim

/// `POST /sim/pace`: paced aggTrades whose `a` is the CLOCK_MONOTONIC ns of their rendering.
@Suite struct SimPacerTests {
    func venue(_ hub: StreamHub) -> SimVenue {
        SimVenue(exchange: Fixture.exchange(), clock: SimClock(manualStartMs: Fixture.startMs), hub: hub,
                 limits: RateLimits(), faults: SimFaults(), listenKeyValidityMs: 60_000, seed: 1)
    }

    @Test func pacedMessagesCarryMonotonicStampsOnTheGrid() async throws {
        let hub = StreamHub()
        let venue = venue(hub)
        let (_, messages) = hub.connect(route: .market, combined: false, streams: ["btcusdt@aggTrade"])
        let before = SimPacer.monotonicNs()
        let (status, body) = await venue.admin(
            method: .post, path: "/sim/pace",
            params: SimParams(query: "stream=btcusdt@aggTrade&count=3&interval_us=2000", body: nil))
        #expect(status == .ok)
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let startNs = try #require(reply["start_ns"] as? Int)
        #expect(reply["scheduled"] as? Int == 3)
        var received: [[String: Any]] = []
        for await text in messages {
            received.append(try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]))
            if received.count == 3 { break }
        }
        let after = SimPacer.monotonicNs()
        #expect(UInt64(startNs) >= before)
        for (i, m) in received.enumerated() {
            #expect(m["e"] as? String == "aggTrade")
            #expect(m["s"] as? String == "BTCUSDT")
            #expect(m["f"] as? Int == i && m["l"] as? Int == i, "f and l are the sequence number")
            let stamp = UInt64(try #require(m["a"] as? Int))
            // Never before its grid point (start + (i + 1) × interval), never after we read it.
            #expect(stamp >= UInt64(startNs) + UInt64(i + 1) * 2_000_000)
            #expect(stamp <= after)
        }
    }

    @Test func refusedWithoutSubscriberOrWithBadParameters() async {
        let hub = StreamHub()
        let venue = venue(hub)
        func pace(_ query: String) async -> Int {
            await venue.admin(method: .post, path: "/sim/pace", params: SimParams(query: query, body: nil)).0.code
        }
        #expect(await pace("stream=btcusdt@aggTrade&count=5") == 409)
        let (_, _) = hub.connect(route: .market, combined: true, streams: ["btcusdt@aggTrade"])
        #expect(await pace("stream=btcusdt@trade&count=5") == 400)
        #expect(await pace("stream=nosuch@aggTrade&count=5") == 400)
        #expect(await pace("stream=btcusdt@aggTrade&count=0") == 400)
        #expect(await pace("stream=btcusdt@aggTrade&count=5&interval_us=0") == 400)
        #expect(await pace("stream=btcusdt@aggTrade&count=1&interval_us=100") == 200)
    }

    /// `GET /sim/latency?after_ns=STAMP`: ns from a CLOCK_MONOTONIC stamp (a paced message's `a`)
    /// to the first order the venue read at or after it; 404 with null when none came after.
    @Test func latencyFromAStampToTheFirstOrderReadAfterIt() async throws {
        let venue = venue(StreamHub())
        func latency(_ query: String) async -> (Int, String) {
            let (status, body) = await venue.admin(method: .get, path: "/sim/latency", params: SimParams(query: query, body: nil))
            return (status.code, body)
        }
        func order() async {
            let payload = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.003&timestamp=\(Fixture.startMs)&recvWindow=5000"
            let signature = SimSigner.signature(secret: "demo-secret", payload: payload)
            let (status, _, _) = await venue.handle(method: .post, path: "/fapi/v1/order",
                                                    params: SimParams(query: nil, body: payload + "&signature=" + signature),
                                                    apiKey: "demo-key", address: "test")
            #expect(status == .ok)
        }
        let t0 = SimPacer.monotonicNs()
        #expect(await latency("after_ns=\(t0)") == (404, "{\"delay_ns\":null}"))
        await order()
        let t1 = SimPacer.monotonicNs()
        await order()
        let t2 = SimPacer.monotonicNs()

        func delay(_ stamp: UInt64) async throws -> UInt64 {
            let (code, body) = await latency("after_ns=\(stamp)")
            #expect(code == 200)
            let reply = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            return UInt64(try #require(reply["delay_ns"] as? Int))
        }
        // The first order is read between t0 and t1, the second between t1 and t2.
        let first = try await delay(t0)
        #expect(first <= t1 - t0)
        let second = try await delay(t1)
        #expect(second <= t2 - t1)
        #expect(t0 + first < t1 + second, "each stamp finds the first order at or after it")
        #expect(await latency("after_ns=\(t2 + 1)") == (404, "{\"delay_ns\":null}"))
        #expect(await latency("after_ns=soon").0 == 400)
        #expect(await latency("").0 == 400)
        // The trade-id form still answers (404: no @trade message was written here).
        #expect(await latency("id=BTCUSDT:1").0 == 404)
    }
}
