/// A configuration problem, printed as one line: `file:line: key: message`.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var file: String?
    public var line: Int?
    public var key: String?

    public init(_ message: String, file: String? = nil, line: Int? = nil, key: String? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.key = key
    }

    public var description: String {
        var prefix = ""
        if let file { prefix += file + ":" }
        if let line { prefix += "\(line):" }
        if !prefix.isEmpty { prefix += " " }
        if let key { prefix += key + ": " }
        return prefix + message
    }
}
