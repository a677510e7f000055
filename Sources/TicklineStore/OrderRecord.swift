import TicklineCore

/// An order as the journal knows it: the intent risk sent, merged with the latest execution
/// report for it.
///
/// ## Layout v1 (`orders`, 80 bytes; key: client order id, u64 big-endian, 8 bytes)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | side | u8 |
/// | 2 | order type (`OrderType`) | u8 |
/// | 3 | time in force (`TimeInForce`) | u8 |
/// | 4 | flags (bit 0: reduce-only) | u8 |
/// | 5 | close reason | u8 |
/// | 6 | status (0 submitted, else `ExecutionKind`) | u8 |
/// | 7 | reserved (0) | u8 |
/// | 8 | account | u16 |
/// | 10 | symbol | u16 |
/// | 12 | venue error code | i16 |
/// | 14 | reserved (0) | u16 |
/// | 16 | signal id | u64 |
/// | 24 | quantity (raw) | i64 |
/// | 32 | limit price (raw) | i64 |
/// | 40 | stop price (raw) | i64 |
/// | 48 | venue order id | i64 |
/// | 56 | cumulative filled quantity (raw) | i64 |
/// | 64 | average fill price (raw) | i64 |
/// | 72 | last update time ms (exchange event time; 0 before any report) | i64 |
@frozen
public struct OrderRecord: Sendable, Equatable, StoreRecord {
    public var clientOrderID: UInt64
    public var account: AccountID
    public var symbol: SymbolID
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    public var reduceOnly: Bool
    public var closeReason: CloseReason
    /// nil while no execution report has arrived.
    public var status: ExecutionKind?
    public var venueErrorCode: Int16
    public var signalID: UInt64
    public var quantity: Quantity
    public var price: Price
    public var stopPrice: Price
    public var venueOrderID: Int64
    public var cumulativeQuantity: Quantity
    public var averagePrice: Price
    public var updatedTimeMs: Int64

    public init(_ intent: OrderIntent) {
        clientOrderID = intent.clientOrderID
        account = intent.account
        symbol = intent.symbol
        side = intent.side
        type = intent.type
        timeInForce = intent.timeInForce
        reduceOnly = intent.reduceOnly
        closeReason = intent.closeReason
        status = nil
        venueErrorCode = 0
        signalID = intent.signalID
        quantity = intent.quantity
        price = intent.price
        stopPrice = intent.stopPrice
        venueOrderID = 0
        cumulativeQuantity = Quantity(raw: 0)
        averagePrice = .zero
        updatedTimeMs = 0
    }

    /// A row for a report whose intent the journal never saw (e.g. an order placed before a
    /// crash, or by hand on the exchange).
    public init(report: ExecutionReport) {
        self.init(OrderIntent(ingressNs: 0, clientOrderID: report.clientOrderID, account: report.account,
                              symbol: report.symbol, side: report.side, type: .market,
                              quantity: report.cumulativeQuantity, closeReason: report.closeReason))
        apply(report)
    }

    /// Takes the intent's fields into a row that a report created first (the journal rings of
    /// risk and order are drained independently, so a fill can be committed before its intent),
    /// keeping the execution state.
    public mutating func merge(_ intent: OrderIntent) {
        var merged = OrderRecord(intent)
        merged.status = status
        merged.venueErrorCode = venueErrorCode
        merged.venueOrderID = venueOrderID
        merged.cumulativeQuantity = cumulativeQuantity
        merged.averagePrice = averagePrice
        merged.updatedTimeMs = updatedTimeMs
        self = merged
    }

    /// Takes the report's status and cumulative figures (reports are applied in arrival order).
    public mutating func apply(_ report: ExecutionReport) {
        status = report.kind
        if report.venueOrderID != 0 { venueOrderID = report.venueOrderID }
        if report.cumulativeQuantity.raw != 0 { cumulativeQuantity = report.cumulativeQuantity }
        if report.averagePrice.raw != 0 { averagePrice = report.averagePrice }
        if report.venueErrorCode != 0 { venueErrorCode = report.venueErrorCode }
        updatedTimeMs = report.eventTimeMs
    }

    public static let tableName = "orders"
    public static let layoutVersion: UInt8 = 1
    public static let encodedByteCount = 80

    @inlinable public static func key(clientOrderID: UInt64) -> StoreKey {
        var k = StoreKey()
        k.append(clientOrderID)
        return k
    }

    public var key: StoreKey { Self.key(clientOrderID: clientOrderID) }

    public func encodeFields(into w: inout RecordWriter) {
        w.u8(side.rawValue)
        w.u8(type.rawValue)
        w.u8(timeInForce.rawValue)
        w.u8(reduceOnly ? 1 : 0)
        w.u8(closeReason.rawValue)
        w.u8(status?.rawValue ?? 0)
        w.u8(0)
        w.u16(account.rawValue)
        w.u16(symbol.rawValue)
        w.i16(venueErrorCode)
        w.u16(0)
        w.u64(signalID)
        w.i64(quantity.raw)
        w.i64(price.raw)
        w.i64(stopPrice.raw)
        w.i64(venueOrderID)
        w.i64(cumulativeQuantity.raw)
        w.i64(averagePrice.raw)
        w.i64(updatedTimeMs)
    }

    public static let keyByteCount = 8

    public static func decodeFields(
        from r: inout RecordReader, key: UnsafeRawBufferPointer
    ) throws(RecordFieldError) -> OrderRecord {
        let side: Side = try decodeEnum(r.u8(), "side")
        let type: OrderType = try decodeEnum(r.u8(), "type")
        let tif: TimeInForce = try decodeEnum(r.u8(), "timeInForce")
        let flags = r.u8()
        let reason: CloseReason = try decodeEnum(r.u8(), "closeReason")
        let rawStatus = r.u8()
        let status: ExecutionKind? = rawStatus == 0 ? nil : try decodeEnum(rawStatus, "status")
        r.skip(1)
        let account = AccountID(r.u16())
        let symbol = SymbolID(r.u16())
        let venueErrorCode = r.i16()
        r.skip(2)
        let signalID = r.u64()
        var o = OrderRecord(OrderIntent(ingressNs: 0, clientOrderID: StoreKey.readUInt64(key, at: 0),
                                        signalID: signalID, account: account,
                                        symbol: symbol, side: side, type: type, quantity: Quantity(raw: r.i64()),
                                        price: Price(raw: r.i64()), stopPrice: Price(raw: r.i64()),
                                        timeInForce: tif, reduceOnly: flags & 1 != 0, closeReason: reason))
        o.status = status
        o.venueErrorCode = venueErrorCode
        o.venueOrderID = r.i64()
        o.cumulativeQuantity = Quantity(raw: r.i64())
        o.averagePrice = Price(raw: r.i64())
        o.updatedTimeMs = r.i64()
        return o
    }
}
