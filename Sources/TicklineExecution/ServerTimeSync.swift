/// The offset between our wall clock and the exchange's, for the `timestamp` of signed requests
/// and for the rate limiter's windows (which the exchange aligns to its own clock).
///
/// Measured from `GET /fapi/v1/time`: the server read its clock somewhere between our send and
/// our receive, so it is compared with the midpoint (NTP's assumption of a symmetric path):
/// `offset = serverTime − (sent + received) / 2`. A sample whose round trip is more than twice
/// the best one seen in the same sync round is discarded when a better one exists (a stalled
/// response says little about the offset). Binance rejects a `timestamp` ≥ serverTime + 1000 ms
/// or older than `recvWindow` with -1021; the client then calls `invalidate()`, re-syncs and
/// retries the request once.
///
/// A pure value: times are inputs (wall-clock milliseconds from the caller's clock).
public struct ServerTimeSync: Sendable, Equatable {
    /// Exchange time − local wall time, in ms.
    public private(set) var offsetMs: Int64 = 0
    /// Round trip of the sample the offset came from.
    public private(set) var roundTripMs: Int64 = 0
    /// At least one sample was taken and no -1021 has invalidated it since.
    public private(set) var isSynced = false
    /// Local wall time of the last accepted sample.
    public private(set) var lastSyncLocalMs: Int64 = 0
    /// Samples accepted.
    public private(set) var samples = 0
    /// Times a -1021 (or an operator) asked for a new sync.
    public private(set) var invalidations = 0

    public init() {}

    /// One `GET /fapi/v1/time` answer. Returns whether the sample was used.
    @discardableResult
    public mutating func record(serverTimeMs: Int64, sentLocalMs: Int64, receivedLocalMs: Int64) -> Bool {
        let rtt = max(0, receivedLocalMs - sentLocalMs)
        // Keep a clearly better earlier sample of the same validity period.
        if isSynced, rtt > 2 * max(roundTripMs, 1), receivedLocalMs - lastSyncLocalMs < 60_000 { return false }
        let midpoint = sentLocalMs + rtt / 2
        offsetMs = serverTimeMs - midpoint
        roundTripMs = rtt
        lastSyncLocalMs = receivedLocalMs
        isSynced = true
        samples += 1
        return true
    }

    /// The exchange's clock now, from ours.
    @inlinable
    public func venueTimeMs(localMs: Int64) -> Int64 { localMs + offsetMs }

    /// The offset is no longer trusted (a -1021): the next sample replaces it whatever its round trip.
    public mutating func invalidate() {
        isSynced = false
        invalidations += 1
    }
}
