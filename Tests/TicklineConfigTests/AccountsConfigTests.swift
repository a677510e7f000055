import Foundation
import Testing
import TicklineConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `[trading]`, `[[accounts]]` and the credentials loader: defaults, every key, every bad value
/// named with its key and line, the secrets-never-in-config rule, and file permissions.
@Suite struct AccountsConfigTests {
    private func parse(_ text: String) throws(ConfigError) -> TicklineConfiguration {
        try TicklineConfiguration.parse(text: text, file: "t.toml")
    }

    private func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// One account with the given extra lines, env credentials.
    private func account(_ lines: String) -> String {
        """
        [[accounts]]
        name = "main"
        api_key_env = "MAIN_KEY"
        secret_env = "MAIN_SECRET"
        \(lines)
        """
    }

    // MARK: - Parsing

    @Test func defaults() throws {
        let c = try parse("")
        #expect(c.trading == TradingSettings())
        #expect(c.trading.enabled && c.trading.protectiveOrders)
        #expect(c.trading.positionUpdateMs == 5_000 && c.trading.snapshotIntervalMs == 900_000 && c.trading.marking == .lastTrade)
        #expect(c.accounts == [AccountConfig.paper])
        let a = try #require(c.accounts.first)
        #expect(a.name == "paper" && a.tradingEnabled && a.fallsBackToDemoCredentials)
        #expect(a.credentials == .environment(apiKeyVariable: "TICKLINE_API_KEY", secretVariable: "TICKLINE_API_SECRET"))
        // AccountSettings' defaults.
        #expect(a.leverage == 10 && a.marginType == .crossed && a.maxOpenPositions == 10)
        #expect(a.riskPerTradeBp == 100 && a.minConfidenceBp == 7_000 && a.minRiskRewardBp == 15_000)
        #expect(a.stopLossFallbackBp == 200 && a.takeProfitFallbackBp == 300 && a.takerFeePpm == 400)
    }

    @Test func fullTwoAccountConfig() throws {
        let c = try parse("""
            [trading]
            enabled = false
            protective_orders = false
            position_update_ms = 1000
            snapshot_interval_ms = 60000
            marking = "mark_price"

            [[accounts]]
            name = "main"
            trading_enabled = false
            leverage = 20
            margin_type = "ISOLATED"
            max_open_positions = 3
            risk_per_trade_pct = 0.5
            min_confidence = 0.8
            min_risk_reward = 2
            stop_loss_pct = 1.25
            take_profit_pct = 2.5
            taker_fee_pct = 0.05
            api_key_env = "BINANCE_MAIN_KEY"
            secret_env = "BINANCE_MAIN_SECRET"

            [[accounts]]
            name = "hedge-2"
            credentials_file = "/etc/tickline/hedge.toml"
            """)
        #expect(c.trading.enabled == false && c.trading.protectiveOrders == false)
        #expect(c.trading.positionUpdateMs == 1_000 && c.trading.snapshotIntervalMs == 60_000 && c.trading.marking == .markPrice)
        #expect(c.accounts.count == 2)
        let a = c.accounts[0]
        #expect(a.name == "main" && !a.tradingEnabled && a.leverage == 20 && a.marginType == .isolated && a.maxOpenPositions == 3)
        #expect(a.riskPerTradeBp == 50 && a.minConfidenceBp == 8_000 && a.minRiskRewardBp == 20_000)
        #expect(a.stopLossFallbackBp == 125 && a.takeProfitFallbackBp == 250 && a.takerFeePpm == 500)
        #expect(a.credentials == .environment(apiKeyVariable: "BINANCE_MAIN_KEY", secretVariable: "BINANCE_MAIN_SECRET"))
        #expect(!a.fallsBackToDemoCredentials)
        #expect(c.accounts[1] == AccountConfig(name: "hedge-2", credentials: .file(path: "/etc/tickline/hedge.toml")))
    }

    @Test func percentagesRoundToTheRiskEnginesUnits() throws {
        let c = try parse(account("""
            risk_per_trade_pct = 100
            min_confidence = 0
            min_risk_reward = 0
            stop_loss_pct = 0.01
            take_profit_pct = 99.99
            taker_fee_pct = 0
            """))
        let a = c.accounts[0]
        #expect(a.riskPerTradeBp == 10_000 && a.minConfidenceBp == 0 && a.minRiskRewardBp == 0)
        #expect(a.stopLossFallbackBp == 1 && a.takeProfitFallbackBp == 9_999 && a.takerFeePpm == 0)
        #expect(try parse(account("min_confidence = 0.7")).accounts[0].minConfidenceBp == 7_000)
        #expect(try parse(account("risk_per_trade_pct = 0.29")).accounts[0].riskPerTradeBp == 29)
    }

