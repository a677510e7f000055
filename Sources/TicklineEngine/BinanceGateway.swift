import Synchronization
import TicklineBinance
import TicklineCore
import TicklineExecution
import TicklineIO

/// One account the venue gateway trades for.
public struct VenueAccountSetup {
    public var account: AccountID
    public var apiKey: String
    /// The API secret's bytes (kept by the request signer only; never logged).
    public var secret: [UInt8]
    /// The price the exchange-side protective orders watch: the account's marking source
    /// (`CONTRACT_PRICE` for the last trade, `MARK_PRICE` for the mark price).
    public var workingType: WorkingType
    public var limits: RateLimitConfiguration

    public init(account: AccountID, apiKey: String, secret: [UInt8], workingType: WorkingType = .contractPrice,
                limits: RateLimitConfiguration = RateLimitConfiguration()) {
        self.account = account
        self.apiKey = apiKey
        self.secret = secret
        self.workingType = workingType
        self.limits = limits
    }
}

/// Where the user-data stream lives: `{base}/private/ws?listenKey=…` on the stream host (Binance's
/// 2026 layout; the simulator serves the same path).
public struct UserStreamEndpoint: Sendable {
    public var address: SocketAddress
    public var host: String
    /// The stream URL's path prefix ("" for the root).
    public var basePath: String
    public var security: StreamChannel.Security

    public init(address: SocketAddress, host: String, basePath: String = "", security: StreamChannel.Security = .plain) {
        self.address = address
        self.host = host
        self.basePath = basePath
        self.security = security
    }
}

/// The order stage's venue: Binance USD-M over REST (one signed `BinanceOrderClient` per account)
/// and the user-data stream (one WebSocket per account), all on the stage's own I/O loop.
///
/// ## What it does with an intent
/// - A market order (entry or reduce-only close): `POST /fapi/v1/order` with the wire id
///   `tl-{account}-{risk's order id}` (base 36), so every user-data event maps back to risk's id.
/// - A stop-loss / take-profit (`.stopMarket` / `.takeProfitMarket`, quantity zero): the
///   exchange-side safety net, `POST /fapi/v1/algoOrder` with `closePosition=true`, watching the
///   account's `workingType`.
///
/// ## Fills
/// Fills come from the user-data stream (`ORDER_TRADE_UPDATE`), deduplicated by trade id and by
/// cumulative quantity. A triggered protective order becomes a new order with a venue-made id:
/// it is recognized by its original type (`ot`) and symbol, or by the `actualOrderId` of its
/// `ALGO_UPDATE`. When a close (ours or a protective order's) fills the position, the other
/// protective orders of that position are canceled, so `openAlgoOrders` shows none after a close.
///
/// ## Nothing left unknown
/// - A timeout, 5xx or malformed answer to an order: the order is queried before anything else
///   (`GET /fapi/v1/order`), repeated each second until the venue answers; "never arrived"
///   (-2013) reports it rejected.
/// - The stream is down or its key expired: a new key (`POST /fapi/v1/listenKey`), a new
///   connection with backoff, and on every (re)connect a REST re-sync: every order not yet final
///   is queried and a fill the stream missed is booked from the difference in executed quantity
///   (commission estimated at the taker rate), so no fill is lost.
/// - The key is kept alive every 30 minutes; a failed keep-alive replaces it.
/// - -2022 on a reduce-only close: the position is already gone, risk books it closed.
/// - 418: every request stops (the client halts) and a critical record is logged.
///
/// Cold path: per order, not per tick; requests hold a closure each (see `BinanceOrderClient`).
public final class BinanceGateway<Loop: SocketEventLoop, C: NanoClock>: OrderGateway {
    public let loop: Loop
    public let clock: C
    public let symbols: SymbolTable
    public let streamEndpoint: UserStreamEndpoint
    public let log: StageLog
    public private(set) var accounts: [VenueAccount<Loop, C>] = []

    /// Set once in `init`, so other threads may read the clients' atomics.
    /// A count whose window has ended (the wall clock past it: venue time is within a second or so)
    /// reads 0.
    public var exchangeWeightUsed: [Double] {
        let nowMs = LiveClock().wallTimeMs()
        return accounts.map { a in
            nowMs >= a.client.weightWindowEndsMs.load(ordering: .relaxed)
                ? 0 : Double(a.client.weightUsedPermille.load(ordering: .relaxed)) / 1000
        }
    }

