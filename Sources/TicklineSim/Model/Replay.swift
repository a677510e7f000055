import Foundation

/// Recorded prices to replay instead of the random walk: per symbol, a time-ordered list of
/// trades on the data's own clock (ms since the epoch). Built from text by `klines(csv:…)` or
/// `capture(text:)` (pure parsing; the file reading lives in `SimReplayLoader`), then attached
/// to an exchange with `SimExchange.attachReplay(_:speed:)`, which maps `originMs` onto the
/// simulator clock and rounds/clamps every price and quantity to the symbol's filters.
///
/// Malformed input (CSV rows, capture lines or trade messages that do not parse) is skipped and
/// counted in `skipped`; it never traps.
public struct ReplaySource: Sendable {
    struct Trade: Equatable, Sendable {
        /// Data time, ms since the epoch.
        var timeMs: Int64
        /// Recorded price / quantity, not yet on the symbol's grid.
        var price: SimDecimal
        var qty: SimDecimal?
        var buyerIsMaker: Bool
    }

    /// Symbol → trades, each list sorted by time. Symbols sorted by name where order matters.
    var trades: [String: [Trade]]
    /// Data time mapped onto the simulator's start (the first message / first candle).
    var originMs: Int64
    /// Rows or lines skipped as malformed.
    public internal(set) var skipped: Int
    /// Where it came from (for log lines).
    public internal(set) var label: String

    /// Replayed symbols, sorted.
    public var symbols: [String] { trades.keys.sorted() }
    /// Number of replayable trades of `symbol`.
    public func tradeCount(_ symbol: String) -> Int { trades[symbol]?.count ?? 0 }

    init(trades: [String: [Trade]], originMs: Int64, skipped: Int, label: String) {
        self.trades = trades
        self.originMs = originMs
        self.skipped = skipped
        self.label = label
    }

    /// Several sources replayed together (e.g. one capture file per symbol): one common origin,
    /// the earliest; a symbol present in several keeps the later source's trades.
    static func merged(_ sources: [ReplaySource]) -> ReplaySource {
        var trades: [String: [Trade]] = [:]
        for s in sources { for (k, v) in s.trades { trades[k] = v } }
        return ReplaySource(trades: trades, originMs: sources.map(\.originMs).min() ?? 0,
                            skipped: sources.reduce(0) { $0 + $1.skipped },
                            label: sources.map(\.label).joined(separator: ","))
    }

    // MARK: klines CSV

