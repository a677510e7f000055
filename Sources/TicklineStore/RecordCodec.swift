/// Writes a record's fixed fields little-endian at increasing offsets, unaligned (a value in
/// the map is not aligned for us). The caller sized the buffer from the layout.
@frozen
public struct RecordWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    public var offset: Int

    @inlinable
    public init(_ base: UnsafeMutableRawPointer, offset: Int = 0) {
        self.base = base
        self.offset = offset
    }

    @inlinable public mutating func u8(_ v: UInt8) {
        base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self)
        offset &+= 1
    }
    @inlinable public mutating func u16(_ v: UInt16) {
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self)
        offset &+= 2
    }
    @inlinable public mutating func i16(_ v: Int16) { u16(UInt16(bitPattern: v)) }
    @inlinable public mutating func u32(_ v: UInt32) {
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
        offset &+= 4
    }
    @inlinable public mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    @inlinable public mutating func u64(_ v: UInt64) {
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
        offset &+= 8
    }
    @inlinable public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    @inlinable public mutating func bytes(_ b: UnsafeRawBufferPointer) {
        if b.count > 0 { (base + offset).copyMemory(from: b.baseAddress!, byteCount: b.count) }
        offset &+= b.count
    }
}

/// Reads what `RecordWriter` wrote. The caller checked the length against the layout first,
/// so field reads are not bounds-checked one by one.
@frozen
public struct RecordReader {
    @usableFromInline let base: UnsafeRawPointer
    public var offset: Int

    @inlinable
    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.offset = offset
    }

    @inlinable public mutating func u8() -> UInt8 {
        defer { offset &+= 1 }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }
    @inlinable public mutating func u16() -> UInt16 {
        defer { offset &+= 2 }
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable public mutating func i16() -> Int16 { Int16(bitPattern: u16()) }
    @inlinable public mutating func u32() -> UInt32 {
        defer { offset &+= 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inlinable public mutating func i32() -> Int32 { Int32(bitPattern: u32()) }
    @inlinable public mutating func u64() -> UInt64 {
        defer { offset &+= 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inlinable public mutating func i64() -> Int64 { Int64(bitPattern: u64()) }
    @inlinable public mutating func skip(_ n: Int) { offset &+= n }
}

/// A database key of up to 32 bytes, built big-endian in place (no allocation) so that byte
/// order is numeric order: LMDB compares keys with `memcmp`.
///
/// Signed fields (times) are stored with the sign bit flipped, so negative values sort before
/// positive ones.
@frozen
public struct StoreKey: Comparable, Sendable {
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    @usableFromInline var _count = 0
    public var count: Int { _count }
    public static let capacity = 32

    @inlinable public init() {}

    /// A key holding `bytes` (at most 32).
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= Self.capacity, "StoreKey holds at most 32 bytes")
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
        _count = bytes.count
    }

    @inlinable
    mutating func append<T: FixedWidthInteger>(bigEndian v: T) {
        let size = MemoryLayout<T>.size
        precondition(count + size <= Self.capacity, "StoreKey holds at most 32 bytes")
        let at = count
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v.bigEndian, toByteOffset: at, as: T.self) }
        _count += size
    }

    @inlinable public mutating func append(_ v: UInt8) { append(bigEndian: v) }
    @inlinable public mutating func append(_ v: UInt16) { append(bigEndian: v) }
    @inlinable public mutating func append(_ v: UInt32) { append(bigEndian: v) }
    @inlinable public mutating func append(_ v: UInt64) { append(bigEndian: v) }
    /// A signed value with its sign bit flipped, so that it sorts numerically.
    @inlinable public mutating func append(_ v: Int64) { append(bigEndian: UInt64(bitPattern: v) ^ (1 << 63)) }

    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = storage
        let n = count
        return try Swift.withUnsafeBytes(of: &copy) { (all) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: all[0..<n]))
        }
    }

    /// Field readers for keys read back from a cursor.
    @inlinable
    public static func readUInt16(_ key: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable
    public static func readUInt64(_ key: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inlinable
    public static func readInt64(_ key: UnsafeRawBufferPointer, at offset: Int) -> Int64 {
        Int64(bitPattern: readUInt64(key, at: offset) ^ (1 << 63))
    }

    /// Lowercase hex, for error messages.
    public var hex: String {
        withUnsafeBytes { StoreKey.hex($0) }
    }

    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }

    public static func == (a: StoreKey, b: StoreKey) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }

    /// Lexicographic (`memcmp`) order, as LMDB sorts.
    public static func < (a: StoreKey, b: StoreKey) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.lexicographicallyPrecedes(y) } }
    }
}