    public var userStreamsOpen: [Bool] { accounts.map { $0.streamOpenFlag.load(ordering: .relaxed) } }

    public var exchangeRequests: [Int] { accounts.map { $0.client.requestsAnswered.load(ordering: .relaxed) } }
    /// Keep-alive period of the listen key (Binance: every 30 minutes; the key lives 60).
    public var keepAliveIntervalNs: UInt64 = 30 * 60 * 1_000_000_000
    /// How long after a failed query an order in an unknown state is queried again.
    public var requeryIntervalNs: UInt64 = 1_000_000_000
    /// Taker fee used to estimate the commission of a fill recovered by re-sync (ppm).
    public var recoveredFillFeePpm: Int64 = 400
    /// First delay before a lost user stream reconnects (doubles up to 30 s).
    public var reconnectBackoffNs: UInt64 = 500_000_000
    var pendingReports: [(ExecutionReport, UInt64)] = []

    /// - Parameters:
    ///   - loop: the stage's own I/O loop (created on any thread; enabled by the stage's thread
    ///     at its first poll).
    ///   - rest: the venue's REST origin; each account gets a keep-alive pool on `loop`.
    public init(loop: Loop, clock: C, symbols: SymbolTable, rest: RESTEndpoint, stream: UserStreamEndpoint,
                accounts setups: [VenueAccountSetup], log: StageLog, firstOrderSequence: UInt64) throws {
        self.loop = loop
        self.clock = clock
        self.symbols = symbols
        self.streamEndpoint = stream
        self.log = log
        for (i, s) in setups.enumerated() {
            let pool = HTTPConnectionPool(loop: loop, address: rest.address, host: rest.host, security: rest.security,
                                          tokenBase: 0x1000 + UInt32(i) * 0x100, maxConnections: 4)
            let ids = try ClientOrderIDs(account: s.account, firstSequence: firstOrderSequence)
            let client = try BinanceOrderClient(pool: pool, clock: clock, account: s.account, apiKey: s.apiKey,
                                                secret: s.secret, symbols: symbols, ids: ids, limits: s.limits)
            accounts.append(VenueAccount(setup: s, index: i, client: client,
                                         parser: BinanceUserDataParser(symbols: BinanceSymbols(symbols))))
        }
        for a in accounts { wire(a) }
        pendingReports.reserveCapacity(64)
    }

    /// Routes the client's order answers (tagged with risk's order id) to the gateway, and its
    /// events (rate-limit waits, bans) to the stage log. Set once: no closure per order.
    func wire(_ a: VenueAccount<Loop, C>) {
        a.client.onOrderOutcome = { [unowned self, unowned a] id, outcome in self.orderAnswered(a, id: id, outcome) }
        a.client.onProtectiveOutcome = { [unowned self, unowned a] id, outcome in
            self.protectiveAnswered(a, id: id, outcome)
        }
        a.client.onEvent = { [unowned self] event in
            let now = clock.nowNs()
            switch event {
            case .rateLimitWait(_, let ms, _):
                log.log(.rateLimitWait, .warning, nowNs: now, ms)
            case .backoff(let ms):
                log.log(.rateLimitWait, .warning, nowNs: now, ms)
            case .banned(let until):
                log.log(.venueBanned, .critical, nowNs: now, until ?? 0)
            case .timeSynced:
                break
            }
        }
    }

    // MARK: - OrderGateway

    public var canSubmit: Bool { true }

    public func submit(_ intent: OrderIntent, nowNs: UInt64, reports: some ExecutionReportSink) {
        guard let a = account(intent.account) else {
            reports.report(rejection(intent, code: 0, nowNs: nowNs), nowNs: nowNs)
            return
        }
        let wireID = a.client.ids.make(sequence: intent.clientOrderID)
        let index = a.track(intent, nowNs: nowNs)
        switch intent.type {
        case .market:
            // Answered through `onOrderOutcome` with risk's id as the tag: no closure per order.
            a.client.placeMarketOrder(symbol: intent.symbol, side: intent.side, quantity: intent.quantity,
                                      reduceOnly: intent.reduceOnly, clientOrderID: wireID, tag: intent.clientOrderID)
        case .stopMarket, .takeProfitMarket:
            a.client.placeProtectiveOrder(symbol: intent.symbol, closingSide: intent.side,
                                          kind: intent.type == .stopMarket ? .stopLoss : .takeProfit,
                                          triggerPrice: intent.stopPrice, workingType: a.setup.workingType,
                                          clientAlgoID: wireID, tag: intent.clientOrderID)
        default:
            a.orders[index].final = true
            reports.report(rejection(intent, code: 0, nowNs: nowNs), nowNs: nowNs)
        }
    }

