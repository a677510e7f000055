import TicklineCore

/// A JSON object written field by field into a string: the control plane's answers and events
/// carry exact decimals (as strings, at each symbol's scale), which `Codable` would turn into
/// binary floating point.
public struct JSONText {
    public private(set) var text = "{"
    var fields = 0

    public init() {}

    mutating func key(_ name: String) {
        if fields > 0 { text += "," }
        fields += 1
        JSONText.appendString(name, to: &text)
        text += ":"
    }

    public mutating func string(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONText.appendString(value, to: &text) } else { text += "null" }
    }

    public mutating func int(_ name: String, _ value: Int64?) {
        key(name)
        text += value.map { String($0) } ?? "null"
    }

    public mutating func bool(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    public mutating func double(_ name: String, _ value: Double) {
        key(name)
        text += value.isFinite ? String(value) : "null"
    }

    /// A decimal at `scale` as a JSON string ("43250.10").
    public mutating func decimal(_ name: String, _ raw: Int64, _ scale: DecimalScale) {
        string(name, Price(raw: raw).description(scale: scale))
    }

    /// A value that is already JSON (an object or array).
    public mutating func raw(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    public func finished() -> String { text + "}" }

    /// `value` as a JSON string literal, escaped.
    public static func appendString(_ value: String, to out: inout String) {
        JSONString.append(value, to: &out)
    }

    public static func quoted(_ value: String) -> String { JSONString.quoted(value) }

    /// `{"error": message}`: every error answer's body.
    public static func error(_ message: String) -> String {
        var o = JSONText()
        o.string("error", message)
        return o.finished()
    }
}
