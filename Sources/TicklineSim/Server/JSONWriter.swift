/// Builds JSON text with keys in the order written, as Binance sends them.
///
/// Deterministic output (deterministic mode promises byte-identical streams) and no
/// `JSONSerialization` round trip: the simulator writes every message with this.
struct JSONWriter {
    private(set) var text = ""
    private var needsComma: [Bool] = [false]

    init() {}

    static func object(_ build: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter()
        w.beginObject()
        build(&w)
        w.endObject()
        return w.text
    }

    static func array<S: Sequence>(_ items: S, _ build: (inout JSONWriter, S.Element) -> Void) -> String {
        var w = JSONWriter()
        w.beginArray()
        for item in items { build(&w, item) }
        w.endArray()
        return w.text
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func key(_ k: String?) {
        separate()
        if let k { text += JSONWriter.quote(k) + ":" }
    }

    mutating func beginObject(_ k: String? = nil) {
        key(k)
        text += "{"
        needsComma.append(false)
    }

    mutating func endObject() {
        needsComma.removeLast()
        text += "}"
    }

    mutating func beginArray(_ k: String? = nil) {
        key(k)
        text += "["
        needsComma.append(false)
    }

    mutating func endArray() {
        needsComma.removeLast()
        text += "]"
    }

    mutating func string(_ k: String?, _ v: String) {
        key(k)
        text += JSONWriter.quote(v)
    }

    mutating func int(_ k: String?, _ v: Int64) {
        key(k)
        text += String(v)
    }

    mutating func int(_ k: String?, _ v: Int) { int(k, Int64(v)) }

    mutating func bool(_ k: String?, _ v: Bool) {
        key(k)
        text += v ? "true" : "false"
    }

    mutating func null(_ k: String?) {
        key(k)
        text += "null"
    }

    /// Already-encoded JSON (a nested document written elsewhere).
    mutating func raw(_ k: String?, _ json: String) {
        key(k)
        text += json
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
