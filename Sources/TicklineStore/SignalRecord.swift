import TicklineCore

/// Signals are stored as they left the signal stage (minus `ingressNs`, a monotonic time that
/// means nothing after a restart: it reads back as 0).
///
/// ## Layout v1 (`signals`, 40 bytes; key 18 bytes: symbol u16 BE, event time ms i64 BE sign-flipped, signal id u64 BE)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | direction (`SignalDirection`) | u8 |
/// | 2 | interval (`Interval`) | u8 |
/// | 3 | reserved (0) | u8 |
/// | 4 | score (basis points) | i16 |
/// | 6 | confidence (basis points) | u16 |
/// | 8 | reason code | u32 |
/// | 12 | reserved (0) | u32 |
/// | 16 | entry price (raw) | i64 |
/// | 24 | stop loss (raw) | i64 |
/// | 32 | take profit (raw) | i64 |
extension Signal: StoreRecord {
    public static let tableName = "signals"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 40
    public static let keyByteCount = 18

    @inlinable public static func key(symbol: SymbolID, eventTimeMs: Int64, signalID: UInt64) -> StoreKey {
        var k = StoreKey()
        k.append(symbol.rawValue)
        k.append(eventTimeMs)
        k.append(signalID)
        return k
    }

    public var key: StoreKey { Self.key(symbol: symbol, eventTimeMs: eventTimeMs, signalID: signalID) }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(direction.rawValue)
        w.u8(interval.rawValue)
        w.u8(0)
        w.i16(scoreBp)
        w.u16(confidenceBp)
        w.u32(reasonCode)
        w.u32(0)
        w.i64(entryPrice.raw)
        w.i64(stopLoss.raw)
        w.i64(takeProfit.raw)
    }

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> Signal {
        let direction: SignalDirection = try decodeEnum(r.u8(), "direction")
        let interval: Interval = try decodeEnum(r.u8(), "interval")
        r.skip(1)
        let score = r.i16()
        let confidence = r.u16()
        let reason = r.u32()
        r.skip(4)
        return Signal(ingressNs: 0, signalID: StoreKey.readUInt64(key, at: 10), eventTimeMs: StoreKey.readInt64(key, at: 2),
                      symbol: SymbolID(StoreKey.readUInt16(key, at: 0)), interval: interval, direction: direction,
                      scoreBp: score, confidenceBp: confidence, entryPrice: Price(raw: r.i64()),
                      stopLoss: Price(raw: r.i64()), takeProfit: Price(raw: r.i64()), reasonCode: reason)
    }
}

/// Risk's refusals, kept beside the orders they were instead of.
///
/// ## Layout v1 (`denials`, 32 bytes; key 16 bytes: event time ms i64 BE sign-flipped, signal id u64 BE)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | reason (`DenialReason`) | u8 |
/// | 2 | side | u8 |
/// | 3 | reserved (0) | u8 |
/// | 4 | account | u16 |
/// | 6 | symbol | u16 |
/// | 8 | requested quantity (raw) | i64 |
/// | 16 | price (raw) | i64 |
/// | 24 | limit value | i64 |
extension OrderDenied: StoreRecord {
    public static let tableName = "denials"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 32
    public static let keyByteCount = 16

    public var key: StoreKey {
        var k = StoreKey()
        k.append(eventTimeMs)
        k.append(signalID)
        return k
    }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(reason.rawValue)
        w.u8(side.rawValue)
        w.u8(0)
        w.u16(account.rawValue)
        w.u16(symbol.rawValue)
        w.i64(requestedQuantity.raw)
        w.i64(price.raw)
        w.i64(limitValue)
    }

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> OrderDenied {
        let reason: DenialReason = try decodeEnum(r.u8(), "reason")
        let side: Side = try decodeEnum(r.u8(), "side")
        r.skip(1)
        return OrderDenied(ingressNs: 0, signalID: StoreKey.readUInt64(key, at: 8), eventTimeMs: StoreKey.readInt64(key, at: 0),
                           account: AccountID(r.u16()), symbol: SymbolID(r.u16()), side: side, reason: reason,
                           requestedQuantity: Quantity(raw: r.i64()), price: Price(raw: r.i64()), limitValue: r.i64())
    }
}
