import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TicklineCore
import TicklineEngine
import TicklineStore

/// An answer with a status and a JSON error body (`{"error": "…"}`): bad input, unknown ids,
/// bodies too large, a full command ring.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ControlAPI.json(JSONText.error(message), status: status)
    }
}

/// What the REST API reads and where its commands go. Everything here is safe from any task:
/// the engine state and cache take their own locks (never a stage thread's), the price cache is
/// a seqlock, the store hands out its own read transactions.
public struct ControlData: Sendable {
    public struct Account: Sendable {
        public var id: AccountID
        public var name: String
        public var leverage: Int
        public var tradingEnabled: Bool

        public init(id: AccountID, name: String, leverage: Int, tradingEnabled: Bool) {
            self.id = id
            self.name = name
            self.leverage = leverage
            self.tradingEnabled = tradingEnabled
        }
    }

    public var state: EngineState
    public var prices: PriceCache
    public var indicators: IndicatorCache
    /// The intervals the indicator stage computes (`[venue] intervals`).
    public var intervals: [Interval]
    public var store: TicklineStore?
    public var commands: CommandGate
    public var accounts: [Account]
    public var globalTradingEnabled: Bool
    public var version: String
    public var cache: ResponseCache
    public var wallTimeMs: @Sendable () -> Int64

    public init(state: EngineState, prices: PriceCache, indicators: IndicatorCache, intervals: [Interval],
                store: TicklineStore?, commands: CommandGate, accounts: [Account], globalTradingEnabled: Bool,
                version: String, cache: ResponseCache = ResponseCache(), wallTimeMs: @escaping @Sendable () -> Int64) {
        self.state = state
        self.prices = prices
        self.indicators = indicators
        self.intervals = intervals
        self.store = store
        self.commands = commands
        self.accounts = accounts
        self.globalTradingEnabled = globalTradingEnabled
        self.version = version
        self.cache = cache
        self.wallTimeMs = wallTimeMs
    }

    public var symbols: SymbolTable { state.symbols }
}

/// The REST API under `/api/v1` (documented in `docs/openapi.yaml`). Reads need any role; the
/// switches and closes need `trader`. A user bound to an account sees and acts on that account
/// only (another account's id is 403). Reads go through `ResponseCache`.
public enum ControlAPI {
    /// Largest request body accepted (the commands' bodies are a few bytes).
    public static let maxBodyBytes = 4_096
    /// The latest time a `from` / `to` may name (year 2286).
    public static let maxTimeMs: Int64 = 9_999_999_999_999
    /// Rows a store query returns at most (`limit` defaults to 500).
    public static let maxRows = 10_000

    public static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Every path the API serves (under `/api/v1`) and its methods: other methods get 405.
    public static let routes: [(String, [HTTPRequest.Method])] = [
        ("api/v1/version", [.get]), ("api/v1/health", [.get]), ("api/v1/prices", [.get]), ("api/v1/indicators", [.get]),
        ("api/v1/positions", [.get]), ("api/v1/portfolio", [.get]), ("api/v1/accounts", [.get]),
        ("api/v1/signals", [.get]), ("api/v1/trades", [.get]), ("api/v1/candles", [.get]), ("api/v1/snapshots", [.get]),
        ("api/v1/trading", [.post]), ("api/v1/accounts/*/trading", [.post]), ("api/v1/positions/*/*/close", [.post]),
        ("health", [.get]),
    ]

