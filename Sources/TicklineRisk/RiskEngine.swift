import TicklineCore

/// The risk engine: accounts and switches, signal validation and sizing, positions marked to
/// market, stop-loss / take-profit and margin-call closes, funding. Pure logic, no I/O: the risk
/// stage feeds it messages with the time of its duty cycle (`nowNs`) and drains `outbox` after
/// each call.
///
/// It is the single writer of positions and balances. All state lives in flat arrays allocated at
/// init (accounts, symbols, and one `PositionSlot` per account × symbol, one-way mode); after that
/// no call allocates, locks, or dispatches through an existential.
///
/// ## Formulas (Binance USDⓈ-M; the simulator in `TicklineSim/Model` implements the same)
/// - Notional = |quantity| × price. Initial margin = notional ÷ leverage
///   (https://www.binance.com/en/support/faq/87fa7ee33b574f7084d42bd2ce2e463b).
/// - Unrealized PnL: long (price − entry) × quantity, short (entry − price) × quantity
///   (https://www.binance.com/en/support/faq/3a55a23768cb416fb404f06ffedde4b2), plus the funding
///   accrued by the position (ours: the venue books funding to the wallet at once; equity agrees).
/// - Funding fee = quantity × mark price × funding rate; longs pay a positive rate, shorts receive
///   it, and the opposite for a negative rate
///   (https://www.binance.com/en/support/faq/360033525031).
/// - Available margin (the venue's `availableBalance`): cross — wallet + Σ unrealized − Σ
///   notional ÷ leverage; isolated — wallet − Σ entry notional ÷ leverage; both less the margin
///   and fees reserved for entries in flight.
/// - Margin call (ours, the rule, not the venue's liquidation): margin used = Σ |q| × mark
///   ÷ leverage, equity = wallet + Σ unrealized (incl. funding), level = equity ÷ margin used ×
///   100; below 110 % close the largest loss, recompute, repeat until ≥ 120 %.
///
/// ## Trades and snapshots (for the journal)
/// A position's first entry fill (or its adoption) puts a `TradeOpened` in the outbox, the fill
/// that brings its quantity back to zero a `TradeClosed` (see `RiskEngine+Trades`). Every
/// `snapshotIntervalNs` (15 min) `poll` takes a portfolio snapshot of each account with open
/// positions or a fill since the last one (see `RiskEngine+Snapshots`).
///
/// ## Performance
/// A price event costs, per account holding the symbol, one Int128 product (the mark), two
/// compares (SL/TP) and one Int128 compare (margin level), using running per-account sums. Scans
/// over an account's slots happen only on fills, closes, funding, signals and margin calls.
public struct RiskEngine {
    /// Quote amounts (balances, notionals, PnL, margin, fees): 8 places, Binance's precision.
    public static let moneyScale = DecimalScale(places: 8)
    public static let defaultPositionUpdateIntervalNs: UInt64 = 5_000_000_000
    /// Portfolio snapshots: every 15 minutes (`[trading] snapshot_interval_ms`).
    public static let defaultSnapshotIntervalNs: UInt64 = 900_000_000_000
    /// Margin level (percent) below which a margin call starts, and the level it restores.
    public static let marginCallTriggerPercent: Int128 = 110
    public static let marginCallTargetPercent: Int128 = 120

    struct AccountState {
        var settings: AccountSettings
        var tradingEnabled: Bool
        var wallet: Int64 = 0
        /// Slots counting toward `maxOpenPositions`.
        var occupied = 0
        /// Running sums over the account's slots, kept current on every mark: Σ unrealized of
        /// every position, and Σ notional of the live ones (no close in flight).
        var unrealizedSum: Int64 = 0
        var liveNotionalSum: Int64 = 0
        /// A fill (entry or close) since the last snapshot: the account gets one even if flat now.
        var filledSinceSnapshot = false
        /// The last snapshot's time, so the next one's key sorts after it even if the clock stalls.
        var lastSnapshotTimeMs: Int64 = 0
    }

    struct SymbolState {
        var rules: SymbolRules
        var tradable: Bool
        var lastTrade = Price.zero
        var markPrice = Price.zero
        var lastEventTimeMs: Int64 = 0
        /// From the mark-price stream: the current rate and the funding time it applies at.
        var fundingRateE8: Int64 = 0
        var nextFundingTimeMs: Int64 = 0
        var settledFundingTimeMs: Int64 = 0
    }

