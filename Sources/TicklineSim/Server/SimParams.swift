import Foundation

/// The parameters of one REST request: query string and form body merged, in order, plus the
/// exact text Binance signs (`totalParams`).
struct SimParams {
    private(set) var pairs: [(String, String)] = []
    /// Query string then body, each without its `signature` parameter, joined as sent.
    let signedPayload: String
    let signature: String?

    init(query: String?, body: String?) {
        var payloadParts: [String] = []
        var signature: String?
        for source in [query ?? "", body ?? ""] where !source.isEmpty {
            var kept: [Substring] = []
            for part in source.split(separator: "&", omittingEmptySubsequences: true) {
                let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = SimParams.decode(kv[0])
                let value = kv.count > 1 ? SimParams.decode(kv[1]) : ""
                if name == "signature" {
                    signature = value
                } else {
                    kept.append(part)
                    pairs.append((name, value))
                }
            }
            if !kept.isEmpty { payloadParts.append(kept.joined(separator: "&")) }
        }
        signedPayload = payloadParts.joined()
        self.signature = signature
    }

    static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    subscript(_ name: String) -> String? { pairs.last { $0.0 == name }?.1 }

    func contains(_ name: String) -> Bool { pairs.contains { $0.0 == name } }
}
