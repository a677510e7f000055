import Synchronization
import TicklineBinance
import TicklineCore
import TicklineIO

/// The order gateway's REST client for one Binance USD-M account: signed requests over an
/// `HTTPConnectionPool` on the order stage's I/O loop, answered through small outcome enums.
///
/// What it does for every call: asks the `RateLimiter` (a request that must wait is held and
/// sent by `tick` when its window allows; the owner logs the `.rateLimitWait` event), stamps
/// `timestamp` from the exchange's clock (`ServerTimeSync`) and `recvWindow`, signs with
/// `RequestSigner`, sends, then reads the answer: rate-limit headers into the limiter, a 429
/// retried after the back-off (the request had no effect), a 418 halting everything, a -1021
/// answered by re-syncing the server time and retrying once, 5xx/-1006/-1007/timeouts reported
/// as `.unknown` (for an order: query it before anything else), other errors as a
/// `VenueRejection` with its mapped reason (-2022 on a reduce-only close is `.alreadyClosed`,
/// -4046 on margin type is success).
///
/// Driving: single-threaded, never blocks. The owner polls its loop, routes completions whose
/// token the client `owns` to `onCompletion`, and calls `tick` once per duty cycle (or calls
/// `doWork` when nothing else shares the loop). Completion closures run inside those calls; they
/// may issue new requests.
///
/// ## Performance
/// A cold path by design (per order, not per tick): parameters are written into recycled byte
/// buffers, the signature into the signer's buffer, numbers formatted without `String`; the pool
/// still copies each request into its own array and headers are strings, and every call holds
/// one completion closure.
///
/// ## Caveats
/// - One client per account (its own limiter and time offset). Accounts sharing an IP share
///   REQUEST_WEIGHT: the headers of each client's answers carry the shared count, so each
///   limiter catches up with the others at its next answer.
/// - The `symbols` table fixes which symbols the client can trade and the scales it formats with.
public final class BinanceOrderClient<Loop: SocketEventLoop, Clock: NanoClock> {
    public typealias Completion<T> = (VenueOutcome<T>) -> Void

    public let pool: HTTPConnectionPool<Loop>
    public let clock: Clock
    public let account: AccountID
    public let symbols: SymbolTable
    public private(set) var limiter: RateLimiter
    /// The venue's used request weight over the 1-minute limit, in ‰, after the latest answer:
    /// readable from any thread (the control plane's rate-limit headroom metric).
    public let weightUsedPermille = Atomic<Int>(0)
    /// When that count's 1-minute window ends (venue ms): past it, the usage is 0 until the next answer.
    public let weightWindowEndsMs = Atomic<Int64>(0)
    /// Requests the venue answered (any status), readable from any thread.
    public let requestsAnswered = Atomic<Int>(0)
    public private(set) var time = ServerTimeSync()
    /// The id generator for new orders and algo orders.
    public var ids: ClientOrderIDs
    /// `recvWindow` of signed requests (Binance default 5 000, at most 60 000).
    public var recvWindowMs: Int64 = 5000
    /// How often a request answered 429 is retried after its back-off before it is rejected.
    public var max429Retries = 3
    /// Waits, back-offs, bans and time syncs, for the owner to log, count or alert on.
    public var onEvent: ((OrderClientEvent) -> Void)?

    // Metrics: plain counters read by the owner on the same thread.
    /// Requests handed to the pool (retries included).
    public private(set) var sent = 0
    /// Rejections per `RejectionReason.rawValue` (success-mapped codes -2022 and -4046 excluded).
    public private(set) var rejections = [Int](repeating: 0, count: RejectionReason.allCases.count)
    public private(set) var unknowns = 0
    /// Reduce-only closes answered -2022: counted as closed.
    public private(set) var alreadyClosed = 0
    /// Requests retried after a -1021 and a re-sync.
    public private(set) var timestampRetries = 0
    /// Requests retried after a 429.
    public private(set) var rateLimitRetries = 0
    /// Requests refused because the limiter is halted (418).
    public private(set) var refusedHalted = 0

    let signer: RequestSigner
    let wireSymbols: BinanceSymbols
    let symbolNames: [[UInt8]]
    let getHeaders: [(String, String)]
    let postHeaders: [(String, String)]

    enum Method { case get, post, put, delete }
    enum Auth { case none, apiKey, signed }
    enum Reply {
        /// A 2xx; `body` valid during the handler only.
        case success(status: Int, body: UnsafeRawBufferPointer, sentLocalMs: Int64, receivedLocalMs: Int64)
        case rejected(VenueRejection)
        case unknown(UnknownCause)
        case halted
    }
    struct Call {
        var endpoint: VenueEndpoint
        var method: Method
        var path: StaticString
        var auth: Auth
        var params: [UInt8]
        var priority: RateLimitPriority
        var handler: Handler
        var rateLimitRetries = 0
        var timestampRetried = false
        /// Venue ms before which a held call is not retried.
        var notBeforeMs: Int64 = .min
        /// Local wall ms when the request went to the pool (for the server-time measurement).
        var sentLocalMs: Int64 = 0

