import TicklineCore

/// An account's portfolio at one moment (US-SYSTEM-018): what the equity curve and drawdown
/// are computed from. Risk emits one every 15 minutes (`AccountSnapshot` on the journal ring;
/// the writer stores it here). Amounts are quote-asset raw values at 8 decimal places (risk's
/// money scale).
///
/// ## Layout v1 (`snapshots`, 48 bytes; key 10 bytes: account u16 BE, time ms i64 BE sign-flipped)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | reserved (0) | u8 |
/// | 2 | reserved (0) | u16 |
/// | 4 | open position count | u32 |
/// | 8 | total equity (quote, raw) | i64 |
/// | 16 | cash balance | i64 |
/// | 24 | margin used | i64 |
/// | 32 | free margin | i64 |
/// | 40 | total unrealized PnL | i64 |
///
/// The open positions at that time are rows of `snapshot_positions` with the same account
/// and time (`PositionUpdate`).
@frozen
public struct PortfolioSnapshot: Sendable, Equatable, StoreRecord {
    public var account: AccountID
    public var timeMs: Int64
    public var totalEquity: Price
    public var cashBalance: Price
    public var marginUsed: Price
    public var freeMargin: Price
    public var unrealizedPnL: Price
    public var positionCount: UInt32

    public init(account: AccountID, timeMs: Int64, totalEquity: Price, cashBalance: Price, marginUsed: Price,
                freeMargin: Price, unrealizedPnL: Price, positionCount: UInt32) {
        self.account = account
        self.timeMs = timeMs
        self.totalEquity = totalEquity
        self.cashBalance = cashBalance
        self.marginUsed = marginUsed
        self.freeMargin = freeMargin
        self.unrealizedPnL = unrealizedPnL
        self.positionCount = positionCount
    }

    public static let tableName = "snapshots"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 48
    public static let keyByteCount = 10

    @inlinable public static func key(account: AccountID, timeMs: Int64) -> StoreKey {
        var k = prefix(account: account)
        k.append(timeMs)
        return k
    }

    @inlinable public static func prefix(account: AccountID) -> StoreKey {
        var k = StoreKey()
        k.append(account.rawValue)
        return k
    }

    public var key: StoreKey { Self.key(account: account, timeMs: timeMs) }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(0)
        w.u16(0)
        w.u32(positionCount)
        w.i64(totalEquity.raw)
        w.i64(cashBalance.raw)
        w.i64(marginUsed.raw)
        w.i64(freeMargin.raw)
        w.i64(unrealizedPnL.raw)
    }

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> PortfolioSnapshot {
        r.skip(3)
        let count = r.u32()
        return PortfolioSnapshot(account: AccountID(StoreKey.readUInt16(key, at: 0)), timeMs: StoreKey.readInt64(key, at: 2),
                                 totalEquity: Price(raw: r.i64()), cashBalance: Price(raw: r.i64()),
                                 marginUsed: Price(raw: r.i64()), freeMargin: Price(raw: r.i64()),
                                 unrealizedPnL: Price(raw: r.i64()), positionCount: count)
    }
}

/// One open position inside a portfolio snapshot, as risk marked it (`timeNs`, monotonic, is
/// not stored and reads back as 0; `eventTimeMs` is the snapshot time).
///
/// ## Layout v1 (`snapshot_positions`, 48 bytes)
/// Key, 15 bytes: account u16 BE, time ms i64 BE sign-flipped, symbol u16 BE, side u8,
/// reserved u16 (0).
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | reserved (0) | u8 |
/// | 2 | reserved (0) | u16 |
/// | 4 | reserved (0) | u32 |
/// | 8 | quantity (raw) | i64 |
/// | 16 | entry price (raw) | i64 |
/// | 24 | mark price (raw) | i64 |
/// | 32 | unrealized PnL incl. funding | i64 |
/// | 40 | accrued funding | i64 |
extension PositionUpdate: StoreRecord {
    public static let tableName = "snapshot_positions"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 48
    public static let keyByteCount = 15

    public var key: StoreKey {
        var k = PortfolioSnapshot.key(account: account, timeMs: eventTimeMs)
        k.append(symbol.rawValue)
        k.append(side.rawValue)
        k.append(UInt16(0))
        return k
    }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(0)
        w.u16(0)
        w.u32(0)
        w.i64(quantity.raw)
        w.i64(entryPrice.raw)
        w.i64(markPrice.raw)
        w.i64(unrealizedPnL.raw)
        w.i64(accruedFunding.raw)
    }

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> PositionUpdate {
        let side: Side = try decodeEnum(key[12], "side (key)")
        r.skip(7)
        return PositionUpdate(timeNs: 0, eventTimeMs: StoreKey.readInt64(key, at: 2),
                              account: AccountID(StoreKey.readUInt16(key, at: 0)),
                              symbol: SymbolID(StoreKey.readUInt16(key, at: 10)), side: side,
                              quantity: Quantity(raw: r.i64()), entryPrice: Price(raw: r.i64()),
                              markPrice: Price(raw: r.i64()), unrealizedPnL: Price(raw: r.i64()),
                              accruedFunding: Price(raw: r.i64()))
    }
}

/// Equity curve statistics over a run of snapshots.
public struct EquityCurveSummary: Sendable, Equatable {
    public var snapshots: Int
    public var firstEquity: Price
    public var lastEquity: Price
    public var peakEquity: Price
    /// Largest peak-to-trough fall, in quote units (raw).
    public var maxDrawdown: Price
    /// The same as a fraction of the peak it fell from, in basis points.
    public var maxDrawdownBp: Int64

    /// Folds equities in time order.
    public init<S: Sequence>(equities: S) where S.Element == Price {
        var count = 0
        var first = Price.zero, last = Price.zero, peak = Price.zero
        var dd: Int64 = 0, ddBp: Int64 = 0
        for e in equities {
            if count == 0 { first = e; peak = e }
            count += 1
            last = e
            if e.raw > peak.raw { peak = e }
            let fall = peak.raw - e.raw
            if fall > dd { dd = fall }
            if peak.raw > 0 {
                let bp = Int64((Int128(fall) * 10_000) / Int128(peak.raw))
                if bp > ddBp { ddBp = bp }
            }
        }
        snapshots = count
        firstEquity = first
        lastEquity = last
        peakEquity = peak
        maxDrawdown = Price(raw: dd)
        maxDrawdownBp = ddBp
    }
}