    public let accountCount: Int
    public let symbolCount: Int
    public let positionUpdateIntervalNs: UInt64
    /// The portfolio snapshot cadence; 0 disables snapshots.
    public let snapshotIntervalNs: UInt64
    /// Whether risk sends the exchange-side STOP_MARKET / TAKE_PROFIT_MARKET safety net (see
    /// `handleExecution`).
    public let exchangeProtectiveOrders: Bool
    var accounts: [AccountState]
    var symbols: [SymbolState]
    var slots: [PositionSlot]
    public internal(set) var globalTradingEnabled: Bool
    public internal(set) var storeDegraded = false
    var nextClientOrderID: UInt64
    var nextPositionID: UInt64
    var nextUpdateDueNs: UInt64 = .max
    /// When `poll` takes the next portfolio snapshot (`.max` when disabled).
    public internal(set) var nextSnapshotDueNs: UInt64 = .max
    /// The latest execution report's venue event time (see `latestEventTimeMs`).
    var lastExecutionTimeMs: Int64 = 0
    public internal(set) var counters = RiskCounters()
    /// The last call's decisions; see `RiskOutbox`.
    public internal(set) var outbox: RiskOutbox

    /// - Parameters:
    ///   - accounts: ids 0, 1, 2, … in order.
    ///   - symbols: rules for the tradable symbols; others are refused (`symbolNotTradable`).
    ///   - symbolCount: the symbol table's size (at least every rule's id + 1).
    ///   - firstClientOrderID, firstPositionID: where the engine's id sequences start (the start-up
    ///     sequence passes values past those journaled, so ids stay unique across restarts).
    ///   - snapshotIntervalNs: portfolio snapshots are due at `startNs + k × snapshotIntervalNs`
    ///     (k ≥ 1) on the clock `poll` is given; 0 disables them.
    public init(accounts: [AccountSettings], symbols: [SymbolRules], symbolCount: Int = 0,
                globalTradingEnabled: Bool = true, firstClientOrderID: UInt64 = 1, firstPositionID: UInt64 = 1,
                positionUpdateIntervalNs: UInt64 = RiskEngine.defaultPositionUpdateIntervalNs,
                exchangeProtectiveOrders: Bool = true,
                snapshotIntervalNs: UInt64 = RiskEngine.defaultSnapshotIntervalNs,
                startNs: UInt64 = 0) throws(RiskConfigurationError) {
        guard !accounts.isEmpty else { throw .noAccounts }
        for (i, a) in accounts.enumerated() {
            guard a.id.index == i else { throw .accountIDsNotDense(position: i, id: a.id.rawValue) }
            try a.validate()
        }
        let count = max(symbolCount, (symbols.map { $0.symbol.index }.max() ?? -1) + 1, 1)
        var states = (0..<count).map { s in
            SymbolState(rules: SymbolRules(symbol: SymbolID(UInt16(s)), priceScale: DecimalScale(places: 0),
                                           quantityScale: DecimalScale(places: 0), tickSize: Price(raw: 1),
                                           stepSize: Quantity(raw: 1), minNotional: .zero),
                        tradable: false)
        }
        for r in symbols {
            guard !states[r.symbol.index].tradable else { throw .duplicateSymbol(r.symbol.rawValue) }
            states[r.symbol.index] = SymbolState(rules: r, tradable: true)
        }
        self.accountCount = accounts.count
        self.symbolCount = count
        self.positionUpdateIntervalNs = positionUpdateIntervalNs
        self.snapshotIntervalNs = snapshotIntervalNs
        self.nextSnapshotDueNs = snapshotIntervalNs > 0 ? startNs &+ snapshotIntervalNs : .max
        self.exchangeProtectiveOrders = exchangeProtectiveOrders
        self.accounts = accounts.map { AccountState(settings: $0, tradingEnabled: $0.tradingEnabled) }
        self.symbols = states
        self.slots = Array(repeating: PositionSlot(), count: accounts.count * count)
        self.globalTradingEnabled = globalTradingEnabled
        self.nextClientOrderID = firstClientOrderID
        self.nextPositionID = firstPositionID
        self.outbox = RiskOutbox(accounts: accounts.count, slots: accounts.count * count)
    }

