import CMallocCount
import CSimdjsonBaseline
import Foundation
import ParserBenchSupport
import TicklineBinance

#if canImport(Glibc)
import Glibc
#endif

// ParserCompare [rounds]                         interleaved Swift / simdjson / JSONDecoder (default 9)
// ParserCompare callgrind swift|simdjson [passes] [kind]  only that parser over the capture (for valgrind)

func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(("ParserCompare: FAIL: " + message + "\n").data(using: .utf8)!)
    exit(1)
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

let args = CommandLine.arguments
let padding = Int(csj_padding())
let loadStart = nowNs()
let capture: Capture
do { capture = try Capture.loadDefault(padding: padding) } catch { fail("\(error)") }
let loadMs = Double(nowNs() - loadStart) / 1e6

let simd = csj_create()!
@inline(never)
func simdjsonPass(_ simd: OpaquePointer, _ capture: Capture) -> csj_result {
    var r = csj_result()
    csj_run(simd, capture.base.assumingMemoryBound(to: UInt8.self), capture.starts, capture.lengths,
            Int64(capture.count), &r)
    return r
}
@MainActor func simdPass() -> csj_result { simdjsonPass(simd, capture) }

if args.count > 1 && args[1] == "callgrind" {
    let which = args.count > 2 ? args[2] : "swift"
    let passes = args.count > 3 ? Int(args[3]) ?? 1 : 1
    // Optional 4th argument: only messages of one kind (bookTicker, trade, depthUpdate, snapshot).
    var indices = Array(0..<capture.count)
    if args.count > 4 { indices = indices.filter { kindOf(capture.message($0)) == args[4] } }
    let starts = indices.map { capture.starts[$0] }, lengths = indices.map { capture.lengths[$0] }
    var h: UInt64 = 0
    var parser = try makeParser()
    for _ in 0..<passes {
        switch which {
        case "swift":
            h ^= starts.withUnsafeBufferPointer { s in
                lengths.withUnsafeBufferPointer { l in
                    swiftPass(&parser, base: capture.base, starts: s.baseAddress!, lengths: l.baseAddress!, count: indices.count)
                }
            }
        case "simdjson":
            var r = csj_result()
            csj_run(simd, capture.base.assumingMemoryBound(to: UInt8.self), starts, lengths, Int64(indices.count), &r)
            h ^= r.checksum
        default: fail("callgrind swift|simdjson [passes] [kind]")
        }
    }
    print("callgrind \(which) passes=\(passes) messages=\(indices.count) checksum=\(String(h, radix: 16))")
    exit(0)
}

let rounds = args.count > 1 ? max(1, Int(args[1]) ?? 9) : 9
print("ParserCompare: \(capture.count) messages, \(capture.bytes) bytes of JSON (mean \(capture.bytes / capture.count) B), loaded in \(f(loadMs, 0)) ms; \(rounds) interleaved rounds")

var parser = try makeParser()
let decoder = JSONDecoder()

// Warm-up and verification.
let swiftSum = swiftPass(&parser, capture)
if parser.totalErrors != 0 { fail("Swift parser rejected \(parser.totalErrors) messages") }
let simdResult = simdPass()
if simdResult.errors != 0 { fail("simdjson baseline rejected \(simdResult.errors) messages") }
let foundationSum = foundationPass(decoder, capture)
print("checksums: swift \(String(swiftSum, radix: 16))  simdjson \(String(simdResult.checksum, radix: 16))  JSONDecoder \(String(foundationSum, radix: 16))")
if swiftSum != simdResult.checksum { fail("Swift and simdjson checksums differ") }
if swiftSum != foundationSum { fail("Swift and JSONDecoder checksums differ") }

// Mallocs in one more Swift pass (interposed counter in this process).
let mallocsBefore = pc_malloc_count()
let again = swiftPass(&parser, capture)
let swiftMallocs = pc_malloc_count() &- mallocsBefore
if again != swiftSum { fail("Swift checksum changed between passes") }
let mallocsBeforeSimd = pc_malloc_count()
_ = simdPass()
let simdMallocs = pc_malloc_count() &- mallocsBeforeSimd
let mallocsBeforeFoundation = pc_malloc_count()
_ = foundationPass(decoder, capture)
let foundationMallocs = pc_malloc_count() &- mallocsBeforeFoundation