    @Test(arguments: [
        ("position_update_ms = 99", "trading.position_update_ms"),
        ("position_update_ms = 3600001", "trading.position_update_ms"),
        ("snapshot_interval_ms = 999", "trading.snapshot_interval_ms"),
        ("marking = \"index\"", "trading.marking"),
        ("enabled = 1", "trading.enabled"),
        ("protective_orders = \"yes\"", "trading.protective_orders"),
        ("typo = 1", "trading.typo"),
    ])
    func badTradingValue(line: String, key: String) throws {
        let e = try #require(error("[trading]\n" + line))
        #expect(e.key == key && e.file == "t.toml" && e.line == 2, "\(e)")
    }

    @Test(arguments: [
        ("leverage = 0", "accounts.leverage"),
        ("leverage = 126", "accounts.leverage"),
        ("leverage = 2.5", "accounts.leverage"),
        ("margin_type = \"isolated\"", "accounts.margin_type"),
        ("max_open_positions = 0", "accounts.max_open_positions"),
        ("risk_per_trade_pct = 0", "accounts.risk_per_trade_pct"),
        ("risk_per_trade_pct = 0.001", "accounts.risk_per_trade_pct"),
        ("risk_per_trade_pct = 100.5", "accounts.risk_per_trade_pct"),
        ("min_confidence = -0.1", "accounts.min_confidence"),
        ("min_confidence = 1.01", "accounts.min_confidence"),
        ("min_risk_reward = -1", "accounts.min_risk_reward"),
        ("min_risk_reward = 1001", "accounts.min_risk_reward"),
        ("stop_loss_pct = 0", "accounts.stop_loss_pct"),
        ("stop_loss_pct = 100", "accounts.stop_loss_pct"),
        ("take_profit_pct = 0", "accounts.take_profit_pct"),
        ("take_profit_pct = 100", "accounts.take_profit_pct"),
        ("taker_fee_pct = -0.01", "accounts.taker_fee_pct"),
        ("taker_fee_pct = 10.5", "accounts.taker_fee_pct"),
        ("trading_enabled = \"no\"", "accounts.trading_enabled"),
        ("nmae = \"x\"", "accounts.nmae"),
    ])
    func badAccountValue(line: String, key: String) throws {
        let e = try #require(error(account(line)))
        #expect(e.key == key && e.file == "t.toml" && e.line == 5, "\(e)")
    }

