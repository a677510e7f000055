// RingCompare: Swift SPSCRing vs the C ring of the same design, interleaved inside one process.
//
// Cross-vCPU latency on the project VM jumps between ~90, ~220 and ~850 ns round trip as the host
// moves vCPUs (PLATFORM-NOTES section 3), so two separate runs can "differ" by 4x for reasons that
// have nothing to do with the code. Here every round runs Swift and C back to back (alternating
// which goes first), and the verdict is the median over rounds of the per-round Swift/C ratio.
//
//   RingCompare [rounds=20] [rtt-iterations=200000] [throughput-messages=2000000]
//   RingCompare callgrind swift|swift-drain|c|locked N
//       N single-thread push+pop pairs of one implementation and nothing else, for
//       scripts/ring-instructions.sh ((Ir(1.1M) - Ir(0.1M)) / 1M = instructions per pair).
import CRingBaseline
import Glibc
import Histogram
import RingBenchSupport
import TicklineRing

let pingCPU: Int32 = 0
let pongCPU: Int32 = 1

func fail(_ message: String) -> Never {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func usage() -> Never {
    fail("""
        usage: RingCompare [rounds=20] [rtt-iterations=200000] [throughput-messages=2000000]
               RingCompare callgrind swift|swift-drain|c|locked N
        """)
}

let args = Array(CommandLine.arguments.dropFirst())

// MARK: callgrind mode

if args.first == "callgrind" {
    guard args.count == 3, let n = Int(args[2]), n >= 0 else { usage() }
    let checksum: UInt64
    switch args[1] {
    case "swift":
        checksum = swiftPushPopLoop(SPSCRing<Msg64>(capacity: defaultRingCapacity, name: "callgrind"), n)
    case "swift-drain":
        checksum = swiftPushDrainLoop(SPSCRing<Msg64>(capacity: defaultRingCapacity, name: "callgrind"), n)
    case "c":
        guard let ring = crb_ring_create(defaultRingCapacity) else { fail("crb_ring_create failed") }
        checksum = crb_pushpop_loop(ring, UInt64(n))
        crb_ring_destroy(ring)
    case "locked":
        checksum = lockedPushPopLoop(LockedQueue<Msg64>(capacity: defaultRingCapacity), n)
    default:
        usage()
    }
    print("callgrind \(args[1]) n=\(n) checksum=\(checksum)")
    exit(0)
}

// MARK: comparison mode

func positional(_ i: Int, _ def: Int) -> Int {
    guard i < args.count else { return def }
    guard let v = Int(args[i]), v > 0 else { usage() }
    return v
}
if args.count > 3 { usage() }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fmt(_ x: Double, _ digits: Int = 1) -> String {
    guard x.isFinite else { return "null" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (x * scale).rounded() / scale
    var s = "\(r)"
    if digits == 0, s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

struct RTTStats {
    var p50: Double          // ns
    var p99: Double          // ns
    /// Mean of the samples at or below p99, ns. rdtsc on this VM advances in steps of ~10 ns, so
    /// p50 is quantized to 10 ns; this mean resolves smaller differences and ignores the tail.
    var trimmedMean: Double
}

/// Sorts the tick samples in place.
func rttStats(_ ticks: UnsafeMutableBufferPointer<UInt64>, ticksPerNs: Double) -> RTTStats {
    var ticks = ticks
    ticks.sort()
    let n = ticks.count
    let i99 = min(n - 1, n * 99 / 100)
    var sum = 0.0
    for i in 0...i99 { sum += Double(ticks[i]) }
    return RTTStats(p50: Double(ticks[n / 2]) / ticksPerNs, p99: Double(ticks[i99]) / ticksPerNs,
                    trimmedMean: sum / Double(i99 + 1) / ticksPerNs)
}

func compare(rounds: Int, rttIterations: Int, throughputMessages: Int) {
    checkMessageLayout()
    guard crb_available_cpu_count() >= 2 else {
        fail("RingCompare needs 2 CPUs in its affinity mask (found \(crb_available_cpu_count()))")
    }
    let ticksPerNs = crb_tsc_ticks_per_ns(100)

    let swiftTicks = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: rttIterations)
    let cTicks = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: rttIterations)
    swiftTicks.initialize(repeating: 0)
    cTicks.initialize(repeating: 0)
    defer { swiftTicks.deallocate(); cTicks.deallocate() }

    // Pooled over all rounds, in TSC ticks (for the tails of each side).
    var swiftPooled = Histogram<UInt64>(highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)
    var cPooled = Histogram<UInt64>(highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)

    func runSwiftRTT() -> RTTStats {
        let errors = swiftRunPingPong(cpuPing: pingCPU, cpuPong: pongCPU, n: rttIterations,
                                      ticks: swiftTicks.baseAddress!)
        if errors != 0 { fail("Swift ping-pong: \(errors) wrong echoes") }
        for t in swiftTicks { _ = swiftPooled.record(t) }
        return rttStats(swiftTicks, ticksPerNs: ticksPerNs)
    }

    func runCRTT() -> RTTStats {
        let errors = crb_run_pingpong(pingCPU, pongCPU, UInt64(rttIterations), defaultRingCapacity,
                                      cTicks.baseAddress!)
        if errors != 0 { fail("C ping-pong: \(errors) wrong echoes (or a thread did not start)") }
        for t in cTicks { _ = cPooled.record(t) }
        return rttStats(cTicks, ticksPerNs: ticksPerNs)
    }

    // Consumer fold of messages 0..<m of the template: sum of seq plus (1+2+...+7) per message.
    let m = UInt64(throughputMessages)
    let expectedChecksum = (m &* (m &- 1) / 2) &+ m &* 28

    func runSwiftThroughput() -> Double {
        let r = swiftRunThroughput(cpuProducer: pingCPU, cpuConsumer: pongCPU, messages: throughputMessages)
        if r.errors != 0 || r.checksum != expectedChecksum {
            fail("Swift throughput: \(r.errors) out of order, checksum \(r.checksum) != \(expectedChecksum)")
        }
        return Double(throughputMessages) / (Double(r.elapsedNs) / 1e9)
    }

    func runCThroughput() -> Double {
        var elapsed: UInt64 = 0
        var checksum: UInt64 = 0
        let errors = crb_run_throughput(pingCPU, pongCPU, UInt64(throughputMessages), defaultRingCapacity,
                                        &elapsed, &checksum)
        if errors != 0 || checksum != expectedChecksum {
            fail("C throughput: \(errors) out of order, checksum \(checksum) != \(expectedChecksum)")
        }
        return Double(throughputMessages) / (Double(elapsed) / 1e9)
    }

    print("""
        RingCompare: Swift SPSCRing vs C ring (same design, clang -O2), interleaved in one process
        \(rounds) rounds; per round and side: \(rttIterations) ping-pong round trips, \
        \(throughputMessages) one-way messages
        ping/producer on CPU \(pingCPU), pong/consumer on CPU \(pongCPU), spinning; ring capacity \
        \(defaultRingCapacity), \(MemoryLayout<Msg64>.stride)-byte messages
        TSC \(fmt(ticksPerNs, 3)) ticks/ns (calibrated against CLOCK_MONOTONIC)
        RTT ratios > 1: Swift slower. Throughput ratio > 1: Swift faster. tmean = mean of samples <= p99.
        """)
    print("")
    print("round first | RTT p50 ns  Swift      C Swift/C | tmean ns  Swift      C Swift/C |"
          + " p99 ns Swift     C | M msg/s  Swift      C Swift/C")

    var rttRatios: [Double] = [], meanRatios: [Double] = [], tpRatios: [Double] = []
    var swiftP50s: [Double] = [], cP50s: [Double] = []
    var swiftMeans: [Double] = [], cMeans: [Double] = []
    var swiftRates: [Double] = [], cRates: [Double] = []

    for round in 0..<rounds {
        let swiftFirst = round % 2 == 0
        let s: RTTStats, c: RTTStats
        let sRate: Double, cRate: Double
        if swiftFirst {
            s = runSwiftRTT(); c = runCRTT()
            sRate = runSwiftThroughput(); cRate = runCThroughput()
        } else {
            c = runCRTT(); s = runSwiftRTT()
            cRate = runCThroughput(); sRate = runSwiftThroughput()
        }
        rttRatios.append(s.p50 / c.p50); meanRatios.append(s.trimmedMean / c.trimmedMean)
        tpRatios.append(sRate / cRate)
        swiftP50s.append(s.p50); cP50s.append(c.p50)
        swiftMeans.append(s.trimmedMean); cMeans.append(c.trimmedMean)
        swiftRates.append(sRate); cRates.append(cRate)
        print(pad("\(round + 1)", 5), pad(swiftFirst ? "swift" : "c", 5), "|",
              pad(fmt(s.p50, 0), 16), pad(fmt(c.p50, 0), 6), pad(fmt(rttRatios.last!, 3), 7), "|",
              pad(fmt(s.trimmedMean, 1), 14), pad(fmt(c.trimmedMean, 1), 6), pad(fmt(meanRatios.last!, 3), 7), "|",
              pad(fmt(s.p99, 0), 12), pad(fmt(c.p99, 0), 5), "|",
              pad(fmt(sRate / 1e6), 14), pad(fmt(cRate / 1e6), 6), pad(fmt(tpRatios.last!, 3), 7))
    }

    func minMedMax(_ xs: [Double], _ scale: Double = 1, _ digits: Int = 0) -> String {
        "\(fmt(xs.min()! / scale, digits)) / \(fmt(median(xs) / scale, digits)) / \(fmt(xs.max()! / scale, digits))"
    }

    func tails(_ h: Histogram<UInt64>) -> String {
        [99.0, 99.9, 99.99].map { "p\(fmt($0, 2).replacingOccurrences99()) \(fmt(Double(h.valueAtPercentile($0)) / ticksPerNs, 0))" }
            .joined(separator: " ")
    }

    let rttRatioMedian = median(rttRatios)
    let meanRatioMedian = median(meanRatios)
    let tpRatioMedian = median(tpRatios)
    print("")
    print("Summary over \(rounds) rounds (min / median / max):")
    print("  RTT p50 ns          Swift \(minMedMax(swiftP50s))   C \(minMedMax(cP50s))")
    print("  RTT p50 Swift/C     \(minMedMax(rttRatios, 1, 3))   -> median ratio \(fmt(rttRatioMedian, 3))")
    print("  RTT tmean ns        Swift \(minMedMax(swiftMeans, 1, 1))   C \(minMedMax(cMeans, 1, 1))")
    print("  RTT tmean Swift/C   \(minMedMax(meanRatios, 1, 3))   -> median ratio \(fmt(meanRatioMedian, 3))")
    print("  pooled RTT ns       Swift \(tails(swiftPooled))   C \(tails(cPooled))")
    print("  M msg/s             Swift \(minMedMax(swiftRates, 1e6, 1))   C \(minMedMax(cRates, 1e6, 1))")
    print("  msg/s Swift/C       \(minMedMax(tpRatios, 1, 3))   -> median ratio \(fmt(tpRatioMedian, 3))")
    print("")
    print("{\"rtt_p50_ratio_median\":\(fmt(rttRatioMedian, 4)),\"throughput_ratio_median\":\(fmt(tpRatioMedian, 4)),"
          + "\"swift_rtt_p50_ns_median\":\(fmt(median(swiftP50s), 1)),\"c_rtt_p50_ns_median\":\(fmt(median(cP50s), 1)),"
          + "\"swift_msgs_per_s_median\":\(fmt(median(swiftRates), 0)),\"c_msgs_per_s_median\":\(fmt(median(cRates), 0)),"
          + "\"rtt_tmean_ratio_median\":\(fmt(meanRatioMedian, 4)),"
          + "\"swift_rtt_tmean_ns_median\":\(fmt(median(swiftMeans), 1)),\"c_rtt_tmean_ns_median\":\(fmt(median(cMeans), 1)),"
          + "\"rounds\":\(rounds),\"rtt_iterations\":\(rttIterations),\"throughput_messages\":\(throughputMessages),"
          + "\"tsc_ticks_per_ns\":\(fmt(ticksPerNs, 4))}")
}

extension String {
    /// "99.9" stays, "99.0" becomes "99".
    fileprivate func replacingOccurrences99() -> String {
        hasSuffix(".0") ? String(dropLast(2)) : self
    }
}

compare(rounds: positional(0, 20), rttIterations: positional(1, 200_000),
        throughputMessages: positional(2, 2_000_000))
