import Foundation
import Synchronization

/// The simulator's time: the wall clock, or a manual clock that only the admin API moves
/// (deterministic mode: same seed + same requests ⇒ byte-identical streams and fills).
final class SimClock: Sendable {
    private let manualMs: Mutex<Int64?>
    /// Added to the wall clock by the "skew the server clock" fault.
    private let skewMs = Atomic<Int64>(0)

    init(manualStartMs: Int64? = nil) {
        manualMs = Mutex(manualStartMs)
    }

    var isManual: Bool { manualMs.withLock { $0 != nil } }

    func nowMs() -> Int64 {
        if let m = manualMs.withLock({ $0 }) { return m + skewMs.load(ordering: .relaxed) }
        return Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) + skewMs.load(ordering: .relaxed)
    }

    /// Moves a manual clock forward; returns the new time, or nil for a live clock.
    func advance(byMs delta: Int64) -> Int64? {
        manualMs.withLock { m -> Int64? in
            guard let current = m else { return nil }
            m = current + max(0, delta)
            return m
        }
    }

    func setSkew(ms: Int64) { skewMs.store(ms, ordering: .relaxed) }
}