    @Test func errorsPointIntoTheRightAccount() throws {
        let e = try #require(error("""
            [[accounts]]
            name = "a"
            credentials_file = "a.toml"
            leverage = 5

            [[accounts]]
            name = "b"
            credentials_file = "b.toml"
            leverage = 500
            """))
        #expect(e.key == "accounts.leverage" && e.line == 9, "\(e)")
    }

    @Test func badNames() throws {
        for bad in ["\"\"", "\"has space\"", "\"é\"", "\"" + String(repeating: "x", count: 33) + "\"", "3"] {
            let e = try #require(error("[[accounts]]\nname = \(bad)\ncredentials_file = \"c\""))
            #expect(e.key == "accounts.name" && e.line == 2, "\(bad): \(e)")
        }
        #expect(try parse("[[accounts]]\nname = \"\(String(repeating: "x", count: 32))\"\ncredentials_file = \"c\"")
            .accounts[0].name.count == 32)
        let missing = try #require(error("[[accounts]]\ncredentials_file = \"c\""))
        #expect(missing.line == 1 && missing.message.contains("required"), "\(missing)")
    }

    @Test func duplicateNamesRejected() throws {
        let text = """
            [[accounts]]
            name = "main"
            credentials_file = "a"
            [[accounts]]
            name = "Main"
            credentials_file = "b"
            """
        let e = try #require(error(text))
        #expect(e.key == "accounts.name" && e.line == 5 && e.message.contains("duplicate"), "\(e)")
    }

    @Test(arguments: ["api_key", "secret", "api_secret", "API_KEY"])
    func secretsInTheConfigRejected(key: String) throws {
        let secret = "Zq81sEcReTvAlUe"
        let e = try #require(error(account("\(key) = \"\(secret)\"")))
        #expect(e.key == "accounts.\(key)" && e.line == 5, "\(e)")
        #expect(e.message.contains("secrets do not belong in the config"))
        #expect(e.message.contains("api_key_env") && e.message.contains("credentials_file"))
        #expect(!e.description.contains(secret))
    }

    @Test func credentialSourcesExactlyOne() throws {
        let both = try #require(error(account("credentials_file = \"c.toml\"")))
        #expect(both.key == "accounts.credentials_file" && both.message.contains("not both"), "\(both)")

        let neither = try #require(error("[[accounts]]\nname = \"main\"\nleverage = 5"))
        #expect(neither.line == 1 && neither.message.contains("no credentials"), "\(neither)")

        let keyOnly = try #require(error("[[accounts]]\nname = \"main\"\napi_key_env = \"K\""))
        #expect(keyOnly.key == "accounts.api_key_env" && keyOnly.message.contains("secret_env"), "\(keyOnly)")

        let secretOnly = try #require(error("[[accounts]]\nname = \"main\"\nsecret_env = \"S\""))
        #expect(secretOnly.key == "accounts.secret_env", "\(secretOnly)")

        let keyAndFile = try #require(error("[[accounts]]\nname = \"main\"\napi_key_env = \"K\"\ncredentials_file = \"c\""))
        #expect(keyAndFile.message.contains("not both"), "\(keyAndFile)")
    }

    @Test func credentialPastedAsVariableNameRejected() throws {
        let pasted = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
        let e = try #require(error("""
            [[accounts]]
            name = "main"
            api_key_env = "BINANCE_KEY"
            secret_env = "\(pasted)"
            """))
        #expect(e.key == "accounts.secret_env" && e.line == 4, "\(e)")
        #expect(!e.description.contains(pasted))
    }

    @Test func emptyOrMistypedAccountsRejected() throws {
        #expect(error("accounts = []")?.key == "accounts")
        #expect(error("accounts = [1]")?.key == "accounts")
        #expect(error("trading = 1")?.key == "trading")
    }

    // MARK: - Credentials from the environment

    @Test func environmentCredentials() throws {
        let a = try parse(account("")).accounts[0]
        let c = try a.loadCredentials(environment: ["MAIN_KEY": "k-123456", "MAIN_SECRET": "s-abcdef"])
        #expect(c.apiKey == "k-123456" && c.secret == "s-abcdef")

        #expect(throws: CredentialsError.variableNotSet(account: "main", variable: "MAIN_KEY")) {
            try a.loadCredentials(environment: ["MAIN_SECRET": "s"])
        }
        #expect(throws: CredentialsError.variableNotSet(account: "main", variable: "MAIN_SECRET")) {
            try a.loadCredentials(environment: ["MAIN_KEY": "k", "MAIN_SECRET": ""])
        }
        // A configured account never falls back to the demo credentials.
        #expect(throws: CredentialsError.variableNotSet(account: "main", variable: "MAIN_KEY")) {
            try a.loadCredentials(environment: [:])
        }
        #expect(throws: CredentialsError.invalidCharacters(account: "main", what: "secret",
                                                           source: "environment variable MAIN_SECRET")) {
            try a.loadCredentials(environment: ["MAIN_KEY": "k", "MAIN_SECRET": "s\n"])
        }
        let message = CredentialsError.variableNotSet(account: "main", variable: "MAIN_KEY").description
        #expect(message == "account \"main\": environment variable MAIN_KEY is not set (or is empty)")
    }

    @Test func defaultAccountFallsBackToDemoCredentials() throws {
        let paper = AccountConfig.paper
        let demo = try paper.loadCredentials(environment: [:])
        #expect(demo.apiKey == "demo-key" && demo.secret == "demo-secret")
        let real = try paper.loadCredentials(environment: ["TICKLINE_API_KEY": "realkey1", "TICKLINE_API_SECRET": "realsecret"])
        #expect(real.apiKey == "realkey1" && real.secret == "realsecret")
        // Half a configuration is a mistake, not a reason to trade on the demo account.
        #expect(throws: CredentialsError.variableNotSet(account: "paper", variable: "TICKLINE_API_SECRET")) {
            try paper.loadCredentials(environment: ["TICKLINE_API_KEY": "realkey1"])
        }
    }

    // MARK: - Credentials from a file

    /// A fresh directory removed after `body`.
    private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-creds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    private func write(_ text: String, to path: String, mode: mode_t) throws {
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        #expect(chmod(path, mode) == 0)
    }

    private func fileAccount(_ path: String) -> AccountConfig {
        AccountConfig(name: "main", credentials: .file(path: path))
    }

    @Test func fileWithMode0600Accepted() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/main.toml"
            try write("# Binance main\napi_key = \"file-key-1234\"\nsecret = \"file-secret-5678\"\n", to: path, mode: 0o600)
            let c = try fileAccount(path).loadCredentials(environment: [:])
            #expect(c.apiKey == "file-key-1234" && c.secret == "file-secret-5678")

            try write("api_key = \"k2\"\nsecret = \"s2\"\n", to: path, mode: 0o400)
            #expect(try fileAccount(path).loadCredentials().secret == "s2")
        }
    }

    @Test func fileWithMode0644Rejected() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/main.toml"
            try write("api_key = \"k\"\nsecret = \"s\"\n", to: path, mode: 0o644)
            #expect(throws: CredentialsError.fileTooOpen(account: "main", path: path, mode: 0o644)) {
                try fileAccount(path).loadCredentials()
            }
            let message = CredentialsError.fileTooOpen(account: "main", path: path, mode: 0o644).description
            #expect(message == "account \"main\": credentials file \(path) has mode 0644; it must be 0600 (chmod 600 \(path))")

            try write("api_key = \"k\"\nsecret = \"s\"\n", to: path, mode: 0o640)
            #expect(throws: CredentialsError.fileTooOpen(account: "main", path: path, mode: 0o640)) {
                try fileAccount(path).loadCredentials()
            }
        }
    }

    @Test func missingFileAndDirectoryRejected() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/absent.toml"
            #expect(throws: CredentialsError.fileNotFound(account: "main", path: path)) {
                try fileAccount(path).loadCredentials()
            }
            #expect(CredentialsError.fileNotFound(account: "main", path: path).description
                == "account \"main\": credentials file \(path) does not exist")
            #expect(chmod(dir, 0o700) == 0)
            #expect(throws: CredentialsError.notARegularFile(account: "main", path: dir)) {
                try fileAccount(dir).loadCredentials()
            }
        }
    }

    @Test func malformedFilesRejectedWithoutEchoingThem() throws {
        let secret = "Xy7SuperSecretValue"
        let cases: [(String, String)] = [
            ("api_key = \"k\"\n", "secret is missing"),
            ("secret = \"\(secret)\"\n", "api_key is missing"),
            ("api_key = \"k\"\nsecret = \(secret)\n", "not valid TOML (line 2)"),
            ("api_key = \"k\"\nsecret = \"\(secret)\"\napi_secret = \"x\"\n", "only the keys api_key and secret"),
            ("api_key = \"k\"\nsecret = \"\"\n", "secret must be a non-empty string"),
            ("api_key = \"k\"\nsecret = 12345\n", "secret must be a non-empty string"),
        ]
        try withTemporaryDirectory { dir in
            let path = dir + "/c.toml"
            for (text, reason) in cases {
                try write(text, to: path, mode: 0o600)
                do throws(CredentialsError) {
                    _ = try fileAccount(path).loadCredentials()
                    Issue.record("accepted: \(reason)")
                } catch {
                    #expect(error.description.contains(reason), "\(error)")
                    #expect(error.description.contains("api_key = \"…\" and secret = \"…\""))
                    #expect(!error.description.contains(secret), "\(error)")
                }
            }
        }
    }

    // MARK: - Never printed

    @Test func descriptionNeverShowsTheSecret() {
        let secret = "Qm9vbSBzZWNyZXQgZG8gbm90IGxvZw"
        let c = APICredentials(apiKey: "AbCdEfGhIjKlMnOp", secret: secret)
        let renderings = [c.description, c.debugDescription, "\(c)", String(describing: c), String(reflecting: c),
                          { var s = ""; dump(c, to: &s); return s }(), "\([c])", "\(Optional(c) as Any)"]
        for r in renderings {
            #expect(!r.contains(secret), "\(r)")
            #expect(!r.contains("AbCdE"), "\(r)")
        }
        #expect(c.description == "APICredentials(key: AbCd…, secret: <redacted>)")
        // Short keys are not shown at all.
        #expect(APICredentials(apiKey: "abc", secret: "s").description == "APICredentials(key: …, secret: <redacted>)")
    }
}
