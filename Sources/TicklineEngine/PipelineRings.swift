import TicklineCore
import TicklineRing

/// Every ring of the data plane, created once at start-up. One SPSC ring per (producer,
/// consumer) pair: risk alone reads five.
///
/// ```
/// parse ─marketToIndicator─▶ indicator ─indicatorToSignal─▶ signal ─signalToRisk─▶ risk ─riskToOrder─▶ order
///   └───────────────pricesToRisk (drop-oldest)──────────────────────────────────────▲ ▲ ▲   ◀─executionsToRisk─┘
///                                                     control plane ─commandsToRisk─┘ │
///                                                            store ─storeStatusToRisk─┘
/// parse, signal, risk, order ─journal rings─▶ store      signal, risk, order ─event rings─▶ publish
/// every stage ─log ring─▶ log thread
/// ```
public final class PipelineRings: @unchecked Sendable {
    public let marketToIndicator: SPSCRing<MarketEvent>
    public let pricesToRisk: SPSCRing<MarketEvent>
    public let indicatorToSignal: SPSCRing<IndicatorUpdate>
    public let signalToRisk: SPSCRing<Signal>
    public let riskToOrder: SPSCRing<OrderIntent>
    public let executionsToRisk: SPSCRing<ExecutionReport>
    public let commandsToRisk: SPSCRing<Command>
    public let storeStatusToRisk: SPSCRing<StoreStatus>
    /// Journal rings by producer (parse, signal, risk, order).
    public let journalRings: [SPSCRing<JournalRecord>]
    /// Event rings by producer (signal, risk, order).
    public let eventRings: [SPSCRing<EngineEvent>]
    /// One log ring per stage, indexed by `StageID.rawValue`.
    public let logRings: [SPSCRing<LogRecord>]
    /// The latest trade, mark, bid and ask per symbol: written by the parse stage, read by anyone
    /// who needs a price now rather than every price (the paper order stage's fills, the control
    /// plane's price updates).
    public let latestPrices: PriceCache
    /// The indicator stage's latest values per (symbol, interval), for the control plane.
    public let latestIndicators: IndicatorCache

    public static let journalProducers: [StageID] = [.parse, .signal, .risk, .order]
    public static let eventProducers: [StageID] = [.signal, .risk, .order]

    /// - Parameters:
    ///   - capacity: slots of each trading ring (a power of two); side-channel rings get 4× so
    ///     that a slow drain thread rarely makes a trading stage drop a record.
    ///   - symbolCount: symbols the price cache holds (the symbol table's size).
    public init(capacity: Int, symbolCount: Int = 64) {
        latestPrices = PriceCache(symbolCount: symbolCount)
        latestIndicators = IndicatorCache(symbolCount: symbolCount)
        marketToIndicator = SPSCRing(capacity: capacity, name: "parse→indicator")
        pricesToRisk = SPSCRing(capacity: capacity, policy: .dropOldest, name: "parse→risk prices")
        indicatorToSignal = SPSCRing(capacity: capacity, name: "indicator→signal")
        signalToRisk = SPSCRing(capacity: capacity, name: "signal→risk")
        riskToOrder = SPSCRing(capacity: capacity, name: "risk→order")
        executionsToRisk = SPSCRing(capacity: capacity, name: "order→risk")
        commandsToRisk = SPSCRing(capacity: 1024, name: "control→risk")
        storeStatusToRisk = SPSCRing(capacity: 64, name: "store→risk")
        journalRings = Self.journalProducers.map { SPSCRing(capacity: capacity * 4, name: "\($0.name)→store") }
        eventRings = Self.eventProducers.map { SPSCRing(capacity: capacity * 4, name: "\($0.name)→publish") }
        logRings = StageID.allCases.map { SPSCRing(capacity: 1024, name: "\($0.name)→log") }
    }

    @inlinable
    public func journal(_ producer: StageID) -> SPSCRing<JournalRecord> {
        switch producer {
        case .parse: return journalRings[0]
        case .signal: return journalRings[1]
        case .risk: return journalRings[2]
        case .order: return journalRings[3]
        default: preconditionFailure("\(producer) has no journal ring")
        }
    }

    @inlinable
    public func events(_ producer: StageID) -> SPSCRing<EngineEvent> {
        switch producer {
        case .signal: return eventRings[0]
        case .risk: return eventRings[1]
        case .order: return eventRings[2]
        default: preconditionFailure("\(producer) has no event ring")
        }
    }

    public func log(_ stage: StageID) -> StageLog {
        StageLog(stage: stage, ring: logRings[Int(stage.rawValue)])
    }

    /// Every ring with its counters, for metrics and the end-of-run report.
    public var allRingStats: [RingStats] {
        var s: [RingStats] = [
            RingStats(marketToIndicator), RingStats(pricesToRisk), RingStats(indicatorToSignal),
            RingStats(signalToRisk), RingStats(riskToOrder), RingStats(executionsToRisk),
            RingStats(commandsToRisk), RingStats(storeStatusToRisk),
        ]
        s += journalRings.map(RingStats.init) + eventRings.map(RingStats.init) + logRings.map(RingStats.init)
        return s
    }
}

/// A ring's counters at one moment.
public struct RingStats: Sendable, Equatable {
    public var name: String
    public var published: Int
    public var consumed: Int
    public var fullEvents: Int
    public var drops: Int

    public init<E>(_ ring: SPSCRing<E>) {
        name = ring.name
        published = ring.publishedCount
        consumed = ring.consumedCount
        fullEvents = ring.fullEventCount
        drops = ring.dropCount
    }
}
