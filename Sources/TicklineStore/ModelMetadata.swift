/// What the store keeps about a trained model (for the ML issue): when and on what it was
/// trained, how it scored, and an opaque payload (hyper-parameters, a feature list, or the path
/// and digest of a weights file; large weights do not belong in the journal).
///
/// ## Layout v1 (`models`, 52 + payload bytes; key: the model name, 1–32 bytes of UTF-8)
/// | offset | field | type |
/// |---|---|---|
/// | 0 | layout version = 1 | u8 |
/// | 1 | kind (caller-defined) | u8 |
/// | 2 | reserved (0) | u16 |
/// | 4 | feature count | u32 |
/// | 8 | created time ms | i64 |
/// | 16 | training data from ms | i64 |
/// | 24 | training data to ms | i64 |
/// | 32 | validation score × 1e8 | i64 |
/// | 40 | FNV-1a 64 of the payload | u64 |
/// | 48 | payload length | u32 |
/// | 52 | payload | bytes |
///
/// The only variable-length layout: its length must equal 52 + payload length and the digest
/// must match, or the record reads as corrupt.
public struct ModelMetadata: Sendable, Equatable {
    public var name: String
    public var kind: UInt8
    public var featureCount: UInt32
    public var createdTimeMs: Int64
    public var trainedFromMs: Int64
    public var trainedToMs: Int64
    public var validationScoreE8: Int64
    public var payload: [UInt8]

    public init(name: String, kind: UInt8, featureCount: UInt32, createdTimeMs: Int64, trainedFromMs: Int64,
                trainedToMs: Int64, validationScoreE8: Int64, payload: [UInt8] = []) {
        self.name = name
        self.kind = kind
        self.featureCount = featureCount
        self.createdTimeMs = createdTimeMs
        self.trainedFromMs = trainedFromMs
        self.trainedToMs = trainedToMs
        self.validationScoreE8 = validationScoreE8
        self.payload = payload
    }

    public static let tableName = "models"
    public static let layoutVersion: UInt8 = 1
    public static let headerByteCount = 52
    public static let maxNameBytes = StoreKey.capacity

    /// The key for `name`, or nil when it is empty or longer than 32 bytes.
    public static func key(name: String) -> StoreKey? {
        var utf8 = Array(name.utf8)
        guard !utf8.isEmpty, utf8.count <= maxNameBytes else { return nil }
        return utf8.withUnsafeMutableBytes { StoreKey(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var encodedByteCount: Int { Self.headerByteCount + payload.count }

    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        var w = RecordWriter(buffer.baseAddress!)
        w.u8(Self.layoutVersion)
        w.u8(kind)
        w.u16(0)
        w.u32(featureCount)
        w.i64(createdTimeMs)
        w.i64(trainedFromMs)
        w.i64(trainedToMs)
        w.i64(validationScoreE8)
        payload.withUnsafeBytes { p in
            w.u64(fnv1a64(p))
            w.u32(UInt32(p.count))
            w.bytes(p)
        }
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) throws(StoreError) -> ModelMetadata {
        func corrupt(_ reason: String) -> StoreError {
            .corruptRecord(table: tableName, key: StoreKey.hex(key), reason: reason)
        }
        guard bytes.count >= headerByteCount else { throw corrupt("length \(bytes.count) < header \(headerByteCount)") }
        guard bytes[0] == layoutVersion else {
            throw corrupt("unknown layout version \(bytes[0]) (this build reads \(layoutVersion))")
        }
        var r = RecordReader(bytes, offset: 1)
        let kind = r.u8()
        r.skip(2)
        let features = r.u32()
        let created = r.i64(), from = r.i64(), to = r.i64(), score = r.i64()
        let digest = r.u64()
        let length = Int(r.u32())
        guard bytes.count == headerByteCount + length else {
            throw corrupt("length \(bytes.count), header says \(headerByteCount + length)")
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerByteCount...])
        guard fnv1a64(payload) == digest else { throw corrupt("payload digest mismatch") }
        guard let name = String(validating: key, as: UTF8.self) else { throw corrupt("model name is not UTF-8") }
        return ModelMetadata(name: name, kind: kind, featureCount: features, createdTimeMs: created,
                             trainedFromMs: from, trainedToMs: to, validationScoreE8: score, payload: Array(payload))
    }
}

/// FNV-1a, 64-bit: a cheap integrity check for payloads (not a cryptographic digest).
func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01b3
    }
    return h
}
