#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import TicklineBinance
import TicklineCore

/// The stream parser's fast path (BinanceStreamParser+FastPath.swift) against its general path:
/// whatever the fast path accepts must come out exactly as the general path gives it, and every
/// input the fast path declines must still get the general path's answer or error. Inputs: the
/// Binance documentation examples, capture-shaped messages, and systematic mutations of them
/// (truncation at every byte, a byte replaced at every offset, fields reordered, added, removed,
/// duplicated, whitespace, escapes, numbers at the SWAR word boundaries).
@Suite struct BinanceStreamParserFastPathTests {
    static let table: SymbolTable = {
        var t = SymbolTable()
        _ = try! t.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        _ = try! t.intern(.init(name: "ETHUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        _ = try! t.intern(.init(name: "BNBUSDT", priceScale: DecimalScale(places: 8), quantityScale: DecimalScale(places: 8)))
        _ = try! t.intern(.init(name: "1000PEPEUSDT", priceScale: DecimalScale(places: 7), quantityScale: DecimalScale(places: 0)))
        _ = try! t.intern(.init(name: "BTCUSDT240927", priceScale: DecimalScale(places: 1), quantityScale: DecimalScale(places: 3)))
        _ = try! t.intern(.init(name: "ABCDEFGHIJKLMNOPQRST", priceScale: DecimalScale(places: 4), quantityScale: DecimalScale(places: 2)))
        return t
    }()

    /// Capture-shaped messages (from /work/shared/data/binance-usdm-capture, btcusdt_20240808,
    /// depth levels shortened) and the documentation examples of the Binance USD-M "Websocket
    /// Market Streams" pages (shared/data/binance-messages/market_data_json), raw and wrapped.
    static let seeds: [String] = [
        #"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}}"#,
        #"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#,
        #"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"],["61496.50","0.010"],["61510.90","0.000"]],"a":[["61800.30","3.330"],["65880.70","15.918"]]}}"#,
        #"{"stream":"ethusdt@bookTicker","data":{"e":"bookTicker","u":4170016593640,"s":"ETHUSDT","b":"2681.63","B":"53.118","a":"2681.64","A":"5.963","T":1723161256355,"E":1723161256355}}"#,
        #"{"e":"aggTrade","E":123456789,"a":5933014,"s":"BTCUSDT","p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true,"st":1}"#,
        #"{"e":"aggTrade","E":123456789,"a":5933014,"s":"BTCUSDT","p":"0.01","q":"100","f":100,"l":105,"T":123456785,"m":true}"#,
        #"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000","st":1,"ps":"BNBUSDT"}"#,
        #"{"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","ps":"BTCUSDT","st":1,"U":157,"u":160,"pu":149,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#,
        #"{"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.10","c":"0.20","h":"0.25","l":"0.10","v":"1000","n":100,"x":true,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#,
        #"{"stream":"bnbusdt@kline_1m","data":{"e":"kline","E":1638747660000,"s":"BNBUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BNBUSDT","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}"#,
        #"{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000,"st":1}"#,
        #"{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15500000","i":"11784.62500000","P":"11784.25641265","r":"-0.00038167","T":1562306400000}}"#,
        #"{"e":"trade","E":123456789,"s":"BTCUSDT","t":5933014,"p":"0.01","q":"100","T":123456785,"m":true}"#,
        #"{"e":"24hrTicker","E":1672515782136,"s":"BTCUSDT","p":"-131.40000000","P":"-0.786","w":"16628.97377498","c":"16584.60000000"}"#,
        #"{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910.00000000"}}"#,
        #"{"stream":"pepe@trade","data":{"e":"trade","E":1,"T":2,"s":"1000PEPEUSDT","t":3,"p":"0.0123456","q":"1000","X":"MARKET","m":true}}"#,
        #"{"stream":"x@trade","data":{"e":"trade","E":1,"T":2,"s":"BTCUSDT240927","t":3,"p":"61000.5","q":"0.001","X":"MARKET","m":true}}"#,
        #"{"stream":"x@bookTicker","data":{"e":"bookTicker","u":1,"s":"ABCDEFGHIJKLMNOPQRST","b":"1.2345","B":"10.00","a":"1.2346","A":"11","T":3,"E":4}}"#,
        #"{"lastUpdateId":99,"E":1,"T":2,"bids":[["1.00","1"]],"asks":[]}"#,
        #"{"result":null,"id":12}"#,
    ]

    func describe(_ r: Result<BinanceStreamMessage, BinanceParseError>) -> String { String(describing: r) }

    /// Parses `text` both ways from an exact-size copy and checks they agree; returns whether
    /// the fast path took it.
    @discardableResult
    func agree(_ bytes: [UInt8], _ note: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation)
        -> Bool
    {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        let message = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(copy)[0..<bytes.count])
        var both = BinanceStreamParser(symbols: BinanceSymbols(Self.table))
        var general = BinanceStreamParser(symbols: BinanceSymbols(Self.table))
        let a = both.parse(message, ingressNs: 5)
        let b = general.parseGeneral(message, ingressNs: 5)
        let same = describe(a) == describe(b)
        #expect(same, "\(note()) «\(String(decoding: bytes, as: UTF8.self))»: fast \(describe(a)) ≠ general \(describe(b))",
                sourceLocation: sourceLocation)
        #expect(both.totalErrors == general.totalErrors && both.parsed == general.parsed, sourceLocation: sourceLocation)
        var probe = BinanceStreamParser(symbols: BinanceSymbols(Self.table))
        return probe.parseFast(message, ingressNs: 5) != .fallback
    }

