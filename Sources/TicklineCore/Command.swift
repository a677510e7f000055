/// A command from the control plane into risk (64 bytes): switches and manual closes enter the
/// data plane only this way, so risk stays the single writer of trading state.
@frozen
public struct Command: Sendable, BitwiseCopyable, Equatable {
    public var issuedNs: UInt64
    /// Echoed in the resulting event so the control plane can answer its HTTP request.
    public var requestID: UInt64
    public var kind: Kind
    public var account: AccountID
    public var symbol: SymbolID
    public var enabled: Bool
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64, UInt64, UInt64)>((0, 0, 0, 0, 0))

    public enum Kind: UInt8, Sendable, BitwiseCopyable {
        case setGlobalTrading = 1
        case setAccountTrading
        case closePosition
        case closeAllPositions
    }

    @inlinable
    public init(kind: Kind, issuedNs: UInt64, requestID: UInt64, account: AccountID = .init(0),
                symbol: SymbolID = .init(0), enabled: Bool = false) {
        self.kind = kind
        self.issuedNs = issuedNs
        self.requestID = requestID
        self.account = account
        self.symbol = symbol
        self.enabled = enabled
    }
}
