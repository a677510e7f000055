import Testing
@testable import TicklineIO

@Suite struct WebSocketFrameCodecEncodingTests {
    /// RFC 6455 §5.7: a single-frame masked text message "Hello" with key 37 fa 21 3d.
    @Test func rfcMaskedHelloIsByteExact() throws {
        let codec = WebSocketFrameCodec(maskSeed: 0)
        try Array("Hello".utf8).withUnsafeBytes { try codec.send(.text, payload: $0, maskKey: 0x37FA_213D) }
        #expect(codec.takeOutput() == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func lengthForms() throws {
        let cases: [(count: Int, header: [UInt8])] = [
            (0, [0x82, 0x80]), (125, [0x82, 0xFD]), (126, [0x82, 0xFE, 0x00, 0x7E]),
            (256, [0x82, 0xFE, 0x01, 0x00]), (65535, [0x82, 0xFE, 0xFF, 0xFF]),
            (65536, [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0]), (200_000, [0x82, 0xFF, 0, 0, 0, 0, 0, 3, 0x0D, 0x40]),
        ]
        for (count, header) in cases {
            let codec = WebSocketFrameCodec(maskSeed: 7, initialOutputCapacity: 256)
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try codec.send(.binary, bytes: payload)
            let out = codec.takeOutput()
            #expect(Array(out.prefix(header.count)) == header, "count \(count)")
            #expect(out.count == WebSocketFrameCodec.encodedFrameSize(payloadCount: count))
            let frames = ClientFrame.parseAll(out)
            #expect(frames?.count == 1)
            #expect(frames?.first?.payload == payload, "count \(count)")
        }
    }

    @Test func everySmallSizeRoundTripsWithGeneratedKeys() throws {
        let codec = WebSocketFrameCodec(maskSeed: 42)
        var expected: [[UInt8]] = []
        for count in 0..<40 {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 + count) }
            expected.append(payload)
            try codec.send(.binary, bytes: payload)
        }
        let frames = try #require(ClientFrame.parseAll(codec.takeOutput()))
        #expect(frames.map(\.payload) == expected)
        #expect(Set(frames.map(\.maskKey)).count == 40, "mask keys should vary")
        #expect(codec.counters.framesSent == 40)
    }

    @Test func fragmentedAndControlFrames() throws {
        let codec = WebSocketFrameCodec(maskSeed: 3)
        try codec.send(.text, bytes: Array("Hel".utf8), fin: false)
        try codec.send(.ping, bytes: Array("p".utf8))
        try codec.send(.continuation, bytes: Array("lo".utf8), fin: true)
        try codec.send(.pong, bytes: [])
        try codec.close(code: 1000, reason: Array("bye".utf8))
        let frames = try #require(ClientFrame.parseAll(codec.takeOutput()))
        #expect(frames.map(\.opcode) == [0x1, 0x9, 0x0, 0xA, 0x8])
        #expect(frames.map(\.fin) == [false, true, true, true, true])
        #expect(frames[4].payload == closePayload(1000, "bye"))
        #expect(codec.state == .closing)
    }

    @Test func sendRulesAreErrorsNotCrashes() throws {
        let codec = WebSocketFrameCodec(maskSeed: 3)
        #expect(throws: WebSocketError.controlFrameTooLarge) { try codec.send(.ping, bytes: [UInt8](repeating: 0, count: 126)) }
        #expect(throws: WebSocketError.fragmentedControlFrame) { try codec.send(.ping, bytes: [], fin: false) }
        #expect(throws: WebSocketError.controlFrameTooLarge) { try codec.close(reason: [UInt8](repeating: 0x61, count: 124)) }
        #expect(throws: WebSocketError.invalidUTF8) { try codec.close(reason: [0xC0, 0xAF]) }
        #expect(throws: WebSocketError.unexpectedContinuation) { try codec.send(.continuation, bytes: [1]) }
        try codec.send(.binary, bytes: [1], fin: false)
        #expect(throws: WebSocketError.expectedContinuation) { try codec.send(.text, bytes: [2]) }
        try codec.send(.continuation, bytes: [2])
        #expect(ClientFrame.parseAll(codec.takeOutput())?.map(\.opcode) == [0x2, 0x0], "rejected sends queue nothing")
        try codec.close()
        #expect(throws: WebSocketError.notOpen) { try codec.send(.text, bytes: Array("late".utf8)) }
        #expect(throws: WebSocketError.notOpen) { try codec.close() }
    }

    @Test func encodeIntoCallerBuffer() {
        var out = [UInt8](repeating: 0, count: 11)
        let written = Array("Hello".utf8).withUnsafeBytes { payload in
            out.withUnsafeMutableBytes {
                WebSocketFrameCodec.encodeFrame(.text, fin: true, payload: payload, maskKey: 0x37FA_213D, into: $0)
            }
        }
        #expect(written == 11)
        #expect(out == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        var small = [UInt8](repeating: 0, count: 10)
        let tooSmall = Array("Hello".utf8).withUnsafeBytes { payload in
            small.withUnsafeMutableBytes {
                WebSocketFrameCodec.encodeFrame(.text, fin: true, payload: payload, maskKey: 1, into: $0)
            }
        }
        #expect(tooSmall == nil)
    }

    @Test func maskKeyGeneratorIsDeterministicPerSeed() {
        var a = WebSocketMaskKeyGenerator(seed: 9)
        var b = WebSocketMaskKeyGenerator(seed: 9)
        var c = WebSocketMaskKeyGenerator(seed: 10)
        let sa = (0..<8).map { _ in a.next() }
        #expect(sa == (0..<8).map { _ in b.next() })
        #expect(sa != (0..<8).map { _ in c.next() })
    }
}