var swiftNs: [Double] = [], simdNs: [Double] = [], foundationNs: [Double] = []
var vsSimd: [Double] = [], vsFoundation: [Double] = []
let orders: [[Int]] = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [1, 0, 2], [2, 1, 0]]
let n = Double(capture.count)
for round in 0..<rounds {
    var t = [0.0, 0.0, 0.0]
    for which in orders[round % orders.count] {
        let start = nowNs()
        switch which {
        case 0: if swiftPass(&parser, capture) != swiftSum { fail("Swift checksum changed") }
        case 1: if simdPass().checksum != swiftSum { fail("simdjson checksum changed") }
        default: if foundationPass(decoder, capture) != swiftSum { fail("JSONDecoder checksum changed") }
        }
        t[which] = Double(nowNs() - start) / n
    }
    swiftNs.append(t[0]); simdNs.append(t[1]); foundationNs.append(t[2])
    vsSimd.append(t[1] / t[0]); vsFoundation.append(t[2] / t[0])
    print("round \(round + 1): swift \(f(t[0])) ns/msg  simdjson \(f(t[1])) ns/msg  JSONDecoder \(f(t[2])) ns/msg  swift/simdjson throughput \(f(t[1] / t[0], 2))x")
}

// Per kind: Swift and simdjson over the messages of one kind (median of 5 interleaved passes).
print("")
// Each kind's messages are copied into one contiguous buffer first (same bytes, same padding,
// read by both parsers): picked out of the full capture in place, they sit between the other
// kinds' messages, and the gaps (a depth update is ~1.5 KB) cost both parsers cache misses that
// the full pass does not have.
print("per message kind (median of 5 interleaved passes over that kind's messages, copied contiguously):")
var byKind: [String: [Int]] = [:]
for i in 0..<capture.count { byKind[kindOf(capture.message(i)), default: []].append(i) }
for kind in ["bookTicker", "trade", "depthUpdate", "snapshot", "other"] {
    guard let indices = byKind[kind], !indices.isEmpty else { continue }
    let lengths = indices.map { capture.lengths[$0] }
    var starts: [Int64] = []
    var at: Int64 = 0
    for l in lengths {
        starts.append(at)
        at += l + Int64(padding)
    }
    let kindBase = UnsafeMutableRawPointer.allocate(byteCount: Int(at) + 64, alignment: 64)
    defer { kindBase.deallocate() }
    kindBase.initializeMemory(as: UInt8.self, repeating: 0x20, count: Int(at) + 64)
    for (j, i) in indices.enumerated() {
        (kindBase + Int(starts[j])).copyMemory(from: capture.base + Int(capture.starts[i]), byteCount: Int(lengths[j]))
    }
    let kindBytes = lengths.reduce(0, +)
    let k = Double(indices.count)
    var sw: [Double] = [], sj: [Double] = []
    for rep in 0..<5 {
        for which in (rep % 2 == 0 ? [0, 1] : [1, 0]) {
            let start = nowNs()
            if which == 0 {
                _ = starts.withUnsafeBufferPointer { s in
                    lengths.withUnsafeBufferPointer { l in
                        swiftPass(&parser, base: kindBase, starts: s.baseAddress!, lengths: l.baseAddress!, count: indices.count)
                    }
                }
                sw.append(Double(nowNs() - start) / k)
            } else {
                var r = csj_result()
                csj_run(simd, kindBase.assumingMemoryBound(to: UInt8.self), starts, lengths, Int64(indices.count), &r)
                sj.append(Double(nowNs() - start) / k)
            }
        }
    }
    let ms = median(sw), mj = median(sj)
    print("  \(kind.padding(toLength: 12, withPad: " ", startingAt: 0)) \(indices.count) msgs, mean \(Int(kindBytes) / indices.count) B: swift \(f(ms)) ns/msg (\(f(Double(kindBytes) / k / ms * 1000, 0)) MB/s)  simdjson \(f(mj)) ns/msg (\(f(Double(kindBytes) / k / mj * 1000, 0)) MB/s)  swift/simdjson throughput \(f(mj / ms, 2))x")
}

