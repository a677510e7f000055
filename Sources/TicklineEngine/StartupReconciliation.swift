import Logging
import TicklineCore
import TicklineExecution
import TicklineRisk
import TicklineStore

/// Start-up recovery of the journal: after `TradingStartup` has read the exchange's positions and
/// before any stage thread starts, the journal's open trades and fills are brought in line with
/// the exchange. The exchange is the source of truth.
///
/// 1. **Open trades** (`trades`, status open) are matched to the exchange's positions
///    (`positionRisk`) by account, symbol and side. A match is *kept*: nothing is written, and the
///    journal writer resumes it under its id when risk adopts the position (the latest open trade
///    of the triple, the one kept here). An exchange position without a match is *unknown*: the
///    writer inserts a trade with a new id for it.
/// 2. **Fills**: per account and symbol, `GET /fapi/v1/userTrades` from the last journaled fill's
///    time (else the earliest open trade's entry, else — an unknown position only — the last
///    7 days), in 7-day windows, never further back than `historyLimitMs` (Binance keeps 6
///    months). Fills the journal lacks (key: account, symbol, trade id) are inserted: *backfilled*,
///    with the client order id and close reason of the journaled order of the same venue order
///    id when there is one (else 0 and none).
/// 3. **Orphans**: an open trade the exchange holds no position for (none of its account, symbol
///    and side, or an older duplicate of a kept one) closed while the engine was not running; it
///    is closed with reason `.reconciled`:
///    - the *closing fills* are the fills (journaled or just fetched) of the opposite side at or
///      after its entry, in time order, until they cover its quantity;
///    - exit price: their volume-weighted average; without any, the last fetched fill's price of
///      the symbol, else the entry price; exit time: the last closing fill's, else the venue's now;
///    - PnL: the closing fills' `realizedPnl` (Binance's, gross) less their commissions and the
///      entry fees stored with the trade — net, like every other close; 0 when no closing fill is
///      found (funding over the gap is not known); fees: the stored ones plus the closing fills'.
///    Fills and closes are written in one journal transaction.
/// 4. The report is logged: "Reconciliation: {kept} positions kept, {closed} journal positions
///    closed as Reconciled, {backfilled} fills backfilled, {unknown} exchange positions without a
///    journal trade (new ids)".
///
/// Positions older than the exchange's fill history need nothing from it: positions decide what
/// is kept and closed, fills only refine an orphan's exit. A failed `userTrades` query is logged
/// and skips that symbol's backfill (its orphans close at the fallback price); a failed store
/// write fails the start-up. Open trades of an account or symbol this run does not trade are left
/// as they are (their positions were not read) and counted in `untouched`.
///
/// Blocking, cold path only (`TradingStartup.Session` per account); the journal writer must not be
/// running (direct write transactions).
public enum StartupReconciliation {
    /// Binance answers `userTrades` for the last 6 months only: queries never start earlier.
    public static let historyLimitMs: Int64 = 180 * 86_400_000
    /// Binance's largest `userTrades` span per request (`endTime − startTime`).
    public static let windowMs: Int64 = 7 * 86_400_000
    /// Where an unknown position's fills are read from: Binance's default span.
    public static let unknownPositionLookbackMs: Int64 = 7 * 86_400_000

    public struct Report: Sendable, Equatable, CustomStringConvertible {
        /// Exchange positions with a journaled open trade (resumed under its id).
        public var kept = 0
        /// Journal open trades closed as `.reconciled`.
        public var closed = 0
        /// Fills inserted.
        public var backfilled = 0
        /// Exchange positions without a journaled open trade (new ids).
        public var unknown = 0
        /// Open trades of accounts or symbols this run does not trade (left open).
        public var untouched = 0
        /// (account, symbol) pairs whose `userTrades` could not be read.
        public var fetchFailures = 0
        /// The ids of the kept and of the closed trades.
        public var keptTrades: [TradeID] = []
        public var closedTrades: [TradeID] = []

        public init() {}

        public var description: String {
            "Reconciliation: \(kept) positions kept, \(closed) journal positions closed as Reconciled, "
                + "\(backfilled) fills backfilled, \(unknown) exchange positions without a journal trade (new ids)"
        }
    }

    /// What the exchange says about one account: its open positions (`positionRisk`, non-zero
    /// rows), the fills read per symbol, and its clock.
    public struct AccountState: Sendable {
        public var account: AccountID
        public var positions: [PositionRisk]
        /// Fetched fills per symbol, oldest first (absent: not fetched or the query failed).
        public var fills: [SymbolID: [UserTrade]]
        /// The venue's time when the state was read (ms since the Unix epoch).
        public var nowMs: Int64

        public init(account: AccountID, positions: [PositionRisk], fills: [SymbolID: [UserTrade]] = [:], nowMs: Int64) {
            self.account = account
            self.positions = positions
            self.fills = fills
            self.nowMs = nowMs
        }
    }

