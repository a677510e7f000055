import TicklineCore

/// Portfolio snapshots (US-SYSTEM-018: the equity curve and drawdown are computed from them).
///
/// A deadline inside `poll`, so replay reproduces it: due at `startNs + k × snapshotIntervalNs`
/// on the caller's monotonic clock; a late call takes one snapshot and keeps the cadence (no
/// burst of catch-up snapshots). When due, every account with an open position or a fill since
/// its last snapshot gets one `AccountSnapshot` (equity, cash = wallet, margin used, free margin,
/// unrealized PnL, position count — as `snapshot(_:)` reports them) and one `PositionUpdate` per
/// open position with `eventTimeMs` = the snapshot's time; accounts with neither are skipped.
///
/// ## The snapshot's time
/// The monotonic `nowNs` is no calendar time, and the store keys snapshots by wall-clock ms. The
/// caller passes `wallTimeMs` (the risk stage reads its clock's wall time, only when a snapshot
/// is due: `nextSnapshotDueNs`); without it (0) the engine uses the latest venue event time it
/// has seen (`latestEventTimeMs`), which is deterministic but stalls in a quiet market. Either
/// way an account's snapshot times strictly increase (last + 1 ms at least), so a stalled clock
/// never overwrites an earlier snapshot.
extension RiskEngine {
    /// The latest venue event time seen: market events and execution reports.
    public var latestEventTimeMs: Int64 {
        var latest = lastExecutionTimeMs
        for s in 0..<symbolCount where symbols[s].lastEventTimeMs > latest { latest = symbols[s].lastEventTimeMs }
        return latest
    }

    mutating func takeSnapshots(nowNs: UInt64, wallTimeMs: Int64) {
        repeat { nextSnapshotDueNs &+= snapshotIntervalNs } while nextSnapshotDueNs <= nowNs
        let time = wallTimeMs > 0 ? wallTimeMs : latestEventTimeMs
        for a in 0..<accountCount {
            let base = slotIndex(a, 0)
            var open = 0
            for i in base..<(base + symbolCount) where slots[i].quantity.raw > 0 { open += 1 }
            guard open > 0 || accounts[a].filledSinceSnapshot else { continue }
            accounts[a].filledSinceSnapshot = false
            let timeMs = max(time, accounts[a].lastSnapshotTimeMs &+ 1)
            accounts[a].lastSnapshotTimeMs = timeMs
            let account = AccountID(UInt16(a))
            let view = snapshot(account)
            let row = AccountSnapshot(timeNs: nowNs, timeMs: timeMs, account: account, equity: view.equity,
                                      cashBalance: view.walletBalance, marginUsed: view.marginUsed,
                                      freeMargin: view.availableMargin, unrealizedPnL: view.unrealizedPnL,
                                      positionCount: UInt16(clamping: open))
            guard outbox.accountSnapshots.append(row) else {
                counters.outboxOverflows += 1
                continue
            }
            counters.snapshots += 1
            for s in 0..<symbolCount where slots[base &+ s].quantity.raw > 0 {
                guard let u = positionUpdate(a, s, nowNs: nowNs, eventTimeMs: timeMs) else { continue }
                if !outbox.snapshotPositions.append(u) { counters.outboxOverflows += 1 }
            }
        }
    }
}
