import Synchronization
import TicklineCore
import TicklineEngine

/// Kinds of data the REST cache keys its entries by; each has a version that moves when the data
/// plane publishes a change of that kind, which invalidates the cached answers built from it.
public enum DataKind: Int, CaseIterable, Sendable {
    case prices, positions, portfolios, balances, trades, signals, indicators, accounts

    /// How long a cached answer of this kind may be served (US-SYSTEM-010).
    public var ttlMs: Int64 {
        switch self {
        case .prices: return 1_000
        case .positions, .portfolios: return 5_000
        case .balances: return 10_000
        case .indicators: return 60_000
        case .signals: return 300_000
        case .trades, .accounts: return 5_000
        }
    }
}

/// A position as the control plane shows it: how it opened (`TradeOpened`) and risk's latest
/// mark of it (`PositionUpdate`, every 5 s while open).
public struct PositionView: Sendable {
    public var opened: TradeOpened?
    public var update: PositionUpdate?
    public var account: AccountID
    public var symbol: SymbolID
}

/// What the control plane knows of the data plane, built on the publish agent's thread from the
/// events it hands over (`EngineEventSink`). HTTP handlers read it under the same mutex; no stage
/// thread ever takes it (stages only push to their event rings), so a slow client or a scrape
/// cannot stall trading.
public final class EngineState: EngineEventSink {
    public static let recentSignalCapacity = 500

    struct State {
        var positions: [UInt32: PositionView] = [:]
        var accounts: [UInt16: AccountSnapshot] = [:]
        /// Nil until risk reports a switch (the configured value holds).
        var globalTrading: Bool?
        var accountTrading: [UInt16: Bool] = [:]
        var signals: [Signal] = []
        var signalStart = 0
        var versions = [UInt64](repeating: 0, count: DataKind.allCases.count)
        var events: UInt64 = 0
        var lastEventNs: UInt64 = 0
        var counters = EventCounters()
    }

    /// What the events counted since start-up (for the metrics).
    public struct EventCounters: Sendable, Equatable {
        public var signals: [SignalDirection: Int] = [:]
        public var denials: [DenialReason: Int] = [:]
        public var fills = 0
        public var positionsOpened = 0
        public var positionsClosed: [CloseReason: Int] = [:]
        public var marginCallClosures = 0
        /// Orders the venue rejected (execution reports of kind rejected).
        public var rejections = 0
    }

    let state = Mutex(State())
    public let symbols: SymbolTable
    /// Called after each event has been applied (the WebSocket fan-out), on the publish thread.
    let observers = Mutex<[@Sendable (EngineEvent) -> Void]>([])

    public init(symbols: SymbolTable) {
        self.symbols = symbols
    }

    /// Adds an observer of every event (called on the publish thread, after the state changed).
    public func observe(_ observer: @escaping @Sendable (EngineEvent) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    static func key(_ account: AccountID, _ symbol: SymbolID) -> UInt32 {
        UInt32(account.rawValue) << 16 | UInt32(symbol.rawValue)
    }

    public func publish(_ event: EngineEvent) {
        state.withLock { s in
            s.events &+= 1
            s.lastEventNs = event.timeNs
            func bump(_ kind: DataKind) { s.versions[kind.rawValue] &+= 1 }
            switch event.body {
            case .signalGenerated(let signal):
                s.counters.signals[signal.direction, default: 0] += 1
                if s.signals.count < Self.recentSignalCapacity {
                    s.signals.append(signal)
                } else {
                    s.signals[s.signalStart] = signal
                    s.signalStart = (s.signalStart + 1) % Self.recentSignalCapacity
                }
                bump(.signals)
            case .orderDenied(let d):
                s.counters.denials[d.reason, default: 0] += 1
            case .execution(let r):
                if r.kind == .rejected { s.counters.rejections += 1 }
                if r.lastFillQuantity.raw != 0 {
                    s.counters.fills += 1
                    bump(.trades)
                }
            case .positionUpdated(let u):
                let k = Self.key(u.account, u.symbol)
                var view = s.positions[k] ?? PositionView(opened: nil, update: nil, account: u.account, symbol: u.symbol)
                view.update = u
                s.positions[k] = view
                bump(.positions)
            case .tradingSwitched(let account, let isGlobal, let enabled):
                if isGlobal { s.globalTrading = enabled } else { s.accountTrading[account.rawValue] = enabled }
                bump(.accounts)
            case .marginCallClosure:
                s.counters.marginCallClosures += 1
                bump(.positions)
            case .tradeOpened(let t):
                let k = Self.key(t.account, t.symbol)
                s.positions[k] = PositionView(opened: t, update: nil, account: t.account, symbol: t.symbol)
                s.counters.positionsOpened += 1
                bump(.positions)
                bump(.trades)
            case .tradeClosed(let t):
                s.positions[Self.key(t.account, t.symbol)] = nil
                s.counters.positionsClosed[t.reason, default: 0] += 1
                bump(.positions)
                bump(.trades)
            case .accountUpdated(let a):
                s.accounts[a.account.rawValue] = a
                bump(.portfolios)
                bump(.balances)
            }
        }
        for observer in observers.withLock({ $0 }) { observer(event) }
    }

    // MARK: Reading (any thread)

    public func version(_ kind: DataKind) -> UInt64 {
        state.withLock { $0.versions[kind.rawValue] }
    }

    /// Marks `kind` changed (data the events do not carry: prices, indicators).
    public func invalidate(_ kind: DataKind) {
        state.withLock { $0.versions[kind.rawValue] &+= 1 }
    }

    /// Open positions (of `account` when given), in account then symbol order.
    public func positions(account: AccountID? = nil) -> [PositionView] {
        state.withLock { s in
            s.positions.values.filter { account == nil || $0.account == account }
                .sorted { ($0.account.rawValue, $0.symbol.rawValue) < ($1.account.rawValue, $1.symbol.rawValue) }
        }
    }

    public func position(account: AccountID, symbol: SymbolID) -> PositionView? {
        state.withLock { $0.positions[Self.key(account, symbol)] }
    }

    /// The latest portfolio of each account risk has published.
    public func portfolios() -> [AccountSnapshot] {
        state.withLock { s in s.accounts.values.sorted { $0.account.rawValue < $1.account.rawValue } }
    }

    public func portfolio(_ account: AccountID) -> AccountSnapshot? {
        state.withLock { $0.accounts[account.rawValue] }
    }

    /// The trading switches as risk last reported them (`nil` / absent: not switched since
    /// start-up, the configured value holds).
    public func tradingSwitches() -> (global: Bool?, accounts: [UInt16: Bool]) {
        state.withLock { ($0.globalTrading, $0.accountTrading) }
    }

    /// The most recent signals, newest first.
    public func recentSignals(limit: Int) -> [Signal] {
        state.withLock { s in
            let n = s.signals.count
            var out: [Signal] = []
            out.reserveCapacity(min(limit, n))
            var i = 0
            while i < min(limit, n) {
                let index = (s.signalStart + n - 1 - i) % n
                out.append(s.signals[index])
                i += 1
            }
            return out
        }
    }

    public var eventsReceived: UInt64 { state.withLock { $0.events } }

    public var counters: EventCounters { state.withLock { $0.counters } }

    /// Open positions per account.
    public func openPositionCounts() -> [UInt16: Int] {
        state.withLock { s in
            var out: [UInt16: Int] = [:]
            for v in s.positions.values { out[v.account.rawValue, default: 0] += 1 }
            return out
        }
    }
}
