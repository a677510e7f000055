import Testing
import TicklineCore
@testable import TicklineIndicators

/// Small examples worked by hand (independent of TA-Lib), one per indicator: the values, the
/// candle the first value comes with, and `peek(x)` equal to what `commit(x)` then returns.
@Suite struct HandCalculatedTests {
    /// (high, low, close) triples as candles.
    static func hlc(_ rows: [(Double, Double, Double)]) -> [(high: Double, low: Double, close: Double)] {
        rows.map { (high: $0.0, low: $0.1, close: $0.2) }
    }

    @Test func sma() {
        var sma = SMA(period: 3)
        var out: [Double?] = []
        for x in [1.0, 2, 3, 4, 5, 9] {
            let p = sma.peek(x)
            out.append(sma.commit(x))
            #expect(p == out.last!)
        }
        #expect(out == [nil, nil, 2, 3, 4, 6])
        var one = SMA(period: 1)
        #expect(one.commit(7) == 7)
        #expect(one.commit(-2) == -2)
    }

    @Test func smaResumKeepsTheWindowSum() {
        var sma = SMA(period: 5)
        for i in 0..<(3 * SMA.resumInterval + 7) { sma.commit(Double(i % 11) + 0.1) }
        // The window is the last five of i = …, so the mean is their exact mean.
        let n = 3 * SMA.resumInterval + 7
        let last = (n - 5..<n).map { Double($0 % 11) + 0.1 }
        #expect(close(sma.value, last.reduce(0, +) / 5))
    }

    @Test func ema() {
        // k = 2/(3+1) = 0.5; seed = mean(1,2,3) = 2; then (4−2)·½+2 = 3, (5−3)·½+3 = 4, (10−4)·½+4 = 7.
        var ema = EMA(period: 3)
        var out: [Double?] = []
        for x in [1.0, 2, 3, 4, 5, 10] {
            let p = ema.peek(x)
            out.append(ema.commit(x))
            #expect(p == out.last!)
        }
        #expect(out == [nil, nil, 2, 3, 4, 7])
    }

    @Test func rsi() {
        // Changes +1, −1, +2, 0, −3. Seed after three: gain 3/3 = 1, loss 1/3 → RSI 75.
        // Then change 0: gain 2/3, loss 2/9 → 75; change −3: gain 4/9, loss (4/9 + 3)/3 = 31/27
        // → 100 · (12/27) / (43/27) = 1200/43.
        var rsi = RSI(period: 3)
        var out: [Double?] = []
        for x in [10.0, 11, 10, 12, 12, 9] {
            let p = rsi.peek(x)
            out.append(rsi.commit(x))
            #expect(p == out.last!)
        }
        #expect(out[0...2] == [nil, nil, nil])
        #expect(close(out[3], 75))
        #expect(close(out[4], 75))
        #expect(close(out[5], 1200.0 / 43))
        // A flat market has no direction: 50, not TA-Lib's 0.
        var flat = RSI(period: 2)
        for _ in 0..<5 { flat.commit(3) }
        #expect(flat.value == 50)
    }