        init(endpoint: VenueEndpoint, method: Method, path: StaticString, auth: Auth, params: [UInt8],
             priority: RateLimitPriority, handler: @escaping (Reply) -> Void) {
            self.init(endpoint: endpoint, method: method, path: path, auth: auth, params: params, priority: priority,
                      kind: .closure(handler))
        }

        init(endpoint: VenueEndpoint, method: Method, path: StaticString, auth: Auth, params: [UInt8],
             priority: RateLimitPriority, kind: Handler) {
            self.endpoint = endpoint
            self.method = method
            self.path = path
            self.auth = auth
            self.params = params
            self.priority = priority
            self.handler = kind
        }
    }

    /// Who takes a call's answer: a closure (cold calls), or — nothing allocated per call — the
    /// order callbacks set once (`onOrderOutcome`, `onProtectiveOutcome`) with the caller's tag.
    enum Handler {
        case closure((Reply) -> Void)
        case marketOrder(tag: UInt64, reduceOnly: Bool)
        case protectiveOrder(tag: UInt64)
    }

    /// Answers of `placeMarketOrder(…, tag:)`, with the tag given; set once by the owner.
    public var onOrderOutcome: ((UInt64, OrderOutcome) -> Void)?
    /// Answers of `placeProtectiveOrder(…, tag:)`, with the tag given; set once by the owner.
    public var onProtectiveOutcome: ((UInt64, VenueOutcome<AlgoOrderAck>) -> Void)?

    /// Calls in flight at the pool, by slot (the pool's completion captures only the index, so
    /// a finished call's parameter buffer is uniquely referenced and can be recycled).
    var slots: [Call?] = []
    var freeSlots: [Int] = []
    /// Calls the limiter held, in arrival order.
    var held: [Call] = []
    /// Calls answered -1021, waiting for the re-sync.
    var awaitingTime: [Call] = []
    var syncInFlight = false
    var syncCompletions: [Completion<Int64>] = []
    var spareBuffers: [[UInt8]] = []
    var scratch: [UInt8] = []
    let number: UnsafeMutableRawBufferPointer

    /// Calls not yet answered: in flight, held by the limiter or waiting for a re-sync.
    public var outstanding: Int { slots.count - freeSlots.count + held.count + awaitingTime.count }

    /// - Parameters:
    ///   - pool: the REST origin's pool on the owner's loop (its token range routes completions).
    ///   - clock: wall time for `timestamp` (through the server-time offset) and the limiter.
    ///   - apiKey: sent as `X-MBX-APIKEY`; `secret` goes to the signer (neither is logged).
    ///   - ids: the account's client order id generator.
    public init(pool: HTTPConnectionPool<Loop>, clock: Clock, account: AccountID, apiKey: String,
                secret: some Collection<UInt8>, symbols: SymbolTable, ids: ClientOrderIDs,
                limits: RateLimitConfiguration = RateLimitConfiguration()) throws(RequestSigner.SetupError)
    {
        self.pool = pool
        self.clock = clock
        self.account = account
        self.symbols = symbols
        self.ids = ids
        signer = try RequestSigner(secret: secret)
        limiter = RateLimiter(limits)
        wireSymbols = BinanceSymbols(symbols)
        symbolNames = symbols.entries.map { Array($0.name.utf8) }
        getHeaders = [("X-MBX-APIKEY", apiKey)]
        postHeaders = [("X-MBX-APIKEY", apiKey), ("Content-Type", "application/x-www-form-urlencoded")]
        number = .allocate(byteCount: 64, alignment: 8)
        scratch.reserveCapacity(1024)
        slots.reserveCapacity(16)
        for _ in 0..<8 {
            var b: [UInt8] = []
            b.reserveCapacity(512)
            spareBuffers.append(b)
        }
        // Every request's answer, by slot: one closure for the client's life.
        pool.onTaggedAnswer = { [weak self] tag, result in self?.complete(slot: Int(tag), result) }
    }

    deinit { number.deallocate() }

    // MARK: - Driving

    @inline(__always)
    public func owns(_ token: UInt32) -> Bool { pool.owns(token) }

    /// One completion of a token the client `owns`.
    public func onCompletion(_ c: URingCompletion, _ data: UnsafeRawBufferPointer?, nowNs: UInt64) {
        pool.onCompletion(c, data, nowNs: nowNs)
    }

