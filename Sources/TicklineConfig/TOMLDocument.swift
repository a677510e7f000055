import Foundation
import TOMLKit

/// A parsed TOML file plus its text, so that errors about a key can name the line it is on
/// (TOMLKit reports positions for syntax errors only).
struct TOMLDocument {
    let root: TOMLTable
    let file: String
    private let lines: [Substring]

    init(text: String, file: String) throws(ConfigError) {
        self.file = file
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ConfigError("invalid TOML: \(e.description)", file: file, line: e.source.begin.line)
        } catch {
            throw ConfigError("invalid TOML: \(error)", file: file)
        }
    }

    static func load(path: String) throws(ConfigError) -> TOMLDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("cannot read file", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("file is not UTF-8", file: path)
        }
        return try TOMLDocument(text: text, file: path)
    }

    /// Line (1-based) of the `occurrence`-th `[table]` or `[[table]]` header.
    func line(ofTable table: String, occurrence: Int = 0) -> Int? {
        var seen = 0
        for (i, raw) in lines.enumerated() {
            let l = raw.trimmingCharacters(in: .whitespaces)
            if l == "[\(table)]" || l == "[[\(table)]]" || l.hasPrefix("[\(table)]") || l.hasPrefix("[[\(table)]]") {
                if seen == occurrence { return i + 1 }
                seen += 1
            }
        }
        return nil
    }

    /// Line of `key = …` inside the given table occurrence (top level when `table` is nil).
    func line(ofKey key: String, inTable table: String?, occurrence: Int = 0) -> Int? {
        var start = 0
        if let table {
            guard let header = line(ofTable: table, occurrence: occurrence) else { return nil }
            start = header  // index of the line after the header
        }
        var i = start
        while i < lines.count {
            let l = lines[i].trimmingCharacters(in: .whitespaces)
            if l.hasPrefix("[") { break }
            if l.hasPrefix(key), l.dropFirst(key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") {
                return i + 1
            }
            i += 1
        }
        // A key whose value is a table has a header instead: `[table.key]` or `[key]`.
        let asTable = table.map { "\($0).\(key)" } ?? key
        return self.line(ofTable: asTable) ?? table.flatMap { self.line(ofTable: $0, occurrence: occurrence) }
    }

    func error(_ message: String, key: String? = nil, table: String? = nil, occurrence: Int = 0) -> ConfigError {
        let line: Int?
        if let key {
            line = self.line(ofKey: key.split(separator: ".").last.map(String.init) ?? key, inTable: table,
                             occurrence: occurrence)
        } else {
            line = table.flatMap { self.line(ofTable: $0, occurrence: occurrence) }
        }
        let fullKey = [table, key].compactMap { $0 }.joined(separator: ".")
        return ConfigError(message, file: file, line: line, key: fullKey.isEmpty ? nil : fullKey)
    }

    /// Fails on any key of `table` not in `allowed`: a typo must not silently fall back to a default.
    func rejectUnknownKeys(in table: TOMLTable, allowed: Set<String>, path: String?, occurrence: Int = 0)
        throws(ConfigError)
    {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw error("unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))", key: key,
                        table: path, occurrence: occurrence)
        }
    }
}
