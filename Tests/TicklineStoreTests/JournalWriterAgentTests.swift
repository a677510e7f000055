import CLMDB
import Glibc
import Synchronization
import Testing
import TicklineCore
import TicklineRing
import TicklineTestSupport
@testable import TicklineStore

@Suite("JournalWriterAgent")
struct JournalWriterAgentTests {
    /// The four journal rings of the pipeline (parse, signal, risk, order), a status ring, the
    /// store and an invoker on a manual clock.
    final class Harness {
        let dir = TempDirectory("writer")
        let store: TicklineStore
        let parse = SPSCRing<JournalRecord>(capacity: 8192, name: "parse→store")
        let signal = SPSCRing<JournalRecord>(capacity: 8192, name: "signal→store")
        let risk = SPSCRing<JournalRecord>(capacity: 8192, name: "risk→store")
        let order = SPSCRing<JournalRecord>(capacity: 8192, name: "order→store")
        let status = SPSCRing<StoreStatus>(capacity: 64, name: "store→risk")
        let agent: JournalWriterAgent
        let clock = ManualClock()
        let invoker: AgentInvoker<JournalWriterAgent, ManualClock>
        var sequences = [UInt64](repeating: 0, count: 8)

        init(options: StoreOptions = .small(mapSizeBytes: 4 << 20), writer: JournalWriterOptions = JournalWriterOptions()) throws {
            store = try TicklineStore(directory: dir.path, options: options)
            agent = JournalWriterAgent(store: store, rings: [parse, signal, risk, order], statusRing: status, options: writer)
            invoker = AgentInvoker(agent: agent, clock: clock)
            try invoker.start()
        }

        deinit { dir.remove() }

        func push(_ producer: StageID, _ body: JournalRecord.Body) {
            sequences[Int(producer.rawValue)] += 1
            let ring: SPSCRing<JournalRecord> =
                switch producer {
                case .parse: parse
                case .signal: signal
                case .risk: risk
                default: order
                }
            precondition(ring.tryPush(JournalRecord(producer: producer, sequence: sequences[Int(producer.rawValue)], body: body)))
        }

        var statuses: [StoreStatus] {
            var out: [StoreStatus] = []
            var s = StoreStatus(state: .healthy, timeNs: 0)
            while status.tryPop(into: &s) { out.append(s) }
            return out
        }

        func count<R>(_ table: KeyPath<StoreTables, StoreTable<R>>, _ env: StoreEnvironmentKind) throws -> Int {
            let t = store.tables[keyPath: table]
            return try store.environment(env).makeReader().read { try t.count(in: $0) }
        }

        var ringBacklog: Int { parse.count + signal.count + risk.count + order.count }
    }

    /// 250 records per producer: candles, signals, orders + denials, executions.
    func pushMixed(_ h: Harness, base: UInt64 = 0) {
        for i in 0..<250 as Range<UInt64> {
            let n = base + i
            h.push(.parse, .candle(SymbolID(1), Samples.kline(Int64(n) * 60_000)))
            h.push(.signal, .signal(Samples.signal(n + 1)))
            h.push(.risk, i % 5 == 0 ? .denied(Samples.denial(n + 1)) : .order(Samples.intent(n + 1)))
            h.push(.order, .execution(Samples.fill(n + 1, tradeID: Int64(n + 1))))
        }
    }

    @Test("group commit: 1000 records from four rings in one transaction per environment")
    func groupCommit() throws {
        let h = try Harness()
        pushMixed(h)
        #expect(h.invoker.invoke() == 2000)  // 1000 drained + 1000 committed
        var s = h.agent.stats
        #expect(s.commits == 2)
        #expect(s.records == 1000)
        #expect(s.bytes > 1000 * 40)
        #expect(s.pendingRecords == 0 && s.errors == 0 && s.sequenceGaps == 0 && s.rejectedRecords == 0)
        #expect(try h.count(\.candles, .market) == 250)
        #expect(try h.count(\.signals, .market) == 250)
        #expect(try h.count(\.denials, .journal) == 50)
        #expect(try h.count(\.orders, .journal) == 250)  // 200 intents merged with their fills + 50 orders known only from fills
        #expect(try h.count(\.fills, .journal) == 250)

        // Smaller cycles: N records in K commits, 1 < K < N.
        let agent2 = try Harness(writer: JournalWriterOptions(maxRecordsPerCycle: 100))
        pushMixed(agent2)
        agent2.invoker.invokeUntilIdle()
        s = agent2.agent.stats
        #expect(s.records == 1000)
        #expect(s.commits > 2 && s.commits <= 20)
        #expect(agent2.ringBacklog == 0)
    }