    /// Adds the API's routes to `api` (a group already behind `TokenAuthMiddleware`).
    public static func addRoutes(to api: RouterGroup<ControlRequestContext>, data: ControlData) {
        api.get("version") { _, _ in
            var o = JSONText()
            o.string("version", data.version)
            o.string("api", "v1")
            return json(o.finished())
        }
        api.get("prices") { request, context in
            let symbols = try symbolFilter(request, data)
            let key = "prices?" + (request.uri.query ?? "")
            let body = data.cache.answer(key, kind: .prices, version: data.state.version(.prices), nowMs: data.wallTimeMs()) {
                "[" + symbols.map { s in priceJSON(s, data) }.joined(separator: ",") + "]"
            }
            return json(body)
        }
        api.get("indicators") { request, context in
            let symbols = try symbolFilter(request, data)
            var intervals = data.intervals
            if let name = request.uri.queryParameters["interval"] {
                guard let interval = Interval(name: String(name)) else { throw APIError(.badRequest, "unknown interval \(name)") }
                intervals = [interval]
            }
            let body = data.cache.answer("indicators?" + (request.uri.query ?? ""), kind: .indicators,
                                         version: data.state.version(.indicators), nowMs: data.wallTimeMs()) {
                var rows: [String] = []
                for s in symbols {
                    for i in intervals {
                        if let u = data.indicators.read(s, i) { rows.append(indicatorJSON(u, data.symbols)) }
                    }
                }
                return "[" + rows.joined(separator: ",") + "]"
            }
            return json(body)
        }
        api.get("positions") { request, context in
            let account = try accountFilter(request, context)
            let key = "positions?\(account.map { String($0.rawValue) } ?? "all")"
            let body = data.cache.answer(key, kind: .positions, version: data.state.version(.positions),
                                         nowMs: data.wallTimeMs()) {
                "[" + data.state.positions(account: account).map { positionJSON($0, data.symbols) }.joined(separator: ",") + "]"
            }
            return json(body)
        }
        api.get("portfolio") { request, context in
            let account = try accountFilter(request, context)
            let key = "portfolio?\(account.map { String($0.rawValue) } ?? "all")"
            let body = data.cache.answer(key, kind: .portfolios, version: data.state.version(.portfolios),
                                         nowMs: data.wallTimeMs()) {
                let rows = data.state.portfolios().filter { account == nil || $0.account == account }
                return "[" + rows.map(portfolioJSON).joined(separator: ",") + "]"
            }
            return json(body)
        }
        api.get("accounts") { _, context in
            let identity = try context.requireRole(.viewer)
            let switches = data.state.tradingSwitches()
            let body = data.cache.answer("accounts?\(identity.account.map(String.init) ?? "all")", kind: .accounts,
                                         version: data.state.version(.accounts), nowMs: data.wallTimeMs()) {
                var rows: [String] = []
                for a in data.accounts where identity.canAccess(account: a.id.rawValue) {
                    var o = JSONText()
                    o.int("id", Int64(a.id.rawValue))
                    o.string("name", a.name)
                    o.int("leverage", Int64(a.leverage))
                    o.bool("trading_enabled", switches.accounts[a.id.rawValue] ?? a.tradingEnabled)
                    rows.append(o.finished())
                }
                var o = JSONText()
                o.bool("global_trading_enabled", switches.global ?? data.globalTradingEnabled)
                o.raw("accounts", "[" + rows.joined(separator: ",") + "]")
                return o.finished()
            }
            return json(body)
        }
        api.get("signals") { request, context in
            let limit = try intParameter(request, "limit", default: 100, range: 1...EngineState.recentSignalCapacity)
            let symbol = try symbolFilter(request, data, required: false).first
            let filtered = request.uri.queryParameters["symbol"] != nil
            let key = "signals?\(filtered ? String(symbol?.rawValue ?? 0) : "all")&\(limit)"
            let body = data.cache.answer(key, kind: .signals, version: data.state.version(.signals), nowMs: data.wallTimeMs()) {
                let rows = data.state.recentSignals(limit: EngineState.recentSignalCapacity)
                    .filter { !filtered || $0.symbol == symbol }.prefix(limit)
                return "[" + rows.map { signalJSON($0, data.symbols) }.joined(separator: ",") + "]"
            }
            return json(body)
        }
        api.get("trades") { request, context in
            let account = try accountFilter(request, context)
            var query = StoreExportQuery(table: .trades, format: .jsonl, account: account)
            try timeRange(request, &query)
            if request.uri.queryParameters["symbol"] != nil { query.symbol = try symbolFilter(request, data).first }
            let limit = try intParameter(request, "limit", default: 500, range: 1...maxRows)
            return json(try data.cache.answer("trades?\(request.uri.query ?? "")&a=\(account?.rawValue ?? 9999)",
                                              kind: .trades, version: data.state.version(.trades), nowMs: data.wallTimeMs()) {
                try storeRows(query, limit: limit, data)
            })
        }
        api.get("candles") { request, context in
            var query = StoreExportQuery(table: .candles, format: .jsonl)
            query.symbol = try symbolFilter(request, data, required: true).first
            guard let name = request.uri.queryParameters["interval"].map(String.init), let interval = Interval(name: name) else {
                throw APIError(.badRequest, "interval is required: one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w")
            }
            query.interval = interval
            try timeRange(request, &query)
            let limit = try intParameter(request, "limit", default: 500, range: 1...maxRows)
            return json(try storeRows(query, limit: limit, data, newest: true))
        }
        api.get("snapshots") { request, context in
            let account = try accountFilter(request, context)
            var query = StoreExportQuery(table: .snapshots, format: .jsonl, account: account)
            try timeRange(request, &query)
            let limit = try intParameter(request, "limit", default: 2_000, range: 1...maxRows)
            let rows = try storeRows(query, limit: limit, data)
            // Equity curve statistics over the same rows.
            var equities: [Price] = []
            if let array = try? JSONSerialization.jsonObject(with: Data(rows.utf8)) as? [[String: Any]] {
                for r in array {
                    if let text = r["total_equity"] as? String, let p = Price(text, scale: DecimalScale(places: 8)) {
                        equities.append(p)
                    }
                }
            }
            let curve = EquityCurveSummary(equities: equities)
            let money = DecimalScale(places: 8)
            var o = JSONText()
            o.raw("snapshots", rows)
            o.int("count", Int64(curve.snapshots))
            o.decimal("peak_equity", curve.peakEquity.raw, money)
            o.decimal("max_drawdown", curve.maxDrawdown.raw, money)
            o.decimal("max_drawdown_percent", curve.maxDrawdownBp, DecimalScale(places: 2))
            return json(o.finished())
        }

        // Commands (trader role).
        api.post("trading") { request, context in
            try context.requireRole(.trader)
            guard context.identity?.account == nil else {
                throw APIError(.forbidden, "Forbidden: a user bound to one account cannot switch trading globally")
            }
            let enabled = try await enabledBody(request, context)
            return try accepted(data.commands.send(.setGlobalTrading, enabled: enabled), "trading \(enabled ? "enabled" : "disabled") globally")
        }
        api.post("accounts/:id/trading") { request, context in
            let identity = try context.requireRole(.trader)
            let account = try accountPath(context, data, identity)
            let enabled = try await enabledBody(request, context)
            return try accepted(data.commands.send(.setAccountTrading, account: account, enabled: enabled),
                                "trading \(enabled ? "enabled" : "disabled") for account \(account.rawValue)")
        }
        api.post("positions/:id/:symbol/close") { request, context in
            let identity = try context.requireRole(.trader)
            let account = try accountPath(context, data, identity)
            guard let name = context.parameters.get("symbol"), let symbol = data.symbols.id(of: name.uppercased()) else {
                throw APIError(.notFound, "unknown symbol")
            }
            guard data.state.position(account: account, symbol: symbol) != nil else {
                throw APIError(.notFound, "no open position in \(name.uppercased()) for account \(account.rawValue)")
            }
            return try accepted(data.commands.send(.closePosition, account: account, symbol: symbol),
                                "close of \(name.uppercased()) sent to risk")
        }
    }