    public func flush() { loop.flush() }

    public func poll(nowNs: UInt64, reports: some ExecutionReportSink) -> Int {
        var work = loop.poll { c, data in
            for a in accounts {
                if a.client.owns(c.token) {
                    a.client.onCompletion(c, data, nowNs: nowNs)
                    return
                }
                if let s = a.stream, c.token == s.token {
                    s.onCompletion(c, data, nowNs: nowNs) { bytes, ingressNs in
                        self.userData(a, bytes, ingressNs: ingressNs)
                    }
                    return
                }
            }
        }
        for a in accounts {
            work &+= a.client.tick(nowNs: nowNs)
            work &+= maintainStream(a, nowNs: nowNs)
            work &+= requery(a, nowNs: nowNs)
        }
        // Reports produced inside completions wait here until the stage's sink is at hand.
        if !pendingReports.isEmpty {
            for (r, t) in pendingReports { reports.report(r, nowNs: t) }
            work &+= pendingReports.count
            pendingReports.removeAll(keepingCapacity: true)
        }
        return work
    }

    public func shutDown() {
        for a in accounts {
            a.stream?.shutdown()
            a.client.shutDown()
        }
        // Let the loop retire what was in flight on the closed sockets.
        for _ in 0..<100 where accounts.contains(where: { $0.client.pool.retiredOperations > 0 }) {
            _ = loop.poll { _, _ in }
        }
    }

    // MARK: - Answers to requests

    func account(_ id: AccountID) -> VenueAccount<Loop, C>? {
        id.index < accounts.count ? accounts[id.index] : nil
    }

    func emit(_ r: ExecutionReport) { pendingReports.append((r, clock.nowNs())) }

    func rejection(_ intent: OrderIntent, code: Int, nowNs: UInt64) -> ExecutionReport {
        ExecutionReport(ingressNs: intent.ingressNs, eventTimeMs: clock.wallTimeMs(), clientOrderID: intent.clientOrderID,
                        account: intent.account, symbol: intent.symbol, side: intent.side, kind: .rejected,
                        closeReason: intent.closeReason, venueErrorCode: Int16(clamping: code))
    }

    func orderAnswered(_ a: VenueAccount<Loop, C>, id: UInt64, _ outcome: OrderOutcome) {
        guard let i = a.find(id) else { return }
        let now = clock.nowNs()
        switch outcome {
        case .accepted(let ack):
            a.orders[i].venueOrderID = ack.orderID
            // With the stream down the answer is all we have: book what it says filled (the
            // stream's own events, if they come later, are duplicates by cumulative quantity).
            if a.streamOpen == false { apply(a, i, executed: ack.executedQuantity, average: ack.averagePrice, status: ack.status) }
        case .alreadyClosed:
            finish(a, i, kind: .rejected, code: -2022)
        case .rejected(let r):
            log.log(.orderRejected, r.reason == .insufficientMargin ? .error : .warning, nowNs: now,
                    Int64(bitPattern: id), Int64(r.code))
            finish(a, i, kind: .rejected, code: r.code)
        case .unknown:
            log.log(.orderStateUnknown, .warning, nowNs: now, Int64(bitPattern: id))
            a.orders[i].queryDueNs = now  // query before anything else
        case .halted:
            finish(a, i, kind: .rejected, code: 0)
        }
    }

    func protectiveAnswered(_ a: VenueAccount<Loop, C>, id: UInt64, _ outcome: VenueOutcome<AlgoOrderAck>) {
        guard let i = a.find(id) else { return }
        switch outcome {
        case .ok(let ack):
            a.orders[i].algoID = ack.algoID
            if a.orders[i].cancelWanted { cancelProtective(a, i) }
        case .rejected(let r):
            log.log(.protectiveOrderRejected, .error, nowNs: clock.nowNs(), Int64(bitPattern: id), Int64(r.code))
            finish(a, i, kind: .rejected, code: r.code)
        case .unknown, .halted:
            // Not known to be placed: cancel by its client id (harmless if it never arrived)
            // and tell risk it is gone; risk's own per-tick checks keep guarding the position.
            a.client.cancelAlgoOrder(clientAlgoID: a.client.ids.make(sequence: id)) { _ in }
            log.log(.protectiveOrderRejected, .error, nowNs: clock.nowNs(), Int64(bitPattern: id), 0)
            finish(a, i, kind: .rejected, code: 0)
        }
    }

