import Testing
import TicklineCore
@testable import TicklineExecution

/// The limiter on an injected clock (a `ManualClock`'s wall time stands for the exchange's),
/// every rule and its edges. Windows are epoch-aligned: the clock starts on a minute boundary.
struct RateLimiterTests {
    /// 2025-01-01T00:00:00Z, a minute (and 10 s) boundary.
    static let epochMs: Int64 = 1_735_689_600_000
    let clock = ManualClock(epochMs: epochMs)
    var now: Int64 { clock.wallTimeMs() }
    func advance(ms: Int64) { clock.advance(byNs: UInt64(ms) * 1_000_000) }

    /// The limiter under test, by reference so `#expect` can call its mutating members.
    final class Box {
        var l: RateLimiter
        init(_ configuration: RateLimitConfiguration = RateLimitConfiguration()) { l = RateLimiter(configuration) }
        func acquire(_ e: VenueEndpoint, priority: RateLimitPriority = .automatic, nowMs: Int64) -> RateLimitDecision {
            l.acquire(e, priority: priority, nowMs: nowMs)
        }
        func onResponse(_ e: VenueEndpoint, status: Int, headers: RateLimitHeaders, nowMs: Int64) -> RateLimitSignal {
            l.onResponse(e, status: status, headers: headers, nowMs: nowMs)
        }
    }

    /// Acquires until the first non-`.go`; returns how many went and what stopped them.
    func drain(_ b: Box, _ endpoint: VenueEndpoint, priority: RateLimitPriority = .automatic,
               max: Int = 10_000) -> (granted: Int, stop: RateLimitDecision?) {
        for n in 0..<max {
            let d = b.l.acquire(endpoint, priority: priority, nowMs: now)
            if d != .go { return (n, d) }
        }
        return (max, nil)
    }

    func group(_ b: Box, _ g: VenueEndpointGroup) -> WindowCounter? { b.l.groups[g.rawValue] }

    @Test func defaultsAreTheSeedsAndBinancesLimits() {
        let c = RateLimitConfiguration()
        #expect(c.requestWeight == WindowLimit(limit: 2400, windowMs: 60_000))
        #expect(c.orders10s == WindowLimit(limit: 300, windowMs: 10_000))
        #expect(c.orders1m == WindowLimit(limit: 1200, windowMs: 60_000))
        #expect(c[.orders] == WindowLimit(limit: 1200, windowMs: 60_000))
        #expect(c[.accountQueries] == WindowLimit(limit: 1200, windowMs: 60_000))
        #expect(c[.positionQueries] == WindowLimit(limit: 40, windowMs: 10_000))
        #expect(c[.cancels] == nil && c[.market] == nil)
        #expect(c.reservePercent == 20 && c.backoffMs == [1000, 2000, 4000])
        #expect(VenueEndpoint.positionRisk.weight == 5 && VenueEndpoint.newOrder.weight == 0 && VenueEndpoint.newOrder.isOrder)
        #expect(VenueEndpoint.balance.weight == 5 && VenueEndpoint.balance.group == .accountQueries)
    }

    /// Position queries: 40 per 10 s, 20 % reserved → 32 go, the 33rd waits for the window's end.
    @Test func positionQueriesKeepTwentyPercentInReserve() {
        let b = Box()
        advance(ms: 3_250)
        let (granted, stop) = drain(b, .positionRisk)
        #expect(granted == 32)
        #expect(stop == .wait(ms: 6_750, reason: .group(.positionQueries)))
        // The reserve is there for manual operations: 8 more, then even they wait.
        let manual = drain(b, .positionRisk, priority: .manual)
        #expect(manual.granted == 8)
        #expect(manual.stop == .wait(ms: 6_750, reason: .group(.positionQueries)))
        #expect(group(b, .positionQueries)?.used == 40)
        #expect(b.l.waits == 2 && b.l.longestWaitMs == 6_750)
    }

    /// The window resets on its boundary, not 10 s after the first request.
    @Test func windowResetIsTrackedAndAligned() {
        let b = Box()
        advance(ms: 9_999)
        #expect(drain(b, .positionRisk).granted == 32)
        #expect(b.acquire(.positionRisk, nowMs: now) == .wait(ms: 1, reason: .group(.positionQueries)))
        #expect(group(b, .positionQueries)?.resetsAtMs == Self.epochMs + 10_000)
        advance(ms: 1)
        #expect(b.acquire(.positionRisk, nowMs: now) == .go)
        #expect(group(b, .positionQueries)?.used == 1)
        #expect(group(b, .positionQueries)?.resetsAtMs == Self.epochMs + 20_000)
    }

