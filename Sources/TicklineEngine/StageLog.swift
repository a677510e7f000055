import TicklineCore
import TicklineRing

/// A stage's log and alert output: fixed-size records into the stage's own ring, rendered to
/// text later by the log thread. Never formats, allocates or blocks; when the ring is full the
/// record is dropped and counted (the ring's full-event counter), so logging can never stall
/// trading.
public struct StageLog {
    public let stage: StageID
    public let ring: SPSCRingHandle<LogRecord>

    public init(stage: StageID, ring: SPSCRing<LogRecord>) {
        self.stage = stage
        self.ring = ring.handle
    }

    @inlinable
    public func log(_ code: LogCode, _ level: LogLevel, nowNs: UInt64, _ a: Int64? = nil, _ b: Int64? = nil,
                    _ c: Int64? = nil, _ d: Int64? = nil, places: (UInt8, UInt8) = (0, 0)) {
        guard let slot = ring.tryClaim() else { return }
        var r = LogRecord(code: code, level: level, stage: stage, timeNs: nowNs)
        if let a { r.append(a, places: places.0) }
        if let b { r.append(b, places: places.1) }
        if let c { r.append(c, places: 0) }
        if let d { r.append(d, places: 0) }
        slot.initialize(to: r)
        ring.publish()
    }
}
