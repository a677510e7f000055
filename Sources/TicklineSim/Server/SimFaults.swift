/// Faults the simulator can inject, from config, command-line flags or the admin API: so that
/// the engine's reconnect, retry, back-off and degradation paths are tested against a venue that
/// misbehaves the way real ones do.
struct SimFaults: Sendable, Equatable {
    /// Close every WebSocket connection every N seconds (0 = never).
    var dropConnectionsEverySeconds = 0
    /// Stop sending on WebSockets without closing them (half-open).
    var silent = false
    /// Every Nth stream message is malformed (0 = never): truncated JSON.
    var malformedEvery = 0
    /// Fraction (0…1) of REST calls answered with 503 / -1001.
    var restErrorFraction = 0.0
    /// Added delay before answering REST calls, in ms.
    var restDelayMs = 0
    /// Split every order into this many fills (1 = no partial fills).
    var partialFills = 1
}
