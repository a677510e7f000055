import TicklineCore
import TicklineRing

/// The parse stage: turns market-data input into `MarketEvent`s for the indicator stage and, on
/// its own drop-oldest ring, latest prices for risk.
///
/// For now its input is the `SyntheticTickSource` (the io_uring socket and Binance parser of
/// the market-data issue replace it; the seam is `source.next`). Ticks are paced at
/// `ticksPerSecond` (0 = as fast as the pipeline takes them), and the stage stops taking input
/// when its output ring is full: back pressure, not loss.
public final class ParseStage<C: NanoClock>: Agent {
    public let roleName = "parse"
    public let rings: PipelineRings
    public let clock: C
    public let log: StageLog
    public let totalTicks: Int
    public let ticksPerSecond: Int
    /// Ticks taken per duty cycle. 1 runs each tick to completion through a fused thread before
    /// the next is read (lowest latency); larger batches trade latency for throughput.
    public var maxBatch = 1
    public private(set) var emitted = 0
    public private(set) var journalOverflows = 0
    var source: SyntheticTickSource
    var startNs: UInt64 = 0
    var journalSequence: UInt64 = 0
    let output: SPSCRingHandle<MarketEvent>
    let prices: SPSCRingHandle<MarketEvent>
    let journal: SPSCRingHandle<JournalRecord>

    public init(rings: PipelineRings, clock: C, source: SyntheticTickSource, totalTicks: Int, ticksPerSecond: Int) {
        self.rings = rings
        self.clock = clock
        self.source = source
        self.totalTicks = totalTicks
        self.ticksPerSecond = ticksPerSecond
        self.log = rings.log(.parse)
        self.output = rings.marketToIndicator.handle
        self.prices = rings.pricesToRisk.handle
        self.journal = rings.journal(.parse).handle
    }

    public var isFinished: Bool { emitted >= totalTicks }

    public func onStart() throws {
        startNs = clock.nowNs()
        log.log(.stageStarted, .info, nowNs: startNs)
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        guard emitted < totalTicks else { return 0 }
        var due = totalTicks
        if ticksPerSecond > 0 {
            let elapsed = nowNs &- startNs
            due = min(totalTicks, Int(elapsed / 1_000 &* UInt64(ticksPerSecond) / 1_000_000) &+ 1)
        }
        let batch = min(due &- emitted, maxBatch)
        var n = 0
        while n < batch {
            guard let slot = output.tryClaim() else { break }
            let now = clock.nowNs()
            let event = source.next(ingressNs: now, eventTimeMs: clock.wallTimeMs())
            slot.initialize(to: event)
            output.publish()
            if case .klineClosed(let k) = event.body {
                journalSequence &+= 1
                if !journal.tryPush(
                    JournalRecord(producer: .parse, sequence: journalSequence, body: .candle(event.symbol, k)))
                {
                    journalOverflows &+= 1
                }
            } else {
                _ = prices.offer(event)
            }
            n &+= 1
        }
        emitted &+= n
        if emitted == totalTicks { log.log(.pipelineTickSourceDone, .info, nowNs: nowNs, Int64(emitted)) }
        return n
    }

    public func onClose() {
        log.log(.stageStopped, .info, nowNs: clock.nowNs(), Int64(emitted))
    }
}