    @Test("an execution merges into its order row; a fill is keyed by account, symbol, trade id")
    func ordersAndFills() throws {
        let h = try Harness()
        h.push(.risk, .order(Samples.intent(1)))
        h.invoker.invoke()
        let tables = h.store.tables
        let reader = h.store.journal.makeReader()
        var row = try reader.read { try tables.orders.get(OrderRecord.key(clientOrderID: 1), in: $0) }
        #expect(row?.status == nil && row?.quantity.raw == 150 && row?.reduceOnly == true)
        var partial = Samples.fill(1, tradeID: 10)
        partial.kind = .partiallyFilled
        partial.lastFillQuantity = Quantity(raw: 50)
        partial.cumulativeQuantity = Quantity(raw: 50)
        h.push(.order, .execution(partial))
        h.push(.order, .execution(Samples.fill(1, tradeID: 11)))
        h.invoker.invoke()
        row = try reader.read { try tables.orders.get(OrderRecord.key(clientOrderID: 1), in: $0) }
        #expect(row?.status == .filled && row?.cumulativeQuantity.raw == 150 && row?.venueOrderID == 777_001)
        #expect(row?.signalID == 1001)  // kept from the intent
        let fills = try reader.read { txn in
            var out: [FillRecord] = []
            try tables.fills.scan(prefix: FillRecord.prefix(account: AccountID(2), symbol: SymbolID(1)), in: txn) {
                out.append($0)
                return true
            }
            return out
        }
        #expect(fills.map(\.tradeID) == [10, 11])
        #expect(fills.map(\.quantity.raw) == [50, 150])
    }

    @Test("candles in key order are appended; a correction overwrites; an older series is a plain put")
    func candleAppends() throws {
        let h = try Harness()
        for t in 0..<100 as Range<Int64> { h.push(.parse, .candle(SymbolID(7), Samples.kline(t * 60_000))) }
        h.invoker.invoke()
        #expect(h.agent.stats.candleAppends == 100)
        for t in 100..<110 as Range<Int64> { h.push(.parse, .candle(SymbolID(7), Samples.kline(t * 60_000))) }
        h.invoker.invoke()  // a new transaction resumes appending after the stored last key
        #expect(h.agent.stats.candleAppends == 110)
        h.push(.parse, .candle(SymbolID(7), Samples.kline(50 * 60_000, close: 1)))  // correction
        h.push(.parse, .candle(SymbolID(3), Samples.kline(0)))  // sorts before symbol 7
        h.invoker.invoke()
        #expect(h.agent.stats.candleAppends == 110)
        #expect(try h.count(\.candles, .market) == 111)
        let corrected = try h.store.candles(symbol: SymbolID(7), interval: .m1, fromMs: 50 * 60_000, toMs: 50 * 60_000)
        #expect(corrected.map(\.kline.close.raw) == [1])
        let series = try h.store.candles(symbol: SymbolID(7), interval: .m1, fromMs: 0, toMs: .max)
        #expect(series.map(\.kline.openTimeMs) == (0..<110).map { $0 * 60_000 })
    }

    @Test("sequence gaps of a producer are counted")
    func sequenceGaps() throws {
        let h = try Harness()
        for seq: UInt64 in [1, 2, 5, 6] {
            #expect(h.signal.tryPush(JournalRecord(producer: .signal, sequence: seq, body: .signal(Samples.signal(seq)))))
        }
        h.invoker.invoke()
        #expect(h.agent.stats.sequenceGaps == 2)
    }