    /// Held requests whose wait is over, then the pool's timeouts; once per duty cycle.
    @discardableResult
    public func tick(nowNs: UInt64) -> Int {
        releaseHeld() + pool.tick(nowNs: nowNs)
    }

    /// Polls the loop itself (nothing else on it), then `tick`.
    @discardableResult
    public func doWork(nowNs: UInt64) -> Int {
        pool.doWork(nowNs: nowNs) + releaseHeld()
    }

    /// Fails everything held and in flight (`.unknown(.transport(.cancelled))`) and closes the
    /// pool's connections; keep polling until `pool.retiredOperations == 0` before dropping it.
    public func shutDown() {
        let waiting = held + awaitingTime
        held.removeAll()
        awaitingTime.removeAll()
        for c in waiting { finish(c, .unknown(.transport(.cancelled))) }
        pool.shutDown()
    }

    /// The exchange's clock now, as far as we know it.
    public func venueTimeMs() -> Int64 { time.venueTimeMs(localMs: clock.wallTimeMs()) }

    /// After a ban (418) an operator lets requests go again.
    public func resume() { limiter.resume() }

    /// `exchangeInfo.rateLimits`' values for the exchange's limits.
    public func updateExchangeLimits(requestWeightPerMinute: Int?, ordersPer10s: Int?, ordersPerMinute: Int?) {
        limiter.updateExchangeLimits(requestWeightPerMinute: requestWeightPerMinute, ordersPer10s: ordersPer10s,
                                     ordersPerMinute: ordersPerMinute)
    }

    // MARK: - Server time

    /// `GET /fapi/v1/time`: measures the offset (midpoint of request and response). Calls made
    /// while a sync is in flight share it.
    public func syncServerTime(completion: @escaping Completion<Int64> = { _ in }) {
        syncCompletions.append(completion)
        guard !syncInFlight else { return }
        syncInFlight = true
        submit(Call(endpoint: .serverTime, method: .get, path: "/fapi/v1/time", auth: .none, params: takeBuffer(),
                    priority: .manual) { [unowned self] reply in
            syncInFlight = false
            let outcome: VenueOutcome<Int64>
            switch reply {
            case .success(let status, let body, let sentMs, let receivedMs):
                if let server = try? BinanceREST.serverTime(body) {
                    time.record(serverTimeMs: server, sentLocalMs: sentMs, receivedLocalMs: receivedMs)
                    onEvent?(.timeSynced(offsetMs: time.offsetMs, roundTripMs: time.roundTripMs))
                    outcome = .ok(server)
                } else {
                    outcome = .unknown(.malformedResponse(status: status))
                }
            case .rejected(let r): outcome = .rejected(r)
            case .unknown(let u): outcome = .unknown(u)
            case .halted: outcome = .halted
            }
            // Requests answered -1021 go again with a fresh timestamp, once; without a new
            // offset they stay rejected (-1021 means the venue did nothing with them).
            let waiting = awaitingTime
            awaitingTime.removeAll()
            for var c in waiting {
                if outcome.value != nil {
                    c.notBeforeMs = .min
                    submit(c)
                } else {
                    finish(&c, .rejected(VenueRejection(code: -1021, httpStatus: 400, message: "server time re-sync failed")))
                }
            }
            let completions = syncCompletions
            syncCompletions.removeAll()
            for done in completions { done(outcome) }
        })
    }

    // MARK: - Orders

    /// `POST /fapi/v1/order` type MARKET (`reduceOnly` for closes), `newOrderRespType=RESULT`.
    /// Returns the order's client id (from `ids` unless given) — the key to query it by.
    @discardableResult
    public func placeMarketOrder(symbol: SymbolID, side: Side, quantity: Quantity, reduceOnly: Bool = false,
                                 clientOrderID: ClientOrderID? = nil, priority: RateLimitPriority = .automatic,
                                 completion: @escaping (OrderOutcome) -> Void) -> ClientOrderID
    {
        let id = clientOrderID ?? ids.next().id
        let p = marketOrderParams(symbol: symbol, side: side, quantity: quantity, reduceOnly: reduceOnly, id: id)
        submit(Call(endpoint: .newOrder, method: .post, path: "/fapi/v1/order", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(marketOutcome(reply, reduceOnly: reduceOnly))
        })
        return id
    }

