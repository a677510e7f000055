import TicklineCore

/// Fills and order outcomes from the order stage.
///
/// - Entry fills grow the position (partial fills one by one; the entry price is the fills'
///   weighted average, kept exactly as Σ quantity × price), the commission is paid from the wallet,
///   and the margin reserved for the unfilled remainder shrinks. On the first fill risk sends the
///   exchange-side safety net (when `exchangeProtectiveOrders`): a STOP_MARKET at the stop-loss and
///   a TAKE_PROFIT_MARKET at the take-profit, reduce-only with **quantity zero, meaning
///   `closePosition=true`** (they close whatever is open when they trigger, so later partial
///   fills are covered).
/// - Close fills (risk's own reduce-only closes, or the safety-net orders by their client order
///   ids) realize PnL on the closed part: price PnL against the pro-rata cost basis plus the
///   pro-rata accrued funding, less the commission, into the wallet.
/// - A close canceled, expired or rejected leaves the position live again (the next price event
///   re-checks); rejected with -2022 (ReduceOnly rejected: the position is already gone) it counts
///   as closed, booked at the last mark.
/// - Duplicates (a cumulative quantity already booked) are ignored and counted; fills of orders
///   risk does not know (e.g. a safety-net order triggering after the position was closed) are
///   counted and ignored (the order stage's re-sync reconciles); other reports for unknown orders
///   (the safety net's cancellation after a close) are ignored. The safety-net orders are not
///   tracked past the position: the order stage must cancel them when the position closes, or a
///   later position in the symbol would inherit them at the venue.
///
/// The simulator books the same way (`SimExchange.apply(to:…)`): weighted entry, realized PnL
/// on the closed quantity, fee from the wallet; it rounds the average entry to 8 places where risk
/// keeps the exact cost basis, so realized PnL may differ by rounding (≤ 10⁻⁸ × quantity).
extension RiskEngine {
    public mutating func handleExecution(_ r: ExecutionReport, nowNs: UInt64) {
        if r.kind == .funding { return reconcileFunding(r.account, r.symbol, venueIncome: r.realizedPnL, nowNs: nowNs) }
        outbox.clear()
        if r.eventTimeMs > lastExecutionTimeMs { lastExecutionTimeMs = r.eventTimeMs }
        let a = r.account.index, s = r.symbol.index
        guard a < accountCount, s < symbolCount, r.clientOrderID != 0 else {
            counters.unmatchedReports += 1
            return
        }
        let i = slotIndex(a, s)
        let id = r.clientOrderID
        let isFill = r.lastFillQuantity.raw > 0 && (r.kind == .partiallyFilled || r.kind == .filled)
        let isFinal = r.kind == .filled || r.kind == .canceled || r.kind == .rejected || r.kind == .expired
        guard slots[i].occupied else {
            if isFill { counters.unmatchedReports += 1 }
            return
        }
        if id == slots[i].entryOrderID {
            if isFill { entryFill(i, a, s, r, nowNs: nowNs) }
            if isFinal {
                if r.kind != .filled { counters.entriesRejected += 1 }
                slots[i].entryOrderID = 0
                slots[i].reserve = 0
                releaseIfDone(i, a)
            }
        } else if id == slots[i].closeOrderID {
            if isFill {
                if isDuplicate(r, booked: slots[i].closeFilled) {
                    counters.duplicateFills += 1
                } else {
                    slots[i].closeFilled = booked(r, slots[i].closeFilled)
                    reduce(i, a, s, r, reason: slots[i].closeReason)
                }
            }
            if isFinal { closeFinished(i, a, s, r) }
        } else if id == slots[i].stopOrderID || id == slots[i].takeProfitOrderID {
            if isFill {
                counters.venueCloseFills += 1
                reduce(i, a, s, r, reason: id == slots[i].stopOrderID ? .stopLoss : .takeProfit)
            }
            if isFinal {
                if id == slots[i].stopOrderID { slots[i].stopOrderID = 0 } else { slots[i].takeProfitOrderID = 0 }
                releaseIfDone(i, a)
            }
        } else if isFill {
            counters.unmatchedReports += 1
        }
    }