    /// Books an order's executed quantity as known from REST (an answer, a query): the part not
    /// yet reported becomes one fill at the implied price; a final status finishes the order.
    func apply(_ a: VenueAccount<Loop, C>, _ i: Int, executed: Quantity, average: Price, status: BinanceOrderStatus) {
        let o = a.orders[i]
        if executed > o.filled, average.raw > 0 {
            let delta = executed - o.filled
            // Σ price × qty of everything executed, less what was reported, over the new part.
            let total = Int128(average.raw) * Int128(executed.raw)
            let price = Price(raw: Int64((total - o.filledNotional) / Int128(delta.raw)))
            let commission = takerCommission(price: price, quantity: delta, symbol: symbols[o.symbol],
                                             feePpm: recoveredFillFeePpm)
            let kind: ExecutionKind = status == .filled ? .filled : .partiallyFilled
            var r = ExecutionReport(ingressNs: o.ingressNs, eventTimeMs: clock.wallTimeMs(), clientOrderID: o.riskID,
                                    venueOrderID: o.venueOrderID, account: a.setup.account, symbol: o.symbol, side: o.side,
                                    kind: kind, lastFillQuantity: delta, lastFillPrice: price, cumulativeQuantity: executed,
                                    averagePrice: average, commission: commission, closeReason: o.closeReason)
            r.tradeID = 0
            a.orders[i].filled = executed
            a.orders[i].filledNotional = total
            a.recoveredFills += 1
            log.log(.missedFillRecovered, .warning, nowNs: clock.nowNs(), Int64(bitPattern: o.riskID), delta.raw,
                    price.raw, places: (0, 0))
            emit(r)
            if status == .filled { closed(a, i) }
        }
        switch status {
        case .filled:
            a.orders[i].final = true
        case .canceled, .expired, .expiredInMatch:
            finish(a, i, kind: status == .canceled ? .canceled : .expired, code: 0)
        default:
            break
        }
    }

    /// Ends an order with a non-fill outcome, reported to risk.
    func finish(_ a: VenueAccount<Loop, C>, _ i: Int, kind: ExecutionKind, code: Int) {
        guard !a.orders[i].final else { return }
        a.orders[i].final = true
        a.orders[i].queryDueNs = 0
        let o = a.orders[i]
        emit(ExecutionReport(ingressNs: o.ingressNs, eventTimeMs: clock.wallTimeMs(), clientOrderID: o.riskID,
                             venueOrderID: o.venueOrderID, account: a.setup.account, symbol: o.symbol, side: o.side,
                             kind: kind, cumulativeQuantity: o.filled, closeReason: o.closeReason,
                             venueErrorCode: Int16(clamping: code)))
    }

    /// A close filled (ours, or a protective order): the position is flat, so the protective
    /// orders still open in that symbol are canceled.
    func closed(_ a: VenueAccount<Loop, C>, _ i: Int) {
        let symbol = a.orders[i].symbol
        let isClose = a.orders[i].reduceOnly || a.orders[i].type != .market
        guard isClose else { return }
        for k in a.orders.indices where a.orders[k].symbol == symbol && !a.orders[k].final && k != i
            && (a.orders[k].type == .stopMarket || a.orders[k].type == .takeProfitMarket)
            && a.orders[k].openedNs <= a.orders[i].openedNs
        {
            cancelProtective(a, k)
        }
    }

    func cancelProtective(_ a: VenueAccount<Loop, C>, _ k: Int) {
        a.orders[k].cancelWanted = true
        guard a.orders[k].algoID != 0, !a.orders[k].cancelSent else { return }  // placed: cancel when acknowledged
        a.orders[k].cancelSent = true
        let id = a.orders[k].riskID
        a.client.cancelAlgoOrder(algoID: a.orders[k].algoID) { [unowned self] outcome in
            guard let k = a.find(id) else { return }
            switch outcome {
            case .ok, .rejected:  // canceled, or already triggered / gone (-2011)
                self.finish(a, k, kind: .canceled, code: 0)
            case .unknown, .halted:
                a.orders[k].cancelSent = false  // tried again with the next close or re-sync
            }
        }
    }

    // MARK: - User-data stream

