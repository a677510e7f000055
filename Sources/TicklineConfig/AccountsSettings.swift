import TOMLKit

/// `[trading]`: the engine-wide trading switch and the position-keeping cadences.
public struct TradingSettings: Sendable, Equatable {
    /// The price positions are marked to and SL/TP are checked against (`AccountSettings.markingSource`
    /// in TicklineRisk). It should match the `workingType` of the exchange-side protective orders.
    public enum Marking: String, Sendable, Equatable, CaseIterable {
        /// The last trade (`workingType = CONTRACT_PRICE`).
        case lastTrade = "last_trade"
        /// The venue's mark price (`workingType = MARK_PRICE`; needs `venue.mark_price`).
        case markPrice = "mark_price"
    }

    /// The global trading switch at start-up: `false` starts with every account's new entries
    /// refused until the switch is flipped at run time (exits and protective orders still work).
    public var enabled = true
    /// Place exchange-side STOP_MARKET / TAKE_PROFIT_MARKET orders beside every position, a
    /// safety net for when the engine is down or cut off.
    public var protectiveOrders = true
    /// How often open positions are re-marked and published, 100...3_600_000 ms. Default 5 s.
    public var positionUpdateMs = 5_000
    /// How often account snapshots are journalled, 1_000...86_400_000 ms. Default 15 min.
    public var snapshotIntervalMs = 900_000
    public var marking = Marking.lastTrade

    public init() {}
}

/// `ISOLATED` or `CROSSED`, as Binance spells `marginType` (TicklineRisk's `MarginType`;
/// TicklineConfig does not import TicklineRisk).
public enum AccountMarginType: String, Sendable, Equatable, CaseIterable {
    case isolated = "ISOLATED"
    case crossed = "CROSSED"
}

/// One `[[accounts]]` entry: a trading account's risk limits and where its API credentials come
/// from.
///
/// The limits are kept in the integer units of TicklineRisk's `AccountSettings` (bp, 1e-4, ppm),
/// each checked against the range `AccountSettings.validate()` enforces, so the engine maps them
/// 1:1. The credentials themselves are never part of the configuration: only the names of two
/// environment variables or the path of a 0600 file (`loadCredentials(environment:)` reads them).
public struct AccountConfig: Sendable, Equatable {
    /// Where `loadCredentials(environment:)` finds the API key and secret.
    public enum CredentialsSource: Sendable, Equatable {
        /// `api_key_env` / `secret_env`: the names of two environment variables.
        case environment(apiKeyVariable: String, secretVariable: String)
        /// `credentials_file`: a file of mode 0600 (or 0400) holding `api_key = "…"` and
        /// `secret = "…"`; a relative path is relative to the working directory.
        case file(path: String)
    }

    /// `[A-Za-z0-9_-]{1,32}`, unique (ignoring case) among the accounts.
    public var name: String
    /// The account's trading switch at start-up.
    public var tradingEnabled = true
    /// 1...125. Default 10.
    public var leverage = 10
    public var marginType = AccountMarginType.crossed
    /// ≥ 1. Default 10.
    public var maxOpenPositions = 10
    /// `risk_per_trade_pct` × 100: 1...10_000 bp (0.01 %...100 %). Default 100 (1 %).
    public var riskPerTradeBp = 100
    /// `min_confidence` × 10_000: 0...10_000. Default 7_000 (0.70).
    public var minConfidenceBp = 7_000
    /// `min_risk_reward` × 10_000: 0...10_000_000 (0...1000). Default 15_000 (1.5).
    public var minRiskRewardBp = 15_000
    /// `stop_loss_pct` × 100: 1...9_999 bp (0.01 %...99.99 %). Default 200 (2 %).
    public var stopLossFallbackBp = 200
    /// `take_profit_pct` × 100: 1...9_999 bp. Default 300 (3 %).
    public var takeProfitFallbackBp = 300
    /// `taker_fee_pct` × 10_000: 0...100_000 ppm (0 %...10 %). Default 400 (0.04 %).
    public var takerFeePpm = 400
    public var credentials: CredentialsSource
    /// Only the built-in `paper` account: when neither of its environment variables is set, use the
    /// simulator's demo credentials (`demo-key` / `demo-secret`). Never set for a configured account.
    public var fallsBackToDemoCredentials = false

    public init(name: String, credentials: CredentialsSource) {
        self.name = name
        self.credentials = credentials
    }

