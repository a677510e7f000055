/// JSON string literals (RFC 8259 escaping), for the engine's hand-written JSON: log lines, the
/// store's export rows, the control plane's answers and events, benchmark output.
public enum JSONString {
    /// Appends `value` as a quoted, escaped JSON string.
    public static func append(_ value: String, to out: inout String) {
        out += "\""
        for u in value.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// `value` as a quoted, escaped JSON string.
    public static func quoted(_ value: String) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }
}
