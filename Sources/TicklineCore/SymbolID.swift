/// A symbol as a small integer, interned once at start-up so that messages never carry strings.
///
/// Ids are dense (0, 1, 2, …) so stages can index per-symbol state with plain arrays.
@frozen
public struct SymbolID: Hashable, Comparable, Sendable, BitwiseCopyable {
    public var rawValue: UInt16

    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public var index: Int { Int(rawValue) }
    @inlinable public static func < (a: SymbolID, b: SymbolID) -> Bool { a.rawValue < b.rawValue }
}

/// A trading account, as a small dense integer (configuration order).
@frozen
public struct AccountID: Hashable, Comparable, Sendable, BitwiseCopyable {
    public var rawValue: UInt16

    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public var index: Int { Int(rawValue) }
    @inlinable public static func < (a: AccountID, b: AccountID) -> Bool { a.rawValue < b.rawValue }
}
