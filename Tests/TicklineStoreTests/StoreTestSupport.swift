import Glibc
import Testing
import TicklineCore
@testable import TicklineStore

/// A fresh directory under /tmp, removed (recursively) by `remove()`; tests call it in `defer`.
final class TempDirectory {
    let path: String

    init(_ label: String = "store") {
        var template = Array("/tmp/tickline-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: errno \(errno)")
        path = String(cString: made!)
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func remove() { Self.removeTree(path) }

    static func removeTree(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name == "." || name == ".." { continue }
                let child = path + "/" + name
                if Int32(entry.pointee.d_type) == Int32(DT_DIR) { removeTree(child) } else { unlink(child) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

/// Runs `body` with a temp directory that is removed afterwards, whatever happens.
func withTempDirectory<R>(_ label: String = "store", _ body: (TempDirectory) throws -> R) rethrows -> R {
    let dir = TempDirectory(label)
    defer { dir.remove() }
    return try body(dir)
}

func monotonicNowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A key made of big-endian integers, as bytes.
func key(_ values: UInt64...) -> StoreKey {
    var k = StoreKey()
    for v in values { k.append(v) }
    return k
}

extension LMDBWriteTransaction {
    func put(_ db: LMDBDatabase, _ k: StoreKey, _ value: UInt64) throws {
        var v = value
        try k.withUnsafeBytes { kb in try withUnsafeBytes(of: &v) { vb in try put(db, key: kb, value: vb) } }
    }
}

extension LMDBTransaction where Self: ~Copyable {
    func uint64(_ db: LMDBDatabase, _ k: StoreKey) throws -> UInt64? {
        try k.withUnsafeBytes { kb in try withValue(db, key: kb) { $0.loadUnaligned(as: UInt64.self) } }
    }
}

// MARK: Sample records

enum Samples {
    static func kline(_ openTimeMs: Int64, _ interval: Interval = .m1, close: Int64 = 4_325_010) -> Kline {
        Kline(eventTimeMs: openTimeMs + 59_999, openTimeMs: openTimeMs, interval: interval, open: Price(raw: 4_320_000),
              high: Price(raw: 4_330_000), low: Price(raw: 4_310_000), close: Price(raw: close),
              volume: Quantity(raw: 12_345), quoteVolume: Price(raw: 987_654_321), takerBuyVolume: Quantity(raw: 6_000),
              tradeCount: 321)
    }

    static func signal(_ id: UInt64, symbol: UInt16 = 1, timeMs: Int64 = 1_700_000_000_000) -> Signal {
        Signal(ingressNs: 0, signalID: id, eventTimeMs: timeMs, symbol: SymbolID(symbol), interval: .m5,
               direction: .long, scoreBp: -1234, confidenceBp: 8_100, entryPrice: Price(raw: 4_325_010),
               stopLoss: Price(raw: 4_300_000), takeProfit: Price(raw: 4_400_000), reasonCode: 7)
    }

    static func intent(_ id: UInt64, symbol: UInt16 = 1) -> OrderIntent {
        OrderIntent(ingressNs: 99, clientOrderID: id, signalID: id + 1000, account: AccountID(2), symbol: SymbolID(symbol),
                    side: .sell, type: .limit, quantity: Quantity(raw: 150), price: Price(raw: 4_325_010),
                    stopPrice: Price(raw: 4_300_000), timeInForce: .gtx, reduceOnly: true, closeReason: .takeProfit)
    }

    static func fill(_ id: UInt64, tradeID: Int64, symbol: UInt16 = 1) -> ExecutionReport {
        ExecutionReport(ingressNs: 5, eventTimeMs: 1_700_000_000_123, clientOrderID: id, venueOrderID: 777_000 + Int64(id),
                        account: AccountID(2), symbol: SymbolID(symbol), side: .sell, kind: .filled, tradeID: tradeID,
                        lastFillQuantity: Quantity(raw: 150), lastFillPrice: Price(raw: 4_325_020),
                        cumulativeQuantity: Quantity(raw: 150), averagePrice: Price(raw: 4_325_020),
                        commission: Price(raw: -17), realizedPnL: Price(raw: 12_345), closeReason: .takeProfit)
    }

    static func position(symbol: UInt16, timeMs: Int64) -> PositionUpdate {
        PositionUpdate(timeNs: 0, eventTimeMs: timeMs, account: AccountID(2), symbol: SymbolID(symbol), side: .buy,
                       quantity: Quantity(raw: 300), entryPrice: Price(raw: 4_300_000), markPrice: Price(raw: 4_310_000),
                       unrealizedPnL: Price(raw: 3_000), accruedFunding: Price(raw: -40))
    }

    static func denial(_ signalID: UInt64) -> OrderDenied {
        OrderDenied(ingressNs: 0, signalID: signalID, eventTimeMs: 1_700_000_000_500, account: AccountID(2),
                    symbol: SymbolID(1), side: .buy, reason: .storeDegraded, requestedQuantity: Quantity(raw: 10),
                    price: Price(raw: 4_325_010), limitValue: 3)
    }

    static func trade(_ low: UInt64, entryTimeMs: Int64 = 1_700_000_000_000) -> TradeRecord {
        TradeRecord(id: TradeID(high: UInt64(entryTimeMs), low: low), account: AccountID(2), symbol: SymbolID(1),
                    side: .buy, entryTimeMs: entryTimeMs, quantity: Quantity(raw: 150), entryPrice: Price(raw: 4_325_010),
                    stopLoss: Price(raw: 4_300_000), takeProfit: Price(raw: 4_400_000), fees: Price(raw: 17),
                    signalID: 42, entryClientOrderID: 9001)
    }
}