    func userData(_ a: VenueAccount<Loop, C>, _ bytes: UnsafeRawBufferPointer, ingressNs: UInt64) {
        guard case .success(let event) = a.parser.parse(bytes, account: a.setup.account, ingressNs: ingressNs) else {
            a.streamParseErrors += 1
            return
        }
        switch event {
        case .execution(var r, _, let origType):
            var i = r.clientOrderID != 0 ? a.find(r.clientOrderID) : nil
            if i == nil, let origType, origType == .stopMarket || origType == .takeProfitMarket {
                i = a.findTriggered(symbol: r.symbol, type: origType, venueOrderID: r.venueOrderID)
            }
            guard let i else {
                a.foreignReports += 1
                return
            }
            let o = a.orders[i]
            if r.venueOrderID != 0, o.type == .market { a.orders[i].venueOrderID = r.venueOrderID }
            if o.type != .market, r.venueOrderID != 0 { a.orders[i].actualOrderID = r.venueOrderID }
            r.clientOrderID = o.riskID
            r.closeReason = o.closeReason
            if r.lastFillQuantity.raw > 0 {
                if a.seen(tradeID: r.tradeID, symbol: r.symbol) || r.cumulativeQuantity <= o.filled {
                    a.duplicateFills += 1
                    return
                }
                a.orders[i].filled = r.cumulativeQuantity
                a.orders[i].filledNotional = Int128(r.averagePrice.raw) * Int128(r.cumulativeQuantity.raw)
                if r.kind == .filled { a.orders[i].final = true }
                emit(r)
                if r.kind == .filled {
                    if o.type != .market {
                        log.log(.positionClosedByVenue, .notice, nowNs: ingressNs, Int64(bitPattern: o.riskID),
                                Int64(r.symbol.rawValue))
                    }
                    closed(a, i)
                }
            } else if r.kind == .canceled || r.kind == .expired || r.kind == .rejected {
                // A market order's tail expired (thin book) or the order was refused: final.
                // Protective orders end through their ALGO_UPDATE instead.
                if o.type == .market { finish(a, i, kind: r.kind, code: Int(r.venueErrorCode)) }
            }
        case .algoUpdate(let u):
            guard u.clientOrderID != 0, let i = a.find(u.clientOrderID) else {
                a.foreignReports += 1
                return
            }
            if u.algoID != 0 { a.orders[i].algoID = u.algoID }
            if u.actualOrderID != 0 { a.orders[i].actualOrderID = u.actualOrderID }
            switch u.status {
            case .canceled: finish(a, i, kind: .canceled, code: 0)
            case .expired: finish(a, i, kind: .expired, code: 0)
            case .rejected: finish(a, i, kind: .rejected, code: 0)
            default: break
            }
        case .accountUpdate(let u):
            if u.reason == .fundingFee, let change = u.usdtBalanceChange {
                a.fundingFees += 1
                log.log(.venueFundingFee, .info, nowNs: ingressNs, Int64(a.setup.account.rawValue), change.raw,
                        places: (0, 8))
                // One position named: risk reconciles its own settlement with the venue's amount.
                // Cross-margin events name none (Binance pushes only the balance): risk's own stands.
                if let symbol = u.positionSymbol {
                    emit(ExecutionReport(ingressNs: ingressNs, eventTimeMs: u.eventTimeMs, clientOrderID: 0,
                                         account: a.setup.account, symbol: symbol, side: .buy, kind: .funding,
                                         realizedPnL: change))
                }
            }
        case .marginCall:
            log.log(.venueMarginCall, .critical, nowNs: ingressNs, Int64(a.setup.account.rawValue))
        case .listenKeyExpired:
            a.listenKey = nil
            a.stream?.abort(.abandoned)  // closed now, so the next pass reconnects
        case .tradeLite:
            break  // its ORDER_TRADE_UPDATE follows with the commission and the cumulative quantity
        }
    }

