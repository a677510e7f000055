import TicklineCore

/// `[venue]`: where market data and REST come from, and what is subscribed. The defaults point
/// at Binance USD-M futures with its 2026 split stream layout (`/market`, `/public`,
/// `/private` under one WebSocket base); `tickline run --venue sim` swaps in the bundled
/// simulator's loopback URLs, which have the same shape.
public struct VenueSettings: Sendable, Equatable {
    public enum Backend: String, Sendable, Equatable, CaseIterable {
        /// io_uring (the default): multishot receive into a provided buffer ring.
        case uring
        /// Non-blocking sockets polled in a spin.
        case poll
    }

    public var restURL = VenueURL(secure: true, host: "fapi.binance.com", port: 443, path: "")
    public var streamURL = VenueURL(secure: true, host: "fstream.binance.com", port: 443, path: "")
    public var symbols = ["BTCUSDT", "ETHUSDT"]
    /// Kline intervals subscribed (closed by the parse stage's one-close rule).
    public var intervals: [Interval] = [.m1, .m5, .m15, .h1, .h4]
    public var aggTrade = true
    public var bookTicker = true
    /// `<symbol>@markPrice@1s`: mark price, index price and funding.
    public var markPrice = true
    /// Closed candles loaded over REST per (symbol, interval) before signals are enabled: the
    /// longest indicator warm-up.
    public var warmupCandles = 300
    public var backend = Backend.uring
    /// PEM file of trusted CAs for TLS; nil uses the system store.
    public var caFile: String?

    public init() {}

    /// The streams of each path, in Binance's 2026 layout: trades, klines and mark price on
    /// `/market`; the book ticker on `/public`.
    public var marketStreams: [String] {
        symbols.map { $0.lowercased() }.flatMap { s in
            (aggTrade ? ["\(s)@aggTrade"] : []) + (markPrice ? ["\(s)@markPrice@1s"] : [])
                + intervals.map { "\(s)@kline_\($0.name)" }
        }
    }

    public var publicStreams: [String] { bookTicker ? symbols.map { "\($0.lowercased())@bookTicker" } : [] }
}

/// `http(s)://` or `ws(s)://` host, port and base path, parsed once at start-up.
public struct VenueURL: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: UInt16
    /// Base path without a trailing slash ("" for the root).
    public var path: String

    public init(secure: Bool, host: String, port: UInt16, path: String) {
        self.secure = secure
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses `scheme://host[:port][/path]`; `schemes` are the plain and secure scheme names.
    public init?(_ text: String, schemes: (plain: String, secure: String)) {
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case schemes.plain: secure = false
        case schemes.secure: secure = true
        default: return nil
        }
        let rest = parts[1]
        let authority = rest.prefix { $0 != "/" }
        var p = String(rest.dropFirst(authority.count))
        while p.hasSuffix("/") { p.removeLast() }
        path = p
        if authority.hasPrefix("[") {  // [v6]:port
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = secure ? 443 : 80
            } else {
                guard after.hasPrefix(":"), let n = UInt16(after.dropFirst()) else { return nil }
                port = n
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let n = UInt16(authority[authority.index(after: colon)...]) else { return nil }
            port = n
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty else { return nil }
    }

    /// The Host header: the port only when it is not the scheme's default.
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? h : "\(h):\(port)"
    }

    public var description: String { "\(authority)\(path)\(secure ? " (TLS)" : "")" }
}
