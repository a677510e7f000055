import TicklineCore

/// Funding.
///
/// At each funding time every open position pays or receives
/// `fee = quantity × mark price × funding rate` (https://www.binance.com/en/support/faq/360033525031):
/// a long pays a positive rate and receives a negative one, a short the opposite. Risk accrues the
/// amount in the position (`accruedFunding`, income-signed), includes it in unrealized PnL (so in
/// equity and the margin level) and realizes it pro rata as the position closes.
///
/// The funding time comes from the mark-price stream (`T`, next funding time; `r`, the rate;
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Mark-Price-Stream),
/// not a fixed clock: the last rate and mark are cached, and the first mark-price event whose
/// event time reaches the cached funding time settles it at that cached rate and mark — what the
/// simulator does (`SimExchange.settleFunding`: the rate and mark prevailing when the funding time
/// is reached, products rounded half-even to 8 places, as here). A dropped mark-price event only
/// delays the settlement to the next one. The venue's `ACCOUNT_UPDATE` with reason FUNDING_FEE
/// is the final word: `reconcileFunding` corrects and counts any difference.
///
/// The simulator books funding to the wallet at once; risk keeps it in the position until it
/// closes. Equity (wallet + unrealized) is the same either way.
extension RiskEngine {
    /// Applies a funding settlement to every open position in `symbol` (for callers that learn of
    /// funding other than through the mark-price stream, and for tests).
    public mutating func applyFunding(_ symbol: SymbolID, rateE8: Int64, markPrice: Price, fundingTimeMs: Int64,
                                      nowNs: UInt64) {
        outbox.clear()
        guard symbol.index < symbolCount else { return }
        settleFunding(symbol.index, rateE8: rateE8, markPrice: markPrice, fundingTimeMs: fundingTimeMs, nowNs: nowNs)
    }

    /// The venue's FUNDING_FEE balance change for one position (income-signed, 8 places). If risk
    /// already applied this settlement, the difference is corrected and counted; if the venue's
    /// report came first, its amount is booked and risk's own settlement of that funding time skips
    /// the position.
    public mutating func reconcileFunding(_ account: AccountID, _ symbol: SymbolID, venueIncome: Price, nowNs: UInt64) {
        outbox.clear()
        let a = account.index, s = symbol.index
        guard a < accountCount, s < symbolCount, slots[slotIndex(a, s)].quantity.raw > 0 else {
            counters.unmatchedReports += 1
            return
        }
        let i = slotIndex(a, s)
        let positionID = Int64(bitPattern: slots[i].positionID)
        if slots[i].fundingAwaitingVenue {
            slots[i].fundingAwaitingVenue = false
            let difference = venueIncome.raw &- slots[i].lastFunding
            guard difference != 0 else { return }
            slots[i].funding &+= difference
            slots[i].lastFunding = venueIncome.raw
            counters.fundingCorrections += 1
            log(Self.record(.fundingCorrected, .warning, nowNs: nowNs, (positionID, 0), (venueIncome.raw, 8),
                            (difference, 8)))
        } else {
            slots[i].funding &+= venueIncome.raw
            slots[i].lastFunding = venueIncome.raw
            slots[i].fundingTimeMs = symbols[s].nextFundingTimeMs
            counters.fundingApplications += 1
            log(Self.record(.fundingApplied, .info, nowNs: nowNs, (positionID, 0), (symbols[s].fundingRateE8, 8),
                            (venueIncome.raw, 8)))
        }
        revalue(i, a, s)
    }

    /// On a mark-price event, before its values replace the cached ones.
    mutating func settleFundingIfDue(_ s: Int, _ m: MarkPriceUpdate, nowNs: UInt64) {
        let sym = symbols[s]
        let due = sym.nextFundingTimeMs
        guard due > 0, m.eventTimeMs >= due, sym.settledFundingTimeMs != due else { return }
        let mark = sym.markPrice.raw > 0 ? sym.markPrice : m.markPrice
        settleFunding(s, rateE8: sym.fundingRateE8, markPrice: mark, fundingTimeMs: due, nowNs: nowNs)
    }

    mutating func settleFunding(_ s: Int, rateE8: Int64, markPrice: Price, fundingTimeMs: Int64, nowNs: UInt64) {
        symbols[s].settledFundingTimeMs = fundingTimeMs
        let rules = symbols[s].rules
        for a in 0..<accountCount {
            let i = slotIndex(a, s)
            guard slots[i].quantity.raw > 0, slots[i].fundingTimeMs != fundingTimeMs else { continue }
            let notional = RiskMath.notional(slots[i].quantity, rules.quantityScale, markPrice, rules.priceScale)
            let fee = RiskMath.scale(notional, rateE8, 100_000_000, .halfEven)
            let income = slots[i].side == .buy ? -fee : fee
            slots[i].funding &+= income
            slots[i].lastFunding = income
            slots[i].fundingTimeMs = fundingTimeMs
            slots[i].fundingAwaitingVenue = true
            counters.fundingApplications += 1
            log(Self.record(.fundingApplied, .info, nowNs: nowNs, (Int64(bitPattern: slots[i].positionID), 0),
                            (rateE8, 8), (income, 8)))
            revalue(i, a, s)
        }
    }
}