    /// A kline CSV (one symbol). Accepted columns: open time (ms, s or µs since the epoch, or an
    /// ISO date `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z]`), open, high, low, close, and optionally
    /// volume (empty = the symbol's minimum quantity) and close time. With a header the columns
    /// are found by name (`open_time_ms`, `open_time`, `timestamp`, `time`, `date`, `open`, `high`,
    /// `low`, `close`, `volume`, `close_time…`); without one they are positional as in Binance's
    /// archive (`open_time,open,high,low,close,volume,close_time,…`).
    ///
    /// Each candle becomes four trades inside its interval: at +0 the open, at +¼ and +½ of the
    /// interval the two extremes (low first for a rising candle, O-L-H-C; high first for a
    /// falling one, O-H-L-C), at +¾ the close; the volume is split equally across them. The
    /// interval is the close-time column + 1 − open time when present, otherwise the smallest
    /// gap between consecutive rows (60 s for a single row). Rows whose OHLC is inconsistent
    /// (non-positive, high < max(open, close), low > min(open, close)) or whose time does not
    /// increase are skipped and counted.
    static func klines(csv text: String, symbol: String, label: String = "klines") -> ReplaySource {
        struct Row { var t: Int64; var o, h, l, c: SimDecimal; var v: SimDecimal?; var closeT: Int64? }
        var rows: [Row] = []
        var skipped = 0
        var cols = (t: 0, o: 1, h: 2, l: 3, c: 4, v: 5 as Int?, ct: 6 as Int?)
        var sawFirst = false
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
            }
            if !sawFirst {
                sawFirst = true
                if parseTime(f[0]) == nil {  // a header
                    let names = f.map { $0.lowercased() }
                    func find(_ candidates: [String]) -> Int? {
                        for c in candidates { if let i = names.firstIndex(of: c) { return i } }
                        return nil
                    }
                    guard let t = find(["open_time_ms", "open_time", "opentime", "timestamp", "time", "date", "datetime", "ts"]),
                          let o = find(["open", "o"]), let h = find(["high", "h"]), let l = find(["low", "l"]),
                          let c = find(["close", "c"])
                    else {
                        skipped += 1  // not a kline header; try positional on the rest
                        continue
                    }
                    cols = (t, o, h, l, c, find(["volume", "vol", "v"]), find(["close_time_ms", "close_time", "closetime"]))
                    continue
                }
            }
            func field(_ i: Int?) -> String? { i.flatMap { $0 < f.count ? f[$0] : nil } }
            guard let ts = field(cols.t), let t = parseTime(ts),
                  let o = field(cols.o).flatMap(parseDecimal), let h = field(cols.h).flatMap(parseDecimal),
                  let l = field(cols.l).flatMap(parseDecimal), let c = field(cols.c).flatMap(parseDecimal),
                  o.isPositive, h.isPositive, l.isPositive, c.isPositive,
                  h >= Swift.max(o, c), l <= Swift.min(o, c)
            else {
                skipped += 1
                continue
            }
            if let last = rows.last, t <= last.t {
                skipped += 1
                continue
            }
            let v = field(cols.v).flatMap(parseDecimal).flatMap { $0.isPositive ? $0 : nil }
            let ct = field(cols.ct).flatMap { Int64($0) }.flatMap { $0 > t ? $0 : nil }
            rows.append(Row(t: t, o: o, h: h, l: l, c: c, v: v, closeT: ct))
        }
        var gap: Int64 = 60_000
        if let first = rows.first, let ct = first.closeT {
            gap = ct + 1 - first.t
        } else if rows.count > 1 {
            gap = zip(rows, rows.dropFirst()).map { $1.t - $0.t }.min()!
        }
        var trades: [Trade] = []
        trades.reserveCapacity(rows.count * 4)
        var prev: SimDecimal?
        for r in rows {
            let iv = r.closeT.map { $0 + 1 - r.t } ?? gap
            let rising = r.c >= r.o
            let path = rising ? [r.o, r.l, r.h, r.c] : [r.o, r.h, r.l, r.c]
            let offsets: [Int64] = [0, iv / 4, iv / 2, iv * 3 / 4]
            let q = r.v.map { $0 / SimDecimal(4) }
            for (p, off) in zip(path, offsets) {
                let from = prev ?? (rising ? p - SimDecimal(units: 1) : p + SimDecimal(units: 1))
                let takerSold = p < from || (p == from && !rising)
                trades.append(Trade(timeMs: r.t + off, price: p, qty: q, buyerIsMaker: takerSold))
                prev = p
            }
        }
        return ReplaySource(trades: trades.isEmpty ? [:] : [symbol: trades], originMs: rows.first?.t ?? 0,
                            skipped: skipped, label: label)
    }

    // MARK: capture

    /// A WebSocket capture as in `binance-usdm-capture/`: lines `<local_ns> <json>`, where the
    /// JSON is a combined-stream message (`@trade`, `@bookTicker`, `@depth@0ms`) or a REST depth
    /// snapshot. Only trades are replayed (price `p`, quantity `q`, buyer-maker `m`, time `T`),
    /// for every symbol `s` found; the origin is the exchange time `E` of the first message that
    /// parses. Lines not of the form `<integer> {…}`, and trade messages that do not parse, are
    /// skipped and counted (other messages are not decoded, so are only checked for shape).
    static func capture(text: String, label: String = "capture") -> ReplaySource {
        var trades: [String: [Trade]] = [:]
        var skipped = 0
        var origin: Int64?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            guard let sp = line.firstIndex(of: " "), Int64(line[..<sp]) != nil else {
                skipped += 1
                continue
            }
            let json = line[line.index(after: sp)...].trimmingCharacters(in: .whitespaces)
            guard json.hasPrefix("{"), json.hasSuffix("}") else {
                skipped += 1
                continue
            }
            let isTrade = json.contains("\"e\":\"trade\"")
            guard isTrade || origin == nil else { continue }
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
                skipped += 1
                continue
            }
            let data = (obj["data"] as? [String: Any]) ?? obj
            if origin == nil, let e = int64(data["E"]) ?? int64(data["T"]) { origin = e }
            guard isTrade else { continue }
            guard data["e"] as? String == "trade", let sym = data["s"] as? String,
                  let p = (data["p"] as? String).flatMap(parseDecimal), p.isPositive,
                  let q = (data["q"] as? String).flatMap(parseDecimal),
                  let m = data["m"] as? Bool, let t = int64(data["T"]) ?? int64(data["E"])
            else {
                skipped += 1
                continue
            }
            trades[sym.uppercased(), default: []].append(Trade(timeMs: t, price: p, qty: q.isPositive ? q : nil, buyerIsMaker: m))
        }
        // Time order, keeping the capture's order among equal times (an explicitly stable sort).
        for (k, list) in trades where !zip(list, list.dropFirst()).allSatisfy({ $0.timeMs <= $1.timeMs }) {
            trades[k] = list.enumerated().sorted { ($0.element.timeMs, $0.offset) < ($1.element.timeMs, $1.offset) }.map(\.element)
        }
        let firstTrade = trades.values.compactMap { $0.first?.timeMs }.min()
        return ReplaySource(trades: trades, originMs: origin ?? firstTrade ?? 0, skipped: skipped, label: label)
    }

    // MARK: parsing helpers

    private static func int64(_ v: Any?) -> Int64? {
        switch v {
        case let n as Int: return Int64(n)
        case let n as Int64: return n
        case let n as NSNumber: return n.int64Value
        case let s as String: return Int64(s)
        default: return nil
        }
    }

    /// Exact when it fits 8 decimals; otherwise (more decimals, exponent) through `Double`.
    static func parseDecimal(_ s: String) -> SimDecimal? {
        if s.isEmpty { return nil }
        if let d = SimDecimal(s) { return d }
        guard let x = Double(s), x.isFinite, Swift.abs(x) < 9e10 else { return nil }
        return SimDecimal(units: Int64((x * 1e8).rounded()))
    }

    /// Epoch ms from an integer (s if < 10¹¹, µs if > 10¹⁴, else ms) or an ISO-like UTC date.
    static func parseTime(_ s: String) -> Int64? {
        if let n = Int64(s) {
            guard n > 0 else { return nil }
            if n < 100_000_000_000 { return n * 1000 }
            if n > 100_000_000_000_000 { return n / 1000 }
            return n
        }
        if let x = Double(s), x.isFinite, x > 0, !s.contains("-") { return parseTime(String(Int64(x))) }
        // YYYY-MM-DD[ T]HH:MM[:SS[.fff…]][Z]
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int64? {
            guard from + len <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + len) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var hh: Int64 = 0, mm: Int64 = 0, ss: Int64 = 0, ms: Int64 = 0
        if b.count > 10 {
            guard b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T"), let h = num(11, 2), b.count > 13,
                  b[13] == UInt8(ascii: ":"), let m = num(14, 2), h < 24, m < 60
            else { return nil }
            hh = h
            mm = m
            var i = 16
            if i < b.count, b[i] == UInt8(ascii: ":") {
                guard let sec = num(17, 2), sec < 61 else { return nil }
                ss = sec
                i = 19
                if i < b.count, b[i] == UInt8(ascii: ".") {
                    i += 1
                    var digits = 0
                    while i < b.count, b[i] >= 48, b[i] <= 57 {
                        if digits < 3 { ms = ms * 10 + Int64(b[i] - 48) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in Swift.min(digits, 3)..<3 { ms *= 10 }
                }
            }
            if i < b.count, b[i] == UInt8(ascii: "Z") { i += 1 }
            if i < b.count, b[i] == UInt8(ascii: "+"), s.hasSuffix("00:00") || s.hasSuffix("0000") { i = b.count }
            guard i == b.count else { return nil }
        }
        // Days from civil (Howard Hinnant).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms
    }
}

/// A replay attached to one market: trades already on the simulator clock and the symbol's grid.
struct ReplayCursor {
    struct Tick {
        var timeMs: Int64
        var priceTicks: Int64
        var qty: SimDecimal
        var buyerIsMaker: Bool
    }
    var ticks: [Tick]
    var next = 0
    var isExhausted: Bool { next >= ticks.count }

    /// Maps data time `t` to `startMs + (t − originMs) / speed`; rounds prices to the nearest
    /// tick, clamped to PRICE_FILTER, and quantities down to the step, clamped to
    /// [minQty, maxQty] (a missing quantity becomes minQty). The part of a quantity lost to the
    /// step is carried to the next trade, so a candle's volume split in four adds up again.
    init(_ trades: [ReplaySource.Trade], originMs: Int64, startMs: Int64, speed: Double, spec: SimSymbolSpec) {
        let tick = spec.tickSize
        let minTicks = spec.minPrice.rounded(toMultipleOf: tick, rule: .up).count(of: tick)
        let maxTicks = spec.maxPrice.rounded(toMultipleOf: tick, rule: .down).count(of: tick)
        var carry = SimDecimal.zero
        ticks = trades.map { t in
            let offset = Double(t.timeMs - originMs) / speed
            let time = startMs + Int64(Swift.max(0, offset).rounded(.down))
            let p = Swift.min(maxTicks, Swift.max(minTicks, t.price.rounded(toMultipleOf: tick, rule: .nearest).count(of: tick)))
            let exact = (t.qty ?? spec.minQty) + carry
            var q = exact.rounded(toMultipleOf: spec.stepSize, rule: .down)
            carry = exact - q
            if q < spec.minQty || q > spec.maxQty {
                q = Swift.min(spec.maxQty, Swift.max(spec.minQty, q))
                carry = .zero
            }
            return Tick(timeMs: time, priceTicks: p, qty: q, buyerIsMaker: t.buyerIsMaker)
        }
    }
}
