import Foundation
import ParserBenchSupport

/// The Foundation baseline: `JSONDecoder` into Codable structs holding the same fields, decimals
/// decoded as `String` and converted with `Decimal(string:)`, scaled (×100 / ×1000) and turned
/// into Int64 — what a straightforward Foundation client would write.
struct Line: Decodable {
    var data: Event?
    var lastUpdateId: Int64?
    var E: Int64?
    var T: Int64?
}

struct Event: Decodable {
    enum Kind { case trade, bookTicker, depthUpdate, other }
    var kind: Kind = .other
    var s = ""
    var E: Int64 = 0, T: Int64 = 0, t: Int64 = 0, u: Int64 = 0, U: Int64 = 0, pu: Int64 = 0
    var p = "", q = "", b = "", B = "", a = "", A = ""
    var m = false

    enum CodingKeys: String, CodingKey { case e, E, T, s, t, p, q, m, u, U, pu, b, B, a, A }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let e = try c.decode(String.self, forKey: .e)
        s = try c.decode(String.self, forKey: .s)
        E = try c.decode(Int64.self, forKey: .E)
        switch e {
        case "trade":
            kind = .trade
            T = try c.decode(Int64.self, forKey: .T)
            t = try c.decode(Int64.self, forKey: .t)
            p = try c.decode(String.self, forKey: .p)
            q = try c.decode(String.self, forKey: .q)
            m = try c.decode(Bool.self, forKey: .m)
        case "bookTicker":
            kind = .bookTicker
            u = try c.decode(Int64.self, forKey: .u)
            b = try c.decode(String.self, forKey: .b)
            B = try c.decode(String.self, forKey: .B)
            a = try c.decode(String.self, forKey: .a)
            A = try c.decode(String.self, forKey: .A)
        case "depthUpdate":
            kind = .depthUpdate
            T = try c.decode(Int64.self, forKey: .T)
            U = try c.decode(Int64.self, forKey: .U)
            u = try c.decode(Int64.self, forKey: .u)
            pu = try c.decode(Int64.self, forKey: .pu)
        default:
            kind = .other
        }
    }
}

struct FoundationError: Error {}

@inline(__always)
func scaled(_ text: String, _ factor: Decimal) throws -> Int64 {
    guard let d = Decimal(string: text) else { throw FoundationError() }
    let v = d * factor
    var rounded = Decimal()
    var copy = v
    NSDecimalRound(&rounded, &copy, 0, .plain)
    guard rounded == v else { throw FoundationError() }  // exact, like the other two
    return NSDecimalNumber(decimal: v).int64Value
}

let priceFactor = Decimal(100), quantityFactor = Decimal(1000)

func symbolIndex(_ s: String) throws -> Int64 {
    switch s {
    case "BTCUSDT": return 0
    case "ETHUSDT": return 1
    default: throw FoundationError()
    }
}

@inline(never)
func foundationPass(_ decoder: JSONDecoder, _ capture: Capture) -> UInt64 {
    var h = checksumSeed
    for i in 0..<capture.count {
        let m = capture.message(i)
        // JSONDecoder takes Data: one copy of the message (part of the realistic cost).
        let data = Data(bytes: m.baseAddress!, count: m.count)
        do {
            let line = try decoder.decode(Line.self, from: data)
            if let e = line.data {
                let sym = try symbolIndex(e.s)
                switch e.kind {
                case .trade:
                    let price = try scaled(e.p, priceFactor), qty = try scaled(e.q, quantityFactor)
                    mix(&h, 1); mix(&h, sym); mix(&h, e.E); mix(&h, e.T); mix(&h, e.t)
                    mix(&h, price); mix(&h, qty); mix(&h, e.m ? 1 : 0)
                case .bookTicker:
                    let bp = try scaled(e.b, priceFactor), bq = try scaled(e.B, quantityFactor)
                    let ap = try scaled(e.a, priceFactor), aq = try scaled(e.A, quantityFactor)
                    mix(&h, 2); mix(&h, sym); mix(&h, e.E); mix(&h, e.u)
                    mix(&h, bp); mix(&h, bq); mix(&h, ap); mix(&h, aq)
                case .depthUpdate:
                    mix(&h, 3); mix(&h, sym); mix(&h, e.E); mix(&h, e.T); mix(&h, e.U); mix(&h, e.u); mix(&h, e.pu)
                case .other:
                    mix(&h, -1)
                }
            } else if let id = line.lastUpdateId, let E = line.E, let T = line.T {
                mix(&h, 4); mix(&h, id); mix(&h, E); mix(&h, T)
            } else {
                mix(&h, -1)
            }
        } catch {
            mix(&h, -1)
        }
    }
    return h
}
