import Testing
import TicklineConfig
import TicklineCore

/// `[venue]`: defaults are Binance's 2026 split layout over TLS; the simulator's loopback URLs
/// parse to the same shape; every bad value is an error naming the file, line and key.
@Suite struct VenueConfigTests {
    @Test func defaultsPointAtBinanceWithTheSplitLayout() throws {
        let c = try TicklineConfiguration.parse(text: "", file: "t.toml")
        #expect(c.venue.restURL == VenueURL(secure: true, host: "fapi.binance.com", port: 443, path: ""))
        #expect(c.venue.streamURL == VenueURL(secure: true, host: "fstream.binance.com", port: 443, path: ""))
        #expect(c.venue.intervals == [.m1, .m5, .m15, .h1, .h4])
        #expect(c.venue.warmupCandles == 300 && c.venue.backend == .uring)
        #expect(c.venue.marketStreams == [
            "btcusdt@aggTrade", "btcusdt@markPrice@1s", "btcusdt@kline_1m", "btcusdt@kline_5m", "btcusdt@kline_15m",
            "btcusdt@kline_1h", "btcusdt@kline_4h", "ethusdt@aggTrade", "ethusdt@markPrice@1s", "ethusdt@kline_1m",
            "ethusdt@kline_5m", "ethusdt@kline_15m", "ethusdt@kline_1h", "ethusdt@kline_4h",
        ])
        #expect(c.venue.publicStreams == ["btcusdt@bookTicker", "ethusdt@bookTicker"])
    }

    @Test func simulatorVenueParses() throws {
        let c = try TicklineConfiguration.parse(text: """
            [venue]
            rest_url = "http://127.0.0.1:18080/"
            stream_url = "ws://[::1]:18081/base"
            symbols = ["XRPUSDT"]
            intervals = ["5m", "1m"]
            agg_trade = false
            book_ticker = false
            warmup_candles = 50
            backend = "poll"
            """, file: "t.toml")
        #expect(c.venue.restURL == VenueURL(secure: false, host: "127.0.0.1", port: 18080, path: ""))
        #expect(c.venue.restURL.authority == "127.0.0.1:18080")
        #expect(c.venue.streamURL == VenueURL(secure: false, host: "::1", port: 18081, path: "/base"))
        #expect(c.venue.streamURL.authority == "[::1]:18081")
        #expect(c.venue.intervals == [.m1, .m5], "sorted, shortest first")
        #expect(c.venue.marketStreams == ["xrpusdt@markPrice@1s", "xrpusdt@kline_1m", "xrpusdt@kline_5m"])
        #expect(c.venue.publicStreams.isEmpty)
        #expect(c.venue.warmupCandles == 50 && c.venue.backend == .poll)
    }

    @Test(arguments: [
        ("rest_url = \"ftp://x\"", "venue.rest_url", "must be an http:// or https:// URL"),
        ("stream_url = \"https://x\"", "venue.stream_url", "must be a ws:// or wss:// URL"),
        ("stream_url = \"wss://x:99999\"", "venue.stream_url", "must be a ws:// or wss:// URL"),
        ("intervals = [\"2m\"]", "venue.intervals", "\"2m\" is not an interval"),
        ("symbols = [\"btc-usdt\"]", "venue.symbols", "is not a symbol name"),
        ("warmup_candles = 1500", "venue.warmup_candles", "must be an integer in 0...1499"),
        ("backend = \"epoll\"", "venue.backend", "must be \"uring\" or \"poll\""),
        ("colour = \"blue\"", "venue.colour", "unknown key"),
    ])
    func badValuesNameTheKeyAndLine(line: String, key: String, message: String) {
        do {
            _ = try TicklineConfiguration.parse(text: "# venue\n[venue]\n\(line)\n", file: "t.toml")
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.line == 3, "\(error)")
            #expect("\(error)".contains(key) && "\(error)".contains(message), "\(error)")
        }
    }

    @Test func storeSection() throws {
        let c = try TicklineConfiguration.parse(text: """
            [store]
            directory = "/var/lib/tickline"
            market_sync_ms = 250
            journal_map_mib = 1024
            """, file: "t.toml")
        #expect(c.store.enabled && c.store.directory == "/var/lib/tickline")
        #expect(c.store.marketSyncMs == 250 && c.store.journalMapMiB == 1024 && c.store.marketMapMiB == 32 << 10)
        do {
            _ = try TicklineConfiguration.parse(text: "[store]\nmarket_sync_ms = 0\n", file: "t.toml")
            Issue.record("market_sync_ms = 0 was accepted")
        } catch {
            #expect("\(error)" == "t.toml:2: store.market_sync_ms: must be an integer in 1...3600000")
        }
    }

    @Test func storeRetention() throws {
        let defaults = try TicklineConfiguration.parse(text: "", file: "t.toml").store
        #expect(defaults.retentionSnapshotsDays == 365 && defaults.retentionCandlesDays == 365)
        #expect(defaults.retentionSignalsDays == 90 && defaults.retentionMinuteOfDay == 180)
        let c = try TicklineConfiguration.parse(text: """
            [store]
            retention_snapshots_days = 730
            retention_candles_days = 30
            retention_signals_days = 0
            retention_time_utc = "04:30"
            """, file: "t.toml").store
        #expect(c.retentionSnapshotsDays == 730 && c.retentionCandlesDays == 30 && c.retentionSignalsDays == 0)
        #expect(c.retentionMinuteOfDay == 4 * 60 + 30)
        for (line, message) in [("retention_time_utc = \"4:30\"", "must be a UTC time \"HH:MM\""),
                                ("retention_time_utc = \"24:00\"", "must be a UTC time \"HH:MM\""),
                                ("retention_candles_days = \"30\"", "must be a number of days")] {
            do {
                _ = try TicklineConfiguration.parse(text: "[store]\n\(line)\n", file: "t.toml")
                Issue.record("\(line) was accepted")
            } catch {
                #expect("\(error)".hasPrefix("t.toml:2: store.") && "\(error)".contains(message), "\(error)")
            }
        }
    }
}