    /// Exchange ORDERS: 300 per 10 s → 240 automatic; new windows let more go, until the
    /// per-minute budgets (exchange 1 200 → 960, the seed's orders group 1 200 → 960) stop them.
    @Test func orderLimitsPer10sAndPerMinute() {
        let b = Box()
        var total = 0
        for window in 0..<6 {
            let (granted, stop) = drain(b, .newOrder)
            total += granted
            if window < 3 {
                #expect(granted == 240)
                #expect(stop == .wait(ms: 10_000, reason: .orders10s))
            } else if window == 3 {
                #expect(granted == 240)
                #expect(stop == .wait(ms: 30_000, reason: .orders1m), "the longest wait: the minute is used up")
            } else {
                #expect(granted == 0)
            }
            advance(ms: 10_000)
        }
        #expect(total == 960, "the minute's budget: 1 200 less the 20 % reserve")
        // Algo orders count as orders too; cancels do not (they must never queue behind new orders).
        #expect(b.acquire(.newAlgoOrder, nowMs: now) == .go)
        #expect(b.acquire(.cancelAlgoOrder, nowMs: now) == .go)
        #expect(b.l.orders1m.used == 1 && b.l.orders10s.used == 1)
    }

    @Test func aMinuteOfOrdersWaitsForTheMinute() {
        var config = RateLimitConfiguration()
        config.orders10s = WindowLimit(limit: 10_000, windowMs: 10_000)
        let b = Box(config)
        advance(ms: 15_000)
        let (granted, stop) = drain(b, .newOrder)
        #expect(granted == 960)
        guard case .wait(let ms, _) = stop else {
            Issue.record("expected a wait, got \(String(describing: stop))")
            return
        }
        #expect(ms == 45_000, "both minute budgets are full: 45 s to the minute")
    }

    /// REQUEST_WEIGHT: 2 400/min → 1 920 of weight-1 queries; orders weigh 0 and still go.
    @Test func requestWeightLimit() {
        var config = RateLimitConfiguration()
        config[.accountQueries] = nil
        let b = Box(config)
        let (granted, stop) = drain(b, .queryOrder)
        #expect(granted == 1920)
        #expect(stop == .wait(ms: 60_000, reason: .requestWeight))
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
        #expect(b.acquire(.positionRisk, priority: .manual, nowMs: now) == .go, "weight 5 fits in the reserve")
    }

    /// The exchange's headers are the truth when they say more (another client on the same IP).
    @Test func headersRaiseTheCountsButNeverLowerThem() {
        let b = Box()
        _ = b.l.onResponse(.queryOrder, status: 200, headers: RateLimitHeaders(usedWeight1m: 1915), nowMs: now)
        #expect(b.l.requestWeight.used == 1915)
        #expect(drain(b, .queryOrder).granted == 5)
        // A lower count (taken while our own requests were still in flight) changes nothing.
        _ = b.l.onResponse(.queryOrder, status: 200, headers: RateLimitHeaders(usedWeight1m: 3), nowMs: now)
        #expect(b.l.requestWeight.used == 1920)
        _ = b.l.onResponse(.newOrder, status: 200, headers: RateLimitHeaders(orderCount10s: 239, orderCount1m: 500),
                           nowMs: now)
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
        #expect(b.acquire(.newOrder, nowMs: now) == .wait(ms: 10_000, reason: .orders10s))
        #expect(b.l.orders1m.used == 501)
        // In a new window the header's count starts over with it.
        advance(ms: 60_000)
        _ = b.l.onResponse(.queryOrder, status: 200, headers: RateLimitHeaders(usedWeight1m: 7), nowMs: now)
        #expect(b.l.requestWeight.used == 7)
    }

    @Test func headerNamesAreReadInAnyCase() {
        let h = RateLimitHeaders(headers: [("x-mbx-used-weight-1m", "12"), ("X-MBX-ORDER-COUNT-10S", "3"),
                                           ("x-mbx-order-count-1m", "9"), ("retry-after", "30"), ("date", "x")])
        #expect(h == RateLimitHeaders(usedWeight1m: 12, orderCount10s: 3, orderCount1m: 9, retryAfterSeconds: 30))
        #expect(RateLimitHeaders(headers: [("x-mbx-used-weight-1m", "n/a")]).usedWeight1m == nil)
    }

