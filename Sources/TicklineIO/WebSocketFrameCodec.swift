/// The client side of RFC 6455 framing over byte buffers: decodes server frames from an input
/// stream, encodes masked client frames into an output buffer, and runs the ping/pong and close
/// handshakes as queued output. It performs no I/O: the owner feeds received bytes
/// (``feed(_:)`` or ``withUnsafeInputSpace(minimumCount:_:)``), calls ``poll()`` until
/// `.needMoreData`, and writes ``pendingOutput`` to the socket, then ``consumeOutput(_:)``.
///
/// ## Ownership and lifetime
/// The codec owns three raw buffers (input, reassembly, output), allocated in `init`, freed in
/// `deinit`, and exposed only as views valid until the next call on the codec (see
/// ``WebSocketEvent``). One thread owns a codec; it has no locks.
///
/// ## Performance
/// - No allocation per message after warm-up. A buffer grows only when a frame or message
///   larger than ever seen arrives, and never beyond ``maxMessageBytes`` (+ a frame header):
///   a frame whose header announces more is refused with `.messageTooLarge` before a byte of its
///   payload is buffered.
/// - An unfragmented frame is delivered zero-copy as a view of the input buffer (server frames
///   are unmasked, so the payload is already the message). Fragmented messages are copied once
///   into the reassembly buffer.
/// - Text is validated as UTF-8 once per complete message.
///
/// ## Caveats
/// - Buffered input is compacted (moved to the front) when space is needed, only inside
///   ``feed(_:)`` / ``withUnsafeInputSpace(minimumCount:_:)`` — which is why a delivered view
///   dies at the next call.
/// - Appending output may move ``pendingOutput`` (compaction or growth): an owner with a send in
///   flight (io_uring) must not encode more frames until that send completes, or must copy.
/// - No extensions (permessage-deflate) are negotiated: any RSV bit is a protocol error.
public final class WebSocketFrameCodec {
    /// Connection state as the codec sees it.
    public enum State: Sendable, Equatable {
        /// Messages flow both ways.
        case open
        /// We sent a close frame and wait for the server's (§5.5.1); incoming data still flows.
        case closing
        /// The close handshake is complete (or the server closed and our reply is queued).
        case closed
        /// A protocol error was detected; see ``lastError``.
        case failed
    }

    /// The largest frame payload and reassembled message accepted (and the bound on buffer
    /// growth). Binance's largest messages (depth snapshots over WS) are well under 16 MiB.
    public let maxMessageBytes: Int

    @usableFromInline var input: UnsafeMutableRawPointer
    @usableFromInline var inputCapacity: Int
    @usableFromInline var inputRead = 0
    @usableFromInline var inputWrite = 0
    /// Bytes the frame at `inputRead` needs in total; lets the next feed reserve it in one go.
    @usableFromInline var inputNeeded = 0

    @usableFromInline var message: UnsafeMutableRawPointer
    @usableFromInline var messageCapacity: Int
    @usableFromInline var messageCount = 0
    /// Opcode of the fragmented message being reassembled, nil when none is open.
    @usableFromInline var fragmentOpcode: WebSocketOpcode? = nil

    @usableFromInline var output: UnsafeMutableRawPointer
    @usableFromInline var outputCapacity: Int
    @usableFromInline var outputRead = 0
    @usableFromInline var outputWrite = 0

    /// True between our first fragment (FIN clear) and our final continuation frame.
    @usableFromInline var sendingFragmented = false

    @usableFromInline var maskKeys: WebSocketMaskKeyGenerator
    @usableFromInline var _state: State = .open
    @usableFromInline var _closeCode: UInt16 = 0
    @usableFromInline var _lastError: WebSocketError? = nil
    @usableFromInline var _counters = WebSocketCounters()

