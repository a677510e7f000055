import Logging
import TicklineBinance
import TicklineCore
import TicklineExecution
import TicklineIO
import TicklineRisk

#if canImport(Glibc)
import Glibc
#endif

/// The start-up sequence of a trading run, before any stage thread starts: trading begins only
/// when all of it is done.
///
/// Per account, in order: sync the server time; read the wallet (`GET /fapi/v2/balance`); sync
/// positions (`GET /fapi/v2/positionRisk`: rows with `positionAmt != 0`, side from the sign,
/// size |amount|, a new position id each — "Synced {count} positions from Binance"); set the
/// leverage per symbol (`POST /fapi/v1/leverage`, 1–125, 100 ms apart; a failure is logged and
/// skipped, the venue's leverage kept — "Leverage set to {leverage}x for {symbol}") and the
/// margin type (-4046 "no need to change" counts as success, so it is idempotent); cancel the
/// exchange-side protective orders left from an earlier run (`DELETE /fapi/v1/algoOpenOrders`
/// per symbol: risk places a fresh safety net for every synced position, under ids it knows).
/// Requests that fail transiently are retried (3 attempts, 1 s apart). With a store configured,
/// `LiveRun.prepareTrading` then reconciles the journal with what this read
/// (`StartupReconciliation`, over the same kind of `Session`).
///
/// Blocking, on a throwaway polling loop: cold path only.
public enum TradingStartup {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// One account to prepare.
    public struct Account {
        public var setup: VenueAccountSetup
        public var settings: AccountSettings
        public var name: String

        public init(setup: VenueAccountSetup, settings: AccountSettings, name: String) {
            self.setup = setup
            self.settings = settings
            self.name = name
        }
    }

    /// What risk starts from.
    public struct Result {
        public var walletBalances: [Price]
        public var positions: [(account: AccountID, position: PositionRisk)]
        /// Symbols whose leverage could not be set (the venue's value stays).
        public var leverageFailures: [String]
    }

    /// One account's blocking REST session on a throwaway polling loop: what the start-up steps
    /// (this sequence, then `StartupReconciliation`) call the venue through.
    public final class Session {
        public let client: BinanceOrderClient<PollingSocketLoop, LiveClock>
        public let clock = LiveClock()
        public let name: String
        let pool: HTTPConnectionPool<PollingSocketLoop>
        let logger: Logger
        private var closed = false

        public init(rest: RESTEndpoint, symbols: SymbolTable, account: Account, logger: Logger) throws {
            pool = HTTPConnectionPool(loop: PollingSocketLoop(), address: rest.address, host: rest.host,
                                      security: rest.security, tokenBase: 0, maxConnections: 1)
            let ids = try ClientOrderIDs(account: account.setup.account, firstSequence: 1)
            client = try BinanceOrderClient(pool: pool, clock: clock, account: account.setup.account,
                                            apiKey: account.setup.apiKey, secret: account.setup.secret,
                                            symbols: symbols, ids: ids, limits: account.setup.limits)
            name = account.name
            self.logger = logger
        }

        deinit { close() }

        /// Shuts the client down and lets the pool retire its connection.
        public func close() {
            guard !closed else { return }
            closed = true
            client.shutDown()
            for _ in 0..<1000 where pool.retiredOperations > 0 { _ = client.doWork(nowNs: clock.nowNs()) }
        }

        /// Issues a request and drives the client until it is answered: the value, or a `Failure`
        /// naming the account and `what`. Transient failures (`.unknown`, no answer within 15 s)
        /// are retried `attempts` times, 1 s apart; a rejection or a ban fails at once.
        public func call<T>(_ what: String, attempts: Int = 3,
                            _ start: (@escaping (VenueOutcome<T>) -> Void) -> Void) throws -> T {
            var lastError = ""
            for attempt in 1...attempts {
                var outcome: VenueOutcome<T>?
                start { outcome = $0 }
                let deadline = clock.nowNs() + 15_000_000_000
                while outcome == nil, clock.nowNs() < deadline {
                    if client.doWork(nowNs: clock.nowNs()) == 0 { usleep(200) }
                }
                switch outcome {
                case .ok(let value)?: return value
                case .rejected(let r)?:
                    throw Failure(description: "account \(name): \(what): \(r.code) \(r.message)")
                case .halted?:
                    throw Failure(description: "account \(name): \(what): the venue banned this IP (418)")
                case .unknown(let cause)?: lastError = "\(cause)"
                case nil: lastError = "no answer within 15 s"
                }
                if attempt < attempts {
                    logger.warning("account \(name): \(what) failed (\(lastError)), retrying")
                    usleep(1_000_000)
                }
            }
            throw Failure(description: "account \(name): \(what): \(lastError)")
        }
    }

    public static func run(rest: RESTEndpoint, symbols: SymbolTable, accounts: [Account], logger: Logger,
                           leverageSpacingNs: UInt64 = 100_000_000) throws -> Result {
        var result = Result(walletBalances: [], positions: [], leverageFailures: [])
        for (i, account) in accounts.enumerated() {
            let session = try Session(rest: rest, symbols: symbols, account: account, logger: logger)
            defer { session.close() }
            let client = session.client
            let clock = session.clock
            let name = account.name
            _ = try session.call("server time") { client.syncServerTime(completion: $0) }
            logger.info("account \(name): server time offset \(client.time.offsetMs) ms (round trip \(client.time.roundTripMs) ms)")
            let balances = try session.call("balance") { client.balance(completion: $0) }
            guard let usdt = balances.first(where: { $0.asset == "USDT" }) else {
                throw Failure(description: "account \(name): no USDT balance")
            }
            result.walletBalances.append(usdt.walletBalance)
            let rows = try session.call("positionRisk") { client.positionRisk(completion: $0) }
            let open = rows.filter { $0.amount.raw != 0 }
            for p in open { result.positions.append((AccountID(UInt16(i)), p)) }
            logger.info("Synced \(open.count) positions from Binance", metadata: ["account": "\(name)"])

            for entry in symbols.entries.indices {
                let symbol = SymbolID(UInt16(entry))
                let symbolName = symbols[symbol].name
                do {
                    let set = try session.call("leverage \(symbolName)") {
                        client.setLeverage(symbol: symbol, leverage: account.settings.leverage, completion: $0)
                    }
                    logger.info("Leverage set to \(set)x for \(symbolName)", metadata: ["account": "\(name)"])
                } catch {
                    result.leverageFailures.append(symbolName)
                    logger.error("\(error); keeping the venue's leverage for \(symbolName)")
                }
                let isolated = account.settings.marginType == .isolated
                _ = try session.call("margin type \(symbolName)") {
                    client.setMarginType(symbol: symbol, isolated: isolated, completion: $0)
                }
                _ = try session.call("cancel protective orders \(symbolName)") {
                    client.cancelAllAlgoOrders(symbol: symbol, completion: $0)
                }
                let spacing = clock.nowNs() + leverageSpacingNs
                while clock.nowNs() < spacing { usleep(1000) }
            }
            let wallet = usdt.walletBalance.description(scale: RiskEngine.moneyScale)
            logger.info("account \(name): wallet \(wallet) USDT, leverage \(account.settings.leverage)x, margin \(account.settings.marginType)")
        }
        return result
    }
}