    func isDuplicate(_ r: ExecutionReport, booked: Quantity) -> Bool {
        r.cumulativeQuantity.raw > 0 && r.cumulativeQuantity <= booked
    }

    func booked(_ r: ExecutionReport, _ before: Quantity) -> Quantity {
        r.cumulativeQuantity.raw > 0 ? r.cumulativeQuantity : before + r.lastFillQuantity
    }

    mutating func entryFill(_ i: Int, _ a: Int, _ s: Int, _ r: ExecutionReport, nowNs: UInt64) {
        if isDuplicate(r, booked: slots[i].entryFilled) {
            counters.duplicateFills += 1
            return
        }
        let rules = symbols[s].rules
        let first = slots[i].quantity.raw == 0
        if first && slots[i].tradeClosed { startNewTrade(i) }
        let q = r.lastFillQuantity
        let notional = RiskMath.notional(q, rules.quantityScale, r.lastFillPrice, rules.priceScale)
        let commission = RiskMath.priceScaleToMoney(r.commission, rules.priceScale)
        slots[i].quantity += q
        slots[i].costBasis &+= notional
        accounts[a].wallet &-= commission
        slots[i].realized &-= commission
        slots[i].enteredQuantity += q
        slots[i].enteredNotional &+= notional
        slots[i].fees &+= commission
        accounts[a].filledSinceSnapshot = true
        slots[i].entryFilled = booked(r, slots[i].entryFilled)
        let remaining = slots[i].entryQuantity - slots[i].entryFilled
        slots[i].reserve = remaining.raw > 0
            ? Self.requiredMargin(notional: RiskMath.notional(remaining, rules.quantityScale, slots[i].entryPrice,
                                                              rules.priceScale), settings: accounts[a].settings)
            : 0
        counters.fills += 1
        if first {
            slots[i].openedNs = nowNs
            slots[i].entryTimeMs = r.eventTimeMs > 0 ? r.eventTimeMs : latestEventTimeMs
            let price = markingPrice(a, s)
            slots[i].markPrice = price.raw > 0 ? price : r.lastFillPrice
            scheduleUpdate(i, nowNs: nowNs)
            if exchangeProtectiveOrders { sendSafetyNet(i, a, s, ingressNs: r.ingressNs) }
        }
        revalue(i, a, s)
        if first {
            tradeOpened(i, a, s, ingressNs: r.ingressNs, entryPrice: r.lastFillPrice, entryClientOrderID: r.clientOrderID,
                        adopted: false)
        }
    }

    /// Sends the exchange-side safety net for every position adopted at start-up that has none
    /// (the start-up sequence canceled the venue's leftover protective orders, whose ids risk
    /// does not know). The risk stage calls it once, at its first duty cycle.
    public mutating func protectAdoptedPositions(nowNs: UInt64) {
        outbox.clear()
        guard exchangeProtectiveOrders else { return }
        for a in 0..<accountCount {
            for s in 0..<symbolCount {
                let i = slotIndex(a, s)
                guard slots[i].quantity.raw > 0, slots[i].closeOrderID == 0, slots[i].stopOrderID == 0,
                      slots[i].takeProfitOrderID == 0 else { continue }
                sendSafetyNet(i, a, s, ingressNs: nowNs)
            }
        }
    }

    mutating func sendSafetyNet(_ i: Int, _ a: Int, _ s: Int, ingressNs: UInt64) {
        slots[i].stopOrderID = protectiveOrder(i, a, s, .stopMarket, slots[i].stopLoss, .stopLoss, ingressNs)
        slots[i].takeProfitOrderID = protectiveOrder(i, a, s, .takeProfitMarket, slots[i].takeProfit, .takeProfit,
                                                     ingressNs)
    }

