import Testing
import TicklineIO

@Suite struct UTF8ValidatorTests {
    func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { UTF8Validator.isValid($0) } }

    @Test func acceptsValidText() {
        #expect(valid([]))
        #expect(valid(Array("plain ascii, long enough to take the 8-byte path".utf8)))
        #expect(valid(Array("héllo € 𝄞 日本語 {\"s\":\"BTCUSDT\"}".utf8)))
        #expect(valid([0xF4, 0x8F, 0xBF, 0xBF]))  // U+10FFFF
        #expect(valid([0xEF, 0xBF, 0xBF]))  // U+FFFF
    }

    @Test func rejectsMalformedText() {
        let bad: [[UInt8]] = [
            [0xC0, 0xAF],  // overlong "/"
            [0xC1, 0xBF],  // overlong
            [0xE0, 0x80, 0xAF],  // overlong 3-byte
            [0xF0, 0x80, 0x80, 0xAF],  // overlong 4-byte
            [0xED, 0xA0, 0x80],  // surrogate U+D800
            [0xED, 0xBF, 0xBF],  // surrogate U+DFFF
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF5, 0x80, 0x80, 0x80],
            [0xFF],
            [0x80],  // stray continuation
            [0xE2, 0x82],  // truncated €
            [0xF0, 0x9D, 0x84],  // truncated 𝄞
            [0xE2, 0x28, 0xA1],  // bad continuation
            Array("abcdefgh".utf8) + [0xE2, 0x82],  // truncated after the fast path
        ]
        for bytes in bad { #expect(!valid(bytes), "\(bytes)") }
    }
}
