import TicklineCore

/// Marking to market, stop-loss / take-profit, the margin call and the periodic position updates.
///
/// ## Stop-loss and take-profit
/// Checked on every price event of the account's marking source, inclusive at the level: long —
/// stop-loss when price ≤ SL, take-profit when price ≥ TP; short — stop-loss when price ≥ SL,
/// take-profit when price ≤ TP (stop-loss first if both). A hit sends one reduce-only market
/// close for the filled quantity and logs "Position {id} closed - StopLoss at {price}"; while that
/// close is in flight no other close goes out for the position. If the venue cancels or rejects
/// it, the next price event checks again.
///
/// ## Margin call, and what "recompute" means while closes are in flight
/// After marking, for each account holding the symbol: level = equity × 100 ÷ margin used with
/// equity = wallet + Σ unrealized (incl. funding) and margin used = Σ |q| × mark ÷ leverage. Fills
/// come back later, so the recomputation treats every position with a close in flight (margin
/// call, SL/TP or manual) as **closed at its current mark**: its margin leaves "margin used", and
/// its unrealized PnL stays in equity as if realized at that mark (closing at the mark realizes
/// exactly the unrealized PnL; the closing commission is not estimated). Below 110 % the live
/// position with the largest loss (lowest unrealized PnL incl. funding; ties: lowest symbol id)
/// gets a reduce-only market close with reason MarginCall, "Emergency closure - Margin call:
/// margin_level={level}%" is logged with the level before that closure, a `MarginCallClosure`
/// published; then the level is recomputed and the loop repeats until it is ≥ 120 % or no live
/// position is left. One critical alert per episode. Later price events evaluate the same
/// definition, so an episode neither repeats closes already in flight nor stops short while the
/// level is still below 110 %; a close the venue refuses makes the position live again.
///
/// The comparisons are exact: level < 110 % ⇔ equity × 100 × leverage < 110 × Σ notional.
extension RiskEngine {
    /// A price from the parse stage: trades and mark prices mark positions (per account, its
    /// marking source); a mark price also carries funding (see `applyFunding`). Other events are
    /// ignored.
    public mutating func handleMarketEvent(_ event: MarketEvent, nowNs: UInt64) {
        outbox.clear()
        let s = event.symbol.index
        guard s < symbolCount else { return }
        counters.priceEvents &+= 1
        switch event.body {
        case .trade(let t):
            symbols[s].lastTrade = t.price
            symbols[s].lastEventTimeMs = t.eventTimeMs
            mark(s, source: .lastTrade, price: t.price, ingressNs: event.ingressNs, nowNs: nowNs)
        case .markPrice(let m):
            settleFundingIfDue(s, m, nowNs: nowNs)
            symbols[s].markPrice = m.markPrice
            symbols[s].lastEventTimeMs = m.eventTimeMs
            symbols[s].fundingRateE8 = m.fundingRateE8
            symbols[s].nextFundingTimeMs = m.nextFundingTimeMs
            mark(s, source: .markPrice, price: m.markPrice, ingressNs: event.ingressNs, nowNs: nowNs)
        case .bookTicker, .klineUpdate, .klineClosed:
            break
        }
    }

    mutating func mark(_ s: Int, source: MarkingSource, price: Price, ingressNs: UInt64, nowNs: UInt64) {
        guard price.raw > 0 else { return }
        let rules = symbols[s].rules
        for a in 0..<accountCount {
            let i = slotIndex(a, s)
            guard slots[i].quantity.raw > 0 else { continue }
            // An account marks with its own source; the other one stands in until that has printed.
            guard accounts[a].settings.markingSource == source || markingPrice(a, s) == price else { continue }
            remark(i, a, price, rules)
            if slots[i].closeOrderID == 0 { checkLevels(i, a, s, price: price, ingressNs: ingressNs, nowNs: nowNs) }
            checkMarginCall(a, ingressNs: ingressNs, nowNs: nowNs)
            assert(aggregatesAreConsistent(a), "running sums drifted from the slots")
        }
    }