    /// The account used when `tickline.toml` has no `[[accounts]]`: `paper`, with every default,
    /// credentials from `TICKLINE_API_KEY` / `TICKLINE_API_SECRET`, or the simulator's demo
    /// account (`demo-key` / `demo-secret`) when both are unset, so `tickline run --venue sim`
    /// trades out of the box. A real venue rejects the demo key; set the variables (or configure
    /// `[[accounts]]`) to trade there.
    public static let paper: AccountConfig = {
        var a = AccountConfig(name: "paper",
                              credentials: .environment(apiKeyVariable: "TICKLINE_API_KEY",
                                                        secretVariable: "TICKLINE_API_SECRET"))
        a.fallsBackToDemoCredentials = true
        return a
    }()
}

extension TicklineConfiguration {
    static func parseTrading(_ value: any TOMLValueConvertible, in doc: TOMLDocument) throws(ConfigError) -> TradingSettings {
        let path = "trading"
        guard let t = value.table else { throw doc.error("must be a table", key: path) }
        try doc.rejectUnknownKeys(in: t, allowed: ["enabled", "protective_orders", "position_update_ms", "snapshot_interval_ms",
                                                   "marking"], path: path)
        let r = TableReader(table: t, doc: doc, path: path)
        var s = TradingSettings()
        if let b = try r.bool("enabled") { s.enabled = b }
        if let b = try r.bool("protective_orders") { s.protectiveOrders = b }
        if let n = try r.integer("position_update_ms", 100...3_600_000) { s.positionUpdateMs = n }
        if let n = try r.integer("snapshot_interval_ms", 1_000...86_400_000) { s.snapshotIntervalMs = n }
        if let v = t["marking"] {
            guard let name = v.string, let m = TradingSettings.Marking(rawValue: name) else {
                throw doc.error("must be \"last_trade\" or \"mark_price\"", key: "marking", table: path)
            }
            s.marking = m
        }
        return s
    }

    /// Keys that would hold a credential itself: refused with a pointer to the right way, never echoed.
    static let secretKeys: Set<String> = ["api_key", "apikey", "key", "secret", "api_secret", "secret_key", "password"]

    static func parseAccounts(_ value: any TOMLValueConvertible, in doc: TOMLDocument) throws(ConfigError) -> [AccountConfig] {
        guard let array = value.array, !array.isEmpty else {
            throw doc.error("must be one or more [[accounts]] tables", key: "accounts")
        }
        guard array.count <= Int(UInt16.max) + 1 else { throw doc.error("at most 65536 accounts", key: "accounts") }
        var accounts: [AccountConfig] = []
        var names: Set<String> = []
        for (i, item) in array.enumerated() {
            guard let t = item.table else { throw doc.error("each account must be a table", key: "accounts") }
            let account = try parseAccount(t, index: i, in: doc)
            if !names.insert(account.name.lowercased()).inserted {
                throw doc.error("duplicate account name \"\(account.name)\" (names are compared ignoring case)",
                                key: "name", table: "accounts", occurrence: i)
            }
            accounts.append(account)
        }
        return accounts
    }

