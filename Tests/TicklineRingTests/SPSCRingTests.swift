import TicklineTestSupport
import Testing
import TicklineCore
import TicklineRing

#if canImport(Glibc)
import Glibc
#endif

/// A 64-byte message whose first and last words both carry the sequence number: a consumer that
/// sees them differ has read a slot while the producer was writing it (a torn read).
struct LitmusMessage: Equatable {
    var first: UInt64
    var a: UInt64, b: UInt64, c: UInt64, d: UInt64, e: UInt64, f: UInt64
    var last: UInt64

    init(_ seq: UInt64) {
        first = seq
        a = seq &* 3; b = seq &* 5; c = seq &* 7; d = seq &* 11; e = seq &* 13; f = seq &* 17
        last = seq
    }

    var isIntact: Bool { self == LitmusMessage(first) && first == last }
}

@Suite struct SPSCRingTests {
    @Test func capacityMustBeAPowerOfTwo() async {
        await #expect(processExitsWith: .failure) { _ = SPSCRing<UInt64>(capacity: 12) }
    }

    @Test func fifoOrderAndWraparound() {
        let ring = SPSCRing<UInt64>(capacity: 8)
        var next: UInt64 = 0, expected: UInt64 = 0
        // 1000 rounds of pushing 5 and popping 5 wrap the 8-slot ring many times.
        for _ in 0..<1000 {
            for _ in 0..<5 { #expect(ring.tryPush(next)); next += 1 }
            var v: UInt64 = 0
            for _ in 0..<5 {
                #expect(ring.tryPop(into: &v))
                #expect(v == expected)
                expected += 1
            }
        }
        #expect(ring.publishedCount == 5000 && ring.consumedCount == 5000)
    }

    @Test func fullAndEmpty() {
        let ring = SPSCRing<UInt64>(capacity: 4)
        var v: UInt64 = 0
        #expect(!ring.tryPop(into: &v))
        #expect(ring.isEmpty)
        for i in 0..<4 { #expect(ring.tryPush(UInt64(i))) }
        #expect(!ring.tryPush(99))
        #expect(!ring.tryPush(99))
        #expect(ring.fullEventCount == 2)
        #expect(ring.count == 4)
        #expect(ring.tryPop(into: &v) && v == 0)
        #expect(ring.tryPush(4))
        // A batch ends at the consumer's cached tail; the next drain refreshes it.
        var seen: [UInt64] = []
        while ring.drain(limit: 100, { seen.append($0.pointee); return true }) > 0 {}
        #expect(seen == [1, 2, 3, 4])
        #expect(ring.isEmpty)
    }

    @Test func drainRespectsLimitAndRefusal() {
        let ring = SPSCRing<UInt64>(capacity: 16)
        for i in 0..<10 { _ = ring.tryPush(UInt64(i)) }
        var seen: [UInt64] = []
        #expect(ring.drain(limit: 3) { seen.append($0.pointee); return true } == 3)
        #expect(seen == [0, 1, 2])
        // The handler refuses the third message: it stays first in line.
        var calls = 0
        #expect(ring.drain(limit: 100) { _ in calls += 1; return calls < 3 } == 2)
        #expect(ring.drain(limit: 1) { seen.append($0.pointee); return true } == 1)
        #expect(seen.last == 5)
        #expect(ring.count == 4)
    }

    @Test func claimFillPublishInPlace() {
        let ring = SPSCRing<LitmusMessage>(capacity: 4)
        let slot = ring.tryClaim()!
        #expect(ring.tryClaim() == slot)  // claiming again without publishing: same slot
        slot.initialize(to: LitmusMessage(7))
        var out = LitmusMessage(0)
        #expect(!ring.tryPop(into: &out))  // not visible before publish
        ring.publish()
        #expect(ring.tryPop(into: &out) && out == LitmusMessage(7))
    }

    @Test func dropOldestKeepsTheNewestAndCounts() {
        let ring = SPSCRing<UInt64>(capacity: 4, policy: .dropOldest)
        for i in 0..<10 { #expect(ring.offer(UInt64(i))) }
        #expect(ring.dropCount == 6)
        var seen: [UInt64] = []
        _ = ring.drain(limit: 100) { seen.append($0.pointee); return true }
        #expect(seen == [6, 7, 8, 9])
    }

    @Test func waitPolicyNeverDrops() {
        let ring = SPSCRing<UInt64>(capacity: 2, policy: .wait)
        #expect(ring.offer(1) && ring.offer(2))
        #expect(!ring.offer(3))
        #expect(ring.dropCount == 0 && ring.fullEventCount == 1)
    }

    /// Producer and consumer on two threads: ≥ 10 M messages (1 M under ThreadSanitizer, set by
    /// TICKLINE_RING_STRESS_MESSAGES), every one in order, intact, and summed.
    @Test func multiThreadedStressWithChecksumAndTornReadLitmus() throws {
        let total = UInt64(stressMessages)
        let ring = SPSCRing<LitmusMessage>(capacity: 1024)
        let producer = try TestThread {
            var seq: UInt64 = 1
            while seq <= total {
                if let slot = ring.tryClaim() {
                    slot.initialize(to: LitmusMessage(seq))
                    ring.publish()
                    seq += 1
                } else {
                    sched_yield()
                }
            }
        }
        var expected: UInt64 = 1, checksum: UInt64 = 0, torn = 0, outOfOrder = 0
        var idleSpins = 0
        while expected <= total && idleSpins < 50_000_000 {
            let n = ring.drain(limit: 256) { m in
                if !m.pointee.isIntact { torn += 1 }
                if m.pointee.first != expected { outOfOrder += 1 }
                checksum &+= m.pointee.last
                expected += 1
                return true
            }
            if n == 0 { idleSpins += 1; sched_yield() } else { idleSpins = 0 }
        }
        producer.join()
        #expect(expected == total + 1)
        #expect(torn == 0)
        #expect(outOfOrder == 0)
        #expect(checksum == total * (total + 1) / 2)
    }

    /// Drop-oldest under two threads: the consumer sees strictly increasing, intact messages, and
    /// what it received plus what was dropped is everything sent.
    @Test func dropOldestUnderConcurrency() throws {
        let total: UInt64 = 1_000_000
        let ring = SPSCRing<LitmusMessage>(capacity: 64, policy: .dropOldest)
        let producer = try TestThread {
            for seq in 1...total { ring.pushDroppingOldest(LitmusMessage(seq)) }
        }
        var received: UInt64 = 0, last: UInt64 = 0, torn = 0, backwards = 0
        var done = false
        while !done {
            let n = ring.drain(limit: 16) { m in
                if !m.pointee.isIntact { torn += 1 }
                if m.pointee.first <= last { backwards += 1 }
                last = m.pointee.first
                received += 1
                return true
            }
            if n == 0 {
                if last == total || (producer.isFinished && ring.isEmpty) { done = true } else { sched_yield() }
            }
        }
        producer.join()
        #expect(torn == 0)
        #expect(backwards == 0)
        #expect(last == total)
        #expect(received + UInt64(ring.dropCount) == total)
    }

    var stressMessages: Int {
        if let v = getenv("TICKLINE_RING_STRESS_MESSAGES"), let n = Int(String(cString: v)) { return n }
        return 10_000_000
    }
}
