import TicklineCore

/// One fill (a venue trade of one of our orders). Keyed so that a symbol's fills sort by the
/// venue's trade id, which increases with time on Binance: the last key of an
/// (account, symbol) prefix is where `userTrades` reconciliation resumes.
///
/// ## Layout v1 (`fills`, 64 bytes; key 12 bytes: account u16 BE, symbol u16 BE, trade id i64 BE sign-flipped)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | side | u8 |
/// | 2 | execution kind (partially filled / filled) | u8 |
/// | 3 | close reason | u8 |
/// | 4 | reserved (0) | u32 |
/// | 8 | event time ms | i64 |
/// | 16 | client order id | u64 |
/// | 24 | venue order id | i64 |
/// | 32 | quantity (raw) | i64 |
/// | 40 | price (raw) | i64 |
/// | 48 | commission (quote, price scale) | i64 |
/// | 56 | realized PnL (quote, price scale) | i64 |
@frozen
public struct FillRecord: Sendable, Equatable, StoreRecord {
    public var account: AccountID
    public var symbol: SymbolID
    public var tradeID: Int64
    public var side: Side
    public var kind: ExecutionKind
    public var closeReason: CloseReason
    public var eventTimeMs: Int64
    public var clientOrderID: UInt64
    public var venueOrderID: Int64
    public var quantity: Quantity
    public var price: Price
    public var commission: Price
    public var realizedPnL: Price

    /// The fill in `report`, or nil when the report carries none (no quantity or no trade id).
    public init?(_ report: ExecutionReport) {
        guard report.lastFillQuantity.raw != 0, report.tradeID != 0 else { return nil }
        account = report.account
        symbol = report.symbol
        tradeID = report.tradeID
        side = report.side
        kind = report.kind
        closeReason = report.closeReason
        eventTimeMs = report.eventTimeMs
        clientOrderID = report.clientOrderID
        venueOrderID = report.venueOrderID
        quantity = report.lastFillQuantity
        price = report.lastFillPrice
        commission = report.commission
        realizedPnL = report.realizedPnL
    }

    public init(account: AccountID, symbol: SymbolID, tradeID: Int64, side: Side, kind: ExecutionKind = .filled,
                closeReason: CloseReason = .none, eventTimeMs: Int64, clientOrderID: UInt64, venueOrderID: Int64 = 0,
                quantity: Quantity, price: Price, commission: Price = .zero, realizedPnL: Price = .zero) {
        self.account = account
        self.symbol = symbol
        self.tradeID = tradeID
        self.side = side
        self.kind = kind
        self.closeReason = closeReason
        self.eventTimeMs = eventTimeMs
        self.clientOrderID = clientOrderID
        self.venueOrderID = venueOrderID
        self.quantity = quantity
        self.price = price
        self.commission = commission
        self.realizedPnL = realizedPnL
    }

    public static let tableName = "fills"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 64
    public static let keyByteCount = 12

    @inlinable public static func key(account: AccountID, symbol: SymbolID, tradeID: Int64) -> StoreKey {
        var k = prefix(account: account, symbol: symbol)
        k.append(tradeID)
        return k
    }

    /// The key prefix of one account's fills of one symbol.
    @inlinable public static func prefix(account: AccountID, symbol: SymbolID) -> StoreKey {
        var k = StoreKey()
        k.append(account.rawValue)
        k.append(symbol.rawValue)
        return k
    }

    public var key: StoreKey { Self.key(account: account, symbol: symbol, tradeID: tradeID) }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(side.rawValue)
        w.u8(kind.rawValue)
        w.u8(closeReason.rawValue)
        w.u32(0)
        w.i64(eventTimeMs)
        w.u64(clientOrderID)
        w.i64(venueOrderID)
        w.i64(quantity.raw)
        w.i64(price.raw)
        w.i64(commission.raw)
        w.i64(realizedPnL.raw)
    }

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> FillRecord {
        let side: Side = try decodeEnum(r.u8(), "side")
        let kind: ExecutionKind = try decodeEnum(r.u8(), "kind")
        let reason: CloseReason = try decodeEnum(r.u8(), "closeReason")
        r.skip(4)
        return FillRecord(account: AccountID(StoreKey.readUInt16(key, at: 0)),
                          symbol: SymbolID(StoreKey.readUInt16(key, at: 2)),
                          tradeID: StoreKey.readInt64(key, at: 4), side: side, kind: kind, closeReason: reason,
                          eventTimeMs: r.i64(), clientOrderID: r.u64(), venueOrderID: r.i64(),
                          quantity: Quantity(raw: r.i64()), price: Price(raw: r.i64()),
                          commission: Price(raw: r.i64()), realizedPnL: Price(raw: r.i64()))
    }
}
