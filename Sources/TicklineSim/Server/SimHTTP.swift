import Foundation
import HTTPTypes
import Hummingbird

/// A REST failure in Binance's shape: `{"code":-1121,"msg":"Invalid symbol."}` with its status.
struct SimHTTPError: Error {
    var status: HTTPResponse.Status
    var code: Int
    var msg: String
    var headers: HTTPFields = [:]

    static func badRequest(_ code: Int, _ msg: String) -> SimHTTPError { .init(status: .badRequest, code: code, msg: msg) }

    static func mandatory(_ name: String) -> SimHTTPError {
        .badRequest(-1102, "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.")
    }

    static func illegal(_ name: String) -> SimHTTPError {
        .badRequest(-1130, "Data sent for parameter '\(name)' is not valid.")
    }

    static let invalidSymbol = SimHTTPError.badRequest(-1121, "Invalid symbol.")
    static let apiKeyFormat = SimHTTPError(status: .unauthorized, code: -2014, msg: "API-key format invalid.")
    static let invalidAPIKey = SimHTTPError(status: .unauthorized, code: -2015,
                                            msg: "Invalid API-key, IP, or permissions for action.")
    static let badSignature = SimHTTPError.badRequest(-1022, "Signature for this request is not valid.")
    static let unknownPath = SimHTTPError(status: .notFound, code: -5000, msg: "Path not found.")

    var body: String {
        JSONWriter.object { w in
            w.int("code", code)
            w.string("msg", msg)
        }
    }
}

enum SimResponse {
    static func json(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/json"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension HTTPField.Name {
    static let mbxAPIKey = HTTPField.Name("X-MBX-APIKEY")!
    static let mbxUsedWeight = HTTPField.Name("X-MBX-USED-WEIGHT-1m")!
    static let mbxOrderCount10s = HTTPField.Name("X-MBX-ORDER-COUNT-10s")!
    static let mbxOrderCount1m = HTTPField.Name("X-MBX-ORDER-COUNT-1m")!
}
