import Testing
import TicklineCore
@testable import TicklineExecution

struct ClientOrderIDsTests {
    /// Binance's rule for `newClientOrderId`: `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
    static func matchesBinancePattern(_ s: String) -> Bool {
        (1...36).contains(s.utf8.count) && s.utf8.allSatisfy { c in
            (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 0x2E || c == 0x3A || c == 0x2F
                || c == 0x5F || c == 0x2D
        }
    }

    @Test func formatIsPrefixAccountSequenceInBase36() throws {
        var ids = try ClientOrderIDs(prefix: "tl", account: AccountID(1), firstSequence: 100)
        let (s0, a) = ids.next()
        let (s1, b) = ids.next()
        #expect(s0 == 100 && s1 == 101)
        #expect(a.description == "tl-1-2s")
        #expect(b.description == "tl-1-2t")
        #expect(ids.nextSequence == 102)
    }

    @Test func longestIdFitsBinancesLimit() throws {
        let ids = try ClientOrderIDs(prefix: "ABCDEFGH", account: AccountID(.max), firstSequence: 0)
        let longest = ids.make(sequence: .max).description
        #expect(longest == "ABCDEFGH-1ekf-3w5e11264sgsf")
        #expect(longest.utf8.count == 27)
        #expect(Self.matchesBinancePattern(longest))
    }

    @Test func uniqueMonotonicAndDecodable() throws {
        var ids = try ClientOrderIDs(prefix: "tl", account: AccountID(7), firstSequence: 1_700_000_000_000)
        var seen = Set<String>()
        for _ in 0..<5000 {
            let (sequence, id) = ids.next()
            let text = id.description
            #expect(Self.matchesBinancePattern(text))
            #expect(seen.insert(text).inserted)
            let decoded = try #require(ids.decode(id))
            #expect(decoded.account == AccountID(7) && decoded.sequence == sequence)
        }
    }

    @Test func decodeRefusesForeignIds() throws {
        let ids = try ClientOrderIDs(prefix: "tl", account: AccountID(1), firstSequence: 0)
        for foreign in ["web_123", "tl", "tl-", "tl-1", "tl-1-", "tx-1-2", "tl-1-2-3", "tl-1-0a", "tl-A-2", "tl-1-zzzzzzzzzzzzzz",
                        "tl-1ekg-1"] {
            let bytes = Array(foreign.utf8)
            #expect(bytes.withUnsafeBytes { ids.decode($0) } == nil, "\(foreign)")
        }
        let ok = Array("tl-0-0".utf8)
        #expect(ok.withUnsafeBytes { ids.decode($0) }.map { [Int($0.account.rawValue), Int($0.sequence)] } == [0, 0])
    }

    @Test func prefixRules() {
        for bad in ["", "toolongpx", "t-l", "t l", "tl!"] {
            #expect(throws: ClientOrderIDs.SetupError.invalidPrefix(bad)) {
                try ClientOrderIDs(prefix: bad, account: AccountID(0), firstSequence: 0)
            }
        }
        #expect(ClientOrderID("x".padding(37)) == nil)
        #expect(ClientOrderID("a b") == nil)
        #expect(ClientOrderID("A.Z:/a_z-09")?.description == "A.Z:/a_z-09")
    }
}

extension String {
    func padding(_ n: Int) -> String { String(repeating: self, count: n) }
}