    @Test func macdSeedsTheFastAverageWhereTheSlowOneStarts() {
        // fast 2 (k ⅔), slow 3 (k ½), signal 2 (k ⅔). Input 3: slow = mean(1,2,3) = 2, fast =
        // mean(2,3) = 2.5 (TA-Lib's alignment, not mean(1,2)), line ½. Input 4 (5): fast = 25/6,
        // slow = 3.5, line ⅔, signal = mean(½, ⅔) = 7/12: the first value. Input 5 (8):
        // fast = 121/18, slow = 5.75, line = 35/36, signal = 91/108, histogram = 7/54.
        var macd = MACD(fast: 2, slow: 3, signal: 2)
        var out: [MACD.Value?] = []
        for x in [1.0, 2, 3, 5, 8] {
            let p = macd.peek(x)
            out.append(macd.commit(x))
            #expect(p == out.last!)
            if x == 3 { #expect(macd.line == 0.5) }
        }
        #expect(out[0...2].allSatisfy { $0 == nil })
        #expect(close(out[3]?.macd, 2.0 / 3))
        #expect(close(out[3]?.signal, 7.0 / 12))
        #expect(close(out[3]?.histogram, 1.0 / 12))
        #expect(close(out[4]?.macd, 35.0 / 36))
        #expect(close(out[4]?.signal, 91.0 / 108))
        #expect(close(out[4]?.histogram, 7.0 / 54))
    }

    @Test func bollinger() {
        // Window (1,2,3): mean 2, population σ = √(2/3); (2,3,4): mean 3, same σ;
        // (3,4,10): mean 17/3, σ² = (64 + 25 + 169)/27 = 258/27.
        var bb = BollingerBands(period: 3, deviationsUp: 2, deviationsDown: 2)
        var out: [BollingerBands.Value?] = []
        for x in [1.0, 2, 3, 4, 10] {
            let p = bb.peek(x)
            out.append(bb.commit(x))
            #expect(p == out.last!)
        }
        #expect(out[0] == nil && out[1] == nil)
        let s1 = (2.0 / 3).squareRoot(), s3 = (258.0 / 27).squareRoot()
        #expect(close(out[2]?.middle, 2) && close(out[2]?.upper, 2 + 2 * s1) && close(out[2]?.lower, 2 - 2 * s1))
        #expect(close(out[3]?.middle, 3) && close(out[3]?.standardDeviation, s1))
        #expect(close(out[4]?.middle, 17.0 / 3) && close(out[4]?.upper, 17.0 / 3 + 2 * s3))
    }

    /// At 1e9, x² is 1e18 and has no bits left for a σ of order 1: TA-Lib's E[x²] − mean²
    /// would return 0 or noise. Deviations from the mean keep it exact.
    @Test func bollingerIsStableFarFromZero() {
        var bb = BollingerBands(period: 4)
        for i in 0..<(5 * BollingerBands.recomputeInterval + 3) { bb.commit(1e9 + Double(i % 4)) }
        // Any 4 consecutive values are a permutation of 1e9 + {0,1,2,3}: σ² = 1.25.
        #expect(close(bb.value?.standardDeviation, 1.25.squareRoot(), 1e-12))
        #expect(bb.value?.middle == 1e9 + 1.5)
    }

    @Test func atr() {
        // TR from the second candle: 2, 2, 4 → first ATR (2+2+4)/3 = 8/3; then TR 7 →
        // (8/3·2 + 7)/3 = 37/9; a gap up from close 8 to (20, 19): TR 12 → (37/9·2 + 12)/3 = 182/27.
        var atr = ATR(period: 3)
        var out: [Double?] = []
        for c in Self.hlc([(10, 8, 9), (11, 9, 10), (12, 10, 11), (15, 11, 14), (14, 7, 8), (20, 19, 19.5)]) {
            let p = atr.peek(high: c.high, low: c.low, close: c.close)
            out.append(atr.commit(high: c.high, low: c.low, close: c.close))
            #expect(p == out.last!)
        }
        #expect(out[0...2] == [nil, nil, nil])
        #expect(close(out[3], 8.0 / 3))
        #expect(close(out[4], 37.0 / 9))
        #expect(close(out[5], 182.0 / 27))
    }

    @Test func stochastic() {
        // fast %K over 3: candle 3 → (9−5)/(12−5)·100 = 400/7; candle 4 → (12−6)/(13−6)·100 = 600/7;
        // candle 5 → (10−7)/(13−7)·100 = 50. Slow %K (SMA 2): 500/7, 475/7; %D (SMA 2): 975/14,
        // first with candle 3 + 2 + 2 − 2 = 5.
        var stoch = Stochastic(fastK: 3, slowK: 2, slowD: 2)
        var out: [Stochastic.Value?] = []
        for c in Self.hlc([(10, 5, 8), (12, 6, 11), (11, 7, 9), (13, 8, 12), (12, 9, 10)]) {
            let p = stoch.peek(high: c.high, low: c.low, close: c.close)
            out.append(stoch.commit(high: c.high, low: c.low, close: c.close))
            #expect(p == out.last!)
        }
        #expect(out[0...3].allSatisfy { $0 == nil })
        #expect(close(out[4]?.k, 475.0 / 7))
        #expect(close(out[4]?.d, 975.0 / 14))
        // No range at all: %K is 0, as TA-Lib.
        var flat = Stochastic(fastK: 2, slowK: 1, slowD: 1)
        for _ in 0..<3 { flat.commit(high: 5, low: 5, close: 5) }
        #expect(flat.value == Stochastic.Value(k: 0, d: 0))
    }

    /// The deque against a rescan of the window, on a sequence with ties, runs and reversals.
    @Test func slidingExtremumMatchesARescan() {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<2000).map { _ in Double(Int.random(in: 0..<7, using: &generator)) }
        for window in [1, 2, 5, 14] {
            var maxima = SlidingExtremum(window: window, maximum: true)
            var minima = SlidingExtremum(window: window, maximum: false)
            for (i, x) in values.enumerated() {
                let slice = values[max(0, i - window + 1)...i]
                #expect(maxima.peek(index: i, x) == slice.max()!)
                #expect(minima.peek(index: i, x) == slice.min()!)
                maxima.push(index: i, x)
                minima.push(index: i, x)
                #expect(maxima.extreme == slice.max()! && minima.extreme == slice.min()!)
            }
        }
    }

    @Test func obv() {
        var obv = OBV()
        #expect(obv.value == nil)
        var out: [Double] = []
        for (c, v) in [(10.0, 100.0), (11, 50), (11, 30), (9, 20)] {
            let p = obv.peek(close: c, volume: v)
            out.append(obv.commit(close: c, volume: v))
            #expect(p == out.last!)
        }
        #expect(out == [100, 150, 150, 130])  // starts at the first volume, as TA-Lib and talipp
    }

