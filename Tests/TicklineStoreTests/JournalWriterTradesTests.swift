import Glibc
import Testing
import TicklineCore
import TicklineRing
@testable import TicklineStore

/// Trades and portfolio snapshots from risk's journal records.
@Suite("JournalWriterAgent trades and snapshots")
struct JournalWriterTradesTests {
    typealias Harness = JournalWriterAgentTests.Harness
    static let tag: UInt32 = 0xABCD
    static let entryMs: Int64 = 1_700_000_000_000

    static func opened(_ positionID: UInt64, entryTimeMs: Int64 = entryMs, adopted: Bool = false) -> TradeOpened {
        TradeOpened(ingressNs: 1, entryTimeMs: entryTimeMs, positionID: positionID, account: AccountID(2),
                    symbol: SymbolID(1), side: .buy, quantity: Quantity(raw: 40), entryPrice: Price(raw: 4_000_000),
                    stopLoss: Price(raw: 3_900_000), takeProfit: Price(raw: 4_200_000), fees: Price(raw: 64),
                    signalID: adopted ? 0 : 42, entryClientOrderID: adopted ? 0 : 9001, adopted: adopted)
    }

    /// The close of `theLastClosingFillClosesTheTradeWithItsPnL` (TicklineRiskTests): 0.100 BTC,
    /// average entry 40 060.00, exit 40 250.00, PnL 15.80, fees 3.20.
    static func closed(_ positionID: UInt64, entryTimeMs: Int64 = entryMs, adopted: Bool = false,
                       reason: CloseReason = .stopLoss) -> TradeClosed {
        TradeClosed(ingressNs: 2, exitTimeMs: entryTimeMs + 3_600_000, entryTimeMs: entryTimeMs, positionID: positionID,
                    account: AccountID(2), symbol: SymbolID(1), side: .buy, reason: reason, quantity: Quantity(raw: 100),
                    entryPrice: Price(raw: 4_006_000), exitPrice: Price(raw: 4_025_000), realizedPnL: Price(raw: 1_580),
                    fees: Price(raw: 320), funding: Price(raw: -5), exitClientOrderID: 9002, adopted: adopted)
    }

    func harness() throws -> Harness {
        try Harness(writer: JournalWriterOptions(tradeIDProcessTag: Self.tag))
    }

    @Test("open inserts a validated record; close updates the same record: status, exit, PnL, reason")
    func openThenClose() throws {
        let h = try harness()
        h.push(.risk, .tradeOpened(Self.opened(7)))
        h.invoker.invoke()
        let id = try #require(h.agent.tradeID(forPosition: 7))
        #expect(id == TradeID(high: UInt64(Self.entryMs), low: UInt64(Self.tag) << 32 | 7))
        var t = try #require(try h.store.trade(id))
        #expect(t.status == .open && t.closeReason == .none && !t.isAdopted)
        #expect(t.account == AccountID(2) && t.symbol == SymbolID(1) && t.side == .buy)
        #expect(t.entryTimeMs == Self.entryMs && t.quantity.raw == 40 && t.entryPrice.raw == 4_000_000)
        #expect(t.stopLoss.raw == 3_900_000 && t.takeProfit.raw == 4_200_000 && t.fees.raw == 64)
        #expect(t.signalID == 42 && t.entryClientOrderID == 9001)
        #expect(h.agent.stats.tradesOpened == 1)

        h.push(.risk, .tradeClosed(Self.closed(7)))
        h.invoker.invoke()
        t = try #require(try h.store.trade(id))
        #expect(t.status == .closed && t.closeReason == .stopLoss)
        #expect(t.exitTimeMs == Self.entryMs + 3_600_000 && t.exitPrice.raw == 4_025_000)
        #expect(t.realizedPnL.raw == 1_580 && t.fees.raw == 320)
        #expect(t.quantity.raw == 100 && t.entryPrice.raw == 4_006_000)  // every entry fill, averaged
        #expect(t.exitClientOrderID == 9002 && t.signalID == 42 && t.entryClientOrderID == 9001)
        #expect(h.agent.tradeID(forPosition: 7) == nil)
        #expect(try h.store.openTrades().isEmpty)
        let s = h.agent.stats
        #expect(s.tradesOpened == 1 && s.tradesClosed == 1 && s.tradesRejected == 0 && s.rejectedRecords == 0)
    }

    @Test("open and close in one batch commit together; an invalid open is refused and the rest commits")
    func oneBatchAndValidation() throws {
        let h = try harness()
        h.push(.risk, .tradeOpened(Self.opened(1)))
        h.push(.risk, .tradeOpened(Self.opened(2, entryTimeMs: 0)))  // no entry time: invalid
        h.push(.risk, .tradeClosed(Self.closed(1, reason: .takeProfit)))
        h.push(.risk, .tradeClosed(Self.closed(2, entryTimeMs: 0)))  // its open was refused
        h.push(.risk, .order(Samples.intent(5)))
        h.invoker.invoke()
        let s = h.agent.stats
        #expect(s.commits == 1 && s.tradesOpened == 1 && s.tradesClosed == 1)
        #expect(s.tradesRejected == 2 && s.rejectedRecords == 2)
        #expect(try h.count(\.trades, .journal) == 1)
        #expect(try h.count(\.orders, .journal) == 1)
        let t = try #require(try h.store.trade(TradeID(high: UInt64(Self.entryMs), low: UInt64(Self.tag) << 32 | 1)))
        #expect(t.status == .closed && t.closeReason == .takeProfit)
    }

