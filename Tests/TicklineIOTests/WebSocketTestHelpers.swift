@testable import TicklineIO

/// A codec event copied out of the codec's buffers, so tests can compare and keep it.
enum CopiedEvent: Equatable, CustomStringConvertible {
    case message(WebSocketOpcode, [UInt8])
    case ping([UInt8])
    case pong([UInt8])
    case closed(UInt16)
    case error(WebSocketError)

    init?(_ event: WebSocketEvent) {
        switch event {
        case .message(let op, let bytes): self = .message(op, Array(bytes))
        case .ping(let bytes): self = .ping(Array(bytes))
        case .pong(let bytes): self = .pong(Array(bytes))
        case .closed(let code): self = .closed(code)
        case .error(let error): self = .error(error)
        case .needMoreData: return nil
        }
    }

    var description: String {
        switch self {
        case .message(let op, let b): "message(\(op), \(b.count) bytes)"
        case .ping(let b): "ping(\(b))"
        case .pong(let b): "pong(\(b))"
        case .closed(let c): "closed(\(c))"
        case .error(let e): "error(\(e))"
        }
    }

    static func text(_ s: String) -> CopiedEvent { .message(.text, Array(s.utf8)) }
}

extension WebSocketFrameCodec {
    /// Feeds `bytes` (if any) and polls until `.needMoreData`; a terminal event (closed/error)
    /// is reported once.
    func drain(feeding bytes: [UInt8] = []) -> [CopiedEvent] {
        bytes.withUnsafeBytes { feed($0) }
        var events: [CopiedEvent] = []
        while let event = CopiedEvent(poll()) {
            events.append(event)
            if case .closed = event { break }
            if case .error = event { break }
        }
        return events
    }

    /// Feeds `chunks` one at a time, polling after each, and stops after the first terminal
    /// event (closed/error), which later polls would only repeat.
    func drain(chunks: [[UInt8]]) -> [CopiedEvent] {
        var events: [CopiedEvent] = []
        for chunk in chunks {
            events += drain(feeding: chunk)
            if case .closed = events.last { break }
            if case .error = events.last { break }
        }
        return events
    }

    /// Pending output, copied and consumed.
    func takeOutput() -> [UInt8] {
        let bytes = Array(pendingOutput)
        consumeOutput(bytes.count)
        return bytes
    }
}

/// An independent decoder for *client* (masked) frames, written straight from RFC 6455 §5.2 to
/// check the encoder without trusting it.
struct ClientFrame: Equatable {
    var fin: Bool
    var opcode: UInt8
    var maskKey: [UInt8]
    var payload: [UInt8]

    /// Parses all frames in `bytes`; nil if they are not well-formed masked frames.
    static func parseAll(_ bytes: [UInt8]) -> [ClientFrame]? {
        var frames: [ClientFrame] = []
        var i = 0
        while i < bytes.count {
            guard bytes.count - i >= 2 else { return nil }
            let b0 = bytes[i], b1 = bytes[i + 1]
            guard b0 & 0x70 == 0, b1 & 0x80 != 0 else { return nil }
            var length = Int(b1 & 0x7F)
            var j = i + 2
            if length == 126 {
                guard bytes.count - j >= 2 else { return nil }
                length = Int(bytes[j]) << 8 | Int(bytes[j + 1])
                j += 2
            } else if length == 127 {
                guard bytes.count - j >= 8 else { return nil }
                length = bytes[j..<j + 8].reduce(0) { $0 << 8 | Int($1) }
                j += 8
            }
            guard bytes.count - j >= 4 + length else { return nil }
            let key = Array(bytes[j..<j + 4])
            j += 4
            let payload = (0..<length).map { bytes[j + $0] ^ key[$0 % 4] }
            frames.append(ClientFrame(fin: b0 & 0x80 != 0, opcode: b0 & 0x0F, maskKey: key, payload: payload))
            i = j + length
        }
        return frames
    }
}

/// An unmasked server frame, as a server would put it on the wire.
func serverFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
    if payload.count < 126 {
        out.append(UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
        out += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
        out.append(127)
        out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) }
    }
    return out + payload
}

func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
    [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
}
