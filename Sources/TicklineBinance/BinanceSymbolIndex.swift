import TicklineCore

/// Symbol names → id and scales for the stream parser's fast path: an open-addressing table
/// keyed by the name's bytes as up to three little-endian words (names are at most 20 bytes),
/// hashed on the first word and the length. A lookup is one multiply, one to three word loads
/// and word compares; no byte loops, no `String`.
///
/// The slots live in memory owned by a private final class (allocated once at start-up, freed
/// in its `deinit`), so lookups use a plain pointer: no array bounds checks and no ARC.
struct BinanceSymbolIndex: @unchecked Sendable {  // immutable after init
    struct Slot {
        var k0: UInt64 = 0, k1: UInt64 = 0, k2: UInt64 = 0
        /// 0 marks an empty slot (names are never empty).
        var length: Int = 0
        var id = SymbolID(0)
        var priceScale = DecimalScale(places: 0)
        var quantityScale = DecimalScale(places: 0)
    }

    private final class Storage {
        let slots: UnsafeMutablePointer<Slot>
        init(capacity: Int) {
            slots = .allocate(capacity: capacity)
            slots.initialize(repeating: Slot(), count: capacity)
        }
        deinit { slots.deallocate() }
    }

    private let storage: Storage
    let slots: UnsafePointer<Slot>
    let mask: Int
    let shift: UInt64

    init(_ symbols: BinanceSymbols) {
        var capacity = 4
        while capacity < 2 * symbols.count { capacity *= 2 }
        let storage = Storage(capacity: capacity)
        let shift = UInt64(64 - capacity.trailingZeroBitCount)
        for k in 0..<symbols.count {
            let start = symbols.offsets[k], length = symbols.offsets[k + 1] - start
            guard length > 0, length <= 23 else { continue }  // SymbolTable allows 1...20
            var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
            withUnsafeMutableBytes(of: &words) { raw in
                for j in 0..<length { raw[j] = symbols.bytes[start + j] }
            }
            var h = Self.hash(words.0, length, shift)
            while storage.slots[h].length != 0 { h = (h + 1) & (capacity - 1) }
            storage.slots[h] = Slot(
                k0: words.0, k1: words.1, k2: words.2, length: length, id: SymbolID(UInt16(k)),
                priceScale: symbols.priceScales[k], quantityScale: symbols.quantityScales[k])
        }
        self.storage = storage
        self.slots = UnsafePointer(storage.slots)
        self.mask = capacity - 1
        self.shift = shift
    }

    @inline(__always)
    static func hash(_ k0: UInt64, _ length: Int, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: ((k0 ^ UInt64(truncatingIfNeeded: length)) &* 0x9E37_79B9_7F4A_7C15) &>> shift)
    }

    /// After the opening quote of a symbol name: the symbol's slot, with the cursor past the
    /// closing quote. Nil for a name not in the table (including any name with an escape, a
    /// control byte or more than 23 bytes, since table names are plain upper-case ASCII).
    @inline(__always)
    func lookup(_ r: inout WireReader) -> UnsafePointer<Slot>? {
        let w0 = r.load8(r.i)
        var q = JSONScan.bytes(w0, equalTo: 0x22)
        var k0 = w0, k1: UInt64 = 0, k2: UInt64 = 0
        var length: Int
        if _fastPath(q != 0) {
            length = q.trailingZeroBitCount &>> 3
            k0 &= (UInt64(1) &<< UInt64(length &* 8)) &- 1
        } else {
            k1 = r.load8(r.i &+ 8)
            q = JSONScan.bytes(k1, equalTo: 0x22)
            if q != 0 {
                let n = q.trailingZeroBitCount &>> 3
                k1 &= (UInt64(1) &<< UInt64(n &* 8)) &- 1
                length = 8 &+ n
            } else {
                k2 = r.load8(r.i &+ 16)
                q = JSONScan.bytes(k2, equalTo: 0x22)
                guard q != 0 else { return nil }
                let n = q.trailingZeroBitCount &>> 3
                k2 &= (UInt64(1) &<< UInt64(n &* 8)) &- 1
                length = 16 &+ n
            }
        }
        var h = Self.hash(k0, length, shift)
        while true {
            let s = slots + h
            if s.pointee.length == 0 { return nil }
            if s.pointee.length == length && s.pointee.k0 == k0 && s.pointee.k1 == k1 && s.pointee.k2 == k2 {
                r.i &+= length &+ 1
                return s
            }
            h = (h &+ 1) & mask
        }
    }
}