    // MARK: Parameters

    static func accepted(_ requestID: UInt64?, _ message: String) throws -> Response {
        guard let requestID else { throw APIError(.serviceUnavailable, "the risk stage is not taking commands (ring full)") }
        var o = JSONText()
        o.int("request_id", Int64(requestID))
        o.string("status", "accepted")
        o.string("message", message)
        return json(o.finished(), status: .accepted)
    }

    /// `{"enabled": true|false}` and nothing else.
    static func enabledBody(_ request: Request, _ context: ControlRequestContext) async throws -> Bool {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, "request body larger than \(maxBodyBytes) bytes")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw APIError(.badRequest, "body must be a JSON object: {\"enabled\": true|false}")
        }
        if let unknown = object.keys.first(where: { $0 != "enabled" }) {
            throw APIError(.badRequest, "unknown field \"\(unknown)\"")
        }
        struct Body: Decodable { let enabled: Bool }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer: buffer)) else {
            throw APIError(.badRequest, "\"enabled\" must be true or false")
        }
        return body.enabled
    }

    static func accountPath(_ context: ControlRequestContext, _ data: ControlData, _ identity: Identity) throws -> AccountID {
        guard let text = context.parameters.get("id"), let id = UInt16(text),
              data.accounts.contains(where: { $0.id.rawValue == id })
        else { throw APIError(.notFound, "unknown account") }
        guard identity.canAccess(account: id) else { throw APIError(.forbidden, "Forbidden: account \(id) is not yours") }
        return AccountID(id)
    }

    /// `account=N` when given (checked against the caller's account), else the caller's own
    /// account (nil: every account, for users not bound to one).
    static func accountFilter(_ request: Request, _ context: ControlRequestContext) throws -> AccountID? {
        let identity = try context.requireRole(.viewer)
        guard let text = request.uri.queryParameters["account"] else { return identity.account.map { AccountID($0) } }
        guard let id = UInt16(text) else { throw APIError(.badRequest, "account must be an account id (0, 1, …)") }
        guard identity.canAccess(account: id) else { throw APIError(.forbidden, "Forbidden: account \(id) is not yours") }
        return AccountID(id)
    }

    /// `symbol=NAME` as an id (every symbol when absent and not required).
    static func symbolFilter(_ request: Request, _ data: ControlData, required: Bool = false) throws -> [SymbolID] {
        guard let name = request.uri.queryParameters["symbol"] else {
            if required { throw APIError(.badRequest, "symbol is required") }
            return data.symbols.entries.indices.map { SymbolID(UInt16($0)) }
        }
        guard let id = data.symbols.id(of: String(name).uppercased()) else {
            throw APIError(.notFound, "unknown symbol \(name)")
        }
        return [id]
    }

    static func intParameter(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters[Substring(name)] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw APIError(.badRequest, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    /// `from` / `to`: epoch ms or ISO-8601 (as `tickline export` takes them).
    static func timeRange(_ request: Request, _ query: inout StoreExportQuery) throws {
        for name in ["from", "to"] {
            guard let text = request.uri.queryParameters[Substring(name)] else { continue }
            guard let ms = StoreExportTime.parse(String(text)), (0...maxTimeMs).contains(ms) else {
                throw APIError(.badRequest, "\(name) must be epoch ms (0...\(maxTimeMs)) or an ISO-8601 UTC time")
            }
            if name == "from" { query.fromMs = ms } else { query.toMs = ms }
        }
    }

    struct Enough: Error {}

    /// The query's rows as a JSON array, at most `limit` (the first, or with `newest` the last).
    static func storeRows(_ query: StoreExportQuery, limit: Int, _ data: ControlData, newest: Bool = false) throws -> String {
        guard let store = data.store else { throw APIError(.serviceUnavailable, "the store is disabled ([store] enabled = false)") }
        var rows: [Substring] = []
        var text: [String] = []
        do {
            try StoreExporter(store: store).export(query, symbols: data.symbols) { chunk in
                text.append(chunk)
                for line in chunk.split(separator: "\n") {
                    rows.append(line)
                    if newest, rows.count > limit { rows.removeFirst(rows.count - limit) }
                }
                if !newest, rows.count >= limit { throw Enough() }
            }
        } catch is Enough {
        } catch {
            throw APIError(.internalServerError, "store: \(error)")
        }
        return "[" + rows.prefix(limit).joined(separator: ",") + "]"
    }

    // MARK: Rows

    static func priceJSON(_ s: SymbolID, _ data: ControlData) -> String {
        let p = data.prices.read(s)
        let scale = data.symbols[s].priceScale
        var o = JSONText()
        o.string("symbol", data.symbols[s].name)
        o.decimal("last", p.lastTrade.raw, scale)
        o.decimal("mark", p.mark.raw, scale)
        o.decimal("bid", p.bid.raw, scale)
        o.decimal("ask", p.ask.raw, scale)
        return o.finished()
    }

    /// One (symbol, interval)'s latest values; only the warmed-up indicators.
    static func indicatorJSON(_ u: IndicatorUpdate, _ symbols: SymbolTable) -> String {
        let v = u.values
        var values = JSONText()
        let all: [(IndicatorSet, [(String, Double)])] = [
            (.sma, [("sma", v.sma)]), (.ema, [("ema", v.ema)]), (.rsi, [("rsi", v.rsi)]),
            (.macd, [("macd", v.macd), ("macd_signal", v.macdSignal), ("macd_histogram", v.macdHistogram)]),
            (.bollinger, [("bollinger_upper", v.bollingerUpper), ("bollinger_middle", v.bollingerMiddle),
                          ("bollinger_lower", v.bollingerLower)]),
            (.atr, [("atr", v.atr)]), (.stochastic, [("stochastic_k", v.stochasticK), ("stochastic_d", v.stochasticD)]),
            (.obv, [("obv", v.obv)]), (.vwap, [("vwap", v.vwap)]),
            (.volume, [("volume_sma", v.volumeSMA), ("volume_ratio", v.volumeRatio)]), (.adx, [("adx", v.adx)]),
        ]
        for (set, fields) in all where u.ready.contains(set) {
            for (name, value) in fields { values.double(name, value) }
        }
        var o = JSONText()
        o.string("symbol", symbols[u.symbol].name)
        o.string("interval", u.interval.name)
        o.int("candle_open_time", u.candleOpenTimeMs)
        o.bool("closed", u.isClosed)
        o.decimal("close", u.close.raw, symbols[u.symbol].priceScale)
        o.raw("values", values.finished())
        return o.finished()
    }

    static func positionJSON(_ v: PositionView, _ symbols: SymbolTable) -> String {
        let ps = symbols[v.symbol].priceScale, qs = symbols[v.symbol].quantityScale
        var o = JSONText()
        o.int("account", Int64(v.account.rawValue))
        o.string("symbol", symbols[v.symbol].name)
        o.string("side", (v.update?.side ?? v.opened?.side ?? .buy).wireName)
        o.decimal("quantity", (v.update?.quantity ?? v.opened?.quantity ?? .zero).raw, qs)
        o.decimal("entry_price", (v.update?.entryPrice ?? v.opened?.entryPrice ?? .zero).raw, ps)
        o.decimal("mark_price", (v.update?.markPrice ?? .zero).raw, ps)
        o.decimal("unrealized_pnl", (v.update?.unrealizedPnL ?? .zero).raw, ps)
        o.decimal("accrued_funding", (v.update?.accruedFunding ?? .zero).raw, ps)
        o.decimal("stop_loss", (v.opened?.stopLoss ?? .zero).raw, ps)
        o.decimal("take_profit", (v.opened?.takeProfit ?? .zero).raw, ps)
        o.int("entry_time", v.opened?.entryTimeMs)
        o.int("position_id", v.opened.map { Int64(bitPattern: $0.positionID) })
        o.int("updated", v.update?.eventTimeMs)
        return o.finished()
    }

    static func portfolioJSON(_ a: AccountSnapshot) -> String {
        let money = DecimalScale(places: 8)
        var o = JSONText()
        o.int("account", Int64(a.account.rawValue))
        o.int("time", a.timeMs)
        o.decimal("total_equity", a.equity.raw, money)
        o.decimal("cash_balance", a.cashBalance.raw, money)
        o.decimal("margin_used", a.marginUsed.raw, money)
        o.decimal("free_margin", a.freeMargin.raw, money)
        o.decimal("unrealized_pnl", a.unrealizedPnL.raw, money)
        o.int("position_count", Int64(a.positionCount))
        return o.finished()
    }

    static func signalJSON(_ s: Signal, _ symbols: SymbolTable) -> String {
        var o = JSONText()
        EventMessages(symbols: symbols).signalFields(&o, s)
        return o.finished()
    }
}
