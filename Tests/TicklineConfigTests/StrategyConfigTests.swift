import Testing
import TicklineConfig
import TicklineCore

/// `[strategy]`: defaults are the documented strategy and indicator defaults; every key parses;
/// every bad value is an error naming the file, line and key.
@Suite struct StrategyConfigTests {
    @Test func defaults() throws {
        let c = try TicklineConfiguration.parse(text: "", file: "t.toml")
        let s = c.strategy
        #expect(s == StrategySettings())
        #expect(s.tradingInterval == .m5 && s.trendInterval == .h4 && s.provisionalIntervals == nil)
        #expect(s.provisionalIntervals(subscribed: c.venue.intervals) == [.m5] && s.provisionalIntervals(subscribed: [.m1]) == [])
        #expect(s.maxSignalAgeMs == 60_000)
        #expect(s.rsi.enabled && s.rsi.weight == 1 && s.rsi.oversold == 30 && s.rsi.overbought == 70 && s.rsi.fullScale == 20)
        #expect(s.macd.weight == 1 && s.macd.atrScale == 0.5)
        #expect(s.bollinger.mode == .adaptive && s.bollinger.fullScale == 0.5 && s.bollinger.adxTrendLevel == 25)
        #expect(s.trend.weight == 1 && s.trend.atrScale == 1 && s.trend.sidewaysBand == 0.25 && s.trend.strongLevel == 0.75)
        #expect(s.volume.weight == 0.5 && s.volume.confirmRatio == 1.5 && s.volume.fullRatio == 3)
        #expect(s.combiner.minConfidence == 0.3 && s.combiner.minAgreement == 0.5 && s.combiner.counterTrendVeto == 0.25)
        #expect(s.combiner.stopATR == 1.5 && s.combiner.takeProfitATR == 3)
        #expect(s.indicators.rsi == 14 && s.indicators.macdSlow == 26 && s.indicators.bollingerDeviations == 2)
    }

    @Test func everyKeyParses() throws {
        let c = try TicklineConfiguration.parse(text: """
            [venue]
            intervals = ["1m", "5m", "1h"]
            [strategy]
            trading_interval = "5m"
            trend_interval = "4h"        # not subscribed: built from 1m candles
            provisional_intervals = ["1m", "5m"]
            max_signal_age_ms = 0
            min_confidence = 0.4
            min_agreement = 0.6
            counter_trend_veto = false
            stop_atr = 2
            take_profit_atr = 4.5
            volatility_low = 0.002
            volatility_high = 0.004
            volatility_extreme = 0.008
            low_volume_ratio = 0.4
            [strategy.rsi]
            enabled = false
            weight = 2
            oversold = 25
            overbought = 75.5
            full_scale = 10
            [strategy.macd]
            weight = 0.75
            atr_scale = 0.25
            [strategy.bollinger]
            mode = "breakout"
            full_scale = 1
            adx_trend_level = 20
            [strategy.trend]
            weight = 1.5
            atr_scale = 2
            sideways_band = 0.1
            strong_level = 0.9
            [strategy.volume]
            enabled = false
            confirm_ratio = 2
            full_ratio = 4
            [strategy.indicators]
            rsi = 7
            macd_fast = 5
            macd_slow = 35
            macd_signal = 5
            bollinger = 10
            bollinger_deviations = 2.5
            atr = 10
            adx = 10
            vwap_session_ms = 3600000
            """, file: "t.toml")
        let s = c.strategy
        #expect(s.tradingInterval == .m5 && s.trendInterval == .h4 && s.provisionalIntervals == [.m1, .m5])
        #expect(s.maxSignalAgeMs == 0)
        #expect(s.combiner.minConfidence == 0.4 && s.combiner.minAgreement == 0.6 && s.combiner.counterTrendVeto == nil)
        #expect(s.combiner.stopATR == 2 && s.combiner.takeProfitATR == 4.5 && s.combiner.lowVolumeRatio == 0.4)
        #expect(s.combiner.volatilityLow == 0.002 && s.combiner.volatilityHigh == 0.004 && s.combiner.volatilityExtreme == 0.008)
        #expect(!s.rsi.enabled && s.rsi.weight == 2 && s.rsi.oversold == 25 && s.rsi.overbought == 75.5 && s.rsi.fullScale == 10)
        #expect(s.macd.enabled && s.macd.weight == 0.75 && s.macd.atrScale == 0.25)
        #expect(s.bollinger.mode == .breakout && s.bollinger.fullScale == 1 && s.bollinger.adxTrendLevel == 20)
        #expect(s.trend.weight == 1.5 && s.trend.atrScale == 2 && s.trend.sidewaysBand == 0.1 && s.trend.strongLevel == 0.9)
        #expect(!s.volume.enabled && s.volume.confirmRatio == 2 && s.volume.fullRatio == 4)
        #expect(s.indicators.rsi == 7 && s.indicators.macdFast == 5 && s.indicators.macdSlow == 35 && s.indicators.macdSignal == 5)
        #expect(s.indicators.bollinger == 10 && s.indicators.bollingerDeviations == 2.5 && s.indicators.atr == 10)
        #expect(s.indicators.adx == 10 && s.indicators.vwapSessionMs == 3_600_000 && s.indicators.sma == 20)
    }

