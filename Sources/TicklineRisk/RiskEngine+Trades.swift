import TicklineCore

/// Trades for the journal: a position's life from its first entry fill to the fill that brings
/// its quantity back to zero.
///
/// - `TradeOpened` on the **first** entry fill only (later partial fills grow the position but
///   open nothing), with that fill's price, quantity, commission and venue time; and for every
///   position adopted at start-up (`adopted`, no signal or entry order).
/// - `TradeClosed` when the quantity returns to zero: total entered quantity and average entry,
///   exit price = Σ closing notional ÷ Σ closing quantity (the volume-weighted close), exit time
///   = the closing fill's venue time, realized PnL = price PnL + funding − every commission
///   (exactly what the position added to the wallet), and the reason: the reason of risk's own
///   close (StopLoss, TakeProfit, MarginCall, Manual, Signal), or StopLoss / TakeProfit when the
///   venue's protective order filled. A close rejected with -2022 (already flat) closes the trade
///   at the last mark with the close order's reason.
/// - If entry fills still arrive after a close brought the quantity to zero (an entry partly
///   filled, stopped out, then filled further), that exposure is a new trade with a new position
///   id.
///
/// Quote amounts leave at the symbol's price scale (half-even), as `TradeRecord` stores them.
extension RiskEngine {
    mutating func tradeOpened(_ i: Int, _ a: Int, _ s: Int, ingressNs: UInt64, entryPrice: Price? = nil,
                              entryClientOrderID: UInt64, adopted: Bool) {
        let slot = slots[i]
        let rules = symbols[s].rules
        let opened = TradeOpened(
            ingressNs: ingressNs, entryTimeMs: slot.entryTimeMs, positionID: slot.positionID, account: AccountID(UInt16(a)),
            symbol: SymbolID(UInt16(s)), side: slot.side, quantity: slot.enteredQuantity,
            entryPrice: entryPrice ?? RiskMath.averagePrice(slot.enteredNotional, slot.enteredQuantity,
                                                            rules.quantityScale, rules.priceScale),
            stopLoss: slot.stopLoss, takeProfit: slot.takeProfit,
            fees: RiskMath.moneyToPriceScale(slot.fees, rules.priceScale), signalID: slot.signalID,
            entryClientOrderID: entryClientOrderID, adopted: adopted)
        if outbox.tradesOpened.append(opened) { counters.tradesOpened += 1 } else { counters.outboxOverflows += 1 }
    }

    mutating func tradeClosed(_ i: Int, _ a: Int, _ s: Int, reason: CloseReason, _ r: ExecutionReport) {
        let slot = slots[i]
        let rules = symbols[s].rules
        let qs = rules.quantityScale, ps = rules.priceScale
        let closed = TradeClosed(
            ingressNs: r.ingressNs, exitTimeMs: r.eventTimeMs > 0 ? r.eventTimeMs : latestEventTimeMs,
            entryTimeMs: slot.entryTimeMs, positionID: slot.positionID, account: AccountID(UInt16(a)),
            symbol: SymbolID(UInt16(s)), side: slot.side, reason: reason, quantity: slot.enteredQuantity,
            entryPrice: RiskMath.averagePrice(slot.enteredNotional, slot.enteredQuantity, qs, ps),
            exitPrice: RiskMath.averagePrice(slot.exitedNotional, slot.exitedQuantity, qs, ps),
            realizedPnL: RiskMath.moneyToPriceScale(slot.realized, ps), fees: RiskMath.moneyToPriceScale(slot.fees, ps),
            funding: RiskMath.moneyToPriceScale(slot.fundingRealized, ps), exitClientOrderID: r.clientOrderID,
            adopted: slot.adopted)
        slots[i].tradeClosed = true
        if outbox.tradesClosed.append(closed) { counters.tradesClosed += 1 } else { counters.outboxOverflows += 1 }
    }

    /// A slot whose trade closed takes entry fills again: a new trade, with a new id and fresh
    /// books (the closed trade's were reported).
    mutating func startNewTrade(_ i: Int) {
        slots[i].positionID = takePositionID()
        slots[i].tradeClosed = false
        slots[i].adopted = false
        slots[i].realized = 0
        slots[i].enteredQuantity = .zero
        slots[i].enteredNotional = 0
        slots[i].exitedQuantity = .zero
        slots[i].exitedNotional = 0
        slots[i].fees = 0
        slots[i].fundingRealized = 0
    }
}
