import ArgumentParser
import Foundation
import TicklineConfig
import TicklineRing
import TicklineTuning

/// `tickline tune …`: host tuning. Only `check` for now; it reads, never writes.
struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a host's tuning against a layout.", subcommands: [TuneCheckCommand.self])
}

struct TuneCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report the host settings that matter for low latency and cross-check a layout; changes nothing.",
        discussion: """
            Reads /proc and /sys (under --root), the memlock limit and the LMDB data directory's \
            filesystem, and prints each setting with its current value, the recommended value and \
            why, then checks the layout: pinned CPUs exist, spinning CPUs are isolated and take no \
            IRQs, spinning threads leave a core free. Exit status 0 when the host suits the layout, \
            1 with the list of problems otherwise, 2 for a bad layout or config. Settings that \
            cannot be read are reported as unknown and do not fail the check. See Tuning/host/ for \
            the settings and README "Deploying on a tuned host".
            """)

    @Option(help: "Layout preset name (fused-1, split-2, dedicated, cores-N…) or layout file; default: the config's layout, else split-2.")
    var layout: String?

    @Option(help: "Configuration file (tickline.toml): its layout, [store] directory and [venue] backend.")
    var config: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: "Root to read /proc and /sys under (a fixture tree in tests).")
    var root = "/"

    func run() throws {
        var chosen: Layout
        var store = StoreSettings()
        var backend = VenueSettings.Backend.uring
        do {
            if let config {
                let c = try TicklineConfiguration.load(path: config)
                chosen = c.layout
                store = c.store
                backend = c.venue.backend
            } else {
                chosen = try LayoutLoader.load(layout ?? "split-2")
            }
            if let layout, config != nil { chosen = try LayoutLoader.load(layout) }
        } catch {
            fail(error.description)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            fail("--root \(root): not a directory")
        }
        let facts = HostFacts.read(HostReader(root: root), dataDirectory: store.enabled ? store.directory : nil)
        let report = TuneChecker.check(
            facts, layout: chosen, context: .init(storeEnabled: store.enabled, ioBackend: backend.rawValue))
        print(json ? report.json : report.table, terminator: json ? "\n" : "")
        if !report.suitsLayout { throw ExitCode(1) }
    }
}