    static func parseAccount(_ t: TOMLTable, index: Int, in doc: TOMLDocument) throws(ConfigError) -> AccountConfig {
        let path = "accounts"
        func fail(_ message: String, _ key: String? = nil) -> ConfigError {
            doc.error(message, key: key, table: path, occurrence: index)
        }
        for key in t.keys.sorted() where secretKeys.contains(key.lowercased()) {
            throw fail("secrets do not belong in the config: name the environment variables holding them with "
                       + "api_key_env and secret_env, or point credentials_file at a 0600 file", key)
        }
        try doc.rejectUnknownKeys(
            in: t,
            allowed: ["name", "trading_enabled", "leverage", "margin_type", "max_open_positions", "risk_per_trade_pct",
                      "min_confidence", "min_risk_reward", "stop_loss_pct", "take_profit_pct", "taker_fee_pct", "api_key_env",
                      "secret_env", "credentials_file"],
            path: path, occurrence: index)

        guard let nameValue = t["name"] else { throw fail("required: the account's name ([A-Za-z0-9_-], 1 to 32 characters)") }
        guard let name = nameValue.string, (1...32).contains(name.utf8.count),
              name.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { throw fail("must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -", "name") }

        // Credentials: exactly one of the two ways.
        func string(_ key: String, _ message: String) throws(ConfigError) -> String? {
            guard let v = t[key] else { return nil }
            guard let s = v.string, !s.isEmpty else { throw fail(message, key) }
            return s
        }
        let variableMessage = "must be the name of an environment variable (A-Z, 0-9 and _, not starting with a digit), "
            + "not the credential itself"
        let keyVariable = try string("api_key_env", variableMessage)
        let secretVariable = try string("secret_env", variableMessage)
        for (key, variable) in [("api_key_env", keyVariable), ("secret_env", secretVariable)] {
            // Upper case only: a real Binance key or secret (mixed-case alphanumerics) pasted here
            // by mistake is refused instead of ending up in a "variable … is not set" message.
            if let variable, !isEnvironmentVariableName(variable) { throw fail(variableMessage, key) }
        }
        let file = try string("credentials_file", "must be a file path")
        let credentials: AccountConfig.CredentialsSource
        switch (keyVariable, secretVariable, file) {
        case (let k?, let s?, nil):
            credentials = .environment(apiKeyVariable: k, secretVariable: s)
        case (nil, nil, let f?):
            credentials = .file(path: f)
        case (_, _, _?):
            throw fail("give either api_key_env and secret_env or credentials_file, not both", "credentials_file")
        case (nil, _?, nil):
            throw fail("secret_env needs api_key_env beside it", "secret_env")
        case (_?, nil, nil):
            throw fail("api_key_env needs secret_env beside it", "api_key_env")
        case (nil, nil, nil):
            throw fail("no credentials: set api_key_env and secret_env (environment variable names) or credentials_file")
        }
        var a = AccountConfig(name: name, credentials: credentials)

        if let v = t["trading_enabled"] {
            guard let b = v.bool else { throw fail("must be true or false", "trading_enabled") }
            a.tradingEnabled = b
        }
        if let v = t["leverage"] {
            guard let n = v.int, (1...125).contains(n) else { throw fail("must be an integer in 1...125", "leverage") }
            a.leverage = n
        }
        if let v = t["margin_type"] {
            guard let s = v.string, let m = AccountMarginType(rawValue: s) else {
                throw fail("must be \"ISOLATED\" or \"CROSSED\"", "margin_type")
            }
            a.marginType = m
        }
        if let v = t["max_open_positions"] {
            guard let n = v.int, n >= 1 else { throw fail("must be an integer ≥ 1", "max_open_positions") }
            a.maxOpenPositions = n
        }
        /// A number (integer or float) in `range`, scaled and rounded to the integer unit the risk
        /// engine keeps, which must land in `units` (`AccountSettings.validate()`'s range).
        func scaled(_ key: String, _ range: ClosedRange<Double>, by scale: Double, into units: ClosedRange<Int>,
                    resolution: String) throws(ConfigError) -> Int? {
            guard let v = t[key] else { return nil }
            let message = "must be a number in \(TableReader.format(range.lowerBound))...\(TableReader.format(range.upperBound))"
            guard let x = v.double ?? v.int.map(Double.init), x.isFinite, range.contains(x) else { throw fail(message, key) }
            let n = Int((x * scale).rounded())
            guard units.contains(n) else { throw fail("\(message), in steps of \(resolution)", key) }
            return n
        }
        if let n = try scaled("risk_per_trade_pct", 0.01...100, by: 100, into: 1...10_000, resolution: "0.01") {
            a.riskPerTradeBp = n
        }
        if let n = try scaled("min_confidence", 0...1, by: 10_000, into: 0...10_000, resolution: "0.0001") {
            a.minConfidenceBp = n
        }
        if let n = try scaled("min_risk_reward", 0...1_000, by: 10_000, into: 0...10_000_000, resolution: "0.0001") {
            a.minRiskRewardBp = n
        }
        if let n = try scaled("stop_loss_pct", 0.01...99.99, by: 100, into: 1...9_999, resolution: "0.01") {
            a.stopLossFallbackBp = n
        }
        if let n = try scaled("take_profit_pct", 0.01...99.99, by: 100, into: 1...9_999, resolution: "0.01") {
            a.takeProfitFallbackBp = n
        }
        if let n = try scaled("taker_fee_pct", 0...10, by: 10_000, into: 0...100_000, resolution: "0.0001") {
            a.takerFeePpm = n
        }
        return a
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }

    /// `[A-Z_][A-Z0-9_]{0,127}`.
    private static func isEnvironmentVariableName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard (1...128).contains(bytes.count), !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[0]) else { return false }
        return bytes.allSatisfy {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }
}
