import Foundation
import HTTPTypes
import Hummingbird

/// Turning model events into stream messages, and the admin API.
extension SimVenue {
    /// Advances the market to `toMs` and publishes what happened.
    func advanceAndPublish(toMs: Int64) {
        publish(exchange.advance(toMs: toMs))
    }

    /// Renders each event once per stream that has subscribers and hands it to the hub.
    func publish(_ events: [SimEvent]) {
        for event in events {
            if let account = event.account {
                publishUser(event, account: account)
            } else {
                publishMarket(event)
            }
        }
    }

    func send(_ stream: String, _ payload: @autoclosure () -> String) {
        guard hub.hasSubscribers(stream) else { return }
        var text = payload()
        streamMessages += 1
        if faults.malformedEvery > 0, streamMessages % faults.malformedEvery == 0 {
            text = String(text.prefix(text.count / 2))  // truncated JSON
        }
        hub.publish(stream: stream, payload: text)
    }

    private func publishMarket(_ event: SimEvent) {
        let r = render
        switch event {
        case let .trade(s, id, price, qty, maker, t):
            let stream = s.lowercased() + "@trade"
            send(stream, JSONWriter.object { w in
                w.string("e", "trade")
                w.int("E", t)
                w.int("T", t)
                w.string("s", s)
                w.int("t", id)
                w.string("p", r.px(price, s))
                w.string("q", r.qty(qty, s))
                w.string("X", "MARKET")
                w.bool("m", maker)
            })
            probe.recordMarket(id: "\(s):\(id)", monotonicNs: SimPacer.monotonicNs())
        case let .aggTrade(s, id, price, qty, first, last, maker, t):
            send(s.lowercased() + "@aggTrade", JSONWriter.object { w in
                w.string("e", "aggTrade")
                w.int("E", t)
                w.int("a", id)
                w.string("s", s)
                w.string("p", r.px(price, s))
                w.string("q", r.qty(qty, s))
                w.int("f", first)
                w.int("l", last)
                w.int("T", t)
                w.bool("m", maker)
            })
        case let .bookTicker(s, u, bp, bq, ap, aq, t):
            send(s.lowercased() + "@bookTicker", JSONWriter.object { w in
                w.string("e", "bookTicker")
                w.int("u", u)
                w.int("E", t)
                w.int("T", t)
                w.string("s", s)
                w.string("b", r.px(bp, s))
                w.string("B", r.qty(bq, s))
                w.string("a", r.px(ap, s))
                w.string("A", r.qty(aq, s))
            })
        case let .depth(s, first, final, previous, bids, asks, t):
            let base = s.lowercased() + "@depth"
            func message(_ levels: Int?) -> String {
                JSONWriter.object { w in
                    w.string("e", "depthUpdate")
                    w.int("E", t)
                    w.int("T", t)
                    w.string("s", s)
                    w.int("U", first)
                    w.int("u", final)
                    w.int("pu", previous)
                    if let levels {
                        r.levels(&w, "b", bids.filter { !$0.1.isZero }.prefix(levels), s)
                        r.levels(&w, "a", asks.filter { !$0.1.isZero }.prefix(levels), s)
                    } else {
                        r.levels(&w, "b", bids[...], s)
                        r.levels(&w, "a", asks[...], s)
                    }
                }
            }
            for speed in ["", "@100ms", "@250ms", "@500ms"] {
                send(base + speed, message(nil))
                for n in [5, 10, 20] { send(base + "\(n)" + speed, message(n)) }
            }
        case let .kline(s, interval, k, closed, t):
            send(s.lowercased() + "@kline_" + interval, JSONWriter.object { w in
                w.string("e", "kline")
                w.int("E", t)
                w.string("s", s)
                r.klineObject(&w, k, symbol: s, interval: interval, closed: closed, priceSymbol: s)
            })
            send(s.lowercased() + "_perpetual@continuousKline_" + interval, JSONWriter.object { w in
                w.string("e", "continuous_kline")
                w.int("E", t)
                w.string("ps", s)
                w.string("ct", "PERPETUAL")
                r.klineObject(&w, k, symbol: nil, interval: interval, closed: closed, priceSymbol: s)
            })
        case let .markPrice(s, mark, index, settle, rate, next, t):
            let text = { JSONWriter.object { w in
                w.string("e", "markPriceUpdate")
                w.int("E", t)
                w.string("s", s)
                w.string("p", r.amount(mark))
                w.string("i", r.amount(index))
                w.string("P", r.amount(settle))
                w.string("r", r.amount(rate))
                w.int("T", next)
            } }
            send(s.lowercased() + "@markPrice@1s", text())
            // The default stream updates every 3 s.
            if (t / 1000) % 3 == 0 { send(s.lowercased() + "@markPrice", text()) }
        default:
            break
        }
    }

