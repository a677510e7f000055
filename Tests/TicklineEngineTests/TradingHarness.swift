import Foundation
import Logging
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineExecution
import TicklineIO
import TicklineRisk
import TicklineStore
import TicklineTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The trading half of the engine against a real simulator process, on the test thread: the
/// start-up sequence (`LiveRun.prepareTrading`), the live parse stage on the simulator's streams,
/// the real risk stage, and the order stage on the venue gateway (REST + user-data stream). The
/// test plays the signal stage (it pushes signals into risk's ring) and reads the event, journal
/// and log rings. Ground truth comes from the venue itself (`VenueProbe`).
final class TradingHarness {
    let venue: LiveRun.Venue
    let rings: PipelineRings
    let parse: LiveParseStage<PollingSocketLoop>
    let risk: RiskStage<LiveClock>
    let order: OrderStage<LiveClock, BinanceGateway<PollingSocketLoop, LiveClock>>
    let clock = LiveClock()
    private(set) var events: [EngineEvent] = []
    private(set) var logs: [LogRecord] = []
    private(set) var journalRecords = 0
    private var nextSignalID: UInt64 = 1

    var gateway: BinanceGateway<PollingSocketLoop, LiveClock> { order.gateway }
    var account: VenueAccount<PollingSocketLoop, LiveClock> { order.gateway.accounts[0] }

    /// What start-up reconciliation did (nil when started without a store).
    let reconciliation: StartupReconciliation.Report?

    /// - Parameters:
    ///   - configure: changes to the trading configuration (accounts, switches).
    ///   - store: the journal start-up reconciles (`LiveRun.prepareTrading`); no journal writer runs,
    ///     so nothing the stages journal reaches it.
    ///   - logger: the start-up's logger (silent by default).
    init(sim: SimulatorProcess, symbols: [String], store: TicklineStore? = nil,
         logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
         configure: (inout TicklineConfiguration) -> Void = { _ in }) throws {
        var configuration = TicklineConfiguration(layout: try LayoutLoader.load("fused-1"))
        configuration.venue.restURL = VenueURL(secure: false, host: "127.0.0.1", port: sim.port, path: "")
        configuration.venue.streamURL = configuration.venue.restURL
        configuration.venue.symbols = symbols
        configuration.venue.intervals = [.m1]
        configure(&configuration)
        venue = try LiveRun.resolve(configuration.venue)
        let plan = try LiveRun.prepareTrading(configuration, venue, store: store, logger: logger)
        reconciliation = plan.reconciliation
        rings = PipelineRings(capacity: 1024, symbolCount: venue.symbols.count)
        parse = LiveParseStage(rings: rings, symbols: venue.symbols, intervals: [.m1], endpoints: venue.streams,
                               rest: venue.rest, warmupCandles: 0,
                               parser: BinanceStreamParser(symbols: BinanceSymbols(venue.symbols)), loop: PollingSocketLoop())
        risk = try RiskStage(rings: rings, clock: clock, symbols: venue.symbols, configuration: plan.risk)
        let g = try BinanceGateway(loop: PollingSocketLoop(), clock: clock, symbols: venue.symbols, rest: venue.rest,
                                   stream: venue.userStream, accounts: plan.accounts, log: rings.log(.order),
                                   firstOrderSequence: plan.firstOrderSequence)
        order = OrderStage(rings: rings, clock: clock, gateway: g)
    }

    deinit { order.onClose() }

    func symbol(_ name: String) -> SymbolID { venue.symbols.id(of: name)! }

    /// One duty cycle of every stage, then the side channels drained into `events` and `logs`.
    @discardableResult
    func cycle() throws -> Int {
        let now = clock.nowNs()
        var work = try parse.doWork(nowNs: now)
        work += try risk.doWork(nowNs: now)
        work += try order.doWork(nowNs: now)
        for ring in rings.eventRings {
            work += ring.handle.drain(limit: 1024) { e in events.append(e.pointee); return true }
        }
        for ring in rings.journalRings {
            let n = ring.handle.drain(limit: 1024) { _ in true }
            journalRecords += n
            work += n
        }
        for ring in rings.logRings {
            work += ring.handle.drain(limit: 1024) { r in logs.append(r.pointee); return true }
        }
        _ = rings.marketToIndicator.handle.drain(limit: 4096) { _ in true }
        return work
    }

    /// Runs the stages until `condition` holds or `seconds` pass; whether it held.
    @discardableResult
    func run(seconds: Double = 10, until condition: () -> Bool) throws -> Bool {
        let deadline = clock.nowNs() + UInt64(seconds * 1e9)
        while clock.nowNs() < deadline {
            if condition() { return true }
            if try cycle() == 0 { usleep(200) }
        }
        return condition()
    }

    /// Runs the stages for `seconds` whatever happens.
    func run(seconds: Double) throws {
        _ = try run(seconds: seconds) { false }
    }

    /// Connected: both market streams open, the user-data stream open and re-synced.
    func waitUntilConnected() throws -> Bool {
        try run(seconds: 10) { account.isStreamOpen && parse.feed.connections.allSatisfy { $0.state == .open } }
    }