    /// A closePosition conditional order (quantity zero) at `level`; its client order id, or 0.
    mutating func protectiveOrder(_ i: Int, _ a: Int, _ s: Int, _ type: OrderType, _ level: Price,
                                  _ reason: CloseReason, _ ingressNs: UInt64) -> UInt64 {
        guard level.raw > 0 else { return 0 }
        let intent = OrderIntent(ingressNs: ingressNs, clientOrderID: nextClientOrderID, signalID: slots[i].signalID,
                                 account: AccountID(UInt16(a)), symbol: SymbolID(UInt16(s)), side: slots[i].side.opposite,
                                 type: type, quantity: .zero, stopPrice: level, reduceOnly: true, closeReason: reason)
        guard outbox.intents.append(intent) else {
            counters.outboxOverflows += 1
            return 0
        }
        return takeClientOrderID()
    }

    /// Books a closing fill: price PnL on the closed part against its share of the cost basis,
    /// plus its share of the accrued funding, less commission. The fill that leaves nothing
    /// closes the trade (`TradeClosed`, with `reason`).
    mutating func reduce(_ i: Int, _ a: Int, _ s: Int, _ r: ExecutionReport, reason: CloseReason) {
        let slot = slots[i]
        guard slot.quantity.raw > 0 else {
            counters.unmatchedReports += 1
            return
        }
        let rules = symbols[s].rules
        let q = min(r.lastFillQuantity, slot.quantity)
        let whole = q == slot.quantity
        let exit = RiskMath.notional(q, rules.quantityScale, r.lastFillPrice, rules.priceScale)
        let cost = whole ? slot.costBasis : RiskMath.scale(slot.costBasis, q.raw, slot.quantity.raw, .halfEven)
        let funding = whole ? slot.funding : RiskMath.scale(slot.funding, q.raw, slot.quantity.raw, .halfEven)
        let pnl = slot.side == .buy ? exit &- cost : cost &- exit
        let commission = RiskMath.priceScaleToMoney(r.commission, rules.priceScale)
        let booked = pnl &+ funding &- commission
        accounts[a].wallet &+= booked
        accounts[a].filledSinceSnapshot = true
        slots[i].realized &+= booked
        slots[i].costBasis &-= cost
        slots[i].funding &-= funding
        slots[i].quantity -= q
        slots[i].exitedQuantity += q
        slots[i].exitedNotional &+= exit
        slots[i].fees &+= commission
        slots[i].fundingRealized &+= funding
        counters.fills += 1
        revalue(i, a, s)
        if slots[i].quantity.raw == 0 { tradeClosed(i, a, s, reason: reason, r) }
    }

    mutating func closeFinished(_ i: Int, _ a: Int, _ s: Int, _ r: ExecutionReport) {
        let reason = slots[i].closeReason
        slots[i].closeOrderID = 0
        slots[i].closeReason = .none
        slots[i].closeFilled = .zero
        if slots[i].quantity.raw > 0 {
            if r.kind == .rejected && r.venueErrorCode == -2022 {
                // The venue says there is nothing left to reduce: closed, at the last mark.
                accounts[a].wallet &+= slots[i].unrealized
                accounts[a].filledSinceSnapshot = true
                slots[i].realized &+= slots[i].unrealized
                slots[i].exitedQuantity += slots[i].quantity
                slots[i].exitedNotional &+= slots[i].notional
                slots[i].fundingRealized &+= slots[i].funding
                slots[i].quantity = .zero
                slots[i].costBasis = 0
                slots[i].funding = 0
                slots[i].notional = 0
                slots[i].unrealized = 0
                counters.closesAlreadyFlat += 1
                tradeClosed(i, a, s, reason: reason == .none ? .manual : reason, r)
            } else if r.kind != .filled {
                counters.closesFailed += 1
            }
        }
        releaseIfDone(i, a)
    }
}
