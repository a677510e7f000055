import Foundation
import Testing

/// Tuning/systemd/tickline.service: `systemd-analyze verify` accepts it (no warnings), and it has
/// what a trading service needs.
@Suite struct SystemdUnitTests {
    static let unit = repositoryRoot.appendingPathComponent("Tuning/systemd/tickline.service")

    static let analyze: URL? = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .map(URL.init(fileURLWithPath:)).first { FileManager.default.isExecutableFile(atPath: $0.path) }

    func text() throws -> String { try String(contentsOf: Self.unit, encoding: .utf8) }

    /// Active `Key=value` lines of a section.
    func directives(_ text: String) -> [(String, String)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let eq = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<eq]), String(line[line.index(after: eq)...]))
        }
    }

    @Test func hasTheServiceSettings() throws {
        let d = directives(try text())
        func value(_ key: String) -> String? { d.last { $0.0 == key }?.1 }
        #expect(value("Restart") == "on-failure")
        #expect(value("StartLimitBurst") != nil && value("StartLimitIntervalSec") != nil)
        #expect(value("CPUAffinity") == "0-6" && value("AllowedCPUs") == "0-6")  // the dedicated layout's CPUs
        #expect(value("LimitMEMLOCK") == "infinity")
        #expect(value("LimitNOFILE") != nil)
        #expect(value("User") == "tickline")
        #expect(value("ProtectSystem") == "strict")
        #expect(value("ReadWritePaths") == "/var/lib/tickline" && value("StateDirectory") == "tickline")
        #expect(value("NoNewPrivileges") == "yes")
        #expect(d.contains { $0.0 == "LoadCredential" })
        #expect(value("TimeoutStopSec") != nil)
        // sd_notify: readiness and the watchdog fed by the engine (SystemdNotifier).
        #expect(value("Type") == "notify" && value("NotifyAccess") == "main" && value("WatchdogSec") == "30s")
        #expect(value("ExecStart")?.hasPrefix("/usr/local/bin/tickline run ") == true)
        #expect(value("ExecStart")?.hasSuffix("--seconds 0") == true, "runs until stopped")
    }

    /// `systemd-analyze verify` needs the ExecStart binary to exist, so the check runs on a
    /// temporary copy pointing at the built `tickline`; any warning about the unit fails.
    @Test func systemdAnalyzeVerify() throws {
        guard let analyze = Self.analyze else {
            Issue.record("systemd-analyze not found: install the Debian package systemd (scripts/install-deps.sh does)")
            return
        }
        try #require(FileManager.default.isExecutableFile(atPath: ticklineBinary.path), "build tickline first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-unit-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let unit = try text().replacingOccurrences(of: "ExecStart=/usr/local/bin/tickline",
                                                   with: "ExecStart=\(ticklineBinary.path)")
        let copy = dir.appendingPathComponent("tickline.service")
        try unit.write(to: copy, atomically: true, encoding: .utf8)
        let r = try runProcess(analyze, ["verify", "--man=no", copy.path], directory: dir)
        let aboutUnit = r.err.split(separator: "\n").filter { $0.contains("tickline.service") }
        #expect(r.status == 0, "\(r.err)")
        #expect(aboutUnit.isEmpty, "\(aboutUnit)")
    }
}
