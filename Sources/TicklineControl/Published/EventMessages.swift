import TicklineCore

/// One WebSocket event message: its type, the account it concerns (nil: every client), and its
/// JSON text — rendered once, then sent to every client that may see it.
public struct EventMessage: Sendable {
    public var type: String
    public var account: AccountID?
    public var json: String

    public init(type: String, account: AccountID?, json: String) {
        self.type = type
        self.account = account
        self.json = json
    }
}

/// The data plane's events as WebSocket messages (`docs/websocket-events.md` documents each):
/// `{"type": …, "time": ms, "account": n|null, "data": {…}}`. Decimals are strings at the
/// symbol's scale; money of account snapshots at 8 places.
public struct EventMessages: Sendable {
    public let symbols: SymbolTable
    static let money = DecimalScale(places: 8)

    public init(symbols: SymbolTable) {
        self.symbols = symbols
    }

    func name(_ s: SymbolID) -> String { s.index < symbols.count ? symbols[s].name : "#\(s.rawValue)" }
    func priceScale(_ s: SymbolID) -> DecimalScale { s.index < symbols.count ? symbols[s].priceScale : .init(places: 0) }
    func quantityScale(_ s: SymbolID) -> DecimalScale {
        s.index < symbols.count ? symbols[s].quantityScale : .init(places: 0)
    }

    public static func envelope(type: String, timeMs: Int64, account: AccountID?, data: String) -> String {
        var o = JSONText()
        o.string("type", type)
        o.int("time", timeMs)
        o.int("account", account.map { Int64($0.rawValue) })
        o.raw("data", data)
        return o.finished()
    }

    /// The message for `event`, or nil for events clients do not get.
    public func message(for event: EngineEvent, timeMs: Int64) -> EventMessage? {
        var d = JSONText()
        let type: String
        var account: AccountID?
        switch event.body {
        case .signalGenerated(let s):
            type = "ai_signal_generated"
            signalFields(&d, s)
        case .orderDenied(let o):
            type = "risk_warning"
            account = o.account
            d.string("kind", "order_denied")
            d.string("reason", o.reason.wireName)
            d.string("symbol", name(o.symbol))
            d.string("side", o.side.wireName)
            d.int("signal_id", Int64(bitPattern: o.signalID))
            d.decimal("requested_quantity", o.requestedQuantity.raw, quantityScale(o.symbol))
            d.decimal("price", o.price.raw, priceScale(o.symbol))
        case .execution(let r):
            guard r.lastFillQuantity.raw != 0 else { return nil }
            type = "trade_executed"
            account = r.account
            d.string("symbol", name(r.symbol))
            d.string("side", r.side.wireName)
            d.int("trade_id", r.tradeID)
            d.int("order_id", r.venueOrderID)
            d.decimal("quantity", r.lastFillQuantity.raw, quantityScale(r.symbol))
            d.decimal("price", r.lastFillPrice.raw, priceScale(r.symbol))
            d.decimal("cumulative_quantity", r.cumulativeQuantity.raw, quantityScale(r.symbol))
            d.decimal("commission", r.commission.raw, priceScale(r.symbol))
            d.decimal("realized_pnl", r.realizedPnL.raw, priceScale(r.symbol))
            d.string("close_reason", r.closeReason.wireName)
            d.bool("final", r.kind == .filled)
            d.int("event_time", r.eventTimeMs)
        case .positionUpdated(let u):
            type = "position_updated"
            account = u.account
            positionFields(&d, u)
        case .tradingSwitched(let a, let isGlobal, let enabled):
            type = "system_status"
            account = isGlobal ? nil : a
            d.string("kind", isGlobal ? "trading_switched_globally" : "trading_switched_for_account")
            d.bool("trading_enabled", enabled)
        case .marginCallClosure(let m):
            type = "margin_call_closure"
            account = m.account
            d.string("symbol", name(m.symbol))
            d.string("side", m.side.wireName)
            d.int("position_id", Int64(bitPattern: m.positionID))
            d.decimal("quantity", m.quantity.raw, quantityScale(m.symbol))
            d.decimal("mark_price", m.markPrice.raw, priceScale(m.symbol))
            d.decimal("margin_level_percent", m.marginLevelCentiPercent, DecimalScale(places: 2))
            d.decimal("equity", m.equity.raw, Self.money)
            d.decimal("margin_used", m.marginUsed.raw, Self.money)
            d.decimal("unrealized_pnl", m.unrealizedPnL.raw, priceScale(m.symbol))
        case .tradeOpened:
            return nil  // its fills go out as trade_executed, the position as position_updated
        case .tradeClosed(let t):
            type = "trade_closed"
            account = t.account
            d.string("symbol", name(t.symbol))
            d.string("side", t.side.wireName)
            d.int("position_id", Int64(bitPattern: t.positionID))
            d.string("reason", t.reason.wireName)
            d.decimal("quantity", t.quantity.raw, quantityScale(t.symbol))
            d.decimal("entry_price", t.entryPrice.raw, priceScale(t.symbol))
            d.decimal("exit_price", t.exitPrice.raw, priceScale(t.symbol))
            d.decimal("realized_pnl", t.realizedPnL.raw, priceScale(t.symbol))
            d.decimal("fees", t.fees.raw, priceScale(t.symbol))
            d.decimal("funding", t.funding.raw, priceScale(t.symbol))
            d.int("entry_time", t.entryTimeMs)
            d.int("exit_time", t.exitTimeMs)
        case .accountUpdated:
            return nil  // served by GET /portfolio; position_updated carries the per-position view
        }
        return EventMessage(type: type, account: account,
                            json: Self.envelope(type: type, timeMs: timeMs, account: account, data: d.finished()))
    }