    /// Listen key, connection, keep-alive and re-sync for one account.
    func maintainStream(_ a: VenueAccount<Loop, C>, nowNs: UInt64) -> Int {
        if let s = a.stream {
            switch s.state {
            case .open:
                if !a.streamOpen {
                    a.streamOpen = true
                    a.connects += 1
                    a.reconnectDelayNs = reconnectBackoffNs
                    log.log(.userStreamConnected, .info, nowNs: nowNs, Int64(a.setup.account.rawValue), Int64(a.connects))
                    resync(a, nowNs: nowNs)
                }
                if nowNs >= a.keepAliveDueNs, !a.keyRequestInFlight {
                    a.keepAliveDueNs = nowNs &+ keepAliveIntervalNs
                    a.keyRequestInFlight = true
                    a.client.keepAliveListenKey { outcome in
                        a.keyRequestInFlight = false
                        if case .ok = outcome { return }
                        // Failed: a fresh key and a fresh connection.
                        a.listenKey = nil
                        a.stream?.abort(.abandoned)  // closed now, so the next pass reconnects
                    }
                }
                return 0
            case .closed:
                if a.streamOpen {
                    a.streamOpen = false
                    log.log(.userStreamLost, .warning, nowNs: nowNs, Int64(a.setup.account.rawValue))
                }
                if a.retryAtNs == 0 {  // just closed: the next attempt, backed off
                    a.retryAtNs = nowNs &+ a.reconnectDelayNs
                    a.reconnectDelayNs = min(a.reconnectDelayNs * 2, 30_000_000_000)
                }
                guard nowNs >= a.retryAtNs else { return 0 }
                a.stream = nil
            default:
                return 0
            }
        }
        // No connection: a key first, then connect.
        guard let key = a.listenKey else {
            guard !a.keyRequestInFlight, nowNs >= a.retryAtNs else { return 0 }
            a.keyRequestInFlight = true
            a.client.createListenKey { [unowned self] outcome in
                a.keyRequestInFlight = false
                if case .ok(let key) = outcome {
                    if a.connects > 0 { a.keyRenewals += 1 }
                    a.listenKey = key
                    if a.connects > 0 {
                        log.log(.listenKeyRenewed, .info, nowNs: clock.nowNs(), Int64(a.setup.account.rawValue),
                                Int64(a.keyRenewals))
                    }
                } else {
                    a.retryAtNs = clock.nowNs() &+ a.reconnectDelayNs
                }
            }
            return 1
        }
        a.generation = (a.generation &+ 1) & 0xFF
        let token = UInt32(0x0100 + a.index) | a.generation << 16
        let c = MarketDataConnection(loop: loop, token: token, address: streamEndpoint.address, host: streamEndpoint.host,
                                     path: streamEndpoint.basePath + "/private/ws?listenKey=" + key,
                                     security: streamEndpoint.security)
        a.stream = c
        a.retryAtNs = 0
        a.keepAliveDueNs = nowNs &+ keepAliveIntervalNs
        do { try c.start() } catch { a.retryAtNs = nowNs &+ a.reconnectDelayNs }
        return 1
    }

    /// After a (re)connect: every order not yet final is queried, so fills the stream missed
    /// while it was down are booked.
    func resync(_ a: VenueAccount<Loop, C>, nowNs: UInt64) {
        a.resyncs += 1
        for i in a.orders.indices where !a.orders[i].final && a.orders[i].type == .market {
            a.orders[i].queryDueNs = nowNs
        }
    }

    /// Queries the orders whose state is unknown (answer lost, or a re-sync).
    func requery(_ a: VenueAccount<Loop, C>, nowNs: UInt64) -> Int {
        var n = 0
        for i in a.orders.indices where a.orders[i].queryDueNs != 0 && nowNs >= a.orders[i].queryDueNs {
            let o = a.orders[i]
            a.orders[i].queryDueNs = 0
            a.queries += 1
            n += 1
            a.client.queryOrder(symbol: o.symbol, clientOrderID: a.client.ids.make(sequence: o.riskID)) { [unowned self] outcome in
                guard let i = a.find(o.riskID) else { return }
                switch outcome {
                case .ok(let ack):
                    a.orders[i].venueOrderID = ack.orderID
                    self.apply(a, i, executed: ack.executedQuantity, average: ack.averagePrice, status: ack.status)
                case .rejected(let r) where r.reason == .orderNotFound:
                    self.finish(a, i, kind: .rejected, code: r.code)  // it never reached the venue
                case .rejected, .unknown, .halted:
                    a.orders[i].queryDueNs = self.clock.nowNs() &+ self.requeryIntervalNs
                }
            }
        }
        a.pruneFinished()
        return n
    }
}