    /// - Parameters:
    ///   - maxMessageBytes: frame and message size limit (16 MiB by default).
    ///   - maskSeed: seed of the masking-key generator; random in production (see
    ///     ``WebSocketMaskKeyGenerator``), fixed in tests.
    ///   - initialInputCapacity, initialMessageCapacity, initialOutputCapacity: warm-up sizes;
    ///     choose them above the usual message size so steady state never grows a buffer.
    public init(
        maxMessageBytes: Int = 16 << 20,
        maskSeed: UInt64,
        initialInputCapacity: Int = 64 << 10,
        initialMessageCapacity: Int = 64 << 10,
        initialOutputCapacity: Int = 16 << 10
    ) {
        precondition(maxMessageBytes >= 125, "maxMessageBytes must admit a control frame")
        self.maxMessageBytes = maxMessageBytes
        self.maskKeys = WebSocketMaskKeyGenerator(seed: maskSeed)
        inputCapacity = max(initialInputCapacity, 256)
        messageCapacity = max(initialMessageCapacity, 256)
        outputCapacity = max(initialOutputCapacity, 256)
        input = .allocate(byteCount: inputCapacity, alignment: 16)
        message = .allocate(byteCount: messageCapacity, alignment: 16)
        output = .allocate(byteCount: outputCapacity, alignment: 16)
    }

    deinit {
        input.deallocate()
        message.deallocate()
        output.deallocate()
    }

    // MARK: - State

    @inlinable public var state: State { _state }
    /// The server's close code once ``state`` is `.closed` (1005 when it sent none).
    @inlinable public var closeCode: UInt16 { _closeCode }
    /// The error that failed the codec, if any.
    @inlinable public var lastError: WebSocketError? { _lastError }
    @inlinable public var counters: WebSocketCounters { _counters }
    /// Bytes received but not yet decoded.
    @inlinable public var bufferedInputCount: Int { inputWrite &- inputRead }
    /// Current buffer capacities (input, reassembly, output): lets tests and benchmarks check
    /// that steady state does not grow them.
    public var capacities: (input: Int, message: Int, output: Int) {
        (inputCapacity, messageCapacity, outputCapacity)
    }

    // MARK: - Input