    @Test("a failed commit writes nothing and forgets nothing: open + close land whole on the retry")
    func failedCommitIsAtomic() throws {
        let h = try Harness(writer: JournalWriterOptions(retryBackoffMinNs: 1_000_000, tradeIDProcessTag: Self.tag))
        h.store.journal.faults.failNextCommits([EIO])  // transient: retried inside the commit
        h.push(.risk, .tradeOpened(Self.opened(3)))
        h.invoker.invoke()
        #expect(h.agent.stats.retries == 1 && h.agent.stats.tradesOpened == 1)
        h.store.journal.faults.failNextCommits([ENOSPC])  // not transient: the batch waits
        h.push(.risk, .tradeClosed(Self.closed(3)))
        h.invoker.invoke()
        #expect(h.agent.stats.state == .degraded && h.agent.stats.tradesClosed == 0)
        let id = try #require(h.agent.tradeID(forPosition: 3))
        #expect(try h.store.trade(id)?.status == .open)  // no partial write
        h.clock.set(ns: 1_000_000)
        h.invoker.invoke()
        #expect(h.agent.stats.state == .healthy && h.agent.stats.tradesClosed == 1)
        #expect(try h.store.trade(id)?.status == .closed)
    }

    @Test("after a restart an adopted position resumes the stored open trade; an unknown close finds its trade")
    func restartResumesOpenTrades() throws {
        let h = try harness()
        h.push(.risk, .tradeOpened(Self.opened(7)))
        var other = Self.opened(8)
        other.symbol = SymbolID(3)
        h.push(.risk, .tradeOpened(other))
        h.invoker.invoke()
        let original = try #require(h.agent.tradeID(forPosition: 7))
        let second = try #require(h.agent.tradeID(forPosition: 8))

        // A new process: a new writer (another tag), risk's position ids start again at 1.
        let ring = SPSCRing<JournalRecord>(capacity: 64, name: "risk→store (restarted)")
        let writer = JournalWriterAgent(store: h.store, rings: [ring], options: JournalWriterOptions(tradeIDProcessTag: 0x1234))
        let invoker = AgentInvoker(agent: writer, clock: h.clock)
        try invoker.start()
        var adopted = Self.opened(1, entryTimeMs: Self.entryMs + 86_400_000, adopted: true)
        adopted.fees = .zero
        #expect(ring.tryPush(JournalRecord(producer: .risk, sequence: 1, body: .tradeOpened(adopted))))
        invoker.invoke()
        #expect(writer.stats.tradesResumed == 1 && writer.stats.tradesOpened == 0)
        #expect(writer.tradeID(forPosition: 1) == original)
        #expect(try h.count(\.trades, .journal) == 2)

        // Risk's books for the adopted position start at the take-over: the stored entry fee (0.64)
        // is added to its fees and taken from its PnL.
        var close = Self.closed(1, entryTimeMs: adopted.entryTimeMs, adopted: true, reason: .manual)
        close.fees = Price(raw: 80)
        close.realizedPnL = Price(raw: 1_000)
        // And a close for a position this writer never saw: found by account, symbol, side, entry time.
        var unknown = Self.closed(99)
        unknown.symbol = SymbolID(3)
        #expect(ring.tryPush(JournalRecord(producer: .risk, sequence: 2, body: .tradeClosed(close))))
        #expect(ring.tryPush(JournalRecord(producer: .risk, sequence: 3, body: .tradeClosed(unknown))))
        invoker.invoke()
        #expect(writer.stats.tradesClosed == 2 && writer.stats.tradesRejected == 0)
        let t = try #require(try h.store.trade(original))
        #expect(t.status == .closed && t.closeReason == .manual)
        #expect(t.fees.raw == 144 && t.realizedPnL.raw == 936)
        #expect(t.entryTimeMs == Self.entryMs)  // the original opening
        #expect(try h.store.trade(second)?.status == .closed)
        #expect(try h.store.openTrades().isEmpty)
    }

