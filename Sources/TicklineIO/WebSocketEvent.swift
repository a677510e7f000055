/// What one call to ``WebSocketFrameCodec/poll()`` produced.
///
/// ## Lifetime of the buffers
/// Every `UnsafeRawBufferPointer` here is a view of memory owned by the codec (its input
/// buffer for an unfragmented frame — zero copy — or its reassembly buffer for a fragmented
/// message). It is valid only until the next call of any method on that codec; copy what must
/// outlive it. Never store or escape it.
@frozen
public enum WebSocketEvent {
    /// A complete text or binary message (text already validated as UTF-8).
    case message(WebSocketOpcode, UnsafeRawBufferPointer)
    /// A ping arrived; its pong is already queued in the codec's output (flush it).
    case ping(UnsafeRawBufferPointer)
    /// A pong arrived (answer to our ping, or unsolicited heartbeat).
    case pong(UnsafeRawBufferPointer)
    /// The close handshake finished, or the server started it and our reply is queued. `code`
    /// is the server's status code, 1005 when its close frame had none. Repeated on later polls.
    case closed(code: UInt16)
    /// No complete frame buffered; feed more bytes.
    case needMoreData
    /// The stream is malformed; the codec has failed (a close frame with
    /// ``WebSocketError/closeCode`` is queued when the connection was open). Repeated on later
    /// polls.
    case error(WebSocketError)
}