    /// Reads each account's fills from the venue, reconciles the journal and logs the report.
    /// - Parameter positions: `TradingStartup.Result.positions` (the exchange's open positions).
    @discardableResult
    public static func run(store: TicklineStore, rest: RESTEndpoint, symbols: SymbolTable,
                           accounts: [TradingStartup.Account], positions: [(account: AccountID, position: PositionRisk)],
                           logger: Logger) throws -> Report {
        let openTrades = try store.openTrades()
        var states: [AccountState] = []
        var failures = 0
        for (i, account) in accounts.enumerated() {
            let id = AccountID(UInt16(i))
            let held = positions.filter { $0.account == id }.map(\.position)
            let session = try TradingStartup.Session(rest: rest, symbols: symbols, account: account, logger: logger)
            defer { session.close() }
            _ = try session.call("server time") { session.client.syncServerTime(completion: $0) }
            let nowMs = session.client.venueTimeMs()
            var state = AccountState(account: id, positions: held, nowMs: nowMs)
            for entry in symbols.entries.indices {
                let symbol = SymbolID(UInt16(entry))
                let opened = openTrades.filter { $0.account == id && $0.symbol == symbol }.map(\.entryTimeMs).min()
                let last = try store.lastFill(account: id, symbol: symbol)?.eventTimeMs
                let sinceMs: Int64
                if let t = last ?? opened {
                    sinceMs = t
                } else if held.contains(where: { $0.symbol == symbol }) {
                    sinceMs = nowMs - unknownPositionLookbackMs
                } else {
                    continue  // nothing journaled, nothing held: nothing to reconcile
                }
                do {
                    state.fills[symbol] = try fetchFills(session, symbol: symbol, name: symbols[symbol].name,
                                                         sinceMs: sinceMs, nowMs: nowMs)
                } catch {
                    failures += 1
                    logger.error("Reconciliation: \(error); \(symbols[symbol].name) not backfilled",
                                 metadata: ["account": "\(account.name)"])
                }
            }
            states.append(state)
        }
        var report = try reconcile(store: store, symbols: symbols, accounts: states, logger: logger)
        report.fetchFailures = failures
        logger.info("\(report)")
        return report
    }

    /// `userTrades` of `symbol` from `sinceMs` (clamped to the history limit) to now, in 7-day
    /// windows, a full answer (1000 rows) continued from its last row's time; deduplicated by
    /// trade id, oldest first.
    static func fetchFills(_ session: TradingStartup.Session, symbol: SymbolID, name: String, sinceMs: Int64,
                           nowMs: Int64) throws -> [UserTrade] {
        let limit = 1000
        var start = max(sinceMs, nowMs - historyLimitMs)
        var seen = Set<Int64>()
        var out: [UserTrade] = []
        var requests = 0
        while start <= nowMs, requests < 1000 {
            requests += 1
            let end = start + windowMs - 1
            // The last window is left open (no endTime): the venue's clock may run ahead of ours.
            let rows = try session.call("userTrades \(name)") {
                session.client.userTrades(symbol: symbol, fromTimeMs: start, toTimeMs: end < nowMs ? end : nil,
                                          limit: limit, completion: $0)
            }
            for r in rows where seen.insert(r.tradeID).inserted { out.append(r) }
            if rows.count >= limit, let lastMs = rows.map(\.timeMs).max() {
                start = lastMs > start ? lastMs : start + 1
            } else {
                if end >= nowMs { break }
                start = end + 1
            }
        }
        return out.sorted { ($0.timeMs, $0.tradeID) < ($1.timeMs, $1.tradeID) }
    }

