import Logging
import TicklineConfig
import TicklineCore
import TicklineStore

/// The daily retention job: snapshots, candles and signals past their retention are archived
/// (`RetentionArchive`, JSONL under `<store>/archive`) and deleted (`TicklineStore.applyRetention`).
/// Runs once at start-up (catching up on the days the engine was down), then every day at
/// `timeOfDayMs` UTC; a failed run is retried an hour later. Cold path: whoever owns the clock
/// calls `runIfDue` from a thread of its own (the run loop's main thread now, the control plane's
/// scheduler later), never a stage thread; its deletes take the journal environment's writer
/// lock one batch at a time, beside the journal writer.
public final class RetentionJob {
    public static let dayMs: Int64 = 86_400_000
    public static let retryAfterFailureMs: Int64 = 3_600_000

    public let store: TicklineStore
    public let storeDirectory: String
    public let policy: RetentionPolicy
    /// Milliseconds after 00:00 UTC of the daily run.
    public let timeOfDayMs: Int64
    let symbols: SymbolTable
    let logger: Logger
    /// When the next run is due (ms since the Unix epoch).
    public private(set) var nextRunMs: Int64
    public private(set) var runs = 0
    public private(set) var failures = 0
    public private(set) var lastResult: RetentionResult?

    /// - Parameters:
    ///   - symbols: names and scales for the archive's rows (`[venue] symbols` order).
    ///   - nowMs: the clock now; the first run is due at once.
    public init(store: TicklineStore, storeDirectory: String, policy: RetentionPolicy, timeOfDayMs: Int64,
                symbols: SymbolTable, logger: Logger, nowMs: Int64) {
        self.store = store
        self.storeDirectory = storeDirectory
        self.policy = policy
        self.timeOfDayMs = min(max(0, timeOfDayMs), Self.dayMs - 1)
        self.symbols = symbols
        self.logger = logger
        nextRunMs = nowMs
    }

    /// The job `[store]` describes (retention days, daily time) over `store`.
    public convenience init(_ settings: StoreSettings, store: TicklineStore, symbols: SymbolTable, logger: Logger,
                            nowMs: Int64) {
        self.init(store: store, storeDirectory: settings.directory,
                  policy: RetentionPolicy(snapshotsDays: settings.retentionSnapshotsDays,
                                          candlesDays: settings.retentionCandlesDays,
                                          signalsDays: settings.retentionSignalsDays),
                  timeOfDayMs: Int64(settings.retentionMinuteOfDay) * 60_000, symbols: symbols, logger: logger,
                  nowMs: nowMs)
    }

    /// The first daily slot strictly after `nowMs`.
    public static func nextSlot(after nowMs: Int64, timeOfDayMs: Int64) -> Int64 {
        let midnight = nowMs - ((nowMs % dayMs) + dayMs) % dayMs
        let today = midnight + timeOfDayMs
        return today > nowMs ? today : today + dayMs
    }

    /// Runs the job when it is due; the result when it ran (nil: not due, or it failed).
    @discardableResult
    public func runIfDue(nowMs: Int64) -> RetentionResult? {
        guard nowMs >= nextRunMs else { return nil }
        runs += 1
        let archive = RetentionArchive(storeDirectory: storeDirectory, nowMs: nowMs, symbols: symbols)
        do {
            let result = try store.applyRetention(nowMs: nowMs, policy: policy, export: archive.write)
            nextRunMs = Self.nextSlot(after: nowMs, timeOfDayMs: timeOfDayMs)
            lastResult = result
            for e in result.corrupt { logger.error("Retention: \(e); the record is kept, neither archived nor deleted") }
            logger.info("""
                Retention: \(result.snapshots) snapshots, \(result.snapshotPositions) snapshot positions, \
                \(result.candles) candles and \(result.signals) signals archived to \(archive.directory) and deleted \
                (\(result.batches) batches)
                """)
            return result
        } catch {
            failures += 1
            nextRunMs = nowMs + Self.retryAfterFailureMs
            logger.error("Retention failed: \(error); nothing past the failing batch was deleted, retrying in 1 h")
            return nil
        }
    }
}