    // MARK: Queries

    public func settings(_ account: AccountID) -> AccountSettings { accounts[account.index].settings }

    public func isTradingEnabled(_ account: AccountID) -> Bool { accounts[account.index].tradingEnabled }

    public func position(_ account: AccountID, _ symbol: SymbolID) -> RiskPosition? {
        guard account.index < accountCount, symbol.index < symbolCount else { return nil }
        let slot = slots[slotIndex(account.index, symbol.index)]
        guard slot.occupied else { return nil }
        let rules = symbols[symbol.index].rules
        // entry = costBasis ÷ quantity
        let average = RiskMath.averagePrice(slot.costBasis, slot.quantity, rules.quantityScale, rules.priceScale)
        let phase: PositionPhase = slot.closeOrderID != 0 ? .closing : (slot.quantity.raw > 0 ? .open : .opening)
        return RiskPosition(
            positionID: slot.positionID, account: account, symbol: symbol, side: slot.side, phase: phase,
            quantity: slot.quantity, averageEntryPrice: average, markPrice: slot.markPrice,
            unrealizedPnL: Price(raw: slot.unrealized), accruedFunding: Price(raw: slot.funding),
            realizedPnL: Price(raw: slot.realized), stopLoss: slot.stopLoss, takeProfit: slot.takeProfit,
            closeReason: slot.closeReason, entryOrderID: slot.entryOrderID, closeOrderID: slot.closeOrderID)
    }

    public func snapshot(_ account: AccountID) -> RiskAccountSnapshot {
        let a = account.index
        let acct = accounts[a]
        let lev = Int128(acct.settings.leverage)
        return RiskAccountSnapshot(
            account: account, walletBalance: Price(raw: acct.wallet), unrealizedPnL: Price(raw: acct.unrealizedSum),
            equity: Price(raw: acct.wallet &+ acct.unrealizedSum),
            marginUsed: Price(raw: RiskMath.clamp(RiskMath.divide(Int128(acct.liveNotionalSum), lev, .halfEven))),
            availableMargin: Price(raw: availableMargin(a)), marginLevelCentiPercent: marginLevelCentiPercent(a),
            openPositions: acct.occupied, tradingEnabled: acct.tradingEnabled)
    }

    /// Every occupied position, account by account in symbol order (allocates: not for the hot path).
    public var positions: [RiskPosition] {
        var out: [RiskPosition] = []
        for a in 0..<accountCount {
            for s in 0..<symbolCount {
                if let p = position(AccountID(UInt16(a)), SymbolID(UInt16(s))) { out.append(p) }
            }
        }
        return out
    }

    // MARK: Start-up and control

    /// Sets an account's wallet balance (quote, 8 places) from the venue: at start-up, and after a
    /// re-sync.
    public mutating func setWalletBalance(_ account: AccountID, _ balance: Price) {
        accounts[account.index].wallet = balance.raw
    }

    /// Takes over a position found on the venue at start-up (`positionRisk`), with stop-loss and
    /// take-profit from the account's fallback percentages around its entry. Ignored (false) if
    /// the symbol is not tradable or the slot is in use.
    ///
    /// Appends a `TradeOpened` (marked `adopted`, time `entryTimeMs`: the wall-clock time of the
    /// take-over, as the venue's opening time is unknown) to the outbox **without clearing it**,
    /// so that several adoptions accumulate: drain the outbox before the next call.
    @discardableResult
    public mutating func adoptPosition(_ account: AccountID, _ symbol: SymbolID, side: Side, quantity: Quantity,
                                       entryPrice: Price, nowNs: UInt64, entryTimeMs: Int64 = 0) -> Bool {
        let a = account.index, s = symbol.index
        guard a < accountCount, s < symbolCount, symbols[s].tradable, quantity.raw > 0, entryPrice.raw > 0 else {
            return false
        }
        let i = slotIndex(a, s)
        guard !slots[i].occupied else { return false }
        let rules = symbols[s].rules
        let st = accounts[a].settings
        let levels = fallbackLevels(side: side, entry: entryPrice, tick: rules.tickSize, settings: st)
        var slot = PositionSlot()
        slot.occupied = true
        slot.side = side
        slot.quantity = quantity
        slot.costBasis = RiskMath.notional(quantity, rules.quantityScale, entryPrice, rules.priceScale)
        let current = markingPrice(a, s)
        slot.markPrice = current.raw > 0 ? current : entryPrice
        slot.stopLoss = levels.stopLoss
        slot.takeProfit = levels.takeProfit
        slot.positionID = takePositionID()
        slot.openedNs = nowNs
        slot.entryTimeMs = entryTimeMs
        slot.adopted = true
        slot.enteredQuantity = quantity
        slot.enteredNotional = slot.costBasis
        slots[i] = slot
        accounts[a].occupied += 1
        scheduleUpdate(i, nowNs: nowNs)
        revalue(i, a, s)
        tradeOpened(i, a, s, ingressNs: nowNs, entryClientOrderID: 0, adopted: true)
        return true
    }

