import Foundation

/// How a setting or a layout check came out.
public enum TuneStatus: String, Sendable, Codable, Equatable {
    /// Matches the recommendation.
    case ok
    /// Differs from the recommendation; worth changing, but the layout still runs as intended.
    case advice
    /// The host does not suit the layout: `tune check` exits 1.
    case problem
    /// Could not be read (missing file, a VM without the interface); never fails the check.
    case unknown
    /// A fact with nothing to judge.
    case info
}

/// One row of the host table: a setting, its current and recommended values, and why.
public struct TuneSetting: Sendable, Codable, Equatable {
    /// Stable identifier for scripts (`vm.swappiness`, `cpu.governor`, `cmdline.isolcpus`…).
    public var key: String
    public var setting: String
    public var current: String
    public var recommended: String
    public var status: TuneStatus
    public var why: String

    public init(key: String, setting: String, current: String, recommended: String, status: TuneStatus, why: String) {
        self.key = key
        self.setting = setting
        self.current = current
        self.recommended = recommended
        self.status = status
        self.why = why
    }
}

/// One cross-check of the layout against the host.
public struct TuneLayoutCheck: Sendable, Codable, Equatable {
    public var key: String
    public var check: String
    public var status: TuneStatus
    public var detail: String

    public init(key: String, check: String, status: TuneStatus, detail: String) {
        self.key = key
        self.check = check
        self.status = status
        self.detail = detail
    }
}

/// The result of `tickline tune check`: the host settings, the layout cross-checks, and whether
/// the host suits the layout (no `problem` anywhere).
public struct TuneReport: Sendable, Codable, Equatable {
    public struct LayoutSummary: Sendable, Codable, Equatable {
        public var name: String
        public var source: String?
        public var threads: Int
        public var pinnedCPUs: String
        public var spinningCPUs: String
        public var spinningThreads: Int

        enum CodingKeys: String, CodingKey {
            case name, source, threads
            case pinnedCPUs = "pinned_cpus", spinningCPUs = "spinning_cpus", spinningThreads = "spinning_threads"
        }
    }

    /// A few facts as numbers, for scripts (the table has them as text).
    public struct HostSummary: Sendable, Codable, Equatable {
        public var cpusOnline: Int?
        public var numaNodes: Int?
        public var isolatedCPUs: String?
        public var kernel: String?

        enum CodingKeys: String, CodingKey {
            case cpusOnline = "cpus_online", numaNodes = "numa_nodes", isolatedCPUs = "isolated_cpus", kernel
        }
    }

    public var root: String
    public var host: HostSummary
    public var layout: LayoutSummary
    public var settings: [TuneSetting]
    public var layoutChecks: [TuneLayoutCheck]

    /// Every `problem`, as one line each.
    public var problems: [String] {
        settings.filter { $0.status == .problem }.map {
            "\($0.setting): \($0.current), recommended \($0.recommended): \($0.why)"
        }
            + layoutChecks.filter { $0.status == .problem }.map { "\($0.check): \($0.detail)" }
    }

    /// Keys of the settings and checks that could not be read.
    public var unknown: [String] {
        settings.filter { $0.status == .unknown }.map(\.key) + layoutChecks.filter { $0.status == .unknown }.map(\.key)
    }

    public var suitsLayout: Bool { problems.isEmpty }

    public func setting(_ key: String) -> TuneSetting? { settings.first { $0.key == key } }
    public func layoutCheck(_ key: String) -> TuneLayoutCheck? { layoutChecks.first { $0.key == key } }

    // MARK: Rendering

    /// The human form: a settings table, the layout checks, then the problems and the verdict.
    public var table: String {
        var out = "tickline tune check: host \(root), layout '\(layout.name)'"
        if let s = layout.source { out += " (\(s))" }
        out += "\n\n"
        out += Self.render(
            header: ["SETTING", "CURRENT", "RECOMMENDED", "STATUS", "WHY"],
            rows: settings.map { [$0.setting, $0.current, $0.recommended, Self.label($0.status), $0.why] })
        out += "\n"
        out += Self.render(
            header: ["LAYOUT CHECK", "STATUS", "DETAIL"],
            rows: layoutChecks.map { [$0.check, Self.label($0.status), $0.detail] })
        out += "\n"
        let problems = self.problems
        if problems.isEmpty {
            out += "host suits layout '\(layout.name)'"
        } else {
            out += "\(problems.count) problem\(problems.count == 1 ? "" : "s"):\n"
            for p in problems { out += "  - \(p)\n" }
            out += "host does not suit layout '\(layout.name)'"
        }
        let unknown = self.unknown
        if !unknown.isEmpty { out += " (\(unknown.count) unknown: \(unknown.joined(separator: ", ")))" }
        return out + "\n"
    }

    /// One JSON object: `root`, `host`, `layout`, `suits_layout`, `settings`, `layout_checks`,
    /// `problems`, `unknown` (snake_case keys, sorted).
    public var json: String {
        struct Document: Encodable {
            var root: String
            var host: HostSummary
            var layout: LayoutSummary
            var suitsLayout: Bool
            var settings: [TuneSetting]
            var layoutChecks: [TuneLayoutCheck]
            var problems: [String]
            var unknown: [String]
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let doc = Document(root: root, host: host, layout: layout, suitsLayout: suitsLayout, settings: settings,
                           layoutChecks: layoutChecks, problems: problems, unknown: unknown)
        return (try? String(decoding: encoder.encode(doc), as: UTF8.self)) ?? "{}"
    }

    static func label(_ s: TuneStatus) -> String { s == .problem ? "PROBLEM" : s.rawValue }

    /// Left-aligned columns; the last column is not padded (it can be long).
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for r in all {
            for (i, cell) in r.enumerated() where i < header.count - 1 { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for r in all {
            var line = ""
            for (i, cell) in r.enumerated() {
                line += cell
                if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