    /// Copies received bytes into the input buffer.
    @inlinable
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserveInput(bytes.count)
        (input + inputWrite).copyMemory(from: src, byteCount: bytes.count)
        inputWrite &+= bytes.count
    }

    /// Lends the free tail of the input buffer (at least `minimumCount` bytes, more if the
    /// pending frame needs it) to `body`, which writes into it — e.g. `recv(2)` — and returns
    /// how many bytes it wrote (≤ 0: none). Returns `body`'s value.
    @inlinable
    public func withUnsafeInputSpace(
        minimumCount: Int = 4096, _ body: (UnsafeMutableRawBufferPointer) -> Int
    ) -> Int {
        reserveInput(minimumCount)
        let space = UnsafeMutableRawBufferPointer(
            start: input + inputWrite, count: inputCapacity &- inputWrite)
        let written = body(space)
        if written > 0 { inputWrite &+= min(written, space.count) }
        return written
    }

    /// Makes room for `count` more bytes (and for the whole pending frame): compacts, then
    /// grows as a last resort.
    @inlinable
    func reserveInput(_ count: Int) {
        if inputRead == inputWrite {
            inputRead = 0
            inputWrite = 0
        }
        let pending = inputWrite &- inputRead
        let need = max(count, inputNeeded &- pending)
        if inputCapacity &- inputWrite >= need { return }
        growInput(need)
    }

    @usableFromInline @inline(never)
    func growInput(_ need: Int) {
        let pending = inputWrite &- inputRead
        if inputRead > 0 {
            if pending > 0 { input.copyMemory(from: input + inputRead, byteCount: pending) }
            inputRead = 0
            inputWrite = pending
        }
        if inputCapacity &- inputWrite >= need { return }
        let frameBound = maxMessageBytes &+ 14
        let newCapacity = max(pending &+ need, min(inputCapacity &* 2, frameBound))
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if pending > 0 { grown.copyMemory(from: input, byteCount: pending) }
        input.deallocate()
        input = grown
        inputCapacity = newCapacity
    }

    // MARK: - Decoding

    /// Decodes the next event from buffered input. Call until `.needMoreData`.
    ///
    /// Views inside the returned event are valid until the next call on this codec.
    @inlinable
    public func poll() -> WebSocketEvent {
        switch _state {
        case .failed:
            if let error = _lastError { return .error(error) }
            return .needMoreData
        case .closed:
            return .closed(code: _closeCode)
        case .open, .closing:
            break
        }
        while true {
            let available = inputWrite &- inputRead
            if available < 2 {
                inputNeeded = 2
                return .needMoreData
            }
            let p = UnsafeRawPointer(input + inputRead)
            let b0 = p.load(as: UInt8.self)
            let b1 = p.load(fromByteOffset: 1, as: UInt8.self)
            if b0 & 0x70 != 0 { return fail(.reservedBitsSet) }
            guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
                return fail(.unknownOpcode(b0 & 0x0F))
            }
            if b1 & 0x80 != 0 { return fail(.maskedServerFrame) }
            let fin = b0 & 0x80 != 0
            let length7 = Int(b1 & 0x7F)
            if opcode.isControl {
                if !fin { return fail(.fragmentedControlFrame) }
                if length7 > 125 { return fail(.controlFrameTooLarge) }
            } else if opcode == .continuation {
                if fragmentOpcode == nil { return fail(.unexpectedContinuation) }
            } else if fragmentOpcode != nil {
                return fail(.expectedContinuation)
            }

            var headerBytes = 2
            var payloadLength = UInt64(length7)
            if length7 == 126 {
                headerBytes = 4
                if available < 4 {
                    inputNeeded = 4
                    return .needMoreData
                }
                payloadLength = UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            } else if length7 == 127 {
                headerBytes = 10
                if available < 10 {
                    inputNeeded = 10
                    return .needMoreData
                }
                payloadLength = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
                if payloadLength >> 63 != 0 { return fail(.invalidLength) }
            }
            let alreadyAssembled = opcode == .continuation ? messageCount : 0
            if payloadLength > UInt64(maxMessageBytes &- alreadyAssembled) {
                return fail(.messageTooLarge)
            }
            let frameBytes = headerBytes &+ Int(payloadLength)
            if available < frameBytes {
                inputNeeded = frameBytes
                return .needMoreData
            }
            let payload = UnsafeRawBufferPointer(start: p + headerBytes, count: Int(payloadLength))
            inputRead &+= frameBytes
            inputNeeded = 0
            _counters.frames &+= 1

            switch opcode {
            case .text, .binary:
                if fin {
                    if opcode == .text && !UTF8Validator.isValid(payload) { return fail(.invalidUTF8) }
                    _counters.messages &+= 1
                    return .message(opcode, payload)
                }
                fragmentOpcode = opcode
                messageCount = 0
                appendFragment(payload)
            case .continuation:
                appendFragment(payload)
                if fin, let messageOpcode = fragmentOpcode {
                    fragmentOpcode = nil
                    let whole = UnsafeRawBufferPointer(start: message, count: messageCount)
                    if messageOpcode == .text && !UTF8Validator.isValid(whole) { return fail(.invalidUTF8) }
                    _counters.messages &+= 1
                    return .message(messageOpcode, whole)
                }
            case .ping:
                return answerPing(payload)
            case .pong:
                _counters.pongsReceived &+= 1
                return .pong(payload)
            case .close:
                return receiveClose(payload)
            }
        }
    }

    /// Copies a fragment into the reassembly buffer; the size limit was checked by the caller,
    /// so growth is bounded by ``maxMessageBytes``.
    @usableFromInline
    func appendFragment(_ payload: UnsafeRawBufferPointer) {
        let needed = messageCount &+ payload.count
        if needed > messageCapacity {
            let newCapacity = max(needed, min(messageCapacity &* 2, maxMessageBytes))
            let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            if messageCount > 0 { grown.copyMemory(from: message, byteCount: messageCount) }
            message.deallocate()
            message = grown
            messageCapacity = newCapacity
        }
        if let src = payload.baseAddress, payload.count > 0 {
            (message + messageCount).copyMemory(from: src, byteCount: payload.count)
        }
        messageCount = needed
    }

    @usableFromInline
    func answerPing(_ payload: UnsafeRawBufferPointer) -> WebSocketEvent {
        // After our close frame only the server's close matters (§5.5.1); no pong then.
        if _state == .open {
            appendFrame(.pong, fin: true, payload: payload, maskKey: maskKeys.next())
            _counters.pingsAnswered &+= 1
        }
        return .ping(payload)
    }

    @usableFromInline @inline(never)
    func receiveClose(_ payload: UnsafeRawBufferPointer) -> WebSocketEvent {
        if payload.count == 1 { return fail(.invalidCloseFrame) }
        var code: UInt16 = 1005
        if payload.count >= 2 {
            code = UInt16(payload[0]) << 8 | UInt16(payload[1])
            if !Self.isValidReceivedCloseCode(code) { return fail(.invalidCloseCode(code)) }
            if !UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: payload[2...])) {
                return fail(.invalidUTF8)
            }
        }
        if _state == .open {
            // §5.5.1: reply with a close frame, typically echoing the status code.
            if payload.count >= 2 {
                var echo = code.bigEndian
                withUnsafeBytes(of: &echo) { appendFrame(.close, fin: true, payload: $0, maskKey: maskKeys.next()) }
            } else {
                appendFrame(.close, fin: true, payload: UnsafeRawBufferPointer(start: nil, count: 0), maskKey: maskKeys.next())
            }
        }
        _state = .closed
        _closeCode = code
        return .closed(code: code)
    }

    /// Codes a peer may put on the wire (§7.4.1, IANA registry): 1000-1003, 1007-1014 and the
    /// 3000-4999 ranges for libraries and applications. 1004-1006 and 1015 are reserved or
    /// local-only.
    @inlinable
    public static func isValidReceivedCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    @usableFromInline @inline(never)
    func fail(_ error: WebSocketError) -> WebSocketEvent {
        _counters.record(error.kind)
        _lastError = error
        if _state == .open {
            var code = error.closeCode.bigEndian
            withUnsafeBytes(of: &code) { appendFrame(.close, fin: true, payload: $0, maskKey: maskKeys.next()) }
        }
        _state = .failed
        fragmentOpcode = nil
        inputRead = inputWrite
        inputNeeded = 0
        return .error(error)
    }

    // MARK: - Encoding

    /// Wire size of a client frame carrying `payloadCount` bytes: 2/4/10 header bytes, 4 mask.
    @inlinable
    public static func encodedFrameSize(payloadCount: Int) -> Int {
        let header = payloadCount < 126 ? 2 : (payloadCount <= 0xFFFF ? 4 : 10)
        return header &+ 4 &+ payloadCount
    }

    /// Encodes one masked client frame into `out`. Returns the bytes written, or nil when `out`
    /// is smaller than ``encodedFrameSize(payloadCount:)``. `maskKey`'s big-endian bytes are
    /// the key on the wire. Does not check control-frame rules (see ``send(_:payload:fin:maskKey:)``).
    @inlinable
    public static func encodeFrame(
        _ opcode: WebSocketOpcode, fin: Bool, payload: UnsafeRawBufferPointer, maskKey: UInt32,
        into out: UnsafeMutableRawBufferPointer
    ) -> Int? {
        let count = payload.count
        let total = encodedFrameSize(payloadCount: count)
        guard out.count >= total, let o = out.baseAddress else { return nil }
        o.storeBytes(of: (fin ? 0x80 : 0) | opcode.rawValue, as: UInt8.self)
        var offset = 2
        if count < 126 {
            o.storeBytes(of: 0x80 | UInt8(count), toByteOffset: 1, as: UInt8.self)
        } else if count <= 0xFFFF {
            o.storeBytes(of: 0x80 | 126, toByteOffset: 1, as: UInt8.self)
            o.storeBytes(of: UInt16(count).bigEndian, toByteOffset: 2, as: UInt16.self)
            offset = 4
        } else {
            o.storeBytes(of: 0x80 | 127, toByteOffset: 1, as: UInt8.self)
            o.storeBytes(of: UInt64(count).bigEndian, toByteOffset: 2, as: UInt64.self)
            offset = 10
        }
        o.storeBytes(of: maskKey.bigEndian, toByteOffset: offset, as: UInt32.self)
        let keyBytes = UnsafeRawPointer(o + offset)
        offset &+= 4
        if let src = payload.baseAddress {
            mask(src, count: count, keyBytes: keyBytes, into: o + offset)
        }
        return total
    }

    /// `dst[i] = src[i] ^ key[i % 4]`, eight bytes at a time (the key repeats every four bytes,
    /// so a 64-bit word of it twice lines up at every multiple of eight).
    @inlinable
    static func mask(
        _ src: UnsafeRawPointer, count: Int, keyBytes: UnsafeRawPointer, into dst: UnsafeMutableRawPointer
    ) {
        let key32 = keyBytes.loadUnaligned(as: UInt32.self)
        let key64 = UInt64(key32) | UInt64(key32) << 32
        var i = 0
        while i &+ 8 <= count {
            let word = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            dst.storeBytes(of: word ^ key64, toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        while i < count {
            let b = src.load(fromByteOffset: i, as: UInt8.self) ^ keyBytes.load(fromByteOffset: i & 3, as: UInt8.self)
            dst.storeBytes(of: b, toByteOffset: i, as: UInt8.self)
            i &+= 1
        }
    }

    /// Queues one frame in the output buffer (state already checked).
    @usableFromInline
    func appendFrame(_ opcode: WebSocketOpcode, fin: Bool, payload: UnsafeRawBufferPointer, maskKey: UInt32) {
        let total = Self.encodedFrameSize(payloadCount: payload.count)
        reserveOutput(total)
        let space = UnsafeMutableRawBufferPointer(start: output + outputWrite, count: outputCapacity &- outputWrite)
        if let written = Self.encodeFrame(opcode, fin: fin, payload: payload, maskKey: maskKey, into: space) {
            outputWrite &+= written
            _counters.framesSent &+= 1
        }
    }

    @inlinable
    func reserveOutput(_ count: Int) {
        if outputRead == outputWrite {
            outputRead = 0
            outputWrite = 0
        }
        if outputCapacity &- outputWrite >= count { return }
        growOutput(count)
    }

    @usableFromInline @inline(never)
    func growOutput(_ count: Int) {
        let pending = outputWrite &- outputRead
        if outputRead > 0 {
            if pending > 0 { output.copyMemory(from: output + outputRead, byteCount: pending) }
            outputRead = 0
            outputWrite = pending
        }
        if outputCapacity &- outputWrite >= count { return }
        let newCapacity = max(pending &+ count, outputCapacity &* 2)
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if pending > 0 { grown.copyMemory(from: output, byteCount: pending) }
        output.deallocate()
        output = grown
        outputCapacity = newCapacity
    }

    /// Encodes a frame into the output buffer. For a fragmented message send the first frame
    /// with its opcode and `fin: false`, then `.continuation` frames, the last with `fin: true`.
    /// Control frames may be sent between fragments. Text is not re-validated: the caller
    /// produces it (Binance subscriptions are ASCII JSON).
    /// - Parameter maskKey: explicit key (tests); nil draws one from the generator.
    /// - Throws: `.notOpen` after close or failure; `.controlFrameTooLarge` /
    ///   `.fragmentedControlFrame` for control frames breaking §5.5;
    ///   `.unexpectedContinuation` / `.expectedContinuation` for a fragment sequence broken by
    ///   the caller. Nothing is queued when it throws.
    @inlinable
    public func send(
        _ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool = true, maskKey: UInt32? = nil
    ) throws(WebSocketError) {
        guard _state == .open else { throw .notOpen }
        if opcode.isControl {
            if payload.count > 125 { throw .controlFrameTooLarge }
            if !fin { throw .fragmentedControlFrame }
        } else {
            if opcode == .continuation && !sendingFragmented { throw .unexpectedContinuation }
            if opcode != .continuation && sendingFragmented { throw .expectedContinuation }
            sendingFragmented = !fin
        }
        let key = maskKey ?? maskKeys.next()
        if opcode == .close { _state = .closing }
        appendFrame(opcode, fin: fin, payload: payload, maskKey: key)
    }

    /// Convenience for set-up code and tests: sends `bytes` as one frame.
    public func send(_ opcode: WebSocketOpcode, bytes: [UInt8], fin: Bool = true) throws(WebSocketError) {
        var failure: WebSocketError? = nil
        bytes.withUnsafeBytes { raw in
            do throws(WebSocketError) { try send(opcode, payload: raw, fin: fin) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Starts the close handshake (§5.5.1, §7.1.2): queues a close frame with `code` and
    /// `reason` (at most 123 bytes of UTF-8) and moves to `.closing`; the server's close frame
    /// then moves the codec to `.closed`.
    public func close(code: UInt16 = 1000, reason: [UInt8] = []) throws(WebSocketError) {
        guard _state == .open else { throw .notOpen }
        if reason.count > 123 { throw .controlFrameTooLarge }
        if !reason.withUnsafeBytes({ UTF8Validator.isValid($0) }) { throw .invalidUTF8 }
        let payload = [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
        try send(.close, bytes: payload)
    }

    // MARK: - Output

    /// Encoded bytes waiting to be written, oldest first. Valid until the next call on the codec.
    @inlinable
    public var pendingOutput: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: output + outputRead, count: outputWrite &- outputRead)
    }

    /// Marks `count` bytes of ``pendingOutput`` as written.
    @inlinable
    public func consumeOutput(_ count: Int) {
        outputRead &+= min(max(count, 0), outputWrite &- outputRead)
        if outputRead == outputWrite {
            outputRead = 0
            outputWrite = 0
        }
    }
}
