import Testing
import TicklineCore
@testable import TicklineStore

/// The store's side of start-up reconciliation: the last fill of an (account, symbol) pair, the
/// fills from a time, the one-transaction write (fills inserted only where absent, trades closed
/// as `.reconciled`) and the reason's stored and exported forms.
struct ReconciliationStoreTests {
    static let small = StoreOptions.small(mapSizeBytes: 1 << 20)

    static func fill(account: UInt16 = 0, symbol: UInt16, tradeID: Int64, timeMs: Int64, clientOrderID: UInt64 = 0)
        -> FillRecord
    {
        FillRecord(account: AccountID(account), symbol: SymbolID(symbol), tradeID: tradeID, side: .sell,
                   eventTimeMs: timeMs, clientOrderID: clientOrderID, venueOrderID: 5, quantity: Quantity(raw: 10),
                   price: Price(raw: 4_325_020), commission: Price(raw: 17), realizedPnL: Price(raw: 12_345))
    }

    @Test func lastFillIsTheHighestTradeIDOfThePairOnly() throws {
        try withTempDirectory("recon") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            #expect(try store.lastFill(account: AccountID(0), symbol: SymbolID(1)) == nil, "empty table")
            let write = ReconciliationWrite(fills: [
                Self.fill(symbol: 0, tradeID: 900, timeMs: 9),  // the pair before
                Self.fill(symbol: 1, tradeID: -3, timeMs: 1),  // negative ids sort first (sign-flipped keys)
                Self.fill(symbol: 1, tradeID: 7, timeMs: 2),
                Self.fill(symbol: 1, tradeID: 12, timeMs: 3),
                Self.fill(symbol: 2, tradeID: 1, timeMs: 4),  // the pair after
                Self.fill(account: 1, symbol: 1, tradeID: 99, timeMs: 5),  // another account
            ])
            #expect(try store.applyReconciliation(write).fillsInserted == 6)
            #expect(try store.lastFill(account: AccountID(0), symbol: SymbolID(1))?.tradeID == 12)
            #expect(try store.lastFill(account: AccountID(0), symbol: SymbolID(0))?.tradeID == 900)
            #expect(try store.lastFill(account: AccountID(0), symbol: SymbolID(2))?.tradeID == 1)
            #expect(try store.lastFill(account: AccountID(1), symbol: SymbolID(1))?.tradeID == 99, "the table's last key")
            #expect(try store.lastFill(account: AccountID(0), symbol: SymbolID(3)) == nil)
            #expect(try store.lastFill(account: AccountID(2), symbol: SymbolID(0)) == nil, "past every key")
            #expect(try store.fills(account: AccountID(0), symbol: SymbolID(1)).map(\.tradeID) == [-3, 7, 12])
            #expect(try store.fills(account: AccountID(0), symbol: SymbolID(1), fromTimeMs: 2).map(\.tradeID) == [7, 12])
        }
    }

    @Test func writeInsertsAbsentFillsAndClosesTradesAsReconciled() throws {
        try withTempDirectory("recon") { dir in
            let store = try TicklineStore(directory: dir.path, options: Self.small)
            let journaled = Self.fill(symbol: 1, tradeID: 7, timeMs: 2, clientOrderID: 9001)
            try store.applyReconciliation(ReconciliationWrite(fills: [journaled]))
            let trade = Samples.trade(1)
            try store.openTrade(trade)

            let close = TradeClose(id: trade.id, exitTimeMs: trade.entryTimeMs + 60_000, exitPrice: Price(raw: 4_400_000),
                                   realizedPnL: Price(raw: -500), reason: .reconciled, totalFees: Price(raw: 40))
            let result = try store.applyReconciliation(ReconciliationWrite(
                fills: [Self.fill(symbol: 1, tradeID: 7, timeMs: 2), Self.fill(symbol: 1, tradeID: 8, timeMs: 3)],
                closes: [close]))
            #expect(result.fillsInserted == 1 && result.fillsPresent == 1)
            #expect(try store.fills(account: AccountID(0), symbol: SymbolID(1)).first?.clientOrderID == 9001,
                    "the journal's own fill is kept")
            let stored = try #require(try store.trade(trade.id))
            #expect(stored.status == .closed && stored.closeReason == .reconciled && result.tradesClosed == [stored])
            #expect(stored.exitPrice == Price(raw: 4_400_000) && stored.realizedPnL == Price(raw: -500))
            #expect(stored.fees == Price(raw: 40))
            #expect(try store.openTrades().isEmpty)
            #expect(CloseReason.reconciled.wireName == "reconciled")

            // All or nothing: closing it again fails, and the fill of the same write is not kept.
            #expect(throws: StoreError.self) {
                try store.applyReconciliation(ReconciliationWrite(fills: [Self.fill(symbol: 1, tradeID: 9, timeMs: 4)],
                                                                  closes: [close]))
            }
            #expect(try store.fills(account: AccountID(0), symbol: SymbolID(1)).map(\.tradeID) == [7, 8])
        }
    }
}