    /// The hot-path mark: one product, running sums updated by difference.
    @inline(__always)
    mutating func remark(_ i: Int, _ a: Int, _ price: Price, _ rules: SymbolRules) {
        let old = slots[i]
        let n = RiskMath.notional(old.quantity, rules.quantityScale, price, rules.priceScale)
        let u = (old.side == .buy ? n &- old.costBasis : old.costBasis &- n) &+ old.funding
        accounts[a].unrealizedSum &+= u &- old.unrealized
        if old.closeOrderID == 0 { accounts[a].liveNotionalSum &+= n &- old.notional }
        slots[i].markPrice = price
        slots[i].notional = n
        slots[i].unrealized = u
    }

    mutating func checkLevels(_ i: Int, _ a: Int, _ s: Int, price: Price, ingressNs: UInt64, nowNs: UInt64) {
        let slot = slots[i]
        let long = slot.side == .buy
        let stopHit = slot.stopLoss.raw > 0 && (long ? price <= slot.stopLoss : price >= slot.stopLoss)
        let targetHit = slot.takeProfit.raw > 0 && (long ? price >= slot.takeProfit : price <= slot.takeProfit)
        guard stopHit || targetHit else { return }
        let reason: CloseReason = stopHit ? .stopLoss : .takeProfit
        guard close(i, a, s, reason: reason, ingressNs: ingressNs) != nil else { return }
        if stopHit { counters.stopLossCloses += 1 } else { counters.takeProfitCloses += 1 }
        log(Self.record(stopHit ? .positionClosedStopLoss : .positionClosedTakeProfit, .info, nowNs: nowNs,
                        (Int64(bitPattern: slot.positionID), 0), (price.raw, symbols[s].rules.priceScale.places)))
    }

    /// Sends a reduce-only market close of the filled quantity unless one is in flight; returns its
    /// client order id.
    mutating func close(_ i: Int, _ a: Int, _ s: Int, reason: CloseReason, ingressNs: UInt64) -> UInt64? {
        let slot = slots[i]
        guard slot.quantity.raw > 0, slot.closeOrderID == 0 else { return nil }
        let intent = OrderIntent(ingressNs: ingressNs, clientOrderID: nextClientOrderID, signalID: slot.signalID,
                                 account: AccountID(UInt16(a)), symbol: SymbolID(UInt16(s)), side: slot.side.opposite,
                                 type: .market, quantity: slot.quantity, reduceOnly: true, closeReason: reason)
        guard outbox.intents.append(intent) else {
            counters.outboxOverflows += 1
            return nil
        }
        _ = takeClientOrderID()
        slots[i].closeOrderID = intent.clientOrderID
        slots[i].closeReason = reason
        slots[i].closeFilled = .zero
        if reason == .manual { counters.manualCloses += 1 }
        // Its margin leaves the live sum: the position counts as closed at the mark from now on.
        accounts[a].liveNotionalSum &-= slot.notional
        return intent.clientOrderID
    }

    /// equity × 100 × leverage < percent × Σ live notional, exactly.
    func marginLevelBelow(_ a: Int, percent: Int128) -> Bool {
        let acct = accounts[a]
        guard acct.liveNotionalSum > 0 else { return false }
        return Int128(acct.wallet &+ acct.unrealizedSum) * 100 * Int128(acct.settings.leverage)
            < percent * Int128(acct.liveNotionalSum)
    }

    mutating func checkMarginCall(_ a: Int, ingressNs: UInt64, nowNs: UInt64) {
        guard marginLevelBelow(a, percent: Self.marginCallTriggerPercent) else { return }
        let firstLevel = marginLevelCentiPercent(a) ?? 0
        var closures: Int64 = 0
        repeat {
            guard let (i, s) = worstLivePosition(a) else {
                counters.marginCallsExhausted += 1
                break
            }
            let level = marginLevelCentiPercent(a) ?? 0
            let equity = accounts[a].wallet &+ accounts[a].unrealizedSum
            let used = RiskMath.scale(accounts[a].liveNotionalSum, 1, Int64(accounts[a].settings.leverage), .halfEven)
            let slot = slots[i]
            guard let id = close(i, a, s, reason: .marginCall, ingressNs: ingressNs) else { break }
            closures += 1
            counters.marginCallCloses += 1
            log(Self.record(.marginCallClosure, .warning, nowNs: nowNs, (level, 2)))
            let closure = MarginCallClosure(
                positionID: slot.positionID, clientOrderID: id, account: AccountID(UInt16(a)), symbol: SymbolID(UInt16(s)),
                side: slot.side, quantity: slot.quantity, markPrice: slot.markPrice,
                unrealizedPnL: Price(raw: slot.unrealized), marginLevelCentiPercent: level, equity: Price(raw: equity),
                marginUsed: Price(raw: used))
            if !outbox.marginCallClosures.append(closure) { counters.outboxOverflows += 1 }
        } while marginLevelBelow(a, percent: Self.marginCallTargetPercent)
        guard closures > 0 else { return }
        counters.marginCalls += 1
        let alert = Self.record(.marginCallAlert, .critical, nowNs: nowNs, (Int64(a), 0), (firstLevel, 2), (closures, 0))
        if !outbox.alerts.append(alert) { counters.outboxOverflows += 1 }
    }