    /// The store's health: while degraded no position opens, protective closes still go out.
    public mutating func handleStoreStatus(_ status: StoreStatus, nowNs: UInt64) {
        outbox.clear()
        storeDegraded = status.state == .degraded
    }

    /// A command from the control plane: trading switches and manual closes.
    public mutating func handleCommand(_ command: Command, nowNs: UInt64) {
        outbox.clear()
        let a = command.account.index
        switch command.kind {
        case .setGlobalTrading:
            globalTradingEnabled = command.enabled
            outbox.switches.append(TradingSwitch(account: command.account, isGlobal: true, enabled: command.enabled,
                                                 requestID: command.requestID))
        case .setAccountTrading:
            guard a < accountCount else { counters.commandsIgnored += 1; return }
            accounts[a].tradingEnabled = command.enabled
            outbox.switches.append(TradingSwitch(account: command.account, isGlobal: false, enabled: command.enabled,
                                                 requestID: command.requestID))
        case .closePosition:
            let s = command.symbol.index
            guard a < accountCount, s < symbolCount,
                close(slotIndex(a, s), a, s, reason: .manual, ingressNs: command.issuedNs) != nil
            else { counters.commandsIgnored += 1; return }
        case .closeAllPositions:
            guard a < accountCount else { counters.commandsIgnored += 1; return }
            for s in 0..<symbolCount { _ = close(slotIndex(a, s), a, s, reason: .manual, ingressNs: command.issuedNs) }
        }
    }

    /// The stage could not hand `intent` (from the last outbox) to the order ring: forget it, so
    /// that an entry frees its slot and reserve, and a close is tried again on the next price event.
    public mutating func orderNotSent(_ intent: OrderIntent) {
        let a = intent.account.index, s = intent.symbol.index
        guard a < accountCount, s < symbolCount else { return }
        let i = slotIndex(a, s)
        counters.intentsNotSent += 1
        let id = intent.clientOrderID
        if id == slots[i].entryOrderID {
            slots[i].entryOrderID = 0
            slots[i].reserve = 0
            releaseIfDone(i, a)
        } else if id == slots[i].closeOrderID {
            slots[i].closeOrderID = 0
            slots[i].closeReason = .none
            refreshAggregates(a)
        } else if id == slots[i].stopOrderID {
            slots[i].stopOrderID = 0
        } else if id == slots[i].takeProfitOrderID {
            slots[i].takeProfitOrderID = 0
        }
    }

    // MARK: Internals shared by the extensions

    @inline(__always)
    func slotIndex(_ a: Int, _ s: Int) -> Int { a &* symbolCount &+ s }

    mutating func takeClientOrderID() -> UInt64 {
        defer { nextClientOrderID &+= 1 }
        return nextClientOrderID
    }

    mutating func takePositionID() -> UInt64 {
        defer { nextPositionID &+= 1 }
        return nextPositionID
    }

    /// The price account `a` marks symbol `s` to; the other source stands in until its own has
    /// printed.
    func markingPrice(_ a: Int, _ s: Int) -> Price {
        let sym = symbols[s]
        switch accounts[a].settings.markingSource {
        case .lastTrade: return sym.lastTrade.raw > 0 ? sym.lastTrade : sym.markPrice
        case .markPrice: return sym.markPrice.raw > 0 ? sym.markPrice : sym.lastTrade
        }
    }

