/// Everything that can go wrong in the WebSocket handshake or codec, as a plain value.
///
/// The codec never traps on what the network sends: every malformed input ends up as one of
/// these cases, is counted per ``Kind`` in ``WebSocketCounters``, and (for frame errors) moves
/// the codec to its failed state with a close frame queued carrying ``closeCode``.
public enum WebSocketError: Error, Equatable, Hashable, Sendable {
    // MARK: Handshake (RFC 6455 §4.1, §4.2.2)

    /// The server answered with a status other than 101 Switching Protocols.
    case handshakeRejected(status: Int)
    /// The response is not a well-formed HTTP/1.1 status line and header block.
    case malformedResponse
    /// No `Upgrade: websocket` header.
    case missingUpgrade
    /// No `Connection` header containing the `upgrade` token.
    case missingConnectionUpgrade
    /// `Sec-WebSocket-Accept` is missing or does not match the key we sent.
    case badAccept
    /// The server selected an extension we never offered (we offer none).
    case unexpectedExtension
    /// The response header block is larger than the configured limit.
    case headerTooLarge

    // MARK: Framing (RFC 6455 §5)

    /// RSV1-3 set although no extension was negotiated.
    case reservedBitsSet
    /// A server frame carried a mask (servers must not mask, §5.1).
    case maskedServerFrame
    /// An opcode that RFC 6455 reserves.
    case unknownOpcode(UInt8)
    /// A control frame (close/ping/pong) with FIN clear.
    case fragmentedControlFrame
    /// A control frame whose payload exceeds 125 bytes.
    case controlFrameTooLarge
    /// A continuation frame with no fragmented message open.
    case unexpectedContinuation
    /// A text/binary frame while a fragmented message is still open.
    case expectedContinuation
    /// A 64-bit payload length with its most significant bit set.
    case invalidLength
    /// A frame or reassembled message above the configured size limit.
    case messageTooLarge
    /// A text message (or close reason) that is not valid UTF-8.
    case invalidUTF8
    /// A close frame with a 1-byte payload.
    case invalidCloseFrame
    /// A close frame whose status code may not appear on the wire (§7.4).
    case invalidCloseCode(UInt16)

    // MARK: Caller

    /// A send was attempted after the close handshake began or the codec failed.
    case notOpen

    /// The case without its associated value; indexes the per-kind error counters.
    public enum Kind: Int, CaseIterable, Sendable {
        case handshakeRejected, malformedResponse, missingUpgrade, missingConnectionUpgrade
        case badAccept, unexpectedExtension, headerTooLarge
        case reservedBitsSet, maskedServerFrame, unknownOpcode, fragmentedControlFrame
        case controlFrameTooLarge, unexpectedContinuation, expectedContinuation, invalidLength
        case messageTooLarge, invalidUTF8, invalidCloseFrame, invalidCloseCode, notOpen
    }

    @inlinable
    public var kind: Kind {
        switch self {
        case .handshakeRejected: .handshakeRejected
        case .malformedResponse: .malformedResponse
        case .missingUpgrade: .missingUpgrade
        case .missingConnectionUpgrade: .missingConnectionUpgrade
        case .badAccept: .badAccept
        case .unexpectedExtension: .unexpectedExtension
        case .headerTooLarge: .headerTooLarge
        case .reservedBitsSet: .reservedBitsSet
        case .maskedServerFrame: .maskedServerFrame
        case .unknownOpcode: .unknownOpcode
        case .fragmentedControlFrame: .fragmentedControlFrame
        case .controlFrameTooLarge: .controlFrameTooLarge
        case .unexpectedContinuation: .unexpectedContinuation
        case .expectedContinuation: .expectedContinuation
        case .invalidLength: .invalidLength
        case .messageTooLarge: .messageTooLarge
        case .invalidUTF8: .invalidUTF8
        case .invalidCloseFrame: .invalidCloseFrame
        case .invalidCloseCode: .invalidCloseCode
        case .notOpen: .notOpen
        }
    }

    /// The status code we send in our close frame when failing the connection (§7.4.1).
    @inlinable
    public var closeCode: UInt16 {
        switch self {
        case .invalidUTF8: 1007
        case .messageTooLarge: 1009
        default: 1002
        }
    }
}
