import Foundation
import TicklineBinance
import TicklineCore

/// The recorded Binance USD-M capture, as the engine would see it: every message's JSON bytes in
/// one contiguous buffer (like a receive buffer), with offsets. Each message is followed by
/// `padding` bytes of slack so that simdjson can read the same memory in place.
public final class Capture: @unchecked Sendable {
    public static let defaultDirectory = "/work/shared/data/binance-usdm-capture"
    public static let defaultFiles = ["btcusdt_20240808.gz", "ethusdt_20240808.gz"]

    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    public let starts: UnsafeMutablePointer<Int64>
    public let lengths: UnsafeMutablePointer<Int64>
    public let count: Int
    /// Sum of the messages' JSON lengths (padding and line prefixes excluded).
    public let bytes: Int

    /// `TICKLINE_CAPTURE_DIR` overrides the directory; `TICKLINE_CAPTURE_FILES` (colon-separated
    /// paths, `.gz` or already decompressed) overrides the file list (valgrind cannot run `gzip`
    /// through Foundation's `Process`, so scripts hand it decompressed copies).
    public static func loadDefault(padding: Int = 64) throws -> Capture {
        let env = ProcessInfo.processInfo.environment
        if let files = env["TICKLINE_CAPTURE_FILES"], !files.isEmpty {
            return try Capture(paths: files.split(separator: ":").map(String.init), padding: padding)
        }
        let dir = env["TICKLINE_CAPTURE_DIR"] ?? defaultDirectory
        return try Capture(paths: defaultFiles.map { dir + "/" + $0 }, padding: padding)
    }

    /// Lines `<local_ns> <json>`, decompressed with `gzip -dc`.
    public init(paths: [String], padding: Int) throws {
        var texts: [Data] = []
        for path in paths {
            guard FileManager.default.fileExists(atPath: path) else {
                throw CaptureError("capture file not found: \(path) (set TICKLINE_CAPTURE_DIR)")
            }
            if !path.hasSuffix(".gz") {
                texts.append(try Data(contentsOf: URL(fileURLWithPath: path)))
                continue
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-dc", path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CaptureError("gzip -dc \(path) failed") }
            texts.append(data)
        }
        // Spans of the JSON part of every line.
        var spans: [(Int, Int, Int)] = []  // (text index, start, end)
        var total = 0
        for (n, text) in texts.enumerated() {
            text.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let p = raw.bindMemory(to: UInt8.self)
                var i = 0
                while i < p.count {
                    var j = i
                    while j < p.count && p[j] != 0x0A { j += 1 }
                    var s = i
                    while s < j && p[s] != 0x20 { s += 1 }  // skip "<local_ns> "
                    s += 1
                    var e = j
                    while e > s && (p[e - 1] == 0x0D || p[e - 1] == 0x20) { e -= 1 }
                    if e > s {
                        spans.append((n, s, e))
                        total += e - s
                    }
                    i = j + 1
                }
            }
        }
        count = spans.count
        bytes = total
        capacity = total + spans.count * padding + 64
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0x20, count: capacity)
        starts = .allocate(capacity: count)
        lengths = .allocate(capacity: count)
        var at = 0
        for (k, (n, s, e)) in spans.enumerated() {
            texts[n].withUnsafeBytes { raw in
                (base + at).copyMemory(from: raw.baseAddress! + s, byteCount: e - s)
            }
            starts[k] = Int64(at)
            lengths[k] = Int64(e - s)
            at += e - s + padding
        }
    }

    @inline(__always)
    public func message(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + Int(starts[i]), count: Int(lengths[i]))
    }
}

public struct CaptureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

// MARK: the Swift parser's pass

