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
}