    @Test func seedsAgreeAndTakeTheFastPath() {
        for seed in Self.seeds {
            let fast = agree(Array(seed.utf8))
            var general = BinanceStreamParser(symbols: BinanceSymbols(Self.table))
            let valid = seed.utf8.withContiguousStorageIfAvailable {
                if case .success = general.parseGeneral(UnsafeRawBufferPointer($0), ingressNs: 0) { return true }
                return false
            }!
            let isEvent = valid && ( seed.contains(#""e":"bookTicker""#) || seed.contains(#""e":"trade""#)
                || seed.contains(#""e":"aggTrade""#) || seed.contains(#""e":"depthUpdate""#)
                || seed.contains(#""e":"kline""#) || seed.contains(#""e":"markPriceUpdate""#))
            #expect(fast == isEvent, "fast path \(fast ? "took" : "declined"): \(seed)")
        }
    }

    @Test func truncatedAtEveryByte() {
        for seed in Self.seeds {
            let bytes = Array(seed.utf8)
            for n in 1..<bytes.count { agree(Array(bytes[0..<n]), "prefix \(n)") }
        }
    }

    @Test func everyByteReplaced() {
        let replacements: [UInt8] = Array(#"",}]{[:0 9.-+e\"#.utf8) + [0x0A, 0x01, 0x00, 0xC3, 0x7F, 0x41]
        for seed in Self.seeds.prefix(13) {
            let bytes = Array(seed.utf8)
            for k in bytes.indices {
                for r in replacements where r != bytes[k] {
                    var m = bytes
                    m[k] = r
                    agree(m, "byte \(k) → \(r)")
                }
            }
        }
    }

    @Test func byteInsertedAndDeleted() {
        let inserts: [UInt8] = Array(#" ,"0}\"#.utf8)
        for seed in Self.seeds.prefix(13) {
            let bytes = Array(seed.utf8)
            for k in bytes.indices {
                var d = bytes
                d.remove(at: k)
                agree(d, "byte \(k) deleted")
                for c in inserts {
                    var m = bytes
                    m.insert(c, at: k)
                    agree(m, "\(c) inserted at \(k)")
                }
            }
        }
    }

    /// Top-level members of a flat event object, split naively (values here hold no commas
    /// outside brackets).
    func members(_ object: String) -> [String] {
        var out: [String] = [], depth = 0, current = "", inString = false
        for ch in object.dropFirst().dropLast() {
            if ch == "\"" { inString.toggle() }
            if !inString && (ch == "[" || ch == "{") { depth += 1 }
            if !inString && (ch == "]" || ch == "}") { depth -= 1 }
            if ch == "," && depth == 0 && !inString {
                out.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        out.append(current)
        return out
    }

    @Test func fieldsReorderedRemovedDuplicatedAndExtended() {
        var rng = SplitMix(seed: 42)
        for seed in Self.seeds.prefix(13) {
            let wrapped = seed.hasPrefix(#"{"stream""#)
            let object: String
            if wrapped {
                let start = seed.firstRange(of: #""data":"#)!.upperBound
                object = String(seed[start..<seed.index(before: seed.endIndex)])
            } else {
                object = seed
            }
            let fields = members(object)
            func emit(_ f: [String]) {
                let body = "{" + f.joined(separator: ",") + "}"
                agree(Array((wrapped ? #"{"stream":"s","data":"# + body + "}" : body).utf8))
            }
            for _ in 0..<40 { emit(fields.shuffled(using: &rng)) }  // any order (e first or not)
            for k in fields.indices {
                var f = fields
                f.remove(at: k)
                emit(f)  // a field missing
                f = fields
                f.insert(fields[k], at: Int.random(in: 0...fields.count, using: &rng))
                emit(f)  // a field twice
                f = fields
                f.insert(#""zz":[1,{"a":"]"}],"Q":"x""#, at: max(1, k))
                emit(f)  // unknown fields
                f = fields
                f.insert(#""id":1,"result":null"#, at: max(1, k))
                emit(f)  // keys the general path treats specially at the top level
                f = fields
                f.insert(#""data":{"e":"trade"}"#, at: max(1, k))
                emit(f)
                f = fields
                f[k] = f[k].replacing("\":", with: "\" : ")
                emit(f)  // whitespace
                f = fields
                f[k] = f[k].replacing("\"", with: "\\u0022")
                emit(f)  // escapes
            }
        }
    }

    @Test func numbersAtWordBoundaries() {
        var rng = SplitMix(seed: 7)
        func digits(_ n: Int) -> String {
            String((0..<n).map { k in Character(String(k == 0 && n > 1 ? Int.random(in: 1...9, using: &rng) : Int.random(in: 0...9, using: &rng))) })
        }
        for n in 0...21 {
            for _ in 0..<3 {
                let i = digits(n)
                agree(Array(#"{"e":"bookTicker","u":\#(i),"s":"BTCUSDT","b":"1.00","B":"1.000","a":"1.01","A":"1.000","T":1,"E":\#(i)}"#.utf8))
                agree(Array(#"{"e":"bookTicker","u":1,"s":"BTCUSDT","b":"1.00","B":"1.000","a":"1.01","A":"1.000","T":1,"E":\#(i)}"#.utf8))
                agree(Array(#"{"e":"trade","E":\#(i),"T":-\#(i),"s":"BTCUSDT","t":0\#(i),"p":"1","q":"1","X":"M","m":true}"#.utf8))
            }
        }
        // Decimals: 0...21 integer digits × 0...21 fraction digits, signs, scales 0...8.
        for whole in 0...21 {
            for fraction in 0...21 {
                for sign in ["", "-", "+"] {
                    let w = digits(whole), f = digits(fraction)
                    for text in [w + "." + f, w + f, "." + f, w + "."] {
                        let d = sign + text
                        agree(Array(#"{"e":"bookTicker","u":1,"s":"BNBUSDT","b":"\#(d)","B":"\#(d)","a":"1","A":"1","T":1,"E":1}"#.utf8))
                        agree(Array(#"{"e":"aggTrade","E":1,"a":1,"s":"1000PEPEUSDT","p":"\#(d)","q":"\#(d)","f":1,"l":1,"T":1,"m":false}"#.utf8))
                        agree(Array(#"{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"\#(d)","i":"\#(d)","P":"1","r":"\#(d)","T":1}"#.utf8))
                    }
                }
            }
        }
        // Zeros past the scale, trailing zeros, the largest values.
        for d in ["61800.2000000", "61800.200000000000", "0.00", "00000000000000.01", "92233720368547758.07",
                  "92233720368547758.08", "-92233720368547758.08", "9223372036854775807", "99999999.99"] {
            agree(Array(#"{"e":"trade","E":1,"T":2,"s":"BTCUSDT","t":3,"p":"\#(d)","q":"1","X":"M","m":true}"#.utf8))
        }
    }

    /// Every prefix of every seed placed so that its last byte is the last readable byte before
    /// a `PROT_NONE` page, and so that its first byte is the first readable byte after one: any
    /// read outside the message faults.
    @Test func noReadOutsideTheMessage() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let region = mmap(nil, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        defer { munmap(region, 3 * page) }
        try #require(mprotect(region, page, PROT_NONE) == 0)
        try #require(mprotect(region + 2 * page, page, PROT_NONE) == 0)
        var parser = BinanceStreamParser(symbols: BinanceSymbols(Self.table))
        for seed in Self.seeds {
            let bytes = Array(seed.utf8)
            for n in 1...bytes.count {
                for start in [region + 2 * page - n, region + page] {
                    start.copyMemory(from: bytes, byteCount: n)
                    _ = parser.parse(UnsafeRawBufferPointer(start: start, count: n), ingressNs: 0)
                }
            }
        }
    }

    @Test func capturedMessagesAgree() throws {
        let env = Env.value("TICKLINE_CAPTURE_DIR") ?? "/work/shared/data/binance-usdm-capture"
        let path = env + "/btcusdt_20240808.gz"
        guard access(path, R_OK) == 0, let pipe = popen("gzip -dc '\(path)' | head -n 20000", "r") else { return }
        defer { pclose(pipe) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        var count = 0, fast = 0, snapshots = 0
        while getline(&line, &capacity, pipe) > 0 {
            var bytes = Array(String(cString: line!).utf8)
            while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 { bytes.removeLast() }
            guard let space = bytes.firstIndex(of: 0x20) else { continue }
            if agree(Array(bytes[(space + 1)...])) { fast += 1 }
            if bytes[(space + 1)...].starts(with: #"{"lastUpdateId""#.utf8) { snapshots += 1 }
            count += 1
        }
        free(line)
        #expect(count == 20000)
        #expect(fast == count - snapshots)  // every stream message takes the fast path (REST snapshots do not)
    }

    // MARK: primitives

    @Test func swarDigitsAndMasks() {
        var rng = SplitMix(seed: 3)
        for _ in 0..<20000 {
            var bytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) {
                let n = Int.random(in: 0...8, using: &rng)
                for k in 0..<n { bytes[k] = 0x30 + UInt8.random(in: 0...9, using: &rng) }
            }
            let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            let firstNonDigit = bytes.firstIndex { !(0x30...0x39).contains($0) } ?? 8
            let m = JSONScan.nonDigits(w)
            #expect((m == 0 ? 8 : m.trailingZeroBitCount / 8) == firstNonDigit)
            let firstStop = bytes.firstIndex { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 } ?? 8
            let s = JSONScan.stringStops(w)
            #expect((s == 0 ? 8 : s.trailingZeroBitCount / 8) == firstStop)
            if firstNonDigit > 0 {
                let expected = bytes[0..<firstNonDigit].reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
                let got = firstNonDigit == 8 ? JSONScan.eightDigits(w & 0x0F0F_0F0F_0F0F_0F0F)
                    : JSONScan.leadingDigits(w, firstNonDigit)
                #expect(got == expected)
            }
        }
    }

    /// The SSE2 / SWAR scanners against byte loops, on random JSON-ish text.
    @Test func scannersMatchByteLoops() {
        var rng = SplitMix(seed: 11)
        let alphabet: [UInt8] = Array(#"[]{}"",:0.a\"#.utf8) + [0x20, 0x0A, 0x01, 0xC3]
        for trial in 0..<20000 {
            let n = Int.random(in: 1...200, using: &rng)
            var bytes = (0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            if trial % 2 == 0 { bytes = bytes.map { $0 == 0x5C || $0 < 0x20 ? 0x61 : $0 } }
            bytes[0] = trial % 3 == 0 ? 0x7B : 0x5B
            bytes.withUnsafeBufferPointer { p in
                let base = p.baseAddress!
                // firstStringStop, from every offset
                for i in 0..<n {
                    let expected = (i..<n).first { p[$0] == 0x22 || p[$0] == 0x5C || p[$0] < 0x20 } ?? n
                    #expect(JSONScan.firstStringStop(base, i, n) == expected)
                    #expect(JSONScan.firstStringStopSWAR(base, i, n) == expected)
                }
                // skipNested: where it decides, the byte loop must agree
                var cursor = JSONCursor(UnsafeRawBufferPointer(p))
                let slow = cursor.scalarValue()
                let scalar = JSONScan.skipNestedScalar(base, 0, n)
                if !bytes.contains(0x5C) { #expect(scalar == slow?.span.end) }
                if let fast = JSONScan.skipNested(base, 0, n) {
                    #expect(slow?.span.end == fast, "\(String(decoding: bytes, as: UTF8.self))")
                } else if !bytes.contains(0x5C) && !bytes.contains(where: { $0 < 0x20 || $0 >= 0x80 }) && n >= 16 {
                    // (backslashes, control and non-ASCII bytes send it to the byte loop)
                    #expect(slow == nil, "declined: \(String(decoding: bytes, as: UTF8.self))")
                }
            }
        }
    }
}

extension JSONCursor {
    /// `value()`'s byte-by-byte bracket walk, without the SSE2 shortcut (the tests' reference).
    mutating func scalarValue() -> (kind: UInt8, span: JSONSpan)? {
        let c = base[i]
        let start = i
        var depth = 0
        while i < end {
            let b = base[i]
            if b == 0x22 {
                i &+= 1
                guard stringBody() != nil else { return nil }
                continue
            }
            if b == 0x7B || b == 0x5B { depth &+= 1 }
            else if b == 0x7D || b == 0x5D {
                depth &-= 1
                if depth == 0 {
                    i &+= 1
                    return (c, JSONSpan(start: start, end: i))
                }
            }
            i &+= 1
        }
        return nil
    }
}

/// A small deterministic generator for the tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Env {
    static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