    /// Repeated 429s back off 1 s, 2 s, 4 s (and 4 s after); everything waits, manual requests
    /// included; any other answer resets the sequence.
    @Test func backoffOnRepeated429() {
        let b = Box()
        for (i, expected) in [Int64(1000), 2000, 4000, 4000].enumerated() {
            #expect(b.onResponse(.positionRisk, status: 429, headers: RateLimitHeaders(), nowMs: now)
                == .backoff(ms: expected))
            #expect(b.l.consecutive429 == i + 1)
            #expect(b.acquire(.serverTime, priority: .manual, nowMs: now) == .wait(ms: expected, reason: .backoff))
            advance(ms: expected - 1)
            #expect(b.acquire(.newOrder, nowMs: now) == .wait(ms: 1, reason: .backoff))
            advance(ms: 1)
        }
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
        #expect(b.onResponse(.newOrder, status: 200, headers: RateLimitHeaders(), nowMs: now) == .none)
        #expect(b.l.consecutive429 == 0)
        #expect(b.onResponse(.newOrder, status: 429, headers: RateLimitHeaders(), nowMs: now) == .backoff(ms: 1000))
        #expect(b.l.responses429 == 5 && !b.l.isHalted)
    }

    /// When a 429's wait is over, one request probes alone; the others wait for its answer.
    @Test func afterABackoffOneProbeGoesFirst() {
        let b = Box()
        #expect(b.onResponse(.positionRisk, status: 429, headers: RateLimitHeaders(), nowMs: now) == .backoff(ms: 1000))
        advance(ms: 1000)
        #expect(b.acquire(.positionRisk, nowMs: now) == .go)
        #expect(b.l.probeInFlight)
        #expect(b.acquire(.newOrder, nowMs: now) == .wait(ms: 100, reason: .backoff))
        advance(ms: 500)
        #expect(b.acquire(.cancelAlgoOrder, priority: .manual, nowMs: now) == .wait(ms: 100, reason: .backoff))
        // The probe got a 429 again: a longer wait, then a new probe.
        #expect(b.onResponse(.positionRisk, status: 429, headers: RateLimitHeaders(), nowMs: now) == .backoff(ms: 2000))
        advance(ms: 2000)
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
        // No answer at all (a timeout) frees the probe too.
        b.l.onNoResponse()
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
        // An answer without a 429 ends the storm: everything flows again.
        #expect(b.onResponse(.newOrder, status: 200, headers: RateLimitHeaders(), nowMs: now) == .none)
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
        #expect(!b.l.probeInFlight && b.l.consecutive429 == 0)
    }

    /// `Retry-After` wins when longer than the back-off, and the back-off when longer than it.
    @Test func retryAfterIsHonoured() {
        let b = Box()
        #expect(b.onResponse(.newOrder, status: 429, headers: RateLimitHeaders(retryAfterSeconds: 30), nowMs: now)
            == .backoff(ms: 30_000))
        advance(ms: 29_000)
        #expect(b.acquire(.newOrder, nowMs: now) == .wait(ms: 1_000, reason: .backoff))
        // A second 429 with Retry-After 0: the 2 s back-off, which also covers the earlier block's last second.
        #expect(b.onResponse(.newOrder, status: 429, headers: RateLimitHeaders(retryAfterSeconds: 0), nowMs: now)
            == .backoff(ms: 2_000))
        advance(ms: 2_000)
        #expect(b.acquire(.newOrder, nowMs: now) == .go)
    }

    /// 418: everything stops until an operator resumes; the ban's end is reported.
    @Test func banHaltsEverything() {
        let b = Box()
        #expect(b.onResponse(.positionRisk, status: 418, headers: RateLimitHeaders(retryAfterSeconds: 120), nowMs: now)
            == .banned(untilMs: Self.epochMs + 120_000))
        #expect(b.l.isHalted && b.l.bannedUntilMs == Self.epochMs + 120_000 && b.l.responses418 == 1)
        for e in VenueEndpoint.allCases {
            #expect(b.acquire(e, priority: .manual, nowMs: now) == .halted)
        }
        advance(ms: 600_000)
        #expect(b.acquire(.serverTime, nowMs: now) == .halted, "the halt outlives the ban: a person decides")
        b.l.resume()
        #expect(!b.l.isHalted && b.l.bannedUntilMs == nil)
        #expect(b.acquire(.serverTime, nowMs: now) == .go)
        #expect(b.l.refusedWhileHalted == VenueEndpoint.allCases.count + 1)
        #expect(b.onResponse(.positionRisk, status: 418, headers: RateLimitHeaders(), nowMs: now) == .banned(untilMs: nil))
    }

    /// A request heavier than the whole automatic budget still goes through an empty window.
    @Test func oversizedRequestGoesThroughAnEmptyWindow() {
        var config = RateLimitConfiguration()
        config.requestWeight = WindowLimit(limit: 4, windowMs: 60_000)
        let b = Box(config)
        #expect(b.acquire(.positionRisk, nowMs: now) == .go)
        #expect(b.acquire(.positionRisk, nowMs: now) == .wait(ms: 60_000, reason: .requestWeight))
        #expect(b.acquire(.serverTime, nowMs: now) == .wait(ms: 60_000, reason: .requestWeight))
    }

    /// The venue clock can step back after a re-sync: counts stay (no free budget), and a wait
    /// is never longer than one window.
    @Test func clockSteppingBackKeepsTheCounts() {
        let b = Box()
        advance(ms: 20_000)
        #expect(drain(b, .positionRisk).granted == 32)
        let earlier = now - 15_000
        #expect(b.acquire(.positionRisk, nowMs: earlier) == .wait(ms: 10_000, reason: .group(.positionQueries)))
    }

    @Test func exchangeLimitsFromExchangeInfo() {
        let b = Box()
        #expect(b.acquire(.queryOrder, nowMs: now) == .go)
        b.l.updateExchangeLimits(requestWeightPerMinute: 10, ordersPer10s: nil, ordersPerMinute: 0)
        #expect(b.l.requestWeight.limit.limit == 10 && b.l.requestWeight.used == 1)
        #expect(b.l.orders1m.limit.limit == 1200, "a zero or missing limit is ignored")
        #expect(drain(b, .queryOrder).granted == 7)
    }

    @Test func waitMessageIsTheSeedsLogLine() {
        #expect(RateLimiter.waitMessage(ms: 1250) == "Rate limit reached, waiting 1250ms")
    }
}