    @Test("full map with growth disabled: degraded, nothing lost, flushed in order once the map may grow")
    func fullMapDegradesAndRecovers() throws {
        let tiny = StoreOptions.small(mapSizeBytes: 256 << 10, growth: .disabled)
        let h = try Harness(options: tiny, writer: JournalWriterOptions(maxRecordsPerCycle: 1024, pendingCapacity: 2048))
        let total = 6000
        for i in 1...total { h.push(.risk, .order(Samples.intent(UInt64(i)))) }
        // A later record for the same key on the same ring must win: order is kept per ring.
        var amended = Samples.intent(UInt64(total))
        amended.quantity = Quantity(raw: 999)
        h.push(.risk, .order(amended))
        // The fill arrives on another ring, and is drained long before its intent.
        h.push(.order, .execution(Samples.fill(UInt64(total), tradeID: 1)))
        var cycles = 0
        while h.ringBacklog > 0 && cycles < 50 {
            h.invoker.invoke()
            h.clock.advance(byNs: 1_000_000)
            cycles += 1
        }
        var s = h.agent.stats
        #expect(s.state == .degraded)
        #expect(s.errors >= 1 && s.lastErrorCode == MDB_MAP_FULL)
        #expect(s.pendingRecords == 2048 && s.pendingFullEvents > 0)
        let committedOrders = try h.count(\.orders, .journal)
        // Nothing lost: committed + queued + still in the rings = everything pushed.
        #expect(committedOrders + s.pendingRecords + h.ringBacklog == total + 2)
        let published = h.statuses
        #expect(published.count == 1)
        #expect(published.first?.state == .degraded && published.first?.errorCode == MDB_MAP_FULL)
        #expect(h.agent.status.state == .degraded)

        // The operator allows growth: the next retries grow the map and flush everything.
        h.store.journal.setGrowth(.init())
        for _ in 0..<200 where h.agent.stats.pendingRecords > 0 || h.ringBacklog > 0 {
            h.clock.advance(byNs: 1_000_000_000)
            h.invoker.invoke()
        }
        s = h.agent.stats
        #expect(s.pendingRecords == 0 && h.ringBacklog == 0)
        #expect(s.state == .healthy && s.recoveries == 1 && s.mapGrowths >= 1)
        #expect(h.statuses.map(\.state) == [.recovered])
        #expect(try h.count(\.orders, .journal) == total)
        let last = try h.store.journal.makeReader().read {
            try h.store.tables.orders.get(OrderRecord.key(clientOrderID: UInt64(total)), in: $0)
        }
        #expect(last?.status == .filled && last?.quantity.raw == 999)
    }

    @Test("failed commits keep the batch and retry with exponential backoff; transient ones are retried at once")
    func backoffAndTransient() throws {
        let h = try Harness(writer: JournalWriterOptions(retryBackoffMinNs: 1_000_000, retryBackoffMaxNs: 8_000_000))
        h.store.journal.faults.failNextCommits([EIO])
        for i in 1...10 { h.push(.risk, .order(Samples.intent(UInt64(i)))) }
        h.invoker.invoke()
        #expect(h.agent.stats.retries == 1 && h.agent.stats.errors == 0)  // EIO retried inside the commit
        #expect(try h.count(\.orders, .journal) == 10)

        h.store.journal.faults.failNextCommits([ENOSPC, ENOSPC])
        for i in 11...20 { h.push(.risk, .order(Samples.intent(UInt64(i)))) }
        h.invoker.invoke()  // t = 0: fails, next attempt at 1 ms
        #expect(h.agent.stats.errors == 1 && h.agent.stats.state == .degraded && h.agent.stats.pendingRecords == 10)
        h.clock.set(ns: 500_000)
        h.invoker.invoke()  // inside the backoff: no attempt
        #expect(h.agent.stats.errors == 1)
        h.clock.set(ns: 1_000_000)
        h.invoker.invoke()  // fails again, next attempt 2 ms later
        #expect(h.agent.stats.errors == 2)
        h.clock.set(ns: 2_500_000)
        h.invoker.invoke()
        #expect(h.agent.stats.errors == 2 && h.agent.stats.state == .degraded)
        h.clock.set(ns: 3_000_000)
        h.invoker.invoke()  // succeeds
        let s = h.agent.stats
        #expect(s.state == .healthy && s.pendingRecords == 0 && s.degradedEpisodes == 1 && s.recoveries == 1)
        #expect(s.lastErrorCode == ENOSPC)
        #expect(try h.count(\.orders, .journal) == 20)
        let statuses = h.statuses
        #expect(statuses.map(\.state) == [.degraded, .recovered])
        #expect(statuses.first?.pendingRecords == 10 && statuses.first?.errorCode == ENOSPC)
    }