    /// A signal's fields: `ai_signal_generated`'s data and `GET /signals`' rows.
    func signalFields(_ d: inout JSONText, _ s: Signal) {
        d.int("signal_id", Int64(bitPattern: s.signalID))
        d.string("symbol", name(s.symbol))
        d.string("interval", s.interval.name)
        d.string("direction", s.direction.wireName)
        d.int("score_bp", Int64(s.scoreBp))
        d.int("confidence_bp", Int64(s.confidenceBp))
        d.decimal("entry_price", s.entryPrice.raw, priceScale(s.symbol))
        d.decimal("stop_loss", s.stopLoss.raw, priceScale(s.symbol))
        d.decimal("take_profit", s.takeProfit.raw, priceScale(s.symbol))
        d.int("event_time", s.eventTimeMs)
    }

    func positionFields(_ d: inout JSONText, _ u: PositionUpdate) {
        d.string("symbol", name(u.symbol))
        d.string("side", u.side.wireName)
        d.decimal("quantity", u.quantity.raw, quantityScale(u.symbol))
        d.decimal("entry_price", u.entryPrice.raw, priceScale(u.symbol))
        d.decimal("mark_price", u.markPrice.raw, priceScale(u.symbol))
        d.decimal("unrealized_pnl", u.unrealizedPnL.raw, priceScale(u.symbol))
        d.decimal("accrued_funding", u.accruedFunding.raw, priceScale(u.symbol))
        d.int("event_time", u.eventTimeMs)
    }

    /// `price_update` for one symbol (sent every second while its price changes).
    public func priceUpdate(_ symbol: SymbolID, lastTrade: Price, mark: Price, bid: Price, ask: Price,
                            timeMs: Int64) -> EventMessage {
        var d = JSONText()
        let ps = priceScale(symbol)
        d.string("symbol", name(symbol))
        d.decimal("last", lastTrade.raw, ps)
        d.decimal("mark", mark.raw, ps)
        d.decimal("bid", bid.raw, ps)
        d.decimal("ask", ask.raw, ps)
        return EventMessage(type: "price_update", account: nil,
                            json: Self.envelope(type: "price_update", timeMs: timeMs, account: nil, data: d.finished()))
    }

    /// `system_status`: the health monitor's overall status changed ("degraded": some features
    /// temporarily unavailable; "healthy": all systems operational).
    public static func systemStatus(_ status: String, message: String, components: [String], timeMs: Int64) -> EventMessage {
        var d = JSONText()
        d.string("kind", "health")
        d.string("status", status)
        d.string("message", message)
        d.raw("components", "[" + components.map(JSONText.quoted).joined(separator: ",") + "]")
        return EventMessage(type: "system_status", account: nil,
                            json: envelope(type: "system_status", timeMs: timeMs, account: nil, data: d.finished()))
    }
}
