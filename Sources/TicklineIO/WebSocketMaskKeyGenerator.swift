/// Produces the 4-byte masking keys of client frames (RFC 6455 §5.3).
///
/// A SplitMix64 generator: one add, three multiply/xor-shift steps per key, no allocation, no
/// syscall. Masking exists to stop a hostile page from steering bytes through a confused proxy
/// (§10.3); for that the seed must be unpredictable to the peer, so production code seeds it
/// from `getrandom(2)` at connection set-up. Tests pass a fixed seed to get byte-exact frames.
public struct WebSocketMaskKeyGenerator: Sendable, BitwiseCopyable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next key; its big-endian bytes are the four key bytes on the wire.
    @inlinable
    public mutating func next() -> UInt32 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: z ^ (z >> 31))
    }
}