    @Test("a failing market environment degrades the store but does not hold up journal commits")
    func environmentsBackOffIndependently() throws {
        let h = try Harness()
        h.store.market.faults.failNextCommits([ENOSPC, ENOSPC, ENOSPC])
        h.push(.parse, .candle(SymbolID(1), Samples.kline(0)))
        h.push(.risk, .order(Samples.intent(1)))
        h.invoker.invoke()
        #expect(h.agent.stats.state == .degraded)
        #expect(try h.count(\.orders, .journal) == 1)
        #expect(try h.count(\.candles, .market) == 0)
        // While the market environment waits out its backoff, journal records still commit.
        for i in 2...5 {
            h.clock.advance(byNs: 100_000)
            h.push(.risk, .order(Samples.intent(UInt64(i))))
            h.invoker.invoke()
            #expect(try h.count(\.orders, .journal) == i)
        }
        for _ in 0..<20 where h.agent.stats.state == .degraded {
            h.clock.advance(byNs: 10_000_000)
            h.invoker.invoke()
        }
        #expect(h.agent.stats.state == .healthy)
        #expect(try h.count(\.candles, .market) == 1)
        #expect(h.statuses.map(\.state) == [.degraded, .recovered])
    }

    @Test("the market environment is synced at most every N ms, only when dirty")
    func marketSyncInterval() throws {
        let h = try Harness(writer: JournalWriterOptions(marketSyncIntervalNs: 100_000_000))
        h.invoker.invoke()
        #expect(h.agent.stats.marketSyncs == 0)  // nothing written yet
        h.push(.parse, .candle(SymbolID(1), Samples.kline(0)))
        h.invoker.invoke()  // t = 0
        #expect(h.agent.stats.marketSyncs == 1)
        h.clock.set(ns: 50_000_000)
        h.push(.parse, .candle(SymbolID(1), Samples.kline(60_000)))
        h.invoker.invoke()
        #expect(h.agent.stats.marketSyncs == 1)
        h.clock.set(ns: 100_000_000)
        h.invoker.invoke()
        #expect(h.agent.stats.marketSyncs == 2)
        h.clock.set(ns: 300_000_000)
        h.invoker.invoke()
        #expect(h.agent.stats.marketSyncs == 2)  // clean: no sync
        #expect(h.store.market.syncs == 2)
    }

    @Test("closing the agent commits what is pending")
    func closeFlushes() throws {
        let h = try Harness()
        h.store.journal.faults.failNextCommits([ENOSPC])
        h.push(.risk, .order(Samples.intent(1)))
        h.invoker.invoke()
        #expect(h.agent.stats.pendingRecords == 1)
        h.invoker.close()
        #expect(h.agent.stats.pendingRecords == 0)
        #expect(try h.count(\.orders, .journal) == 1)
    }

    @Test("on its own thread, with producers and a reader running, every record lands")
    func threaded() throws {
        let h = try Harness(options: .small(mapSizeBytes: 512 << 10))  // grows on the way
        let runner = AgentRunner(agent: h.agent, idleStrategy: BackoffIdleStrategy(), name: "store-test")
        try runner.start()
        let perProducer = 5000
        let producers = try [StageID.parse, .risk].map { stage in
            try TestThread {
                let ring = stage == .parse ? h.parse : h.risk
                for i in 1...perProducer {
                    let body: JournalRecord.Body =
                        stage == .parse ? .candle(SymbolID(1), Samples.kline(Int64(i) * 60_000)) : .order(Samples.intent(UInt64(i)))
                    let r = JournalRecord(producer: stage, sequence: UInt64(i), body: body)
                    while !ring.tryPush(r) { sched_yield() }
                }
            }
        }
        let stop = Atomic<Bool>(false)
        let reads = Atomic<Int>(0)
        let reader = try TestThread {
            let r = h.store.journal.makeReader()
            while !stop.load(ordering: .acquiring) {
                _ = try? r.read { try h.store.tables.orders.count(in: $0) }
                reads.add(1, ordering: .relaxed)
            }
        }
        for p in producers { p.join() }
        let deadline = monotonicNowNs() + 8_000_000_000
        while h.agent.stats.records < 2 * perProducer && monotonicNowNs() < deadline { usleep(1000) }
        runner.stop()
        stop.store(true, ordering: .releasing)
        reader.join()
        let s = h.agent.stats
        #expect(s.records == 2 * perProducer)
        #expect(s.commits < s.records)
        #expect(s.sequenceGaps == 0 && s.errors == 0)
        #expect(try h.count(\.orders, .journal) == perProducer)
        #expect(try h.count(\.candles, .market) == perProducer)
        #expect(reads.load(ordering: .relaxed) > 0)
    }
}
