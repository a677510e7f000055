/// The RFC 6455 §5.2 frame opcodes this client understands; every other value is reserved and
/// rejected by the decoder (no extensions are negotiated).
public enum WebSocketOpcode: UInt8, Sendable, BitwiseCopyable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Control frames (close/ping/pong) may appear between fragments, must not be fragmented
    /// and carry at most 125 bytes (§5.5).
    @inlinable
    public var isControl: Bool { rawValue & 0x8 != 0 }
}