    @Test(arguments: [
        ("trading_interval = \"2m\"", "strategy.trading_interval", "must be an interval"),
        ("trend_interval = \"3m\"", "strategy.trend_interval", "must be a multiple of trading_interval (5m)"),
        ("trend_interval = \"1m\"", "strategy.trend_interval", "must be a multiple of trading_interval"),
        ("min_confidence = 1.5", "strategy.min_confidence", "must be a number ≥ 0 and ≤ 1"),
        ("min_agreement = \"high\"", "strategy.min_agreement", "must be a number"),
        ("counter_trend_veto = true", "strategy.counter_trend_veto", "must be a number"),
        ("stop_atr = 0", "strategy.stop_atr", "must be a number > 0"),
        ("max_signal_age_ms = -1", "strategy.max_signal_age_ms", "must be an integer in 0..."),
        ("provisional_intervals = [\"7m\"]", "strategy.provisional_intervals", "must contain intervals"),
        ("volatility_high = 0.0001", "strategy.volatility_high", "volatility_low ≤ volatility_high"),
        ("colour = \"blue\"", "strategy.colour", "unknown key"),
    ])
    func badTopLevelValuesNameTheKeyAndLine(line: String, key: String, message: String) {
        do {
            _ = try TicklineConfiguration.parse(text: "# strategy\n[strategy]\n\(line)\n", file: "t.toml")
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.line == 3, "\(error)")
            #expect("\(error)".contains(key) && "\(error)".contains(message), "\(error)")
        }
    }

    @Test(arguments: [
        ("rsi", "oversold = 80", "strategy.rsi.oversold", "must be below overbought (70.0)"),
        ("rsi", "weight = -1", "strategy.rsi.weight", "must be a number ≥ 0"),
        ("rsi", "enabled = 1", "strategy.rsi.enabled", "must be true or false"),
        ("macd", "atr_scale = 0", "strategy.macd.atr_scale", "must be a number > 0"),
        ("bollinger", "mode = \"sideways\"", "strategy.bollinger.mode", "must be \"adaptive\""),
        ("trend", "sideways_band = 0.9", "strategy.trend.sideways_band", "must not exceed strong_level"),
        ("volume", "confirm_ratio = 3", "strategy.volume.confirm_ratio", "must be below full_ratio"),
        ("indicators", "rsi = 0", "strategy.indicators.rsi", "must be an integer in 1...100000"),
        ("indicators", "macd_fast = 30", "strategy.indicators.macd_fast", "must be below macd_slow (26)"),
        ("indicators", "sma = 2.5", "strategy.indicators.sma", "must be an integer"),
        ("volume", "colour = 1", "strategy.volume.colour", "unknown key"),
    ])
    func badSectionValuesNameTheKeyAndLine(section: String, line: String, key: String, message: String) {
        do {
            _ = try TicklineConfiguration.parse(text: "[strategy]\n[strategy.\(section)]\n\(line)\n", file: "t.toml")
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.line == 3, "\(error)")
            #expect("\(error)".contains(key) && "\(error)".contains(message), "\(error)")
        }
    }

    @Test func strategyIntervalsMustBeSubscribedOrBuildable() {
        #expect {
            try TicklineConfiguration.parse(text: "[venue]\nintervals = [\"15m\"]\n[strategy]\ntrading_interval = \"5m\"\ntrend_interval = \"1h\"\n",
                                            file: "t.toml")
        } throws: { error in
            "\(error)" == "t.toml:4: strategy.trading_interval: 5m is neither subscribed (venue.intervals) nor buildable from 15m candles"
        }
        // Replay-like: only 1m closes; 5m and 4h are built from it, nothing is provisional.
        let replay = try? TicklineConfiguration.parse(text: "[venue]\nintervals = [\"1m\"]\n", file: "t.toml")
        #expect(replay?.strategy.provisionalIntervals(subscribed: [.m1]) == [])
        #expect {
            try TicklineConfiguration.parse(text: "[venue]\nintervals = [\"1m\", \"4h\"]\n[strategy]\nprovisional_intervals = [\"5m\"]\n",
                                            file: "t.toml")
        } throws: { error in
            "\(error)".hasPrefix("t.toml:4: strategy.provisional_intervals: 5m is not subscribed")
        }
        #expect {
            try TicklineConfiguration.parse(text: "[strategy.rsi]\nenabled = false\n[strategy.macd]\nenabled = false\n"
                                            + "[strategy.bollinger]\nweight = 0\n[strategy.trend]\nweight = 0\n[strategy.volume]\nweight = 0\n",
                                            file: "t.toml")
        } throws: { error in
            "\(error)".contains("strategy: at least one enabled strategy needs a weight > 0")
        }
    }
}
