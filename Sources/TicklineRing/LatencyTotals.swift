import Synchronization

/// Cumulative latency counts of a pipeline's recorders, taken while it runs: the one reader of
/// each `LatencyRecorder` (the metrics scrape and the end-of-run report both read the totals
/// here, so neither steals the other's counts).
///
/// `poll()` is non-blocking, called every second or so off the data plane: it collects the
/// recorders whose owners have switched buffers since the last call and asks for the next
/// switch. `finish()` (after the stages stopped) takes what is left. Totals lag by one poll.
/// The lock is the control plane's own; stage threads never take it.
public final class LatencyTotals: Sendable {
    public struct Hop: Sendable {
        public var name: String
        public var snapshot: LatencySnapshot
    }

    struct State {
        var totals: [LatencySnapshot]
        var pending: [UInt64?]
        var finished = false
    }

    let recorders: [UncheckedRecorder]
    let state: Mutex<State>

    struct UncheckedRecorder: @unchecked Sendable {
        let value: LatencyRecorder
    }

    public init(_ recorders: [LatencyRecorder]) {
        self.recorders = recorders.map(UncheckedRecorder.init)
        state = Mutex(State(totals: recorders.map { _ in LatencySnapshot() }, pending: recorders.map { _ in nil }))
    }

    /// Collects every recorder that has switched since the last poll and asks for the next switch.
    public func poll() {
        state.withLock { s in
            guard !s.finished else { return }
            for i in recorders.indices {
                let r = recorders[i].value
                if let g = s.pending[i] {
                    guard r.swapCompleted(g) else { continue }
                    r.collect(into: &s.totals[i])
                }
                s.pending[i] = r.requestSwap()
            }
        }
    }

    /// After the owners have stopped: takes both buffers of every recorder.
    public func finish() {
        state.withLock { s in
            guard !s.finished else { return }
            s.finished = true
            for i in recorders.indices { recorders[i].value.collect(into: &s.totals[i], includeActive: true) }
        }
    }

    /// Each recorder's name and totals so far.
    public var hops: [Hop] {
        state.withLock { s in recorders.indices.map { Hop(name: recorders[$0].value.name, snapshot: s.totals[$0]) } }
    }

    public func totals(_ name: String) -> LatencySnapshot? {
        state.withLock { s in recorders.firstIndex { $0.value.name == name }.map { s.totals[$0] } }
    }
}