    private func publishUser(_ event: SimEvent, account: SimAccountID) {
        let r = render
        let text: String
        switch event {
        case let .orderUpdate(_, order, exec, fill): text = r.orderUpdate(order, exec, fill)
        case let .accountUpdate(_, reason, balances, positions, t):
            text = r.accountUpdate(reason: reason, balances: balances, positions: positions, timeMs: t)
        case let .algoUpdate(_, order, t): text = r.algoUpdate(order, timeMs: t)
        case let .marginCall(_, cw, positions, t): text = r.marginCall(crossWalletBalance: cw, positions: positions, timeMs: t)
        case let .tradeLite(_, order, fill): text = r.tradeLite(order, fill)
        default: return
        }
        if heldUserMessages != nil {
            heldUserMessages?.append((account.rawValue, text))
        } else {
            hub.publishUser(account: account.rawValue, payload: text)
        }
    }

    // MARK: admin API (/sim/…)

    func admin(method: HTTPRequest.Method, path: String, params p: SimParams) -> (HTTPResponse.Status, String) {
        let now = clock.nowMs()
        func bad(_ msg: String) -> (HTTPResponse.Status, String) {
            (.badRequest, SimHTTPError.badRequest(-1100, msg).body)
        }
        switch (method, path) {
        case (.get, "/sim/ledger"):
            let account = p["account"].flatMap { Int($0) }
            let rows = exchange.ledger.filter { account == nil || $0.account.rawValue == account }
                .filter { p["symbol"] == nil || $0.symbol == p["symbol"] }
            return (.ok, JSONWriter.array(rows) { w, e in
                w.beginObject()
                w.string("kind", e.kind.rawValue)
                w.int("account", e.account.rawValue)
                w.string("symbol", e.symbol)
                if let side = e.side { w.string("side", side.rawValue) } else { w.null("side") }
                w.string("price", e.price.plain)
                w.string("qty", e.qty.plain)
                w.string("fee", e.fee.plain)
                w.string("realizedPnl", e.realizedPnl.plain)
                w.string("fundingAmount", e.fundingAmount.plain)
                w.string("fundingRate", e.fundingRate.plain)
                if let id = e.tradeId { w.int("tradeId", id) } else { w.null("tradeId") }
                if let id = e.orderId { w.int("orderId", id) } else { w.null("orderId") }
                w.int("time", e.timeMs)
                w.endObject()
            })
        case (.post, "/sim/price"):
            guard let s = p["symbol"], exchange.spec(s) != nil else { return bad("unknown symbol") }
            guard let text = p["price"], let price = SimDecimal(text), price.isPositive else { return bad("price must be a positive decimal") }
            publish(exchange.setPrice(s, price, nowMs: now))
            return (.ok, "{\"symbol\":\"\(s)\",\"price\":\"\(render.px(exchange.lastPrice(s) ?? price, s))\"}")
        case (.post, "/sim/advance"):
            guard let ms = p["ms"].flatMap({ Int64($0) }), ms >= 0 else { return bad("ms must be a non-negative integer") }
            guard let t = clock.advance(byMs: ms) else { return bad("the clock is live: start with --manual-clock") }
            advanceAndPublish(toMs: t)
            expireListenKeys(nowMs: t)
            return (.ok, "{\"time\":\(t)}")
        case (.post, "/sim/funding"):
            guard let s = p["symbol"], exchange.spec(s) != nil else { return bad("unknown symbol") }
            exchange.setFundingRate(s, p["rate"].flatMap { SimDecimal($0) })
            return (.ok, "{}")
        case (.post, "/sim/faults"):
            if p["drop_connections"] == "now" { hub.disconnectAll() }
            if let v = p["drop_every"].flatMap({ Int($0) }) { faults.dropConnectionsEverySeconds = max(0, v) }
            if let v = p["silent"] { hub.silent.store(v == "true", ordering: .relaxed) }
            if let v = p["malformed_every"].flatMap({ Int($0) }) { faults.malformedEvery = max(0, v) }
            if let v = p["rest_error_fraction"].flatMap({ Double($0) }) { faults.restErrorFraction = min(1, max(0, v)) }
            if let v = p["rest_delay_ms"].flatMap({ Int($0) }) { faults.restDelayMs = max(0, v) }
            if let v = p["partial_fills"].flatMap({ Int($0) }) {
                faults.partialFills = max(1, v)
                exchange.partialFillSplits = faults.partialFills
            }
            switch p["hold_user_stream"] {
            case "true": if heldUserMessages == nil { heldUserMessages = [] }
            case "false":
                for m in heldUserMessages ?? [] { hub.publishUser(account: m.account, payload: m.payload) }
                heldUserMessages = nil
            default: break
            }
            if let v = p["skew_ms"].flatMap({ Int64($0) }) { clock.setSkew(ms: v) }
            if p["expire_listen_keys"] == "true" { expireListenKeys(nowMs: now, force: true) }
            switch p["force"] {
            case "429": limiter.forced = .tooMany(retryAfterSeconds: 30, usedWeight: limiter.limits.requestWeightPerMinute)
            case "418": limiter.forced = .banned(untilMs: now + 120_000)
            case "off": limiter.forced = nil
            default: break
            }
            return (.ok, "{}")
        case (.get, "/sim/latency"):
            // id=SYMBOL:TRADEID: from that @trade message's write; after_ns=STAMP: from a
            // CLOCK_MONOTONIC stamp (a paced message's `a`). Either to the first order read after.
            let delay: UInt64?
            if let text = p["after_ns"] {
                guard let stamp = UInt64(text) else { return bad("after_ns must be a CLOCK_MONOTONIC ns count") }
                delay = probe.delay(afterNs: stamp)
            } else if let id = p["id"] {
                delay = probe.delay(afterMarketMessage: id)
            } else {
                return bad("id=SYMBOL:TRADEID or after_ns=STAMP required")
            }
            guard let delay else { return (.notFound, "{\"delay_ns\":null}") }
            return (.ok, "{\"delay_ns\":\(delay)}")
        case (.post, "/sim/flood"):
            // Benchmark source: `count` aggTrade messages for `stream` (a real symbol's aggTrade
            // stream), rendered and published as fast as the venue can, through the same path as
            // market events. At most the per-connection queue (100 000) so none is dropped.
            guard let stream = p["stream"], stream.hasSuffix("@aggTrade"),
                  let spec = exchange.spec(String(stream.dropLast("@aggTrade".count)).uppercased())
            else { return bad("stream must be <symbol>@aggTrade of a listed symbol") }
            let count = min(hub.queueLimit, max(0, Int(p["count"] ?? "0") ?? 0))
            let price = exchange.lastPrice(spec.symbol) ?? spec.initialPrice
            for i in 0..<count {
                send(stream, JSONWriter.object { w in
                    w.string("e", "aggTrade")
                    w.int("E", now)
                    w.int("a", Int64(i))
                    w.string("s", spec.symbol)
                    w.string("p", render.px(price, spec.symbol))
                    w.string("q", render.qty(spec.stepSize, spec.symbol))
                    w.int("f", Int64(i))
                    w.int("l", Int64(i))
                    w.int("T", now)
                    w.bool("m", i % 2 == 0)
                })
            }
            return (.ok, "{\"published\":\(count)}")
        case (.post, "/sim/pace"):
            // Latency source: `count` aggTrade messages, one every `interval_us` (default 200), each
            // stamped with CLOCK_MONOTONIC ns in `a` (see `SimPacer`). Answers at once; a thread
            // of its own publishes. Refused while nobody subscribes, so a client that asks right
            // after its upgrade learns it has to ask again rather than losing the first messages.
            guard let stream = p["stream"], stream.hasSuffix("@aggTrade"),
                  let spec = exchange.spec(String(stream.dropLast("@aggTrade".count)).uppercased())
            else { return bad("stream must be <symbol>@aggTrade of a listed symbol") }
            guard let count = Int(p["count"] ?? ""), count > 0, count <= SimPacer.maxCount else {
                return bad("count must be 1…\(SimPacer.maxCount)")
            }
            guard let intervalUs = Int(p["interval_us"] ?? "200"), intervalUs > 0, intervalUs <= 1_000_000 else {
                return bad("interval_us must be 1…1000000")
            }
            guard hub.hasSubscribers(stream) else { return (.conflict, "{\"error\":\"no subscriber on \(stream)\"}") }
            let price = exchange.lastPrice(spec.symbol) ?? spec.initialPrice
            let pacer = SimPacer(stream: stream, symbol: spec.symbol, price: render.px(price, spec.symbol),
                                 quantity: render.qty(spec.stepSize, spec.symbol), eventTimeMs: now,
                                 count: count, intervalNs: UInt64(intervalUs) * 1000)
            let startNs = pacer.start(hub: hub)
            return (.ok, "{\"scheduled\":\(count),\"interval_us\":\(intervalUs),\"start_ns\":\(startNs)}")
        case (.get, "/sim/stats"):
            return (.ok, "{\"connections\":\(hub.connectionCount),\"stream_messages\":\(streamMessages),\"time\":\(now)}")
        default:
            return (.notFound, SimHTTPError.unknownPath.body)
        }
    }
}