    @Test("a resumed trade takes the exchange's quantity and entry; each insert logs \"Trade {id} persisted\" once committed")
    func resumeTakesTheExchangeQuantityAndInsertsAreLogged() throws {
        let h = try harness()
        h.push(.risk, .tradeOpened(Self.opened(7)))  // the first of two entry fills: 0.040
        h.invoker.invoke()
        let original = try #require(h.agent.tradeID(forPosition: 7))

        // Killed before the second fill was journaled; the restarted engine adopts the venue's
        // whole position: 0.100 at an average of 40 060.00.
        let ring = SPSCRing<JournalRecord>(capacity: 64, name: "risk→store (restarted)")
        let logs = SPSCRing<LogRecord>(capacity: 64, name: "store→log")
        let writer = JournalWriterAgent(store: h.store, rings: [ring], logRing: logs,
                                        options: JournalWriterOptions(tradeIDProcessTag: 0x1234))
        let invoker = AgentInvoker(agent: writer, clock: h.clock)
        try invoker.start()
        var adopted = Self.opened(1, entryTimeMs: Self.entryMs + 60_000, adopted: true)
        adopted.quantity = Quantity(raw: 100)
        adopted.entryPrice = Price(raw: 4_006_000)
        #expect(ring.tryPush(JournalRecord(producer: .risk, sequence: 1, body: .tradeOpened(adopted))))
        invoker.invoke()
        #expect(writer.stats.tradesResumed == 1 && writer.tradeID(forPosition: 1) == original)
        let t = try #require(try h.store.trade(original))
        #expect(t.status == .open && t.quantity.raw == 100 && t.entryPrice.raw == 4_006_000)
        #expect(t.entryTimeMs == Self.entryMs && t.fees.raw == 64 && t.entryClientOrderID == 9001, "the rest as opened")
        #expect(logs.handle.drain(limit: 8) { _ in true } == 0, "a resumed trade is not a new insert")

        var fresh = Self.opened(2)
        fresh.symbol = SymbolID(3)
        #expect(ring.tryPush(JournalRecord(producer: .risk, sequence: 2, body: .tradeOpened(fresh))))
        invoker.invoke()
        let id = try #require(writer.tradeID(forPosition: 2))
        var records: [LogRecord] = []
        _ = logs.handle.drain(limit: 8) { records.append($0.pointee); return true }
        #expect(records.count == 1)
        let r = try #require(records.first)
        #expect(r.code == .tradePersisted && r.level == .debug && r.stage == .store && r.argumentCount == 2)
        #expect(r.argument(0) == (Int64(bitPattern: id.high), LogRecord.hexPlaces))
        #expect(r.argument(1) == (Int64(bitPattern: id.low), LogRecord.hexPlaces))
    }

    @Test("an adopted position with no stored trade inserts one, marked adopted")
    func adoptedWithoutStoredTrade() throws {
        let h = try harness()
        h.push(.risk, .tradeOpened(Self.opened(4, adopted: true)))
        h.invoker.invoke()
        let id = try #require(h.agent.tradeID(forPosition: 4))
        let t = try #require(try h.store.trade(id))
        #expect(t.isAdopted && t.status == .open && t.signalID == 0)
        #expect(h.agent.stats.tradesOpened == 1 && h.agent.stats.tradesResumed == 0)
    }

    @Test("an account snapshot lands in snapshots, its positions in snapshot_positions")
    func snapshotRoundTrip() throws {
        let h = try harness()
        let timeMs: Int64 = 1_700_000_900_000
        let snapshot = AccountSnapshot(timeNs: 5, timeMs: timeMs, account: AccountID(2),
                                       equity: Price(raw: 1_015_000_000_000), cashBalance: Price(raw: 1_000_000_000_000),
                                       marginUsed: Price(raw: 101_500_000_000), freeMargin: Price(raw: 913_500_000_000),
                                       unrealizedPnL: Price(raw: 15_000_000_000), positionCount: 2)
        h.push(.risk, .accountSnapshot(snapshot))
        h.push(.risk, .portfolioSnapshot(Samples.position(symbol: 1, timeMs: timeMs)))
        h.push(.risk, .portfolioSnapshot(Samples.position(symbol: 3, timeMs: timeMs)))
        h.invoker.invoke()
        #expect(h.agent.stats.snapshots == 1 && h.agent.stats.snapshotPositions == 2)
        let tables = h.store.tables
        let reader = h.store.journal.makeReader()
        let stored = try reader.read { try tables.snapshots.get(PortfolioSnapshot.key(account: AccountID(2), timeMs: timeMs), in: $0) }
        #expect(stored == PortfolioSnapshot(snapshot))
        #expect(stored?.totalEquity.raw == 1_015_000_000_000 && stored?.freeMargin.raw == 913_500_000_000)
        #expect(stored?.positionCount == 2)
        let positions = try reader.read { txn in
            var out: [PositionUpdate] = []
            try tables.snapshotPositions.scan(prefix: PortfolioSnapshot.key(account: AccountID(2), timeMs: timeMs), in: txn) {
                out.append($0)
                return true
            }
            return out
        }
        #expect(positions.map(\.symbol) == [SymbolID(1), SymbolID(3)])
        #expect(positions.first?.quantity.raw == 300 && positions.first?.eventTimeMs == timeMs)
        let curve = try h.store.equityCurve(account: AccountID(2), fromMs: 0, toMs: .max)
        #expect(curve.snapshots == 1 && curve.lastEquity.raw == 1_015_000_000_000)
    }
}
