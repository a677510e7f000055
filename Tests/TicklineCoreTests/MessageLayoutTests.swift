import Testing
import TicklineCore

/// Every message that crosses a ring is a fixed, whole number of cache lines (so slots never
/// share a line) and no bigger than its content needs.
@Suite struct MessageLayoutTests {
    static let expected: [(String, Int, Int)] = [
        ("MarketEvent", MemoryLayout<MarketEvent>.stride, 128),
        ("IndicatorUpdate", MemoryLayout<IndicatorUpdate>.stride, 192),
        ("Signal", MemoryLayout<Signal>.stride, 128),
        ("OrderIntent", MemoryLayout<OrderIntent>.stride, 64),
        ("OrderDenied", MemoryLayout<OrderDenied>.stride, 64),
        ("ExecutionReport", MemoryLayout<ExecutionReport>.stride, 128),
        ("PositionUpdate", MemoryLayout<PositionUpdate>.stride, 64),
        ("AccountSnapshot", MemoryLayout<AccountSnapshot>.stride, 64),
        ("TradeOpened", MemoryLayout<TradeOpened>.stride, 128),
        ("TradeClosed", MemoryLayout<TradeClosed>.stride, 128),
        ("JournalRecord", MemoryLayout<JournalRecord>.stride, 192),
        ("EngineEvent", MemoryLayout<EngineEvent>.stride, 192),
        ("Command", MemoryLayout<Command>.stride, 64),
        ("StoreStatus", MemoryLayout<StoreStatus>.stride, 64),
        ("LogRecord", MemoryLayout<LogRecord>.stride, 64),
    ]

    @Test(arguments: expected.map { $0.0 })
    func strideIsWholeCacheLines(_ name: String) {
        let (_, stride, want) = Self.expected.first { $0.0 == name }!
        #expect(stride == want, "\(name) stride \(stride), expected \(want)")
        #expect(stride % 64 == 0)
    }

    /// Size equals stride: no hidden tail that a slot copy would skip or a neighbour could use.
    @Test func sizeEqualsStride() {
        #expect(MemoryLayout<MarketEvent>.size == 128)
        #expect(MemoryLayout<Signal>.size == 128)
        #expect(MemoryLayout<OrderIntent>.size == 64)
        #expect(MemoryLayout<ExecutionReport>.size == 128)
        #expect(MemoryLayout<JournalRecord>.size == 192)
        #expect(MemoryLayout<EngineEvent>.size == 192)
        #expect(MemoryLayout<LogRecord>.size == 64)
        #expect(MemoryLayout<Command>.size == 64)
        #expect(MemoryLayout<StoreStatus>.size == 64)
        #expect(MemoryLayout<AccountSnapshot>.size == 64)
        #expect(MemoryLayout<TradeOpened>.size == 128)
        #expect(MemoryLayout<TradeClosed>.size == 128)
    }

    /// The unpadded content of each type needs more than the next smaller multiple of 64, so the
    /// padding is not wasteful. Content sizes are the sum of field sizes written out by hand.
    @Test func paddingIsMinimal() {
        // Kline: 9 × 8-byte fields + UInt32 + Interval = 77 B; with a 2-byte symbol, 8-byte
        // ingress time and a case tag it cannot fit in 64.
        #expect(MemoryLayout<Kline>.size > 64 - 8 - 2)
        // ExecutionReport: 11 × 8 + 2 + 2 + 1 + 1 + 1 + 2 = 97 B > 64.
        #expect(MemoryLayout<ExecutionReport>.size - 32 > 64)
        // JournalRecord holds an ExecutionReport (128 B) plus a sequence number: > 128.
        #expect(MemoryLayout<JournalRecord.Body>.size >= MemoryLayout<ExecutionReport>.size)
        #expect(MemoryLayout<JournalRecord.Body>.size + MemoryLayout<UInt64>.size > 128)
        // MarketEvent: a Kline (≥ 77 B of content) plus ingress time and symbol: > 64.
        #expect(MemoryLayout<Kline>.size + 8 + 2 > 64)
        // IndicatorUpdate: 17 doubles alone are 136 B: > 128.
        #expect(MemoryLayout<IndicatorUpdate.Values>.size > 128)
        // Signal: 7 × 8 B (times, ids, entry, stop, target) + 8 B (symbol, direction, interval,
        // score, confidence) + 4 × 4 B (reason, risk-reward, ATR, stop distance) + 25 B of slot
        // scores + 4 B analysis + 2 B agreement = 111 B > 64.
        #expect(MemoryLayout<StrategyScoresBp>.size == 25)
        #expect(MemoryLayout<MarketAnalysis>.size == 4)
        #expect(7 * 8 + 8 + 4 * 4 + MemoryLayout<StrategyScoresBp>.size + MemoryLayout<MarketAnalysis>.size + 2 > 64)
        #expect(MemoryLayout<Signal>.offset(of: \.reasonCode) == 64)
        // AccountSnapshot: 7 × 8 B (times, five amounts) + account + position count = 60 B.
        #expect(MemoryLayout<AccountSnapshot>.offset(of: \.positionCount) == 58)
        // TradeOpened: 10 × 8 B + account, symbol, side, adopted = 86 B > 64; TradeClosed:
        // 11 × 8 B + account, symbol, side, reason, adopted = 95 B > 64.
        #expect(MemoryLayout<TradeOpened>.offset(of: \.adopted) == 85)
        #expect(MemoryLayout<TradeClosed>.offset(of: \.adopted) == 94)
        // A Signal is as large as an ExecutionReport (and a TradeOpened / TradeClosed), so the
        // journal and event records holding either stay 192 B.
        #expect(MemoryLayout<JournalRecord.Body>.size <= 192 - 8 - 1)
        #expect(MemoryLayout<EngineEvent.Body>.size <= 192 - 8 - 1)
    }

    @Test func logRecordArguments() {
        var r = LogRecord(code: .positionClosed, level: .info, stage: .risk, timeNs: 5)
        r.append(42)
        r.append(4325010, places: 2)
        #expect(r.argumentCount == 2)
        #expect(r.argument(0) == (42, 0))
        #expect(r.argument(1) == (4325010, 2))
        for i in 0..<5 { r.append(Int64(i)) }
        #expect(r.argumentCount == 4)
    }
}
