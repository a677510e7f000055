import TicklineCore

/// Signal validation and sizing.
///
/// ## Order of the checks
/// The order, then the sizing checks, which need the levels and the size, and the margin
/// check last, which needs the sized notional:
///
/// 1. `notDirectional` — Long/Short only; 2. `symbolNotTradable` — no rules for the symbol;
/// 3. `lowConfidence` — confidence < the account's minimum; 4. `maxOpenPositions` — open or
/// opening positions ≥ max; 5. `tradingDisabledGlobally`; 6. `tradingDisabledForAccount`;
/// 7. `storeDegraded` — no new positions while journaling fails; 8. `positionAlreadyOpen` —
/// one-way mode, one position per symbol; 9. `riskRewardTooLow` — only when the signal states a
/// risk-reward; 10. `noMarketPrice` — no entry in the signal and no price yet;
/// 11. `invalidStopDistance` — levels on the wrong side of the entry or no distance left after
/// rounding; 12. `belowMinNotional` (a size of zero included); 13. `aboveMaxPosition`;
/// 14. `insufficientMargin`.
///
/// ## Sizing
/// risk amount = equity × risk% (toward zero); quantity = risk amount ÷ |entry − stop-loss|,
/// rounded **down** to the step size, so the loss at the stop never exceeds the budget. The entry
/// is the signal's entry price, or the account's marking price when the signal has none.
///
/// ## Rounding of the levels to the tick
/// Both levels round **toward the entry** (long: stop-loss up, take-profit down; short: stop-loss
/// down, take-profit up). For the stop this is the safe side: the stop distance used for sizing is
/// the rounded one and can only shrink, so the realized loss at the stop stays within the risk
/// budget. For the take-profit it means never assuming more reward than the strategy computed.
///
/// ## Margin
/// required = ⌈notional ÷ leverage⌉ + ⌈notional × taker fee⌉ at the entry price must be ≤ the
/// available margin (the simulator rejects when required > available: the same boundary). Both
/// terms round up, so risk may refuse by at most 2 × 10⁻⁸ where the venue would accept.
extension RiskEngine {
    /// Evaluates `signal` for every account in account order; each account either gets a market
    /// entry intent or an `OrderDenied` in the outbox. Up to `accountCount` intents: the stage
    /// either makes sure the order ring has that much room first, or hands back what it could not
    /// send with `orderNotSent(_:)`.
    public mutating func handleSignal(_ signal: Signal, nowNs: UInt64) {
        outbox.clear()
        counters.signals += 1
        for a in 0..<accountCount { evaluate(signal, a, nowNs: nowNs) }
    }

    struct Levels {
        var stopLoss: Price
        var takeProfit: Price
    }

    mutating func evaluate(_ signal: Signal, _ a: Int, nowNs: UInt64) {
        let side: Side = signal.direction == .short ? .sell : .buy
        var entry = signal.entryPrice
        guard signal.direction != .flat else { return deny(signal, a, side, .notDirectional, entry: entry) }
        let s = signal.symbol.index
        guard s < symbolCount, symbols[s].tradable else { return deny(signal, a, side, .symbolNotTradable, entry: entry) }
        let st = accounts[a].settings
        guard Int(signal.confidenceBp) >= st.minConfidenceBp else {
            return deny(signal, a, side, .lowConfidence, entry: entry, limit: Int64(st.minConfidenceBp))
        }
        guard accounts[a].occupied < st.maxOpenPositions else {
            return deny(signal, a, side, .maxOpenPositions, entry: entry, limit: Int64(st.maxOpenPositions))
        }
        guard globalTradingEnabled else { return deny(signal, a, side, .tradingDisabledGlobally, entry: entry) }
        guard accounts[a].tradingEnabled else { return deny(signal, a, side, .tradingDisabledForAccount, entry: entry) }
        guard !storeDegraded else { return deny(signal, a, side, .storeDegraded, entry: entry) }
        let i = slotIndex(a, s)
        guard !slots[i].occupied else { return deny(signal, a, side, .positionAlreadyOpen, entry: entry) }
        if signal.riskRewardBp != 0 && Int(signal.riskRewardBp) < st.minRiskRewardBp {
            return deny(signal, a, side, .riskRewardTooLow, entry: entry, limit: Int64(st.minRiskRewardBp))
        }
        if entry.raw <= 0 { entry = markingPrice(a, s) }
        guard entry.raw > 0 else { return deny(signal, a, side, .noMarketPrice, entry: entry) }
        let rules = symbols[s].rules
        guard let levels = protectiveLevels(signal, side: side, entry: entry, tick: rules.tickSize, settings: st) else {
            return deny(signal, a, side, .invalidStopDistance, entry: entry)
        }
        let equity = accounts[a].wallet &+ accounts[a].unrealizedSum
        let riskAmount = RiskMath.scale(equity, Int64(st.riskPerTradeBp), 10_000, .towardZero)
        let quantity = Self.positionSize(riskAmount: riskAmount, entry: entry, stopLoss: levels.stopLoss, rules: rules)
        let notional = RiskMath.notional(quantity, rules.quantityScale, entry, rules.priceScale)
        guard quantity.raw > 0, notional >= rules.minNotional.raw else {
            return deny(signal, a, side, .belowMinNotional, entry: entry, quantity: quantity, limit: rules.minNotional.raw)
        }
        if rules.maxPositionQuantity.raw > 0 && quantity > rules.maxPositionQuantity {
            return deny(signal, a, side, .aboveMaxPosition, entry: entry, quantity: quantity,
                        limit: rules.maxPositionQuantity.raw)
        }
        if rules.maxPositionNotional.raw > 0 && notional > rules.maxPositionNotional.raw {
            return deny(signal, a, side, .aboveMaxPosition, entry: entry, quantity: quantity,
                        limit: rules.maxPositionNotional.raw)
        }
        let required = Self.requiredMargin(notional: notional, settings: st)
        let available = availableMargin(a)
        guard required <= available else {
            return deny(signal, a, side, .insufficientMargin, entry: entry, quantity: quantity, limit: available)
        }

        let intent = OrderIntent(ingressNs: signal.ingressNs, clientOrderID: nextClientOrderID, signalID: signal.signalID,
                                 account: AccountID(UInt16(a)), symbol: signal.symbol, side: side, type: .market,
                                 quantity: quantity)
        guard outbox.intents.append(intent) else {
            counters.outboxOverflows += 1
            return
        }
        _ = takeClientOrderID()
        var slot = PositionSlot()
        slot.occupied = true
        slot.side = side
        slot.markPrice = entry
        slot.stopLoss = levels.stopLoss
        slot.takeProfit = levels.takeProfit
        slot.positionID = takePositionID()
        slot.signalID = signal.signalID
        slot.entryOrderID = intent.clientOrderID
        slot.entryQuantity = quantity
        slot.entryPrice = entry
        slot.reserve = required
        slots[i] = slot
        accounts[a].occupied += 1
        counters.entriesSubmitted += 1
    }