    /// Steps 1, 3 and 4's counts, and the one write (step 2's inserts and step 3's closes), given
    /// what the venue said. No network: tests drive it with made-up states.
    public static func reconcile(store: TicklineStore, symbols: SymbolTable, accounts: [AccountState],
                                 logger: Logger) throws -> Report {
        var report = Report()
        var write = ReconciliationWrite()
        // Open trades in id (entry time) order: the last match of a triple is the latest.
        let open = try store.openTrades()
        var matched = Set<TradeID>()
        for state in accounts {
            for p in state.positions {
                guard let side = p.side else { continue }
                if let t = open.last(where: { $0.account == state.account && $0.symbol == p.symbol && $0.side == side }) {
                    matched.insert(t.id)
                    report.kept += 1
                    report.keptTrades.append(t.id)
                    let q = p.amount.raw < 0 ? -p.amount.raw : p.amount.raw
                    if t.quantity.raw != q {
                        let qs = symbols[p.symbol].quantityScale
                        let text = "Reconciliation: trade \(t.id) \(symbols[p.symbol].name) kept; journal quantity "
                            + "\(t.quantity.description(scale: qs)), exchange \(Quantity(raw: q).description(scale: qs))"
                        logger.warning("\(text)")
                    }
                } else {
                    report.unknown += 1
                }
            }
        }

        // The journal's orders by (account, venue order id), to name backfilled fills.
        var ordersByVenueID: [AccountVenueOrder: OrderRecord] = [:]
        for o in try store.orders() where o.venueOrderID != 0 {
            ordersByVenueID[AccountVenueOrder(account: o.account, symbol: o.symbol, venueOrderID: o.venueOrderID)] = o
        }
        // Per (account, symbol): the fills the journal has since what was fetched, plus the new ones.
        var known: [AccountSymbol: [FillRecord]] = [:]
        for state in accounts {
            for (symbol, rows) in state.fills.sorted(by: { $0.key < $1.key }) {
                let pair = AccountSymbol(account: state.account, symbol: symbol)
                var byID: [Int64: FillRecord] = [:]
                for f in try store.fills(account: state.account, symbol: symbol) { byID[f.tradeID] = f }
                for r in rows where byID[r.tradeID] == nil {
                    let order = ordersByVenueID[AccountVenueOrder(account: state.account, symbol: symbol, venueOrderID: r.orderID)]
                    let fill = FillRecord(account: state.account, symbol: symbol, tradeID: r.tradeID, side: r.side,
                                          kind: .filled, closeReason: order?.closeReason ?? .none, eventTimeMs: r.timeMs,
                                          clientOrderID: order?.clientOrderID ?? 0, venueOrderID: r.orderID,
                                          quantity: r.quantity, price: r.price, commission: r.commission,
                                          realizedPnL: r.realizedPnL)
                    write.fills.append(fill)
                    byID[r.tradeID] = fill
                }
                known[pair] = byID.values.sorted { ($0.eventTimeMs, $0.tradeID) < ($1.eventTimeMs, $1.tradeID) }
            }
        }

        for t in open where !matched.contains(t.id) {
            guard let state = accounts.first(where: { $0.account == t.account }), t.symbol.index < symbols.count else {
                report.untouched += 1
                continue
            }
            // Without a fetch (nothing to fetch from, or it failed), the journal's own fills.
            let fills = try known[AccountSymbol(account: t.account, symbol: t.symbol)]
                ?? store.fills(account: t.account, symbol: t.symbol, fromTimeMs: t.entryTimeMs)
            let close = orphanClose(t, fills: fills, fetched: state.fills[t.symbol] ?? [], nowMs: state.nowMs)
            write.closes.append(close)
            let ps = symbols[t.symbol].priceScale
            let text = "Reconciliation: trade \(t.id) \(symbols[t.symbol].name) \(t.side == .buy ? "long" : "short") "
                + "closed as Reconciled at \(close.exitPrice.description(scale: ps)), PnL \(close.realizedPnL.description(scale: ps))"
            logger.info("\(text)", metadata: ["account": "\(t.account.rawValue)"])
        }
        if !write.fills.isEmpty || !write.closes.isEmpty {
            let result = try store.applyReconciliation(write)
            report.backfilled = result.fillsInserted
            report.closed = result.tradesClosed.count
            report.closedTrades = result.tradesClosed.map(\.id)
        }
        if report.untouched > 0 {
            logger.warning("Reconciliation: \(report.untouched) open trades of accounts or symbols not traded now left open")
        }
        return report
    }

    /// The close of an orphan trade (see the type's step 3).
    static func orphanClose(_ t: TradeRecord, fills: [FillRecord], fetched: [UserTrade], nowMs: Int64) -> TradeClose {
        let closingSide: Side = t.side == .buy ? .sell : .buy
        var remaining = t.quantity.raw
        var notional: Int128 = 0, covered: Int64 = 0
        var pnl: Int64 = 0, fees: Int64 = 0
        var lastTimeMs: Int64?
        var lastOrder: UInt64 = 0
        for f in fills where remaining > 0 && f.side == closingSide && f.eventTimeMs >= t.entryTimeMs {
            let used = min(remaining, f.quantity.raw)
            remaining -= used
            covered += used
            notional += Int128(f.price.raw) * Int128(used)
            pnl &+= f.realizedPnL.raw
            fees &+= f.commission.raw
            lastTimeMs = f.eventTimeMs
            lastOrder = f.clientOrderID
        }
        var exitPrice = t.entryPrice
        var realized = Price.zero
        if covered > 0 {
            // Half-even division of the volume-weighted sum.
            let c = Int128(covered)
            var q = notional / c
            let r = notional % c
            if 2 * r > c || (2 * r == c && q % 2 != 0) { q += 1 }
            exitPrice = Price(raw: Int64(q))
            realized = Price(raw: pnl &- fees &- t.fees.raw)
        } else if let last = fetched.last {
            exitPrice = last.price
        }
        let exitTimeMs = max(t.entryTimeMs, lastTimeMs ?? nowMs)
        return TradeClose(id: t.id, exitTimeMs: exitTimeMs, exitPrice: exitPrice, realizedPnL: realized,
                          reason: .reconciled, exitClientOrderID: lastOrder,
                          totalFees: Price(raw: t.fees.raw &+ fees))
    }

    struct AccountSymbol: Hashable {
        var account: AccountID
        var symbol: SymbolID
    }

    struct AccountVenueOrder: Hashable {
        var account: AccountID
        var symbol: SymbolID
        var venueOrderID: Int64
    }
}
