import Foundation
import Logging
import Testing
import TicklineCore
import TicklineEngine
import TicklineStore

/// The daily retention job on an injected clock: due at start-up, then at the configured UTC time
/// each day; a failed run keeps the records and retries an hour later.
@Suite struct RetentionJobTests {
    static let day: Int64 = 86_400_000
    /// 2026-11-25T12:00:00Z.
    static let now: Int64 = 1_795_608_000_000

    func withStore<R>(_ body: (TicklineStore, String) throws -> R) throws -> R {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("tickline-retention-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(try TicklineStore(directory: dir.path, options: .small(mapSizeBytes: 4 << 20)), dir.path)
    }

    func snapshot(_ timeMs: Int64) -> PortfolioSnapshot {
        PortfolioSnapshot(account: AccountID(0), timeMs: timeMs, totalEquity: Price(raw: 1_000_000_000_00),
                          cashBalance: Price(raw: 1_000_000_000_00), marginUsed: .zero, freeMargin: Price(raw: 1_000_000_000_00),
                          unrealizedPnL: .zero, positionCount: 0)
    }

    func makeJob(_ store: TicklineStore, _ dir: String) -> RetentionJob {
        RetentionJob(store: store, storeDirectory: dir, policy: RetentionPolicy(), timeOfDayMs: 3 * 3_600_000,
                     symbols: SymbolTable(), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, nowMs: Self.now)
    }

    @Test func theNextSlotIsTheFirstDailyTimeAfterNow() {
        let threeAM: Int64 = 3 * 3_600_000
        let midnight = Self.now - 12 * 3_600_000  // 2026-11-25T00:00Z
        #expect(RetentionJob.nextSlot(after: Self.now, timeOfDayMs: threeAM) == midnight + Self.day + threeAM)
        #expect(RetentionJob.nextSlot(after: midnight + 3_600_000, timeOfDayMs: threeAM) == midnight + threeAM)
        #expect(RetentionJob.nextSlot(after: midnight + threeAM, timeOfDayMs: threeAM) == midnight + Self.day + threeAM,
                "exactly at the slot: the next day's")
    }

    @Test func runsAtStartThenDailyArchivingWhatItDeletes() throws {
        try withStore { store, dir in
            try store.putSnapshot(snapshot(Self.now - 400 * Self.day))  // past 365 days
            try store.putSnapshot(snapshot(Self.now - 10 * Self.day))
            let job = makeJob(store, dir)
            let first = try #require(job.runIfDue(nowMs: Self.now), "due at start-up")
            #expect(first.snapshots == 1 && first.deleted == 1)
            let archived = try String(contentsOfFile: dir + "/archive/snapshots-2026-11-25.jsonl", encoding: .utf8)
            #expect(archived.split(separator: "\n").count == 1 && archived.contains("\(Self.now - 400 * Self.day)"))
            let midnight = Self.now - 12 * 3_600_000
            #expect(job.nextRunMs == midnight + Self.day + 3 * 3_600_000, "tomorrow 03:00 UTC")
            #expect(job.runIfDue(nowMs: job.nextRunMs - 1) == nil && job.runs == 1, "not due before the slot")

            // A year later the other snapshot is past retention too.
            let later = Self.now + 360 * Self.day
            #expect(job.runIfDue(nowMs: later)?.snapshots == 1)
            #expect(job.runs == 2 && job.failures == 0)
        }
    }

    @Test func aFailedRunKeepsTheRecordsAndRetriesInAnHour() throws {
        try withStore { store, dir in
            try store.putSnapshot(snapshot(Self.now - 400 * Self.day))
            // The archive cannot be written: a file where its directory should be.
            #expect(FileManager.default.createFile(atPath: dir + "/archive", contents: Data("x".utf8)))
            let job = makeJob(store, dir)
            #expect(job.runIfDue(nowMs: Self.now) == nil)
            #expect(job.failures == 1 && job.nextRunMs == Self.now + RetentionJob.retryAfterFailureMs)
            #expect(job.lastResult == nil)
            try FileManager.default.removeItem(atPath: dir + "/archive")
            #expect(job.runIfDue(nowMs: job.nextRunMs)?.snapshots == 1, "archived and deleted on the retry")
        }
    }
}
