import TicklineCore

/// A closed candle of one symbol and interval.
///
/// The key puts the open time last and big-endian, so a (symbol, interval) series is contiguous
/// and sorted by time: a range scan is a cursor walk, and candles arriving in time order for the
/// highest-sorting series are appended (`MDB_APPEND`). A correction from the exchange for an
/// existing open time overwrites it.
///
/// ## Layout v1 (`candles`, 72 bytes; key 11 bytes: symbol u16 BE, interval u8, open time ms i64 BE sign-flipped)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | reserved (0) | u8 |
/// | 2 | reserved (0) | u16 |
/// | 4 | trade count | u32 |
/// | 8 | event time ms | i64 |
/// | 16 | open (raw) | i64 |
/// | 24 | high (raw) | i64 |
/// | 32 | low (raw) | i64 |
/// | 40 | close (raw) | i64 |
/// | 48 | volume (raw quantity) | i64 |
/// | 56 | quote volume (raw, price scale) | i64 |
/// | 64 | taker buy volume (raw quantity) | i64 |
@frozen
public struct CandleRecord: Sendable, Equatable, StoreRecord {
    public var symbol: SymbolID
    public var kline: Kline

    public init(symbol: SymbolID, kline: Kline) {
        self.symbol = symbol
        self.kline = kline
    }

    public static let tableName = "candles"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 72
    public static let keyByteCount = 11

    @inlinable public static func key(symbol: SymbolID, interval: Interval, openTimeMs: Int64) -> StoreKey {
        var k = prefix(symbol: symbol, interval: interval)
        k.append(openTimeMs)
        return k
    }

    /// The key prefix of one series.
    @inlinable public static func prefix(symbol: SymbolID, interval: Interval) -> StoreKey {
        var k = StoreKey()
        k.append(symbol.rawValue)
        k.append(interval.rawValue)
        return k
    }

    public var key: StoreKey { Self.key(symbol: symbol, interval: kline.interval, openTimeMs: kline.openTimeMs) }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(0)
        w.u16(0)
        w.u32(kline.tradeCount)
        w.i64(kline.eventTimeMs)
        w.i64(kline.open.raw)
        w.i64(kline.high.raw)
        w.i64(kline.low.raw)
        w.i64(kline.close.raw)
        w.i64(kline.volume.raw)
        w.i64(kline.quoteVolume.raw)
        w.i64(kline.takerBuyVolume.raw)
    }

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> CandleRecord {
        let interval: Interval = try decodeEnum(key[2], "interval (key)")
        r.skip(3)
        let tradeCount = r.u32()
        let k = Kline(eventTimeMs: r.i64(), openTimeMs: StoreKey.readInt64(key, at: 3), interval: interval,
                      open: Price(raw: r.i64()), high: Price(raw: r.i64()), low: Price(raw: r.i64()),
                      close: Price(raw: r.i64()), volume: Quantity(raw: r.i64()), quoteVolume: Price(raw: r.i64()),
                      takerBuyVolume: Quantity(raw: r.i64()), tradeCount: tradeCount)
        return CandleRecord(symbol: SymbolID(StoreKey.readUInt16(key, at: 0)), kline: k)
    }
}
