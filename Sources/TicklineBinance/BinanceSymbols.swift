import TicklineCore

/// Symbol names as the wire spells them → `SymbolID` and fixed-point scales, for the parser.
///
/// Names live in one flat byte array, so a lookup compares bytes in place: no `String`, no
/// hashing, no allocation. Linear over the (few) subscribed symbols, first byte and length first.
public struct BinanceSymbols: Sendable {
    @usableFromInline var bytes: [UInt8] = []
    @usableFromInline var offsets: [Int] = [0]
    public private(set) var priceScales: [DecimalScale] = []
    public private(set) var quantityScales: [DecimalScale] = []

    public init(_ table: SymbolTable) {
        for e in table.entries {
            bytes += Array(e.name.utf8)
            offsets.append(bytes.count)
            priceScales.append(e.priceScale)
            quantityScales.append(e.quantityScale)
        }
    }

    public var count: Int { priceScales.count }

    /// The id of the symbol spelled by `name` (upper-case, as in the `s` field), or nil.
    @inlinable
    public func id(_ name: UnsafeRawBufferPointer) -> SymbolID? {
        bytes.withUnsafeBufferPointer { all in
            var k = 0
            while k + 1 < offsets.count {
                let start = offsets[k], length = offsets[k + 1] - start
                if length == name.count, all[start] == name[0] {
                    var j = 1
                    while j < length && all[start + j] == name[j] { j += 1 }
                    if j == length { return SymbolID(UInt16(k)) }
                }
                k += 1
            }
            return nil
        }
    }
}