/// The paced latency source behind `POST /sim/pace`: `count` `aggTrade` messages on `stream`, one
/// per `intervalNs` on a CLOCK_MONOTONIC grid, published from a thread of its own.
///
/// Each message is a valid Binance aggTrade (the engine's real parser takes it) whose aggregate
/// trade id `a` is the CLOCK_MONOTONIC time in ns at which the simulator started rendering it;
/// `f` and `l` carry its sequence number (0..<count). The stamp is read with `clock_gettime`
/// directly, the clock the engine's `LiveClock` reads (DispatchTime's uptime is not promised to
/// be that clock), so a client on the same host subtracts it from its own receive time.
///
/// The stamp is taken *before* rendering, the hub's fan-out, the per-connection `AsyncStream` hop
/// and the simulator's own NIO write: a wire latency measured against it includes the
/// simulator's wake-ups, and is the same floor for every client that reads the stream.
///
/// Paced, not flooded, so a latency is not a queueing delay: when the thread wakes late past
/// the next grid point, the grid restarts one interval after now instead of bursting to catch
/// up. The thread sleeps with `clock_nanosleep(TIMER_ABSTIME)` (default timer slack, 50 µs: it
/// moves the send times, not the stamps). Paced messages bypass fault injection (malformed
/// messages, stream counters): they exist to be measured.
struct SimPacer: Sendable {
    static let maxCount = 1_000_000