/// One account's client, stream and order book-keeping inside `BinanceGateway`.
public final class VenueAccount<Loop: SocketEventLoop, C: NanoClock> {
    /// An order risk sent, as far as the venue has told us.
    struct Tracked {
        var riskID: UInt64
        var symbol: SymbolID
        var side: Side
        var type: OrderType
        var reduceOnly: Bool
        var closeReason: CloseReason
        var ingressNs: UInt64
        var openedNs: UInt64
        var venueOrderID: Int64 = 0
        var algoID: Int64 = 0
        /// The order a triggered protective order became.
        var actualOrderID: Int64 = 0
        var filled = Quantity(raw: 0)
        /// Σ price × quantity reported so far (raw units), for the price of a recovered fill.
        var filledNotional: Int128 = 0
        var final = false
        var cancelWanted = false
        var cancelSent = false
        /// When to query the order (0: no query due).
        var queryDueNs: UInt64 = 0
    }

    public let setup: VenueAccountSetup
    public let index: Int
    public let client: BinanceOrderClient<Loop, C>
    var parser: BinanceUserDataParser
    var orders: [Tracked] = []
    public internal(set) var stream: MarketDataConnection<Loop>?
    var listenKey: String?
    var streamOpen = false {
        didSet { streamOpenFlag.store(streamOpen, ordering: .relaxed) }
    }
    /// `streamOpen` for other threads (the control plane's health check).
    public let streamOpenFlag = Atomic<Bool>(false)
    var keyRequestInFlight = false
    var keepAliveDueNs: UInt64 = .max
    var retryAtNs: UInt64 = 0
    var reconnectDelayNs: UInt64 = 500_000_000
    var generation: UInt32 = 0
    /// The last trade ids seen per fill (a small ring; fills of one order arrive close together).
    var recentTrades: [(SymbolID, Int64)] = Array(repeating: (SymbolID(0), 0), count: 256)
    var recentTradeNext = 0

    public internal(set) var connects = 0
    public internal(set) var keyRenewals = 0
    public internal(set) var resyncs = 0
    public internal(set) var queries = 0
    public internal(set) var recoveredFills = 0
    public internal(set) var duplicateFills = 0
    public internal(set) var foreignReports = 0
    public internal(set) var streamParseErrors = 0
    public internal(set) var fundingFees = 0

    init(setup: VenueAccountSetup, index: Int, client: BinanceOrderClient<Loop, C>, parser: BinanceUserDataParser) {
        self.setup = setup
        self.index = index
        self.client = client
        self.parser = parser
        orders.reserveCapacity(512)
    }

    /// Whether the user-data stream is connected and re-synced.
    public var isStreamOpen: Bool { streamOpen }

    func track(_ intent: OrderIntent, nowNs: UInt64) -> Int {
        orders.append(Tracked(riskID: intent.clientOrderID, symbol: intent.symbol, side: intent.side, type: intent.type,
                              reduceOnly: intent.reduceOnly, closeReason: intent.closeReason, ingressNs: intent.ingressNs,
                              openedNs: nowNs))
        return orders.count - 1
    }

    func find(_ riskID: UInt64) -> Int? {
        var i = orders.count - 1
        while i >= 0 {
            if orders[i].riskID == riskID { return i }
            i -= 1
        }
        return nil
    }

    /// The protective order of `type` in `symbol` that became venue order `venueOrderID`, or the
    /// newest one still open (its `ALGO_UPDATE` may come after the new order's first event).
    func findTriggered(symbol: SymbolID, type: OrderType, venueOrderID: Int64) -> Int? {
        var candidate: Int?
        for i in orders.indices where orders[i].symbol == symbol && orders[i].type == type {
            if venueOrderID != 0 && orders[i].actualOrderID == venueOrderID { return i }
            if !orders[i].final && orders[i].actualOrderID == 0 { candidate = i }
        }
        return candidate
    }

    /// Whether a fill with this trade id was already seen (and remembers it).
    func seen(tradeID: Int64, symbol: SymbolID) -> Bool {
        guard tradeID != 0 else { return false }
        for (s, t) in recentTrades where t == tradeID && s == symbol { return true }
        recentTrades[recentTradeNext] = (symbol, tradeID)
        recentTradeNext = (recentTradeNext + 1) & 255
        return false
    }

    /// Forgets final orders once the list grows (keeps the last 64 for late events), in place:
    /// the list's storage, reserved at init, is never reallocated on the order path.
    func pruneFinished() {
        guard orders.count > 256 else { return }
        let keepFrom = orders.count - 64
        var i = 0
        orders.removeAll { o in
            defer { i += 1 }
            return o.final && i < keepFrom
        }
    }
}
