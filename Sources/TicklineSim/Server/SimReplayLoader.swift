import Foundation

/// Reads the replay source named by `--source` (`SimOptions.source`):
///
/// - `random`: no replay (nil).
/// - `klines:FILE[@SYMBOL]`: a kline CSV replayed on SYMBOL (default BTCUSDT).
/// - `capture:FILE[,FILE…]`: WebSocket capture(s) (gzip or plain text), trades of every symbol.
///
/// Gzip files are decompressed with the system `gzip -dc`. Errors are `SimConfigError`s with a
/// message fit for the command line.
public enum SimReplayLoader {
    /// Checks the form of a source string without reading anything (for argument validation).
    public static func validateForm(_ source: String) -> String? {
        if source == "random" { return nil }
        for prefix in ["klines:", "capture:"] where source.hasPrefix(prefix) {
            return source.count > prefix.count ? nil : "--source \(source): missing FILE after '\(prefix)'"
        }
        return "--source \(source): expected random, klines:FILE[@SYMBOL] or capture:FILE"
    }

    public static func load(_ source: String) throws -> ReplaySource? {
        if let problem = validateForm(source) { throw SimConfigError(problem) }
        if source == "random" { return nil }
        if source.hasPrefix("klines:") {
            var path = String(source.dropFirst("klines:".count))
            var symbol = "BTCUSDT"
            if let at = path.lastIndex(of: "@"), !FileManager.default.fileExists(atPath: path) {
                symbol = path[path.index(after: at)...].uppercased()
                path = String(path[..<at])
                guard !symbol.isEmpty else { throw SimConfigError("--source \(source): empty symbol after '@'") }
            }
            let text = try readText(path, source: source)
            let r = ReplaySource.klines(csv: text, symbol: symbol, label: source)
            guard r.tradeCount(symbol) > 0 else {
                throw SimConfigError("--source \(source): no usable kline rows in \(path) (\(r.skipped) skipped)")
            }
            return r
        }
        let paths = String(source.dropFirst("capture:".count)).split(separator: ",").map(String.init)
        var parts: [ReplaySource] = []
        for path in paths {
            let text = try readText(path, source: source)
            parts.append(ReplaySource.capture(text: text, label: path))
        }
        let r = ReplaySource.merged(parts)
        guard !r.symbols.isEmpty else {
            throw SimConfigError("--source \(source): no trade messages found (\(r.skipped) lines skipped)")
        }
        return r
    }

    /// The file as text; gzip (by its magic bytes) through `gzip -dc`.
    static func readText(_ path: String, source: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SimConfigError("--source \(source): cannot read \(path)")
        }
        let magic = (try? handle.read(upToCount: 2)) ?? Data()
        try? handle.close()
        if magic.count == 2, magic[magic.startIndex] == 0x1F, magic[magic.startIndex + 1] == 0x8B {
            return try gunzip(path, source: source)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimConfigError("--source \(source): cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func gunzip(_ path: String, source: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", "--", path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SimConfigError("--source \(source): cannot run gzip to decompress \(path): \(error)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SimConfigError("--source \(source): gzip -dc \(path) failed (status \(process.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