    /// Recomputes slot `i`'s unrealized PnL and notional at its mark, then the account's sums.
    mutating func revalue(_ i: Int, _ a: Int, _ s: Int) {
        let rules = symbols[s].rules
        let slot = slots[i]
        let n = RiskMath.notional(slot.quantity, rules.quantityScale, slot.markPrice, rules.priceScale)
        let pnl = slot.side == .buy ? n &- slot.costBasis : slot.costBasis &- n
        slots[i].notional = n
        slots[i].unrealized = pnl &+ slot.funding
        refreshAggregates(a)
    }

    /// Recomputes the account's running sums from its slots (after any change other than a mark).
    mutating func refreshAggregates(_ a: Int) {
        var unrealized: Int64 = 0
        var live: Int64 = 0
        let base = slotIndex(a, 0)
        for i in base..<(base + symbolCount) where slots[i].quantity.raw > 0 {
            unrealized &+= slots[i].unrealized
            if slots[i].closeOrderID == 0 { live &+= slots[i].notional }
        }
        accounts[a].unrealizedSum = unrealized
        accounts[a].liveNotionalSum = live
    }

    /// The venue's available balance less entries in flight (see the type's formulas).
    func availableMargin(_ a: Int) -> Int64 {
        let acct = accounts[a]
        var reserve: Int64 = 0, unrealized: Int64 = 0, notional: Int64 = 0, cost: Int64 = 0
        let base = slotIndex(a, 0)
        for i in base..<(base + symbolCount) where slots[i].occupied {
            reserve &+= slots[i].reserve
            if slots[i].quantity.raw > 0 {
                unrealized &+= slots[i].unrealized
                notional &+= slots[i].notional
                cost &+= slots[i].costBasis
            }
        }
        let lev = Int128(acct.settings.leverage)
        switch acct.settings.marginType {
        case .crossed:
            return acct.wallet &+ unrealized &- RiskMath.clamp(RiskMath.divide(Int128(notional), lev, .ceiling)) &- reserve
        case .isolated:
            return acct.wallet &- RiskMath.clamp(RiskMath.divide(Int128(cost), lev, .ceiling)) &- reserve
        }
    }

    /// equity × 100 ÷ (Σ live notional ÷ leverage), in hundredths of a percent, toward zero.
    func marginLevelCentiPercent(_ a: Int) -> Int64? {
        let acct = accounts[a]
        guard acct.liveNotionalSum > 0 else { return nil }
        return RiskMath.clamp(RiskMath.divide(
            Int128(acct.wallet &+ acct.unrealizedSum) * 10_000 * Int128(acct.settings.leverage),
            Int128(acct.liveNotionalSum), .towardZero))
    }

    /// Frees a slot once nothing is left in it: no quantity, no entry or close in flight.
    mutating func releaseIfDone(_ i: Int, _ a: Int) {
        let slot = slots[i]
        guard slot.occupied, slot.quantity.raw == 0, slot.entryOrderID == 0, slot.closeOrderID == 0 else {
            refreshAggregates(a)
            return
        }
        slots[i] = PositionSlot()
        accounts[a].occupied -= 1
        refreshAggregates(a)
    }

    mutating func scheduleUpdate(_ i: Int, nowNs: UInt64) {
        let due = nowNs &+ positionUpdateIntervalNs
        slots[i].nextUpdateNs = due
        if due < nextUpdateDueNs { nextUpdateDueNs = due }
    }

    /// A log record with up to three arguments (value, decimal places); no variadics, which
    /// would allocate an array per call.
    static func record(_ code: LogCode, _ level: LogLevel, nowNs: UInt64, _ a: (Int64, UInt8),
                       _ b: (Int64, UInt8)? = nil, _ c: (Int64, UInt8)? = nil) -> LogRecord {
        var r = LogRecord(code: code, level: level, stage: .risk, timeNs: nowNs)
        r.append(a.0, places: a.1)
        if let b { r.append(b.0, places: b.1) }
        if let c { r.append(c.0, places: c.1) }
        return r
    }

    mutating func log(_ record: LogRecord) {
        if !outbox.logs.append(record) { counters.outboxOverflows += 1 }
    }
}