    let stream: String
    let symbol: String
    let price: String
    let quantity: String
    let eventTimeMs: Int64
    let count: Int
    let intervalNs: UInt64

    /// CLOCK_MONOTONIC in ns.
    static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// The message with sequence number `sequence`, stamped `stampNs`.
    func message(sequence: Int, stampNs: UInt64) -> String {
        JSONWriter.object { w in
            w.string("e", "aggTrade")
            w.int("E", eventTimeMs)
            w.int("a", Int64(stampNs))
            w.string("s", symbol)
            w.string("p", price)
            w.string("q", quantity)
            w.int("f", sequence)
            w.int("l", sequence)
            w.int("T", eventTimeMs)
            w.bool("m", sequence % 2 == 0)
        }
    }

    /// Starts the publishing thread; returns the grid's origin (the first message is due one
    /// interval later).
    func start(hub: StreamHub) -> UInt64 {
        let startNs = Self.monotonicNs()
        let pacer = self
        let thread = Thread {
            var next = startNs &+ pacer.intervalNs
            for i in 0..<pacer.count {
                Self.sleep(untilNs: next)
                let stamp = Self.monotonicNs()
                hub.publish(stream: pacer.stream, payload: pacer.message(sequence: i, stampNs: stamp))
                next &+= pacer.intervalNs
                let now = Self.monotonicNs()
                if next < now { next = now &+ pacer.intervalNs }  // late: restart the grid, never burst
            }
        }
        thread.start()
        return startNs
    }

    static func sleep(untilNs ns: UInt64) {
        var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}