    /// Waits until risk has marked `name` at `price` (its last trade), i.e. the parse stage's
    /// price event for a `POST /sim/price` reached risk.
    func waitForPrice(_ name: String, _ price: Price) throws -> Bool {
        try run(seconds: 10) { rings.latestPrices.read(symbol(name)).lastTrade == price && rings.pricesToRisk.isEmpty }
    }

    /// A directional signal as the signal stage would publish it (no levels: risk uses the
    /// account's fallback percentages around its marking price).
    func signal(_ name: String, _ direction: SignalDirection, confidenceBp: UInt16 = 8_000) {
        let s = Signal(ingressNs: clock.nowNs(), signalID: nextSignalID, eventTimeMs: clock.wallTimeMs(), symbol: symbol(name),
                       interval: .m1, direction: direction, scoreBp: direction == .long ? 6_000 : -6_000,
                       confidenceBp: confidenceBp, entryPrice: .zero)
        nextSignalID += 1
        precondition(rings.signalToRisk.handle.tryPush(s))
    }

    func position(_ name: String, account: UInt16 = 0) -> RiskPosition? {
        risk.engine.position(AccountID(account), symbol(name))
    }

    /// Whether `name`'s entry is complete: open, and the entry order final (every fill booked —
    /// an entry may fill in several parts, and the first one already makes the position open).
    func isFilled(_ name: String, account: UInt16 = 0) -> Bool {
        guard let p = position(name, account: account) else { return false }
        return p.phase == .open && p.entryOrderID == 0
    }

    /// Fills the order stage reported (in order), with their close reasons.
    var fills: [ExecutionReport] {
        events.compactMap { e in
            if case .execution(let r) = e.body, r.lastFillQuantity.raw > 0 { return r }
            return nil
        }
    }

    func logged(_ code: LogCode) -> [LogRecord] { logs.filter { $0.code == code } }

    func price(_ name: String, _ text: String) -> Price {
        Price(text, scale: venue.symbols[symbol(name)].priceScale)!
    }
}

/// Blocking signed requests to the simulator with the demo account's keys: what the venue
/// itself says (positions, open protective orders), independent of the engine's book-keeping.
final class VenueProbe {
    let client: BinanceOrderClient<PollingSocketLoop, LiveClock>
    let clock = LiveClock()

    init(_ venue: LiveRun.Venue, apiKey: String = "demo-key", secret: String = "demo-secret") throws {
        let pool = HTTPConnectionPool(loop: PollingSocketLoop(), address: venue.rest.address, host: venue.rest.host,
                                      tokenBase: 0, maxConnections: 1)
        client = try BinanceOrderClient(pool: pool, clock: clock, account: AccountID(0), apiKey: apiKey,
                                        secret: Array(secret.utf8), symbols: venue.symbols,
                                        ids: try ClientOrderIDs(prefix: "probe", account: AccountID(0), firstSequence: 1))
        _ = try call { client.syncServerTime(completion: $0) }
    }

    deinit { client.shutDown() }

    func call<T>(_ start: (@escaping (VenueOutcome<T>) -> Void) -> Void) throws -> T {
        var outcome: VenueOutcome<T>?
        start { outcome = $0 }
        let deadline = clock.nowNs() + 10_000_000_000
        while outcome == nil, clock.nowNs() < deadline {
            if client.doWork(nowNs: clock.nowNs()) == 0 { usleep(200) }
        }
        guard case .ok(let value)? = outcome else { throw ProbeError(description: "venue answered \(String(describing: outcome))") }
        return value
    }

    struct ProbeError: Error, CustomStringConvertible { var description: String }

    /// The venue's position amount in `symbol` (signed; zero when flat).
    func positionAmount(_ symbol: SymbolID) throws -> Quantity {
        let rows = try call { client.positionRisk(symbol: symbol, completion: $0) }
        return rows.first { $0.symbol == symbol }?.amount ?? .zero
    }

    func openAlgoOrders(_ symbol: SymbolID) throws -> [AlgoOrderAck] {
        try call { client.openAlgoOrders(symbol: symbol, completion: $0) }
    }

    /// A market order placed on the venue behind the engine's back (e.g. a position closed while
    /// the engine is down): its acknowledgement.
    func marketOrder(_ symbol: SymbolID, _ side: Side, _ quantity: Quantity, reduceOnly: Bool = false) throws -> OrderAck {
        var outcome: OrderOutcome?
        _ = client.placeMarketOrder(symbol: symbol, side: side, quantity: quantity, reduceOnly: reduceOnly) { outcome = $0 }
        let deadline = clock.nowNs() + 10_000_000_000
        while outcome == nil, clock.nowNs() < deadline {
            if client.doWork(nowNs: clock.nowNs()) == 0 { usleep(200) }
        }
        guard let ack = outcome?.ack else { throw ProbeError(description: "venue answered \(String(describing: outcome))") }
        return ack
    }

    /// The venue's fills of `symbol` (`userTrades`), oldest first.
    func userTrades(_ symbol: SymbolID) throws -> [UserTrade] {
        try call { client.userTrades(symbol: symbol, fromTimeMs: 0, completion: $0) }
    }
}
