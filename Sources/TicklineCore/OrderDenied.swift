/// Risk refusing a signal (ours, before any order exists; `ExecutionReport.rejected` is the
/// venue refusing). 64 bytes.
@frozen
public struct OrderDenied: Sendable, BitwiseCopyable, Equatable {
    public var ingressNs: UInt64
    public var signalID: UInt64
    public var eventTimeMs: Int64
    public var requestedQuantity: Quantity
    public var price: Price
    /// A reason-specific figure: the limit that was hit, in its natural unit (e.g. the
    /// available margin in quote scale, the open-position count).
    public var limitValue: Int64
    public var account: AccountID
    public var symbol: SymbolID
    public var reason: DenialReason
    public var side: Side
    @usableFromInline var _padding = Padding<(UInt16, UInt32)>((0, 0))

    @inlinable
    public init(ingressNs: UInt64, signalID: UInt64, eventTimeMs: Int64, account: AccountID, symbol: SymbolID,
                side: Side, reason: DenialReason, requestedQuantity: Quantity = .init(raw: 0), price: Price = .zero,
                limitValue: Int64 = 0) {
        self.ingressNs = ingressNs
        self.signalID = signalID
        self.eventTimeMs = eventTimeMs
        self.account = account
        self.symbol = symbol
        self.side = side
        self.reason = reason
        self.requestedQuantity = requestedQuantity
        self.price = price
        self.limitValue = limitValue
    }
}

public enum DenialReason: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case notDirectional = 1
    case lowConfidence
    case maxOpenPositions
    case tradingDisabledGlobally
    case tradingDisabledForAccount
    case riskRewardTooLow
    case insufficientMargin
    case belowMinNotional
    case aboveMaxPosition
    case invalidStopDistance
    case storeDegraded
    /// One-way mode: the account already holds (or is opening) a position in the symbol.
    case positionAlreadyOpen
    /// Neither the signal nor the market gave a price to size at.
    case noMarketPrice
    /// Risk has no trading rules (tick, step, min notional) for the symbol.
    case symbolNotTradable
}