/// BTCUSDT then ETHUSDT, prices 2 decimals, quantities 3 (the same in the C++ baseline).
public func makeParser() throws -> BinanceStreamParser {
    var table = SymbolTable()
    _ = try table.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
    _ = try table.intern(.init(name: "ETHUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
    return BinanceStreamParser(symbols: BinanceSymbols(table))
}

public let checksumSeed: UInt64 = 0xcbf2_9ce4_8422_2325

@inline(__always)
public func mix(_ h: inout UInt64, _ v: Int64) { h = (h ^ UInt64(bitPattern: v)) &* 0x100_0000_01b3 }

/// The fields every implementation extracts, folded in the same order as `csj_run` does.
@inline(__always)
public func fold(_ h: inout UInt64, _ result: Result<BinanceStreamMessage, BinanceParseError>) {
    switch result {
    case .success(.market(let event)):
        switch event.body {
        case .trade(let t):
            mix(&h, 1); mix(&h, Int64(event.symbol.index)); mix(&h, t.eventTimeMs); mix(&h, t.tradeTimeMs)
            mix(&h, t.tradeID); mix(&h, t.price.raw); mix(&h, t.quantity.raw); mix(&h, t.aggressor == .sell ? 1 : 0)
        case .bookTicker(let b):
            mix(&h, 2); mix(&h, Int64(event.symbol.index)); mix(&h, b.eventTimeMs); mix(&h, b.updateID)
            mix(&h, b.bidPrice.raw); mix(&h, b.bidQuantity.raw); mix(&h, b.askPrice.raw); mix(&h, b.askQuantity.raw)
        default:
            mix(&h, -1)  // not in the capture
        }
    case .success(.depth(let d)):
        mix(&h, 3); mix(&h, Int64(d.symbol.index)); mix(&h, d.eventTimeMs); mix(&h, d.transactionTimeMs)
        mix(&h, d.firstUpdateId); mix(&h, d.finalUpdateId); mix(&h, d.previousFinalUpdateId)
    case .success(.depthSnapshot(let lastUpdateId, let eventTimeMs, let transactionTimeMs)):
        mix(&h, 4); mix(&h, lastUpdateId); mix(&h, eventTimeMs); mix(&h, transactionTimeMs)
    case .success:
        mix(&h, -1)  // replies / ignored events: not in the capture
    case .failure:
        mix(&h, -1)
    }
}

/// One pass of the engine's parser over every message; returns the checksum.
@inline(never)
public func swiftPass(_ parser: inout BinanceStreamParser, _ capture: Capture) -> UInt64 {
    swiftPass(&parser, base: capture.base, starts: capture.starts, lengths: capture.lengths, count: capture.count)
}

/// The same over a subset (`starts`/`lengths` may list any messages of the buffer).
@inline(never)
public func swiftPass(_ parser: inout BinanceStreamParser, base: UnsafeMutableRawPointer,
                      starts: UnsafePointer<Int64>, lengths: UnsafePointer<Int64>, count: Int) -> UInt64
{
    var h = checksumSeed
    for i in 0..<count {
        let message = UnsafeRawBufferPointer(start: base + Int(starts[i]), count: Int(lengths[i]))
        fold(&h, parser.parse(message, ingressNs: 0))
    }
    return h
}

/// Message kinds of the capture, by the `"e"` value (or the snapshot line), for per-kind timing.
public func kindOf(_ message: UnsafeRawBufferPointer) -> String {
    let bytes = message.bindMemory(to: UInt8.self)
    func contains(_ needle: String) -> Bool {
        let n = Array(needle.utf8)
        if bytes.count < n.count { return false }
        let limit = min(bytes.count - n.count, 120)  // the event name sits near the start
        var i = 0
        while i <= limit {
            var j = 0
            while j < n.count && bytes[i + j] == n[j] { j += 1 }
            if j == n.count { return true }
            i += 1
        }
        return false
    }
    if contains("\"lastUpdateId\"") { return "snapshot" }
    if contains("\"e\":\"depthUpdate\"") { return "depthUpdate" }
    if contains("\"e\":\"bookTicker\"") { return "bookTicker" }
    if contains("\"e\":\"trade\"") { return "trade" }
    return "other"
}
