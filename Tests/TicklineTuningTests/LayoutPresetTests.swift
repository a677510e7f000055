import Foundation
import Testing
import TicklineConfig
import TicklineCore
import TicklineRing
@testable import TicklineTuning

/// The layout presets by core count (Tuning/layouts/cores-N.toml): each parses, validates on a
/// host with N cores, and suits a host tuned for it; none fits on fewer cores than it is for.
@Suite struct LayoutPresetTests {
    static let byCores = [2: "cores-2", 4: "cores-4", 8: "cores-8", 16: "cores-16"]

    @Test(arguments: [2, 4, 8, 16])
    func presetValidatesForItsCoreCount(cores: Int) throws {
        let name = try #require(Self.byCores[cores])
        let layout = try preset(name)
        #expect(layout.name == name)
        try layout.validate(cpuCount: cores, isCPUAvailable: { $0 >= 0 && $0 < cores })
        // Every pinned CPU exists and at least one CPU stays free of spinning threads.
        #expect(layout.threads.allSatisfy { $0.cpu.map { $0 < cores } ?? false })
        #expect(layout.spinningThreadCount < cores)
        // Side channels never spin; trading stages always do.
        for stage in [StageID.store, .publish] { #expect(layout.thread(running: stage)?.idle.isBusySpinning == false) }
        for stage in [StageID.parse, .indicator, .signal, .risk, .order] {
            #expect(layout.thread(running: stage)?.idle.isBusySpinning == true)
        }
    }

    /// On a host tuned for it (its spinning CPUs isolated, IRQs elsewhere) each preset passes
    /// `tune check`; a smaller host is too small for it. (cores-16 pins only CPUs 1-7: it fits
    /// 8 CPUs too, and its extra cores are for SMT siblings and housekeeping; see the README.)
    @Test(arguments: [2, 4, 8, 16])
    func presetSuitsAHostTunedForIt(cores: Int) throws {
        let layout = try preset(Self.byCores[cores]!)
        let spinning = CPUSet(layout.threads.filter { $0.idle.isBusySpinning }.compactMap(\.cpu))
        let report = TuneChecker.check(tunedFacts(cores: cores, isolated: spinning), layout: layout)
        #expect(report.suitsLayout, "\(report.problems)")
        if cores > 2 {
            let smaller = [4: 2, 8: 4, 16: 4][cores]!
            let tooSmall = TuneChecker.check(tunedFacts(cores: smaller, isolated: CPUSet([smaller - 1])), layout: layout)
            #expect(!tooSmall.suitsLayout)
            #expect(throws: LayoutError.self) {
                try layout.validate(cpuCount: smaller, isCPUAvailable: { $0 >= 0 && $0 < smaller })
            }
        }
    }

    /// Every preset file parses and validates on a 16-core host, and the README names it.
    @Test func everyPresetParsesAndIsDocumented() throws {
        let names = LayoutLoader.availablePresets(in: [layoutsDirectory])
        #expect(Set(Self.byCores.values).isSubset(of: Set(names)))
        let readme = try String(contentsOfFile: layoutsDirectory + "/README.md", encoding: .utf8)
        for name in names {
            let layout = try preset(name)
            try layout.validate(cpuCount: 16, isCPUAvailable: { $0 >= 0 && $0 < 16 })
            #expect(readme.contains("`\(name)`"), "Tuning/layouts/README.md does not mention \(name)")
        }
    }
}