    /// The same order, answered through `onOrderOutcome` with `tag`: the order path's variant,
    /// which allocates nothing per order once warm (no completion closure).
    public func placeMarketOrder(symbol: SymbolID, side: Side, quantity: Quantity, reduceOnly: Bool = false,
                                 clientOrderID: ClientOrderID, priority: RateLimitPriority = .automatic, tag: UInt64)
    {
        let p = marketOrderParams(symbol: symbol, side: side, quantity: quantity, reduceOnly: reduceOnly,
                                  id: clientOrderID)
        submit(Call(endpoint: .newOrder, method: .post, path: "/fapi/v1/order", auth: .signed, params: p,
                    priority: priority, kind: .marketOrder(tag: tag, reduceOnly: reduceOnly)))
    }

    func marketOrderParams(symbol: SymbolID, side: Side, quantity: Quantity, reduceOnly: Bool, id: ClientOrderID)
        -> [UInt8]
    {
        var p = takeBuffer()
        append(&p, "symbol", symbol)
        append(&p, "side", side == .buy ? "BUY" : "SELL")
        append(&p, "type", "MARKET")
        append(&p, "quantity", quantity, symbols[symbol].quantityScale)
        if reduceOnly { append(&p, "reduceOnly", "true") }
        append(&p, "newClientOrderId", id)
        append(&p, "newOrderRespType", "RESULT")
        return p
    }

    /// A new order's answer: accepted with its ack, -2022 on a reduce-only close as already
    /// closed, rejected, unknown or halted (counted).
    func marketOutcome(_ reply: Reply, reduceOnly: Bool) -> OrderOutcome {
        switch reply {
        case .success(let status, let body, _, _):
            if let ack = VenueResponseParser.order(body, symbols: wireSymbols) { return .accepted(ack) }
            unknowns += 1
            return .unknown(.malformedResponse(status: status))
        case .rejected(let r) where r.reason == .reduceOnlyRejected && reduceOnly:
            alreadyClosed += 1
            return .alreadyClosed
        case .rejected(let r):
            count(r)
            return .rejected(r)
        case .unknown(let u):
            unknowns += 1
            return .unknown(u)
        case .halted:
            return .halted
        }
    }