    /// The live position (filled, no close in flight) with the lowest unrealized PnL incl. funding.
    func worstLivePosition(_ a: Int) -> (Int, Int)? {
        var best: (Int, Int)?
        var worst = Int64.max
        let base = slotIndex(a, 0)
        for s in 0..<symbolCount {
            let i = base &+ s
            if slots[i].isLive && slots[i].unrealized < worst {
                worst = slots[i].unrealized
                best = (i, s)
            }
        }
        return best
    }

    /// Debug check that the running sums equal a fresh scan.
    func aggregatesAreConsistent(_ a: Int) -> Bool {
        var unrealized: Int64 = 0, live: Int64 = 0
        let base = slotIndex(a, 0)
        for i in base..<(base + symbolCount) where slots[i].quantity.raw > 0 {
            unrealized &+= slots[i].unrealized
            if slots[i].closeOrderID == 0 { live &+= slots[i].notional }
        }
        return unrealized == accounts[a].unrealizedSum && live == accounts[a].liveNotionalSum
    }

    /// Deadlines, called every duty cycle: a `PositionUpdate` per open position every
    /// `positionUpdateIntervalNs` (5 s) from its first fill, and the portfolio snapshots every
    /// `snapshotIntervalNs` (15 min; see `RiskEngine+Snapshots`, which also says what
    /// `wallTimeMs` is for). A late call emits once and keeps the cadence (no burst of catch-up
    /// updates). Costs two compares until something is due.
    public mutating func poll(nowNs: UInt64, wallTimeMs: Int64 = 0) {
        outbox.clear()
        if nowNs >= nextSnapshotDueNs && snapshotIntervalNs > 0 { takeSnapshots(nowNs: nowNs, wallTimeMs: wallTimeMs) }
        guard nowNs >= nextUpdateDueNs else { return }
        var next = UInt64.max
        for a in 0..<accountCount {
            for s in 0..<symbolCount {
                let i = slotIndex(a, s)
                guard slots[i].quantity.raw > 0 else { continue }
                if nowNs >= slots[i].nextUpdateNs {
                    if let u = positionUpdate(a, s, nowNs: nowNs, eventTimeMs: symbols[s].lastEventTimeMs),
                       !outbox.positionUpdates.append(u) {
                        counters.outboxOverflows += 1
                    }
                    repeat { slots[i].nextUpdateNs &+= positionUpdateIntervalNs } while slots[i].nextUpdateNs <= nowNs
                }
                next = min(next, slots[i].nextUpdateNs)
            }
        }
        nextUpdateDueNs = next
    }

    /// The position in (a, s) as a `PositionUpdate` (PnL at the symbol's price scale), or nil.
    func positionUpdate(_ a: Int, _ s: Int, nowNs: UInt64, eventTimeMs: Int64) -> PositionUpdate? {
        guard let p = position(AccountID(UInt16(a)), SymbolID(UInt16(s))) else { return nil }
        let ps = symbols[s].rules.priceScale
        return PositionUpdate(
            timeNs: nowNs, eventTimeMs: eventTimeMs, account: p.account, symbol: p.symbol, side: p.side,
            quantity: p.quantity, entryPrice: p.averageEntryPrice, markPrice: p.markPrice,
            unrealizedPnL: RiskMath.moneyToPriceScale(p.unrealizedPnL.raw, ps),
            accruedFunding: RiskMath.moneyToPriceScale(p.accruedFunding.raw, ps))
    }
}
