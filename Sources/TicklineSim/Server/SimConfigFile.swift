import Foundation
import TOMLKit

/// The simulator's own configuration file (TOML): which symbols it lists and which accounts (API
/// key, secret, starting balance) it knows. Without a file: BTCUSDT, ETHUSDT and the demo account
/// (`demo-key` / `demo-secret`, 10 000 USDT); a file may also list SOLUSDT.
///
/// ```toml
/// symbols = ["BTCUSDT", "ETHUSDT"]
/// [[account]]
/// name = "alice"
/// api_key = "alice-key"
/// secret = "alice-secret"
/// usdt_balance = "25000"
/// ```
struct SimConfigFile {
    var symbols: [SimSymbolSpec]
    var accounts: [SimAccountSpec]

    static let builtInSymbols: [SimSymbolSpec] = [.btcusdt, .ethusdt]
    /// Symbols a configuration file may list besides the built-in ones.
    static let knownSymbols: [SimSymbolSpec] = builtInSymbols + [.solusdt]

    static func load(_ path: String?) throws -> SimConfigFile {
        guard let path else { return SimConfigFile(symbols: builtInSymbols, accounts: [.demo]) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SimConfigError("\(path): cannot read file")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws -> SimConfigFile {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw SimConfigError("\(file):\(e.source.begin.line): invalid TOML: \(e.description)")
        }
        for key in root.keys where !["symbols", "account"].contains(key) {
            throw SimConfigError("\(file): \(key): unknown key (allowed: symbols, account)")
        }
        var symbols = builtInSymbols
        if let list = root["symbols"] {
            guard let array = list.array else { throw SimConfigError("\(file): symbols: must be a list of names") }
            symbols = []
            for v in array {
                guard let name = v.string, let spec = knownSymbols.first(where: { $0.symbol == name }) else {
                    throw SimConfigError("\(file): symbols: unknown symbol \(v) (known: "
                                         + knownSymbols.map(\.symbol).joined(separator: ", ") + ")")
                }
                symbols.append(spec)
            }
        }
        var accounts: [SimAccountSpec] = []
        if let list = root["account"] {
            guard let array = list.array else { throw SimConfigError("\(file): account: must be [[account]] tables") }
            for (i, v) in array.enumerated() {
                guard let t = v.table else { throw SimConfigError("\(file): account[\(i)]: must be a table") }
                for key in t.keys where !["name", "api_key", "secret", "usdt_balance"].contains(key) {
                    throw SimConfigError("\(file): account[\(i)].\(key): unknown key")
                }
                guard let name = t["name"]?.string, let key = t["api_key"]?.string, let secret = t["secret"]?.string,
                      !key.isEmpty, !secret.isEmpty
                else { throw SimConfigError("\(file): account[\(i)]: needs name, api_key and secret") }
                var balance = SimDecimal(10_000)
                if let b = t["usdt_balance"] {
                    guard let text = b.string ?? b.int.map(String.init), let d = SimDecimal(text) else {
                        throw SimConfigError("\(file): account[\(i)].usdt_balance: must be a decimal number")
                    }
                    balance = d
                }
                if accounts.contains(where: { $0.apiKey == key }) {
                    throw SimConfigError("\(file): account[\(i)].api_key: used twice")
                }
                accounts.append(SimAccountSpec(name: name, apiKey: key, secret: secret, usdtBalance: balance))
            }
        }
        return SimConfigFile(symbols: symbols, accounts: accounts.isEmpty ? [.demo] : accounts)
    }
}

public struct SimConfigError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
