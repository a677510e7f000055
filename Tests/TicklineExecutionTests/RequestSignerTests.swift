import Testing
@testable import TicklineExecution

/// Binance's documented HMAC example. Source: Binance Spot API documentation, "SIGNED Endpoint
/// Examples for POST /api/v3/order — HMAC Keys"
/// (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/endpoint-security-type).
/// USD-M futures' "SIGNED Endpoint Examples" follow the same scheme (`totalParams` = query string
/// concatenated with the body). The secret is the page's example value, not a real one.
struct RequestSignerTests {
    static let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    static let totalParams =
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"

    /// Example 1 (all parameters in the query string, or all in the body).
    @Test func documentedExampleQueryOnly() throws {
        let signer = try RequestSigner(secret: Self.secret)
        #expect(signer.signature(query: Self.totalParams)
            == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
    }

    /// Example 3 (mixed): the query string and the body are concatenated with no '&' between.
    @Test func documentedExampleQueryAndBody() throws {
        let signer = try RequestSigner(secret: Self.secret)
        #expect(signer.signature(query: "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
                                 body: "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559")
            == "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77")
    }

    /// The keyed context is reused: signing again, and after another payload, gives the same hex.
    @Test func contextReuseIsStateless() throws {
        let signer = try RequestSigner(secret: Self.secret)
        let first = signer.signature(query: Self.totalParams)
        _ = signer.signature(query: "symbol=BTCUSDT&timestamp=1")
        #expect(signer.signature(query: Self.totalParams) == first)
        #expect(signer.signatures == 3)
        var out: [UInt8] = []
        signer.appendSignature(of: Array(Self.totalParams.utf8), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == first)
    }

    @Test func emptySecretIsRefused() {
        #expect(throws: RequestSigner.SetupError.emptySecret) { try RequestSigner(secret: "") }
    }
}