    /// `POST /fapi/v1/algoOrder`: a protective `STOP_MARKET` or `TAKE_PROFIT_MARKET` with
    /// `algoType=CONDITIONAL` and `closePosition=true` (it closes whatever position is open
    /// when it triggers, and survives an engine crash). `closingSide` is opposite to the
    /// position (SELL for a long). Binance answers conditional types on `/fapi/v1/order` with -4120.
    @discardableResult
    public func placeProtectiveOrder(symbol: SymbolID, closingSide: Side, kind: ProtectiveKind, triggerPrice: Price,
                                     workingType: WorkingType = .markPrice, clientAlgoID: ClientOrderID? = nil,
                                     priority: RateLimitPriority = .automatic,
                                     completion: @escaping Completion<AlgoOrderAck>) -> ClientOrderID
    {
        let id = clientAlgoID ?? ids.next().id
        let p = protectiveParams(symbol: symbol, closingSide: closingSide, kind: kind, triggerPrice: triggerPrice,
                                 workingType: workingType, id: id)
        submit(Call(endpoint: .newAlgoOrder, method: .post, path: "/fapi/v1/algoOrder", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { VenueResponseParser.algoOrder($0, symbols: wireSymbols) })
        })
        return id
    }

    /// The same order, answered through `onProtectiveOutcome` with `tag` (no closure per order).
    public func placeProtectiveOrder(symbol: SymbolID, closingSide: Side, kind: ProtectiveKind, triggerPrice: Price,
                                     workingType: WorkingType = .markPrice, clientAlgoID: ClientOrderID,
                                     priority: RateLimitPriority = .automatic, tag: UInt64)
    {
        let p = protectiveParams(symbol: symbol, closingSide: closingSide, kind: kind, triggerPrice: triggerPrice,
                                 workingType: workingType, id: clientAlgoID)
        submit(Call(endpoint: .newAlgoOrder, method: .post, path: "/fapi/v1/algoOrder", auth: .signed, params: p,
                    priority: priority, kind: .protectiveOrder(tag: tag)))
    }

    func protectiveParams(symbol: SymbolID, closingSide: Side, kind: ProtectiveKind, triggerPrice: Price,
                          workingType: WorkingType, id: ClientOrderID) -> [UInt8] {
        var p = takeBuffer()
        append(&p, "algoType", "CONDITIONAL")
        append(&p, "symbol", symbol)
        append(&p, "side", closingSide == .buy ? "BUY" : "SELL")
        append(&p, "type", kind.wire)
        append(&p, "triggerPrice", triggerPrice, symbols[symbol].priceScale)
        append(&p, "workingType", workingType.wire)
        append(&p, "closePosition", "true")
        append(&p, "clientAlgoId", id)
        return p
    }

    /// `DELETE /fapi/v1/algoOrder?algoId=…`: the canceled algo id. -2011 (already triggered,
    /// canceled or expired) is `.rejected` with reason `.orderNotFound`.
    public func cancelAlgoOrder(algoID: Int64, priority: RateLimitPriority = .automatic,
                                completion: @escaping Completion<Int64>) {
        var p = takeBuffer()
        append(&p, "algoId", algoID)
        cancelAlgo(p, priority, completion)
    }

    /// `DELETE /fapi/v1/algoOrder?clientAlgoId=…`.
    public func cancelAlgoOrder(clientAlgoID: ClientOrderID, priority: RateLimitPriority = .automatic,
                                completion: @escaping Completion<Int64>) {
        var p = takeBuffer()
        append(&p, "clientAlgoId", clientAlgoID)
        cancelAlgo(p, priority, completion)
    }

    func cancelAlgo(_ p: [UInt8], _ priority: RateLimitPriority, _ completion: @escaping Completion<Int64>) {
        submit(Call(endpoint: .cancelAlgoOrder, method: .delete, path: "/fapi/v1/algoOrder", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { body in
                var id: Int64?
                _ = ResponseJSON.members(body) { k, _, v in
                    if ResponseJSON.equals(body, k, "algoId") { id = ResponseJSON.int(body, v) }
                }
                return id
            })
        })
    }

    /// `DELETE /fapi/v1/algoOpenOrders?symbol=…`: every open algo order of the symbol.
    public func cancelAllAlgoOrders(symbol: SymbolID, priority: RateLimitPriority = .automatic,
                                    completion: @escaping Completion<Void>) {
        var p = takeBuffer()
        append(&p, "symbol", symbol)
        submit(Call(endpoint: .cancelAlgoOrder, method: .delete, path: "/fapi/v1/algoOpenOrders", auth: .signed,
                    params: p, priority: priority) { [unowned self] reply in
            completion(outcome(reply) { _ in () })
        })
    }

    /// `GET /fapi/v1/openAlgoOrders?symbol=…`.
    public func openAlgoOrders(symbol: SymbolID, priority: RateLimitPriority = .automatic,
                               completion: @escaping Completion<[AlgoOrderAck]>) {
        var p = takeBuffer()
        append(&p, "symbol", symbol)
        submit(Call(endpoint: .openAlgoOrders, method: .get, path: "/fapi/v1/openAlgoOrders", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { VenueResponseParser.algoOrders($0, symbols: wireSymbols) })
        })
    }

    /// `GET /fapi/v1/order?symbol=…&origClientOrderId=…`: what became of an order (the first
    /// thing to do after an `.unknown`). -2013 is `.rejected` with `.orderNotFound`: it never arrived.
    public func queryOrder(symbol: SymbolID, clientOrderID: ClientOrderID, priority: RateLimitPriority = .automatic,
                           completion: @escaping Completion<OrderAck>) {
        var p = takeBuffer()
        append(&p, "symbol", symbol)
        append(&p, "origClientOrderId", clientOrderID)
        submit(Call(endpoint: .queryOrder, method: .get, path: "/fapi/v1/order", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { VenueResponseParser.order($0, symbols: wireSymbols) })
        })
    }

    /// `GET /fapi/v2/positionRisk` (one symbol, or all): rows of the table's symbols, flat ones
    /// included (`amount == 0`).
    public func positionRisk(symbol: SymbolID? = nil, priority: RateLimitPriority = .automatic,
                             completion: @escaping Completion<[PositionRisk]>) {
        var p = takeBuffer()
        if let symbol { append(&p, "symbol", symbol) }
        submit(Call(endpoint: .positionRisk, method: .get, path: "/fapi/v2/positionRisk", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { VenueResponseParser.positions($0, symbols: wireSymbols) })
        })
    }

    /// `GET /fapi/v2/balance`: one row per margin asset of the account (`.usdt()` picks ours).
    /// Weight 5, drawn from the account-queries budget.
    public func balance(priority: RateLimitPriority = .automatic, completion: @escaping Completion<[AssetBalance]>) {
        submit(Call(endpoint: .balance, method: .get, path: "/fapi/v2/balance", auth: .signed, params: takeBuffer(),
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { VenueResponseParser.balances($0) })
        })
    }

    /// `GET /fapi/v1/userTrades?symbol=…&startTime=…[&endTime=…]&limit=…`: the account's fills of
    /// `symbol` from `fromTimeMs` (through `toTimeMs` when given), oldest first, at most `limit`
    /// (1–1000; Binance's default 500). Weight 5, drawn from the account-queries budget.
    ///
    /// Binance answers at most 7 days per request (`endTime − startTime`; without `endTime`, the
    /// 7 days from `startTime`) and only the last 6 months: paging through longer spans is the
    /// caller's. Rows outside the asked span are dropped here too, so a venue that ignores the
    /// span (the simulator answers its last `limit` fills) gives the same answer.
    /// https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Account-Trade-List
    public func userTrades(symbol: SymbolID, fromTimeMs: Int64, toTimeMs: Int64? = nil, limit: Int = 1000,
                           priority: RateLimitPriority = .automatic, completion: @escaping Completion<[UserTrade]>) {
        var p = takeBuffer()
        append(&p, "symbol", symbol)
        append(&p, "startTime", fromTimeMs)
        if let toTimeMs { append(&p, "endTime", toTimeMs) }
        append(&p, "limit", Int64(min(1000, max(1, limit))))
        submit(Call(endpoint: .userTrades, method: .get, path: "/fapi/v1/userTrades", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { body in
                VenueResponseParser.userTrades(body, symbols: wireSymbols)?.filter { row in
                    row.timeMs >= fromTimeMs && row.timeMs <= (toTimeMs ?? .max)
                }
            })
        })
    }

    /// `POST /fapi/v1/leverage`: the leverage the venue set. Outside 1–125 it is refused here,
    /// synchronously, with code -4028 and `httpStatus` 0 (nothing is sent).
    public func setLeverage(symbol: SymbolID, leverage: Int, priority: RateLimitPriority = .automatic,
                            completion: @escaping Completion<Int>) {
        guard (1...125).contains(leverage) else {
            let r = VenueRejection(code: -4028, httpStatus: 0, message: "Leverage \(leverage) is outside 1-125")
            count(r)
            return completion(.rejected(r))
        }
        var p = takeBuffer()
        append(&p, "symbol", symbol)
        append(&p, "leverage", Int64(leverage))
        submit(Call(endpoint: .leverage, method: .post, path: "/fapi/v1/leverage", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            completion(outcome(reply) { VenueResponseParser.leverage($0) })
        })
    }

    /// `POST /fapi/v1/marginType` (ISOLATED or CROSSED); -4046 "No need to change margin type"
    /// is `.ok(.unchanged)`, so calling it at every start is idempotent.
    public func setMarginType(symbol: SymbolID, isolated: Bool, priority: RateLimitPriority = .automatic,
                              completion: @escaping Completion<MarginTypeChange>) {
        var p = takeBuffer()
        append(&p, "symbol", symbol)
        append(&p, "marginType", isolated ? "ISOLATED" : "CROSSED")
        submit(Call(endpoint: .marginType, method: .post, path: "/fapi/v1/marginType", auth: .signed, params: p,
                    priority: priority) { [unowned self] reply in
            if case .rejected(let r) = reply, r.code == -4046 { return completion(.ok(.unchanged)) }
            completion(outcome(reply) { _ in .changed })
        })
    }

    /// `POST /fapi/v1/listenKey` (API key only): the user-data stream's key (Binance returns the
    /// existing one, extended, while it is valid).
    public func createListenKey(completion: @escaping Completion<String>) {
        submit(Call(endpoint: .listenKey, method: .post, path: "/fapi/v1/listenKey", auth: .apiKey, params: takeBuffer(),
                    priority: .manual) { [unowned self] reply in
            completion(outcome(reply) { VenueResponseParser.listenKey($0) })
        })
    }

    /// `PUT /fapi/v1/listenKey`: extends the key 60 minutes (every 30 min). `.rejected` with
    /// `.listenKeyNotFound` (-1125): create a new key and reconnect.
    public func keepAliveListenKey(completion: @escaping Completion<Void>) {
        submit(Call(endpoint: .listenKey, method: .put, path: "/fapi/v1/listenKey", auth: .apiKey, params: takeBuffer(),
                    priority: .manual) { [unowned self] reply in
            completion(outcome(reply) { _ in () })
        })
    }

    /// `DELETE /fapi/v1/listenKey`: closes the stream (shutdown).
    public func closeListenKey(completion: @escaping Completion<Void>) {
        submit(Call(endpoint: .listenKey, method: .delete, path: "/fapi/v1/listenKey", auth: .apiKey,
                    params: takeBuffer(), priority: .manual) { [unowned self] reply in
            completion(outcome(reply) { _ in () })
        })
    }

    // MARK: - Outcomes

    func outcome<T>(_ reply: Reply, _ parse: (UnsafeRawBufferPointer) -> T?) -> VenueOutcome<T> {
        switch reply {
        case .success(let status, let body, _, _):
            if let v = parse(body) { return .ok(v) }
            unknowns += 1
            return .unknown(.malformedResponse(status: status))
        case .rejected(let r):
            count(r)
            return .rejected(r)
        case .unknown(let u):
            unknowns += 1
            return .unknown(u)
        case .halted:
            return .halted
        }
    }

    func count(_ r: VenueRejection) { rejections[Int(r.reason.rawValue)] += 1 }

    /// Rejections counted under `reason`.
    public func rejections(_ reason: RejectionReason) -> Int { rejections[Int(reason.rawValue)] }

    // MARK: - Sending

    func submit(_ call: Call) {
        let now = venueTimeMs()
        // A call behind held calls of the same budget waits its turn (arrival order per budget).
        if let ahead = held.last(where: { $0.endpoint.group == call.endpoint.group }), !limiter.isHalted {
            var c = call
            c.notBeforeMs = max(ahead.notBeforeMs, now)
            onEvent?(.rateLimitWait(call.endpoint, ms: c.notBeforeMs - now, reason: .group(call.endpoint.group)))
            held.append(c)
            return
        }
        switch limiter.acquire(call.endpoint, priority: call.priority, nowMs: now) {
        case .go:
            send(call)
        case .wait(let ms, let reason):
            var c = call
            c.notBeforeMs = now + ms
            onEvent?(.rateLimitWait(call.endpoint, ms: ms, reason: reason))
            held.append(c)
        case .halted:
            refusedHalted += 1
            finish(call, .halted)
        }
    }

    /// Sends the held calls whose wait is over, in order.
    func releaseHeld() -> Int {
        guard !held.isEmpty else { return 0 }
        let now = venueTimeMs()
        var work = 0
        var i = 0
        while i < held.count {
            guard held[i].notBeforeMs <= now else {
                i += 1
                continue
            }
            switch limiter.acquire(held[i].endpoint, priority: held[i].priority, nowMs: now) {
            case .go:
                let c = held.remove(at: i)
                send(c)
                work += 1
            case .wait(let ms, _):
                held[i].notBeforeMs = now + ms
                i += 1
            case .halted:
                failHeld()
                return work + 1
            }
        }
        return work
    }

    func failHeld() {
        var calls: [Call] = []
        swap(&calls, &held)
        for i in calls.indices {
            refusedHalted += 1
            finish(&calls[i], .halted)
        }
    }

    func send(_ call: Call) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: call.params)
        if call.auth == .signed {
            if !scratch.isEmpty { scratch.append(0x26) }
            appendLiteral(&scratch, "timestamp=")
            appendInt(&scratch, venueTimeMs())
            appendLiteral(&scratch, "&recvWindow=")
            appendInt(&scratch, recvWindowMs)
            let signature = scratch.withUnsafeBytes { signer.sign(query: $0) }
            appendLiteral(&scratch, "&signature=")
            scratch.append(contentsOf: signature)
        }
        var call = call
        call.sentLocalMs = clock.wallTimeMs()
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = call
        } else {
            slot = slots.count
            slots.append(call)
        }
        sent += 1
        // The answer comes back through the pool's `onTaggedAnswer` with the slot as its tag:
        // no closure per request.
        switch call.method {
        case .post, .put:
            pool.request(method: call.method == .post ? "POST" : "PUT", path: call.path.description,
                         headers: call.auth == .none ? [] : postHeaders, body: scratch, tag: UInt64(slot))
        case .get, .delete:
            var path = call.path.description
            if !scratch.isEmpty {
                path.reserveCapacity(path.utf8.count + 1 + scratch.count)
                path += "?"
                path += String(decoding: scratch, as: UTF8.self)
            }
            pool.request(method: call.method == .get ? "GET" : "DELETE", path: path,
                         headers: call.auth == .none ? [] : getHeaders, tag: UInt64(slot))
        }
    }

    func complete(slot: Int, _ result: Result<HTTPPoolResponse, HTTPPoolError>) {
        guard slot < slots.count, var call = slots[slot].take() else { return }
        let sentLocalMs = call.sentLocalMs
        freeSlots.append(slot)
        let receivedLocalMs = clock.wallTimeMs()
        let response: HTTPPoolResponse
        switch result {
        case .failure(let e):
            limiter.onNoResponse()
            return finish(&call, .unknown(.transport(e)))
        case .success(let r):
            response = r
        }
        let now = venueTimeMs()
        let status = response.status
        let signal = limiter.onResponse(call.endpoint, status: status, headers: RateLimitHeaders(headers: response.headers),
                                        nowMs: now)
        requestsAnswered.wrappingAdd(1, ordering: .relaxed)
        let weight = limiter.requestWeight
        if weight.limit.limit > 0 {
            weightUsedPermille.store(weight.used * 1000 / weight.limit.limit, ordering: .relaxed)
            weightWindowEndsMs.store(weight.resetsAtMs, ordering: .relaxed)
        }
        switch signal {
        case .banned(let until):
            onEvent?(.banned(untilMs: until))
            finish(&call, .halted)
            failHeld()
            return
        case .backoff(let ms):
            onEvent?(.backoff(ms: ms))
            // A 429 is a refusal before processing: safe to send again, orders included.
            if call.rateLimitRetries < max429Retries {
                var c = call
                c.rateLimitRetries += 1
                c.notBeforeMs = now + ms
                rateLimitRetries += 1
                held.insert(c, at: 0)  // it was sent before anything still held: it goes first again
                return
            }
            let e = BinanceREST.apiError(response.body)
            return finish(&call, .rejected(VenueRejection(code: e?.code ?? -1003, httpStatus: status,
                                                         message: e?.message ?? "HTTP 429")))
        case .none:
            break
        }
        if (200..<300).contains(status) {
            return finish(&call, .success(status: status, body: response.body, sentLocalMs: sentLocalMs,
                                         receivedLocalMs: receivedLocalMs))
        }
        let e = BinanceREST.apiError(response.body)
        // 5xx, a gateway timeout, or Binance's "execution status unknown" codes.
        if status >= 500 || status == 408 || e?.code == -1006 || e?.code == -1007 {
            return finish(&call, .unknown(.serverError(status: status, code: e?.code)))
        }
        if e?.code == -1021, call.auth == .signed, !call.timestampRetried {
            var c = call
            c.timestampRetried = true
            timestampRetries += 1
            awaitingTime.append(c)
            time.invalidate()
            if !syncInFlight { syncServerTime() }
            return
        }
        finish(&call, .rejected(VenueRejection(code: e?.code ?? 0, httpStatus: status, message: e?.message ?? "HTTP \(status)")))
    }

    /// Hands `reply` to the call's handler and recycles its parameter buffer (moved out of the
    /// call first, so it is uniquely referenced and keeps its capacity without a copy).
    func finish(_ call: inout Call, _ reply: Reply) {
        var params: [UInt8] = []
        swap(&params, &call.params)
        switch call.handler {
        case .closure(let handler):
            handler(reply)
        case .marketOrder(let tag, let reduceOnly):
            onOrderOutcome?(tag, marketOutcome(reply, reduceOnly: reduceOnly))
        case .protectiveOrder(let tag):
            onProtectiveOutcome?(tag, outcome(reply) { VenueResponseParser.algoOrder($0, symbols: wireSymbols) })
        }
        if spareBuffers.count < 32 {
            params.removeAll(keepingCapacity: true)
            spareBuffers.append(params)
        }
    }

    func finish(_ call: Call, _ reply: Reply) {
        var c = call
        finish(&c, reply)
    }

    func takeBuffer() -> [UInt8] {
        if let b = spareBuffers.popLast() { return b }
        var b: [UInt8] = []
        b.reserveCapacity(512)
        return b
    }

    // MARK: - Parameters (no String: bytes straight into the buffer)

    func appendLiteral(_ p: inout [UInt8], _ s: StaticString) {
        p.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    func key(_ p: inout [UInt8], _ name: StaticString) {
        if !p.isEmpty { p.append(0x26) }  // &
        appendLiteral(&p, name)
        p.append(0x3D)  // =
    }

    func append(_ p: inout [UInt8], _ name: StaticString, _ value: StaticString) {
        key(&p, name)
        appendLiteral(&p, value)
    }

    func append(_ p: inout [UInt8], _ name: StaticString, _ symbol: SymbolID) {
        key(&p, name)
        p.append(contentsOf: symbolNames[symbol.index])
    }

    func append(_ p: inout [UInt8], _ name: StaticString, _ id: ClientOrderID) {
        key(&p, name)
        id.withUnsafeBytes { p.append(contentsOf: $0) }  // Binance's id charset needs no escaping
    }

    func append(_ p: inout [UInt8], _ name: StaticString, _ value: Int64) {
        key(&p, name)
        appendInt(&p, value)
    }

    func append<V: FixedPointValue>(_ p: inout [UInt8], _ name: StaticString, _ value: V, _ scale: DecimalScale) {
        key(&p, name)
        let n = value.format(scale: scale, into: number)
        p.append(contentsOf: UnsafeRawBufferPointer(rebasing: number[0..<n]))
    }

    func appendInt(_ p: inout [UInt8], _ value: Int64) {
        var v = value.magnitude
        var i = 32
        repeat {
            i -= 1
            number[i] = 0x30 + UInt8(v % 10)
            v /= 10
        } while v > 0
        if value < 0 {
            i -= 1
            number[i] = 0x2D
        }
        p.append(contentsOf: UnsafeRawBufferPointer(rebasing: number[i..<32]))
    }
}
