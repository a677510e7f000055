import Testing
import TicklineCore
import TicklineIndicators

/// Refused candles are counted by reason and leave every indicator as if they never came;
/// gaps are accepted and counted.
@Suite struct BadInputTests {
    static func candle(_ minute: Int64, _ close: Double, volume: Double = 5) -> Candle {
        Candle(openTimeMs: minute * 60_000, open: close, high: close + 1, low: close - 1, close: close, volume: volume)
    }

    static let good: [Candle] = (0..<60).map { candle(Int64($0), 100 + Double(($0 * 7) % 11)) }

    @Test func eachReasonIsCountedAndNothingIsFoldedIn() {
        var clean = IndicatorBank(symbol: SymbolID(0), interval: .m1)
        var dirty = IndicatorBank(symbol: SymbolID(0), interval: .m1)
        var bad = Self.good[30]
        bad.openTimeMs = 30 * 60_000 + 1
        let offenders: [(Candle, CandleRejection)] = [
            (with(Self.good[30]) { $0.close = .nan }, .nonFinite),
            (with(Self.good[30]) { $0.high = .infinity }, .nonFinite),
            (with(Self.good[30]) { $0.volume = -.infinity }, .nonFinite),
            (with(Self.good[30]) { $0.low = -1 }, .nonPositivePrice),
            (with(Self.good[30]) { $0.open = 0 }, .nonPositivePrice),
            (with(Self.good[30]) { $0.volume = -3 }, .negativeVolume),
            (with(Self.good[30]) { ($0.high, $0.low) = ($0.low, $0.high) }, .inconsistentRange),
            (with(Self.good[30]) { $0.close = $0.high + 0.5 }, .inconsistentRange),
            (bad, .misalignedOpenTime),
        ]
        for (i, candle) in Self.good.enumerated() {
            clean.commit(candle)
            #expect(dirty.commit(candle) == .accepted)
            if i == 29 {
                for (offender, reason) in offenders {
                    #expect(dirty.peek(offender) == nil)
                    #expect(dirty.sequence.check(offender) == reason)
                    #expect(dirty.commit(offender) == .rejected(reason))
                }
            }
            if i >= 1 {
                #expect(dirty.commit(Self.good[i]) == .rejected(.duplicate))
                #expect(dirty.commit(Self.good[i - 1]) == .rejected(.outOfOrder))
                #expect(dirty.peek(Self.good[i]) == nil)
            }
            #expect(dirty.latest == clean.latest)
        }
        let c = dirty.counters
        #expect(c.accepted == 60 && c.rejected == 9 + 2 * 59)
        #expect(c.nonFinite == 3 && c.nonPositivePrice == 2 && c.negativeVolume == 1 && c.inconsistentRange == 2)
        #expect(c.misalignedOpenTime == 1 && c.duplicate == 59 && c.outOfOrder == 59 && c.gaps == 0)
        for reason in CandleRejection.allCases where reason != .wrongInterval { #expect(c[reason] > 0) }
    }

    @Test func aKlineOfAnotherIntervalIsRefused() {
        var bank = IndicatorBank(symbol: SymbolID(0), interval: .m5)
        let scales = CandleScales(price: DecimalScale(places: 2), quantity: DecimalScale(places: 3))
        let kline = Kline(eventTimeMs: 0, openTimeMs: 0, interval: .m1, open: Price(raw: 100), high: Price(raw: 100),
                          low: Price(raw: 100), close: Price(raw: 100), volume: Quantity(raw: 1), quoteVolume: .zero,
                          takerBuyVolume: .zero, tradeCount: 1)
        #expect(bank.commit(kline, scales: scales) == .rejected(.wrongInterval))
        #expect(bank.peek(kline, scales: scales) == nil)
        var right = kline
        right.interval = .m5
        let provisional = bank.peek(right, scales: scales)
        #expect(bank.commit(right, scales: scales) == .accepted)
        #expect(provisional == bank.latest && bank.latest?.close == 1.0)
        #expect(bank.counters.wrongInterval == 1 && bank.counters.accepted == 1)
    }

    @Test func gapsAreAcceptedAndCounted() {
        var bank = IndicatorBank(symbol: SymbolID(0), interval: .m1)
        #expect(bank.commit(Self.candle(0, 100)) == .accepted)
        #expect(bank.commit(Self.candle(1, 101)) == .accepted)
        #expect(bank.commit(Self.candle(5, 102)) == .acceptedAfterGap(missingCandles: 3))
        #expect(bank.commit(Self.candle(6, 103)) == .accepted)
        #expect(bank.commit(Self.candle(8, 104)) == .acceptedAfterGap(missingCandles: 1))
        #expect(bank.counters.gaps == 2 && bank.counters.missingCandles == 4 && bank.counters.accepted == 5)
        // The neighbours of a gap are treated as adjacent: OBV saw five rises.
        #expect(bank.obv.value == 25)
    }
}

func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
    var copy = value
    change(&copy)
    return copy
}