// Floor probe: one scalar byte walk over every message (no field extraction at all).
var scanNs: [Double] = []
for _ in 0..<5 {
    let start = nowNs()
    let h = scalarScanPass(capture)
    scanNs.append(Double(nowNs() - start) / n)
    if h == 0x5EED { print("") }
}
// What-if: the same algorithm with `data` parsed in place (one walk instead of two).
var probeNs: [Double] = [], probeRatio: [Double] = []
for rep in 0..<5 {
    var tp = 0.0, ts = 0.0
    for which in (rep % 2 == 0 ? [0, 1] : [1, 0]) {
        let start = nowNs()
        if which == 0 {
            if singlePassProbe(parser.symbols, capture) != swiftSum { fail("single-pass probe checksum differs") }
            tp = Double(nowNs() - start) / n
        } else {
            _ = swiftPass(&parser, capture)
            ts = Double(nowNs() - start) / n
        }
    }
    probeNs.append(tp); probeRatio.append(ts / tp)
}
print("")
print("what-if probe: same algorithm, data object walked in place instead of skipped then re-walked: \(f(median(probeNs))) ns/msg, \(f(median(probeRatio), 2))x the engine parser, \(f(median(simdNs) / median(probeNs), 2))x simdjson's throughput (same checksum)")
print("floor probe: one scalar string-aware byte walk over each message (what JSONCursor.value() does to skip), no extraction: \(f(median(scanNs))) ns/msg (\(f(Double(capture.bytes) / 1e6 / (median(scanNs) * n / 1e9), 0)) MB/s)")

let mb = Double(capture.bytes) / 1e6
func row(_ name: String, _ xs: [Double], _ mallocs: UInt64) -> String {
    let med = median(xs)
    let mbps = mb / (med * n / 1e9)
    return name.padding(toLength: 34, withPad: " ", startingAt: 0)
        + "median \(f(med)) ns/msg  min \(f(xs.min()!)) ns/msg  \(f(mbps, 0)) MB/s  \(f(Double(mallocs) / n, 3)) mallocs/msg"
}
print("")
print(row("Swift BinanceStreamParser", swiftNs, swiftMallocs))
print(row("simdjson ondemand (C++ -O2)", simdNs, simdMallocs))
print(row("Foundation JSONDecoder+Decimal", foundationNs, foundationMallocs))
print("throughput ratio (median of per-round ratios): Swift/simdjson \(f(median(vsSimd), 2))x  Swift/JSONDecoder \(f(median(vsFoundation), 2))x  (goal: Swift/simdjson >= 2x, 0 mallocs/msg)")
print("JSONDecoder decodes decimals as String, then Decimal(string:) scaled to Int64; simdjson and Swift convert decimal text straight to Int64 fixed point")
let summary: [(String, String)] = [
    ("swift_ns_per_msg", f(median(swiftNs), 2)), ("simdjson_ns_per_msg", f(median(simdNs), 2)),
    ("jsondecoder_ns_per_msg", f(median(foundationNs), 2)),
    ("swift_vs_simdjson", f(median(vsSimd), 3)), ("swift_vs_jsondecoder", f(median(vsFoundation), 3)),
    ("swift_min_ns_per_msg", f(swiftNs.min()!, 2)), ("simdjson_min_ns_per_msg", f(simdNs.min()!, 2)),
    ("jsondecoder_min_ns_per_msg", f(foundationNs.min()!, 2)),
    ("swift_mb_per_s", f(mb / (median(swiftNs) * n / 1e9), 1)), ("simdjson_mb_per_s", f(mb / (median(simdNs) * n / 1e9), 1)),
    ("jsondecoder_mb_per_s", f(mb / (median(foundationNs) * n / 1e9), 1)),
    ("swift_mallocs_per_msg", f(Double(swiftMallocs) / n, 4)),
    ("simdjson_mallocs_per_msg", f(Double(simdMallocs) / n, 4)),
    ("jsondecoder_mallocs_per_msg", f(Double(foundationMallocs) / n, 4)),
    ("single_pass_probe_ns_per_msg", f(median(probeNs), 2)),
    ("scalar_scan_floor_ns_per_msg", f(median(scanNs), 2)),
    ("rounds", "\(rounds)"), ("messages", "\(capture.count)"), ("bytes", "\(capture.bytes)"),
    ("checksum", "\"\(String(swiftSum, radix: 16))\""),
]
print("{" + summary.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
csj_destroy(simd)
