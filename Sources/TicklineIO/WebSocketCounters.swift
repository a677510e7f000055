/// Plain counters kept by ``WebSocketFrameCodec``: bumped inline with `&+=`, read by whoever
/// owns the codec (same thread), never shared, so no atomics.
public struct WebSocketCounters: Sendable {
    /// Complete messages delivered (text + binary).
    public var messages: UInt64 = 0
    /// Frames decoded (data, continuation and control).
    public var frames: UInt64 = 0
    /// Pings answered with a queued pong.
    public var pingsAnswered: UInt64 = 0
    /// Pongs received.
    public var pongsReceived: UInt64 = 0
    /// Frames encoded into the output buffer.
    public var framesSent: UInt64 = 0
    /// One slot per ``WebSocketError/Kind``; fixed size so recording an error never allocates.
    @usableFromInline var errorCounts = InlineArray<20, UInt64>(repeating: 0)

    public init() {}

    /// How many errors of `kind` were recorded.
    @inlinable
    public func errors(_ kind: WebSocketError.Kind) -> UInt64 { errorCounts[kind.rawValue] }

    /// Errors of every kind.
    public var totalErrors: UInt64 {
        var sum: UInt64 = 0
        for kind in WebSocketError.Kind.allCases { sum &+= errorCounts[kind.rawValue] }
        return sum
    }

    @inlinable
    public mutating func record(_ kind: WebSocketError.Kind) { errorCounts[kind.rawValue] &+= 1 }
}
