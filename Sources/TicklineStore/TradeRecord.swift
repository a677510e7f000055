import TicklineCore

/// A trade's unique 128-bit id: `high` is the entry time in ms (so ids sort by opening time in
/// the key), `low` is 64 bits that make it unique (random per process in its upper half, a
/// counter in its lower half: see `TradeIDGenerator`).
@frozen
public struct TradeID: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    @inlinable public var isZero: Bool { high == 0 && low == 0 }

    @inlinable public static func < (a: TradeID, b: TradeID) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// 32 hex digits.
    public var description: String { key.hex }

    /// Key in the `trades` table: `high` then `low`, big-endian (16 bytes).
    @inlinable public var key: StoreKey {
        var k = StoreKey()
        k.append(high)
        k.append(low)
        return k
    }
}

/// Makes `TradeID`s: entry time, then a random 32-bit process tag and a 32-bit counter.
/// Unique across restarts without coordination (a collision needs the same millisecond, the
/// same random tag and the same counter value); the store also inserts with `noOverwrite`.
public struct TradeIDGenerator: Sendable {
    public let processTag: UInt32
    private var counter: UInt32 = 0

    public init(processTag: UInt32 = UInt32.random(in: 1...UInt32.max)) {
        self.processTag = processTag
    }

    public mutating func next(entryTimeMs: Int64) -> TradeID {
        counter &+= 1
        return TradeID(high: UInt64(bitPattern: entryTimeMs), low: UInt64(processTag) << 32 | UInt64(counter))
    }

    /// The id of the trade with a caller's own per-process sequence number (the journal writer
    /// uses risk's position id): derivable again from the same inputs, unique while sequence
    /// numbers stay below 2³² within a process.
    public func id(entryTimeMs: Int64, sequence: UInt64) -> TradeID {
        TradeID(high: UInt64(bitPattern: entryTimeMs),
                low: UInt64(processTag) << 32 | UInt64(UInt32(truncatingIfNeeded: sequence)))
    }
}

public enum TradeStatus: UInt8, Sendable, BitwiseCopyable {
    case open = 1, closed = 2
}

/// A trade (a position's life from entry to exit): inserted when it opens, updated once when
/// it closes (exit price, exit time, PnL, status, reason: one transaction).
///
/// ## Layout v1 (`trades`, 104 bytes; key: `TradeID.key`, 16 bytes)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | status (1 open, 2 closed) | u8 |
/// | 2 | side (1 buy/long, 2 sell/short) | u8 |
/// | 3 | close reason (`CloseReason`, 0 while open) | u8 |
/// | 4 | account | u16 |
/// | 6 | symbol | u16 |
/// | 8 | entry time ms | i64 |
/// | 16 | exit time ms (0 while open) | i64 |
/// | 24 | quantity (raw) | i64 |
/// | 32 | entry price (raw) | i64 |
/// | 40 | exit price (raw, 0 while open) | i64 |
/// | 48 | stop loss (raw, 0 = none) | i64 |
/// | 56 | take profit (raw, 0 = none) | i64 |
/// | 64 | realized PnL (quote, price scale) | i64 |
/// | 72 | fees (quote, price scale) | i64 |
/// | 80 | signal id | u64 |
/// | 88 | entry client order id | u64 |
/// | 96 | exit client order id (0 while open) | u64 |
/// All integers little-endian.
///
/// A trade taken over from the venue at start-up (an adopted position: "synced") has entry
/// client order id 0 and signal id 0 (`isAdopted`).
@frozen
public struct TradeRecord: Sendable, Equatable, StoreRecord {
    public var id: TradeID
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    public var status: TradeStatus
    public var closeReason: CloseReason
    public var entryTimeMs: Int64
    public var exitTimeMs: Int64
    public var quantity: Quantity
    public var entryPrice: Price
    public var exitPrice: Price
    public var stopLoss: Price
    public var takeProfit: Price
    public var realizedPnL: Price
    public var fees: Price
    public var signalID: UInt64
    public var entryClientOrderID: UInt64
    public var exitClientOrderID: UInt64

    /// An open trade.
    public init(id: TradeID, account: AccountID, symbol: SymbolID, side: Side, entryTimeMs: Int64,
                quantity: Quantity, entryPrice: Price, stopLoss: Price = .zero, takeProfit: Price = .zero,
                fees: Price = .zero, signalID: UInt64 = 0, entryClientOrderID: UInt64 = 0) {
        self.id = id
        self.account = account
        self.symbol = symbol
        self.side = side
        self.status = .open
        self.closeReason = .none
        self.entryTimeMs = entryTimeMs
        self.exitTimeMs = 0
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.exitPrice = .zero
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
        self.realizedPnL = .zero
        self.fees = fees
        self.signalID = signalID
        self.entryClientOrderID = entryClientOrderID
        self.exitClientOrderID = 0
    }