    @Test func sessionVWAP() {
        let day: Int64 = 86_400_000
        var vwap = SessionVWAP()
        // An empty first candle: no value until the session has volume.
        #expect(vwap.commit(Candle(openTimeMs: day, open: 10, high: 10, low: 10, close: 10, volume: 0)) == nil)
        // Typical (12+9+9)/3 = 10 × 100, then (21+18+21)/3 = 20 × 300: 7000/400 = 17.5.
        #expect(vwap.commit(Candle(openTimeMs: day + 60_000, open: 9, high: 12, low: 9, close: 9, volume: 100)) == 10)
        let c = Candle(openTimeMs: day + 120_000, open: 20, high: 21, low: 18, close: 21, volume: 300)
        #expect(vwap.peek(c) == 17.5)
        #expect(vwap.commit(c) == 17.5)
        // A new UTC day starts over.
        #expect(vwap.commit(Candle(openTimeMs: 2 * day, open: 30, high: 31, low: 29, close: 30, volume: 10)) == 30)
    }

    @Test func volumeAverage() {
        var volume = VolumeAverage(period: 2)
        #expect(volume.commit(volume: 10) == nil)
        #expect(volume.peek(volume: 30) == VolumeAverage.Value(average: 20, ratio: 1.5))
        #expect(volume.commit(volume: 30) == VolumeAverage.Value(average: 20, ratio: 1.5))
        volume.commit(volume: 0)
        #expect(volume.commit(volume: 0) == VolumeAverage.Value(average: 0, ratio: 0))
    }

    @Test func adx() {
        // Period 2. Candle 2: +DM 2, TR 3 (plain sums). Candle 3: +DM 1, TR 3 → smoothed +DM 2,
        // −DM 0, TR 4.5 → DX 100. Candle 4: −DM 2, TR 4 → −DM 2, +DM 1, TR 6.25 → DX
        // 100·1/3; first ADX = (100 + 100/3)/2 = 200/3 at candle 2·2 = 4. Candle 5: −DM 1, TR 4 →
        // −DM 2, +DM 0.5 → DX 60 → ADX (200/3 + 60)/2 = 190/3.
        var adx = ADX(period: 2)
        var out: [Double?] = []
        for c in Self.hlc([(10, 8, 9), (12, 9, 11), (13, 10, 12), (12, 8, 9), (11, 7, 8)]) {
            let p = adx.peek(high: c.high, low: c.low, close: c.close)
            out.append(adx.commit(high: c.high, low: c.low, close: c.close))
            #expect(p == out.last!)
        }
        #expect(out[0...2] == [nil, nil, nil])
        #expect(close(out[3], 200.0 / 3))
        #expect(close(out[4], 190.0 / 3))
    }

    @Test func trueRangeTakesTheGapIntoAccount() {
        #expect(trueRange(high: 12, low: 10, previousClose: 11) == 2)
        #expect(trueRange(high: 12, low: 10, previousClose: 5) == 7)
        #expect(trueRange(high: 12, low: 10, previousClose: 20) == 10)
    }

    /// The bank's ready bits switch on exactly at each indicator's first value.
    @Test func bankWarmUpBoundaries() {
        var bank = IndicatorBank(symbol: SymbolID(3), interval: .m1)
        var firstReady: [UInt32: Int] = [:]
        for i in 0..<40 {
            let x = 100 + Double(i % 7) - Double(i % 3)
            bank.commit(Candle(openTimeMs: Int64(i) * 60_000, open: x, high: x + 1, low: x - 1, close: x, volume: 10))
            for bit in 0..<11 where bank.latest!.ready.contains(IndicatorSet(rawValue: 1 << bit)) {
                if firstReady[UInt32(bit)] == nil { firstReady[UInt32(bit)] = i }
            }
        }
        // Candle index of the first value (TA-Lib lookbacks with the default periods).
        let expected: [(IndicatorSet, Int)] = [
            (.sma, 19), (.ema, 19), (.rsi, 14), (.macd, 33), (.bollinger, 19), (.atr, 14), (.stochastic, 17),
            (.obv, 0), (.vwap, 0), (.volume, 19), (.adx, 27),
        ]
        for (bit, index) in expected {
            #expect(firstReady[UInt32(bit.rawValue.trailingZeroBitCount)] == index, "\(bit.rawValue)")
        }
        let update = bank.update(bank.latest!, ingressNs: 42, close: Price(raw: 10_100), isClosed: true)
        #expect(update.symbol == SymbolID(3) && update.interval == .m1 && update.isClosed)
        #expect(update.candleOpenTimeMs == 39 * 60_000 && update.values == bank.latest!.values)
        #expect(update.ready.rawValue == (1 << 11) - 1)
    }
}