    mutating func deny(_ signal: Signal, _ a: Int, _ side: Side, _ reason: DenialReason, entry: Price,
                       quantity: Quantity = .zero, limit: Int64 = 0) {
        counters.denialsByReason[Int(reason.rawValue)] += 1
        let d = OrderDenied(ingressNs: signal.ingressNs, signalID: signal.signalID, eventTimeMs: signal.eventTimeMs,
                            account: AccountID(UInt16(a)), symbol: signal.symbol, side: side, reason: reason,
                            requestedQuantity: quantity, price: entry, limitValue: limit)
        if !outbox.denials.append(d) { counters.outboxOverflows += 1 }
    }

    /// Initial margin plus the taker fee of opening `notional`, both rounded up.
    static func requiredMargin(notional: Int64, settings: AccountSettings) -> Int64 {
        RiskMath.scale(notional, 1, Int64(settings.leverage), .ceiling)
            &+ RiskMath.scale(notional, Int64(settings.takerFeePpm), 1_000_000, .ceiling)
    }

    /// risk amount ÷ stop distance in quantity units, rounded down to the step size.
    ///
    /// quantity raw = R × 10^(qs+ps) ÷ (10^8 × D), with R the risk amount in money units and D the
    /// stop distance in price units.
    static func positionSize(riskAmount: Int64, entry: Price, stopLoss: Price, rules: SymbolRules) -> Quantity {
        let distance = (Int128(entry.raw) - Int128(stopLoss.raw)).magnitude
        guard riskAmount > 0, distance > 0 else { return .zero }
        var numerator = Int128(riskAmount)
        var denominator = Int128(distance)
        let places = Int(rules.quantityScale.places) + Int(rules.priceScale.places) - RiskMath.moneyPlaces
        if places >= 0 { numerator *= RiskMath.pow10(places) } else { denominator *= RiskMath.pow10(-places) }
        let raw = RiskMath.divide(numerator, denominator * Int128(rules.stepSize.raw), .floor) * Int128(rules.stepSize.raw)
        return Quantity(raw: RiskMath.clamp(raw))
    }

    /// The stop-loss and take-profit of an entry: the signal's where given, else the account's
    /// fallback percentages; rounded to the tick toward the entry. Nil when a level is not strictly
    /// on its side of the entry (long: stop < entry < target; short: target < entry < stop).
    func protectiveLevels(_ signal: Signal, side: Side, entry: Price, tick: Price, settings: AccountSettings) -> Levels? {
        var levels = fallbackLevels(side: side, entry: entry, tick: tick, settings: settings)
        let long = side == .buy
        if signal.stopLoss.raw > 0 {
            levels.stopLoss = RiskMath.onTickGrid(Int128(signal.stopLoss.raw), 1, tick: tick, long ? .ceiling : .floor)
        }
        if signal.takeProfit.raw > 0 {
            levels.takeProfit = RiskMath.onTickGrid(Int128(signal.takeProfit.raw), 1, tick: tick, long ? .floor : .ceiling)
        }
        let ok = long
            ? levels.stopLoss.raw > 0 && levels.stopLoss < entry && entry < levels.takeProfit
            : levels.takeProfit.raw > 0 && levels.takeProfit < entry && entry < levels.stopLoss
        return ok ? levels : nil
    }

    /// entry × (1 ∓ stop%) and entry × (1 ± target%), on the tick grid toward the entry.
    func fallbackLevels(side: Side, entry: Price, tick: Price, settings: AccountSettings) -> Levels {
        let e = Int128(entry.raw)
        let sl = Int128(settings.stopLossFallbackBp), tp = Int128(settings.takeProfitFallbackBp)
        if side == .buy {
            return Levels(stopLoss: RiskMath.onTickGrid(e * (10_000 - sl), 10_000, tick: tick, .ceiling),
                          takeProfit: RiskMath.onTickGrid(e * (10_000 + tp), 10_000, tick: tick, .floor))
        }
        return Levels(stopLoss: RiskMath.onTickGrid(e * (10_000 + sl), 10_000, tick: tick, .floor),
                      takeProfit: RiskMath.onTickGrid(e * (10_000 - tp), 10_000, tick: tick, .ceiling))
    }
}