    public static let tableName = "trades"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 104

    @inlinable public var key: StoreKey { id.key }

    /// Taken over from the venue at start-up rather than opened by one of our orders.
    public var isAdopted: Bool { entryClientOrderID == 0 }

    /// The required fields of an open trade; the name of the first one missing or wrong.
    public func validateForOpen() -> String? {
        if id.isZero { return "id" }
        if status != .open { return "status" }
        if closeReason != .none { return "closeReason" }
        if entryTimeMs <= 0 { return "entryTimeMs" }
        if quantity.raw <= 0 { return "quantity" }
        if entryPrice.raw <= 0 { return "entryPrice" }
        if exitTimeMs != 0 || exitPrice.raw != 0 { return "exit fields on an open trade" }
        return nil
    }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(status.rawValue)
        w.u8(side.rawValue)
        w.u8(closeReason.rawValue)
        w.u16(account.rawValue)
        w.u16(symbol.rawValue)
        w.i64(entryTimeMs)
        w.i64(exitTimeMs)
        w.i64(quantity.raw)
        w.i64(entryPrice.raw)
        w.i64(exitPrice.raw)
        w.i64(stopLoss.raw)
        w.i64(takeProfit.raw)
        w.i64(realizedPnL.raw)
        w.i64(fees.raw)
        w.u64(signalID)
        w.u64(entryClientOrderID)
        w.u64(exitClientOrderID)
    }

    public static let keyByteCount = 16

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> TradeRecord {
        let status: TradeStatus = try decodeEnum(r.u8(), "status")
        let side: Side = try decodeEnum(r.u8(), "side")
        let reason: CloseReason = try decodeEnum(r.u8(), "closeReason")
        let id = TradeID(high: StoreKey.readUInt64(key, at: 0), low: StoreKey.readUInt64(key, at: 8))
        var t = TradeRecord(id: id, account: AccountID(r.u16()), symbol: SymbolID(r.u16()),
                            side: side, entryTimeMs: 0, quantity: Quantity(raw: 0), entryPrice: .zero)
        t.status = status
        t.closeReason = reason
        t.entryTimeMs = r.i64()
        t.exitTimeMs = r.i64()
        t.quantity = Quantity(raw: r.i64())
        t.entryPrice = Price(raw: r.i64())
        t.exitPrice = Price(raw: r.i64())
        t.stopLoss = Price(raw: r.i64())
        t.takeProfit = Price(raw: r.i64())
        t.realizedPnL = Price(raw: r.i64())
        t.fees = Price(raw: r.i64())
        t.signalID = r.u64()
        t.entryClientOrderID = r.u64()
        t.exitClientOrderID = r.u64()
        return t
    }
}

/// What closing a trade changes, applied atomically by `TicklineStore.closeTrade`.
@frozen
public struct TradeClose: Sendable, Equatable {
    public var id: TradeID
    public var exitTimeMs: Int64
    public var exitPrice: Price
    public var realizedPnL: Price
    public var reason: CloseReason
    /// Fees of the exit, added to the entry fees (unless `totalFees` is given).
    public var exitFees: Price
    public var exitClientOrderID: UInt64
    /// When nonzero, replace the values stored at the open: the trade's total quantity and its
    /// average entry once every (partial) entry fill is known.
    public var quantity: Quantity
    public var entryPrice: Price
    /// When given, the trade's fees (entry and exit) replacing the stored ones; `exitFees` is then
    /// ignored.
    public var totalFees: Price?

    public init(id: TradeID, exitTimeMs: Int64, exitPrice: Price, realizedPnL: Price, reason: CloseReason,
                exitFees: Price = .zero, exitClientOrderID: UInt64 = 0, quantity: Quantity = .init(raw: 0),
                entryPrice: Price = .zero, totalFees: Price? = nil) {
        self.id = id
        self.exitTimeMs = exitTimeMs
        self.exitPrice = exitPrice
        self.realizedPnL = realizedPnL
        self.reason = reason
        self.exitFees = exitFees
        self.exitClientOrderID = exitClientOrderID
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.totalFees = totalFees
    }

    /// The name of the first invalid field, or nil.
    public func validate(against trade: TradeRecord) -> String? {
        if reason == .none { return "reason" }
        if exitPrice.raw <= 0 { return "exitPrice" }
        if exitTimeMs < trade.entryTimeMs { return "exitTimeMs" }
        return nil
    }
}
