import Foundation
import TOMLKit
import TicklineCore
import TicklineRing

/// Reads layouts: presets from `Tuning/layouts/<name>.toml`, any layout file, or the `[layout]`
/// section of `tickline.toml`.
///
/// Format (see `Tuning/layouts/README.md`):
/// ```toml
/// [layout]
/// name = "split-2"
/// [[layout.thread]]
/// name = "trading"
/// stages = ["parse", "indicator", "signal", "risk", "order"]
/// cpu = 1
/// idle = "busy-spin"      # busy-spin | yield | backoff | park
/// ```
public enum LayoutLoader {
    /// Directories searched for presets, in order: `$TICKLINE_LAYOUTS_DIR`, `./Tuning/layouts`,
    /// and `Tuning/layouts` above the executable (for `.build/<config>/tickline`).
    public static var presetDirectories: [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["TICKLINE_LAYOUTS_DIR"] { dirs.append(env) }
        dirs.append(FileManager.default.currentDirectoryPath + "/Tuning/layouts")
        var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            dirs.append(exe.appendingPathComponent("Tuning/layouts").path)
            exe = exe.deletingLastPathComponent()
        }
        return dirs
    }

    /// Names of the presets found in `presetDirectories`.
    public static func availablePresets(in directories: [String] = presetDirectories) -> [String] {
        var names = Set<String>()
        for d in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []
            for f in files where f.hasSuffix(".toml") { names.insert(String(f.dropLast(5))) }
        }
        return names.sorted()
    }

    /// A preset by name, or a layout file when `nameOrPath` contains a `/` or ends in `.toml`.
    public static func load(_ nameOrPath: String, directories: [String] = presetDirectories)
        throws(ConfigError) -> Layout
    {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            return try load(file: nameOrPath)
        }
        for d in directories {
            let path = d + "/" + nameOrPath + ".toml"
            if FileManager.default.fileExists(atPath: path) { return try load(file: path) }
        }
        let known = availablePresets(in: directories)
        throw ConfigError("unknown layout preset '\(nameOrPath)' (known: "
                          + (known.isEmpty ? "none found" : known.joined(separator: ", ")) + ")")
    }

    public static func load(file path: String) throws(ConfigError) -> Layout {
        let doc = try TOMLDocument.load(path: path)
        try doc.rejectUnknownKeys(in: doc.root, allowed: ["layout"], path: nil)
        guard let table = doc.root["layout"]?.table else {
            throw ConfigError("missing [layout] section", file: path, line: 1)
        }
        return try parse(table, in: doc, defaultName: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    /// Parses layout TOML text (tests and embedded layouts).
    public static func parse(text: String, file: String) throws(ConfigError) -> Layout {
        let doc = try TOMLDocument(text: text, file: file)
        guard let table = doc.root["layout"]?.table else {
            throw ConfigError("missing [layout] section", file: file, line: 1)
        }
        return try parse(table, in: doc, defaultName: "inline")
    }

    static func parse(_ table: TOMLTable, in doc: TOMLDocument, defaultName: String) throws(ConfigError) -> Layout {
        try doc.rejectUnknownKeys(in: table, allowed: ["name", "thread", "preset"], path: "layout")
        if let preset = table["preset"] {
            guard let name = preset.string else { throw doc.error("must be a string", key: "preset", table: "layout") }
            guard table["thread"] == nil else {
                throw doc.error("give either a preset or [[layout.thread]] tables, not both", key: "preset",
                                table: "layout")
            }
            do {
                return try load(name)
            } catch {
                throw doc.error(error.description, key: "preset", table: "layout")
            }
        }
        var name = defaultName
        if let n = table["name"] {
            guard let s = n.string else { throw doc.error("must be a string", key: "name", table: "layout") }
            name = s
        }
        guard let threadArray = table["thread"]?.array else {
            throw doc.error("needs [[layout.thread]] tables or preset = \"NAME\"", table: "layout")
        }
        var threads: [ThreadLayout] = []
        for (i, value) in threadArray.enumerated() {
            guard let t = value.table else {
                throw doc.error("each thread must be a table", key: "thread", table: "layout")
            }
            threads.append(try parseThread(t, index: i, in: doc))
        }
        return Layout(name: name, threads: threads, source: doc.file)
    }

    static func parseThread(_ t: TOMLTable, index: Int, in doc: TOMLDocument) throws(ConfigError) -> ThreadLayout {
        let path = "layout.thread"
        func fail(_ message: String, _ key: String? = nil) -> ConfigError {
            doc.error(message, key: key, table: path, occurrence: index)
        }
        try doc.rejectUnknownKeys(
            in: t, allowed: ["name", "stages", "cpu", "idle", "sqpoll", "max_spins", "max_yields", "min_park_ns",
                             "max_park_ns", "park_timeout_ns"],
            path: path, occurrence: index)
        guard let name = t["name"]?.string else { throw fail("required string", "name") }
        guard let stageValues = t["stages"]?.array else { throw fail("required list of stage names", "stages") }
        var stages: [StageID] = []
        for v in stageValues {
            guard let s = v.string, let stage = StageID(name: s) else {
                throw fail("unknown stage \(v) (stages: \(StageID.allCases.map(\.name).joined(separator: ", ")))",
                           "stages")
            }
            stages.append(stage)
        }
        var cpu: Int?
        if let c = t["cpu"] {
            guard let v = c.int else { throw fail("must be an integer CPU number", "cpu") }
            cpu = v
        }
        func integer(_ key: String, default value: Int) throws(ConfigError) -> Int {
            guard let raw = t[key] else { return value }
            guard let v = raw.int, v >= 0 else { throw fail("must be a non-negative integer", key) }
            return v
        }
        let idleName = t["idle"]?.string ?? "backoff"
        let idle: IdleStrategyConfig
        switch idleName {
        case "busy-spin": idle = .busySpin
        case "yield": idle = .yield
        case "backoff":
            let minPark = try integer("min_park_ns", default: 1_000)
            let maxPark = try integer("max_park_ns", default: 1_000_000)
            guard minPark > 0, minPark <= maxPark else { throw fail("must be > 0 and ≤ max_park_ns", "min_park_ns") }
            idle = .backoff(maxSpins: try integer("max_spins", default: 10), maxYields: try integer("max_yields", default: 5),
                            minParkNs: UInt64(minPark), maxParkNs: UInt64(maxPark))
        case "park":
            let timeout = try integer("park_timeout_ns", default: 1_000_000)
            guard timeout > 0 else { throw fail("must be > 0", "park_timeout_ns") }
            idle = .park(timeoutNs: UInt64(timeout))
        default:
            throw fail("unknown idle strategy '\(idleName)' (busy-spin, yield, backoff, park)", "idle")
        }
        var sqpoll = false
        if let s = t["sqpoll"] {
            guard let b = s.bool else { throw fail("must be true or false", "sqpoll") }
            sqpoll = b
        }
        return ThreadLayout(name: name, stages: stages, cpu: cpu, idle: idle, sqpoll: sqpoll,
                            line: doc.line(ofTable: path, occurrence: index))
    }
}
