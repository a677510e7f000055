import Foundation
import Testing
import TicklineConfig
import TicklineCore
import TicklineRing

/// The repository's Tuning/layouts, found from this file's path.
let layoutsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tuning/layouts").path

func layout(_ text: String) throws -> Layout {
    try LayoutLoader.parse(text: text, file: "test.toml")
}

let allStages = #"["parse", "indicator", "signal", "risk", "order", "store", "publish"]"#

@Suite struct LayoutTests {
    @Test func presetsLoad() throws {
        let fused = try LayoutLoader.load("fused-1", directories: [layoutsDirectory])
        #expect(fused.threads.count == 1 && fused.threads[0].stages == StageID.allCases.map { $0 })
        let split = try LayoutLoader.load("split-2", directories: [layoutsDirectory])
        #expect(split.threads.map(\.name) == ["trading", "side"])
        #expect(split.thread(running: .risk)?.idle == .busySpin)
        #expect(split.thread(running: .store)?.idle == .backoff(maxSpins: 100, maxYields: 10, minParkNs: 10_000,
                                                                 maxParkNs: 1_000_000))
        let dedicated = try LayoutLoader.load("dedicated", directories: [layoutsDirectory])
        #expect(dedicated.threads.count == 7)
    }

    /// On a 2-core host fused-1 and split-2 are valid; dedicated needs 8 cores.
    @Test func presetsValidateByCoreCount() throws {
        let two = { (cpu: Int) in cpu >= 0 && cpu < 2 }
        let eight = { (cpu: Int) in cpu >= 0 && cpu < 8 }
        try LayoutLoader.load("fused-1", directories: [layoutsDirectory]).validate(cpuCount: 2, isCPUAvailable: two)
        try LayoutLoader.load("split-2", directories: [layoutsDirectory]).validate(cpuCount: 2, isCPUAvailable: two)
        let dedicated = try LayoutLoader.load("dedicated", directories: [layoutsDirectory])
        #expect(throws: LayoutError.self) { try dedicated.validate(cpuCount: 2, isCPUAvailable: two) }
        try dedicated.validate(cpuCount: 8, isCPUAvailable: eight)
    }

    @Test func unknownPresetNamesTheKnownOnes() {
        #expect {
            try LayoutLoader.load("fused-9", directories: [layoutsDirectory])
        } throws: { error in
            "\(error)" == "unknown layout preset 'fused-9' (known: cores-16, cores-2, cores-4, cores-8, dedicated, fused-1, split-2)"
        }
    }

    @Test func missingCPUIsAnErrorWithFileAndLine() throws {
        let l = try layout("""
            [layout]
            name = "x"
            [[layout.thread]]
            name = "all"
            stages = \(allStages)
            cpu = 7
            idle = "yield"
            """)
        #expect {
            try l.validate(cpuCount: 2) { $0 < 2 }
        } throws: { error in
            "\(error)" == "test.toml:3: thread 'all' is pinned to CPU 7, which this host does not have (2 CPUs available)"
        }
    }

    @Test func stageMappedTwice() throws {
        let l = try layout("""
            [layout]
            [[layout.thread]]
            name = "a"
            stages = \(allStages)
            idle = "yield"
            [[layout.thread]]
            name = "b"
            stages = ["risk"]
            idle = "yield"
            """)
        #expect {
            try l.validate(cpuCount: 2) { _ in true }
        } throws: { error in
            "\(error)" == "test.toml:6: stage 'risk' is mapped twice (threads 'a' and 'b')"
        }
    }

    @Test func stageNotMapped() throws {
        let l = try layout("""
            [layout]
            [[layout.thread]]
            name = "a"
            stages = ["parse", "indicator", "signal", "risk", "order", "store"]
            idle = "yield"
            """)
        #expect {
            try l.validate(cpuCount: 2) { _ in true }
        } throws: { error in
            "\(error)" == "test.toml: stage 'publish' is not mapped to any thread"
        }
    }

    @Test func tooManySpinningThreads() throws {
        let l = try layout("""
            [layout]
            [[layout.thread]]
            name = "a"
            stages = ["parse", "indicator", "signal", "risk", "order"]
            idle = "busy-spin"
            [[layout.thread]]
            name = "b"
            stages = ["store", "publish"]
            idle = "busy-spin"
            """)
        #expect(throws: LayoutError.self) { try l.validate(cpuCount: 2) { _ in true } }
        try l.validate(cpuCount: 3) { _ in true }
        // An SQPOLL kernel thread spins too.
        var withSQPoll = l
        withSQPoll.threads[0].sqpoll = true
        #expect(throws: LayoutError.self) { try withSQPoll.validate(cpuCount: 3) { _ in true } }
        // Replacing busy-spin with yield makes it fit anywhere.
        try l.replacingBusySpin(with: .yield).validate(cpuCount: 1) { _ in true }
    }

    @Test func spinningThreadMustNotShareItsCPU() throws {
        let l = try layout("""
            [layout]
            [[layout.thread]]
            name = "a"
            stages = ["parse", "indicator", "signal", "risk", "order"]
            cpu = 1
            idle = "busy-spin"
            [[layout.thread]]
            name = "b"
            stages = ["store", "publish"]
            cpu = 1
            idle = "backoff"
            """)
        #expect {
            try l.validate(cpuCount: 4) { _ in true }
        } throws: { error in
            "\(error)" == "test.toml:7: busy-spinning thread 'a' shares CPU 1 with thread 'b'"
        }
    }

    @Test func syntaxErrorNamesTheLine() {
        #expect {
            try layout("[layout]\nname = \"x\"\n[[layout.thread]]\nname = \n")
        } throws: { error in
            (error as? ConfigError)?.line == 4 && "\(error)".hasPrefix("test.toml:4: invalid TOML")
        }
    }

    @Test func unknownKeyAndBadValuesNameTheKey() {
        #expect {
            try layout("[layout]\n[[layout.thread]]\nname = \"a\"\nstages = [\"parse\"]\nidel = \"yield\"\n")
        } throws: { error in
            "\(error)".hasPrefix("test.toml:5: layout.thread.idel: unknown key")
        }
        #expect {
            try layout("[layout]\n[[layout.thread]]\nname = \"a\"\nstages = [\"parse\", \"pricing\"]\n")
        } throws: { error in
            "\(error)".hasPrefix("test.toml:4: layout.thread.stages: unknown stage")
        }
        #expect {
            try layout("[layout]\n[[layout.thread]]\nname = \"a\"\nstages = [\"parse\"]\nidle = \"sleepy\"\n")
        } throws: { error in
            "\(error)" == "test.toml:5: layout.thread.idle: unknown idle strategy 'sleepy' (busy-spin, yield, backoff, park)"
        }
    }

    @Test func configFileWithPresetAndPipeline() throws {
        setenv("TICKLINE_LAYOUTS_DIR", layoutsDirectory, 1)
        let c = try TicklineConfiguration.parse(text: """
            [layout]
            preset = "fused-1"
            [pipeline]
            symbols = ["BTCUSDT"]
            ticks_per_second = 5000
            ring_capacity = 1024
            """, file: "tickline.toml")
        #expect(c.layout.name == "fused-1")
        #expect(c.pipeline.symbols == ["BTCUSDT"] && c.pipeline.ticksPerSecond == 5000 && c.pipeline.ringCapacity == 1024)
        #expect {
            try TicklineConfiguration.parse(text: "[pipeline]\nring_capacity = 1000\n", file: "tickline.toml")
        } throws: { error in
            "\(error)".hasPrefix("tickline.toml:2: pipeline.ring_capacity: must be a power of two")
        }
        #expect {
            try TicklineConfiguration.parse(text: "[exchange]\nurl = \"x\"\n", file: "tickline.toml")
        } throws: { error in
            "\(error)".hasPrefix("tickline.toml:1: exchange: unknown key")
        }
    }
}
