import Testing
@testable import TicklineIO

@Suite struct WebSocketFrameCodecDecodingTests {
    // RFC 6455 §5.7 examples (unmasked, server to client).
    static let rfcHello: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
    static let rfcFragmentedHello: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C] + [0x80, 0x02, 0x6C, 0x6F]
    static let rfcPingHello: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
    static let rfcPongHello: [UInt8] = [0x8A, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]

    @Test func singleFrameTextIsZeroCopy() {
        let codec = WebSocketFrameCodec(maskSeed: 1)
        Self.rfcHello.withUnsafeBytes { codec.feed($0) }
        guard case .message(let op, let view) = codec.poll() else {
            Issue.record("no message")
            return
        }
        #expect(op == .text)
        #expect(Array(view) == Array("Hello".utf8))
        #expect(view.baseAddress == UnsafeRawPointer(codec.input + 2), "should be a view of the input buffer")
        #expect(codec.counters.messages == 1)
        #expect(codec.counters.frames == 1)
    }

    @Test func fragmentedHello() {
        let codec = WebSocketFrameCodec(maskSeed: 1)
        #expect(codec.drain(feeding: Self.rfcFragmentedHello) == [.text("Hello")])
        #expect(codec.counters.frames == 2)
        #expect(codec.counters.messages == 1)
    }

    @Test func pingQueuesPongEcho() throws {
        let codec = WebSocketFrameCodec(maskSeed: 1)
        #expect(codec.drain(feeding: Self.rfcPingHello) == [.ping(Array("Hello".utf8))])
        let frames = try #require(ClientFrame.parseAll(codec.takeOutput()))
        #expect(frames == [ClientFrame(fin: true, opcode: 0xA, maskKey: frames[0].maskKey, payload: Array("Hello".utf8))])
        #expect(codec.counters.pingsAnswered == 1)
        #expect(codec.drain(feeding: Self.rfcPongHello) == [.pong(Array("Hello".utf8))])
        #expect(codec.pendingOutput.isEmpty, "a pong is not answered")
    }

    @Test func controlFramesBetweenFragments() {
        let codec = WebSocketFrameCodec(maskSeed: 1)
        let stream = serverFrame(0x1, Array("Hel".utf8), fin: false) + Self.rfcPingHello
            + serverFrame(0x0, Array("l".utf8), fin: false) + Self.rfcPongHello + serverFrame(0x0, Array("o".utf8))
        #expect(codec.drain(feeding: stream) == [.ping(Array("Hello".utf8)), .pong(Array("Hello".utf8)), .text("Hello")])
    }

    @Test func binary256And64KiB() {
        let codec = WebSocketFrameCodec(maskSeed: 1, initialInputCapacity: 1024)
        let b256 = (0..<256).map { UInt8($0) }
        let frame256: [UInt8] = [0x82, 0x7E, 0x01, 0x00] + b256
        #expect(codec.drain(feeding: frame256) == [.message(.binary, b256)])
        let b64k = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let frame64k: [UInt8] = [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00] + b64k
        #expect(codec.drain(feeding: frame64k) == [.message(.binary, b64k)])
    }

    /// Several frames of every kind, fed split at every point and byte by byte.
    @Test func everySplitPointGivesTheSameEvents() {
        let stream = Self.rfcHello + serverFrame(0x1, Array("Hé".utf8), fin: false) + Self.rfcPingHello
            + serverFrame(0x0, Array("llo €".utf8)) + serverFrame(0x2, (0..<300).map { UInt8($0 & 0xFF) })
            + serverFrame(0xA, []) + Self.rfcFragmentedHello + serverFrame(0x2, [])
            + serverFrame(0x8, closePayload(1000, "done"))
        let expected: [CopiedEvent] = [
            .text("Hello"), .ping(Array("Hello".utf8)), .text("Héllo €"),
            .message(.binary, (0..<300).map { UInt8($0 & 0xFF) }), .pong([]), .text("Hello"), .message(.binary, []),
            .closed(1000),
        ]
        let whole = WebSocketFrameCodec(maskSeed: 5)
        #expect(whole.drain(feeding: stream) == expected)
        let wholeOutput = whole.takeOutput()
        for cut in 0...stream.count {
            let codec = WebSocketFrameCodec(maskSeed: 5, initialInputCapacity: 16)
            let events = codec.drain(chunks: [Array(stream[0..<cut]), Array(stream[cut...])])
            #expect(events == expected, "cut at \(cut)")
            #expect(codec.takeOutput() == wholeOutput, "cut at \(cut)")
        }
        let byteByByte = WebSocketFrameCodec(maskSeed: 5, initialInputCapacity: 16)
        #expect(byteByByte.drain(chunks: stream.map { [$0] }) == expected)
        #expect(byteByByte.state == .closed)
    }

    @Test func serverCloseIsEchoedAndCloses() throws {
        let codec = WebSocketFrameCodec(maskSeed: 1)
        #expect(codec.drain(feeding: serverFrame(0x8, closePayload(1001, "going away"))) == [.closed(1001)])
        #expect(codec.state == .closed)
        #expect(codec.closeCode == 1001)
        let frames = try #require(ClientFrame.parseAll(codec.takeOutput()))
        #expect(frames.map(\.opcode) == [0x8])
        #expect(frames[0].payload == closePayload(1001))
        #expect(codec.drain() == [.closed(1001)], "closed repeats")
        #expect(throws: WebSocketError.notOpen) { try codec.send(.text, bytes: []) }

        let empty = WebSocketFrameCodec(maskSeed: 1)
        #expect(empty.drain(feeding: serverFrame(0x8, [])) == [.closed(1005)])
        #expect(ClientFrame.parseAll(empty.takeOutput())?.map(\.payload) == [[]])
    }

    @Test func clientInitiatedCloseHandshake() throws {
        let codec = WebSocketFrameCodec(maskSeed: 1)
        try codec.close(code: 1000, reason: Array("bye".utf8))
        #expect(codec.state == .closing)
        _ = codec.takeOutput()
        // Data still flows until the server's close; pings are no longer answered.
        #expect(codec.drain(feeding: Self.rfcHello + Self.rfcPingHello) == [.text("Hello"), .ping(Array("Hello".utf8))])
        #expect(codec.drain(feeding: serverFrame(0x8, closePayload(1000))) == [.closed(1000)])
        #expect(codec.state == .closed)
        #expect(codec.pendingOutput.isEmpty, "no second close frame")
    }

    /// Every malformed input: an error value, counted by kind, the codec failed, a close frame
    /// with the right status queued, and the error repeated on the next poll.
    @Test(arguments: [
        (serverFrame(0x1, Array("x".utf8), rsv: 0x40), WebSocketError.reservedBitsSet, UInt16(1002)),
        (serverFrame(0x1, Array("x".utf8), rsv: 0x10), .reservedBitsSet, 1002),
        ([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58], .maskedServerFrame, 1002),
        (serverFrame(0x3, []), .unknownOpcode(0x3), 1002),
        (serverFrame(0xB, []), .unknownOpcode(0xB), 1002),
        (serverFrame(0x9, [1], fin: false), .fragmentedControlFrame, 1002),
        ([0x89, 0x7E, 0x00, 0x7E] + [UInt8](repeating: 0, count: 126), .controlFrameTooLarge, 1002),
        (serverFrame(0x0, Array("lo".utf8)), .unexpectedContinuation, 1002),
        (serverFrame(0x1, Array("He".utf8), fin: false) + serverFrame(0x1, Array("llo".utf8)), .expectedContinuation, 1002),
        (serverFrame(0x1, Array("He".utf8), fin: false) + serverFrame(0x2, [1]), .expectedContinuation, 1002),
        ([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1], .invalidLength, 1002),
        (serverFrame(0x2, [UInt8](repeating: 0, count: 1025)), .messageTooLarge, 1009),
        ([0x82, 0x7F, 0, 0, 0, 1, 0, 0, 0, 0], .messageTooLarge, 1009),  // 4 GiB announced, nothing buffered
        (serverFrame(0x2, [UInt8](repeating: 0, count: 600), fin: false) + serverFrame(0x0, [UInt8](repeating: 0, count: 600)),
         .messageTooLarge, 1009),
        (serverFrame(0x1, [0xC0, 0xAF]), .invalidUTF8, 1007),  // overlong
        (serverFrame(0x1, [0xED, 0xA0, 0x80]), .invalidUTF8, 1007),  // surrogate
        (serverFrame(0x1, Array("ok".utf8) + [0xE2, 0x82]), .invalidUTF8, 1007),  // truncated
        (serverFrame(0x1, [0x61, 0xE2], fin: false) + serverFrame(0x0, [0x82]), .invalidUTF8, 1007),  // truncated across fragments
        (serverFrame(0x8, [0x03]), .invalidCloseFrame, 1002),
        (serverFrame(0x8, closePayload(1005)), .invalidCloseCode(1005), 1002),
        (serverFrame(0x8, closePayload(999)), .invalidCloseCode(999), 1002),
        (serverFrame(0x8, closePayload(1006)), .invalidCloseCode(1006), 1002),
        (serverFrame(0x8, closePayload(1015)), .invalidCloseCode(1015), 1002),
        (serverFrame(0x8, closePayload(5000)), .invalidCloseCode(5000), 1002),
        (serverFrame(0x8, closePayload(1000) + [0xFF]), .invalidUTF8, 1007),
    ])
    func malformed(stream: [UInt8], error: WebSocketError, closeCode: UInt16) throws {
        let codec = WebSocketFrameCodec(maxMessageBytes: 1024, maskSeed: 1, initialInputCapacity: 256)
        #expect(codec.drain(feeding: stream) == [.error(error)])
        #expect(codec.state == .failed)
        #expect(codec.lastError == error)
        #expect(codec.counters.errors(error.kind) == 1)
        #expect(codec.counters.totalErrors == 1)
        let frames = try #require(ClientFrame.parseAll(codec.takeOutput()))
        #expect(frames.map(\.opcode) == [0x8])
        #expect(frames.first?.payload == closePayload(closeCode))
        #expect(codec.drain(feeding: Self.rfcHello) == [.error(error)], "failure is sticky")
        #expect(codec.counters.totalErrors == 1, "counted once")
        // Input grows only to what the caller fed at once or to one frame at the limit, never to
        // what a header merely announces.
        #expect(codec.capacities.input <= max(1024 + 14, stream.count))
    }

    @Test func malformedInputSplitByteByByteGivesTheSameError() {
        let stream = serverFrame(0x1, Array("He".utf8), fin: false) + Self.rfcPingHello + serverFrame(0x1, Array("x".utf8))
        let codec = WebSocketFrameCodec(maskSeed: 1)
        #expect(codec.drain(chunks: stream.map { [$0] }) == [.ping(Array("Hello".utf8)), .error(.expectedContinuation)])
    }

    @Test func validUTF8SplitAcrossFragmentsAndValidCloseCodes() {
        let codec = WebSocketFrameCodec(maskSeed: 1)
        #expect(codec.drain(feeding: serverFrame(0x1, [0xE2], fin: false) + serverFrame(0x0, [0x82, 0xAC])) == [.text("€")])
        for code: UInt16 in [1000, 1003, 1007, 1011, 1014, 3000, 4999] {
            let c = WebSocketFrameCodec(maskSeed: 1)
            #expect(c.drain(feeding: serverFrame(0x8, closePayload(code, "r"))) == [.closed(code)])
        }
    }

    @Test func noBufferGrowthInSteadyState() {
        let codec = WebSocketFrameCodec(maskSeed: 1, initialInputCapacity: 4096, initialMessageCapacity: 4096)
        let json = Array(#"{"e":"bookTicker","u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000"}"#.utf8)
        let batch = (0..<10).flatMap { _ in serverFrame(0x1, json) }
            + serverFrame(0x1, Array(json[0..<10]), fin: false) + serverFrame(0x0, Array(json[10...]))
        _ = codec.drain(feeding: batch)
        let warm = codec.capacities
        var delivered = 0
        for _ in 0..<1000 {
            batch.withUnsafeBytes { codec.feed($0) }
            while case .message = codec.poll() { delivered += 1 }
        }
        #expect(delivered == 11_000)
        #expect(codec.capacities == warm)
        #expect(codec.counters.messages == 11_011)
    }

    @Test func errorKindCountMatchesCounterSlots() {
        #expect(WebSocketError.Kind.allCases.count == 20)
    }
}
