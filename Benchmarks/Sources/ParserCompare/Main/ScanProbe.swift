import ParserBenchSupport

/// A floor, not a parser: the cost of walking every byte of each message once with the same
/// scalar, string-aware, depth-counting loop `JSONCursor.value()` uses to skip a nested value.
/// BinanceStreamParser walks the `data` object twice (skipped at the top level to find its span,
/// then its members), and the depthUpdate arrays twice; this probe shows what one walk costs.
@inline(never)
func scalarScanPass(_ capture: Capture) -> UInt64 {
    var h: UInt64 = 0
    for k in 0..<capture.count {
        let m = capture.message(k)
        let p = m.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let end = m.count
        var i = 0, depth = 0, structurals = 0
        while i < end {
            let b = p[i]
            if b == 0x22 {  // string: to the closing quote, escapes skip one byte
                i &+= 1
                while i < end {
                    let c = p[i]
                    if c == 0x22 { break }
                    i &+= c == 0x5C ? 2 : 1
                }
            } else if b == 0x7B || b == 0x5B {
                depth &+= 1
                structurals &+= 1
            } else if b == 0x7D || b == 0x5D {
                depth &-= 1
                structurals &+= 1
            }
            i &+= 1
        }
        h = h &+ UInt64(truncatingIfNeeded: depth &+ structurals)
    }
    return h
}
