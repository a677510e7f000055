@testable import TicklineSim

/// Shared fixtures: BTCUSDT + ETHUSDT, two accounts, start at a whole second.
enum Fixture {
    static let startMs: Int64 = 1_700_000_000_000
    static let second = SimAccountSpec(name: "other", apiKey: "other-key", secret: "other-secret", usdtBalance: 10000)

    static func exchange(seed: UInt64 = 42, startMs: Int64 = startMs) -> SimExchange {
        SimExchange(symbols: [.btcusdt, .ethusdt], accounts: [.demo, second], seed: seed, startMs: startMs)
    }

    static func d(_ s: String) -> SimDecimal { SimDecimal(s)! }

    static func limit(_ side: SimSide, _ qty: String, _ price: String, tif: SimTimeInForce = .gtc, reduceOnly: Bool = false,
                      symbol: String = "BTCUSDT", clientId: String? = nil) -> NewOrder
    {
        NewOrder(symbol: symbol, side: side, type: .limit, quantity: d(qty), price: d(price), timeInForce: tif,
                 reduceOnly: reduceOnly, newClientOrderId: clientId)
    }

    static func market(_ side: SimSide, _ qty: String, reduceOnly: Bool = false, symbol: String = "BTCUSDT") -> NewOrder {
        NewOrder(symbol: symbol, side: side, type: .market, quantity: d(qty), reduceOnly: reduceOnly)
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
    var value: Success? {
        if case .success(let v) = self { return v }
        return nil
    }
}
