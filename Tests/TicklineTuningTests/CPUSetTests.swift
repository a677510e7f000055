import Testing
@testable import TicklineTuning

@Suite struct CPUSetTests {
    @Test func cpulistRoundTrip() {
        #expect(CPUSet(cpulist: "0-3,8,10-11")?.cpus == [0, 1, 2, 3, 8, 10, 11])
        #expect(CPUSet(cpulist: "0-3,8,10-11")?.cpulist == "0-3,8,10-11")
        #expect(CPUSet(cpulist: "")?.isEmpty == true)
        #expect(CPUSet(cpulist: "\n")?.description == "none")
        #expect(CPUSet(cpulist: "5,1,3-4")?.cpulist == "1,3-5")
    }

    @Test func cpulistGroupsAndLastCPU() {
        // kernel-parameters.txt: "0-15:2/4" is the first 2 CPUs of every group of 4.
        #expect(CPUSet(cpulist: "0-15:2/4")?.cpulist == "0-1,4-5,8-9,12-13")
        #expect(CPUSet(cpulist: "2-N", lastCPU: 7)?.cpulist == "2-7")
        #expect(CPUSet(cpulist: "2-N") == nil)
    }

    @Test func rejectsGarbage() {
        for bad in ["a", "3-1", "1-", ",,", "1:2", "0-3:5/4"] { #expect(CPUSet(cpulist: bad) == nil, "\(bad)") }
    }

    @Test func hexMasks() {
        #expect(CPUSet(hexMask: "83")?.cpulist == "0-1,7")
        #expect(CPUSet(hexMask: "00000000,000000ff")?.cpulist == "0-7")
        #expect(CPUSet(hexMask: "1,00000000")?.cpulist == "32")
        #expect(CPUSet(hexMask: "xyz") == nil)
    }

    @Test func kernelCommandLine() {
        let cmd = KernelCommandLine("ro quiet isolcpus=managed_irq,domain,2-6,8 nohz_full=2-6 rcu_nocbs=2-N -- isolcpus=1")
        let iso = cmd.isolcpus(lastCPU: 9)
        #expect(iso?.cpus.cpulist == "2-6,8")
        #expect(iso?.flags == ["managed_irq", "domain"])
        #expect(cmd.cpus("nohz_full", lastCPU: 9)?.cpulist == "2-6")
        #expect(cmd.cpus("rcu_nocbs", lastCPU: 9)?.cpulist == "2-9")
        #expect(cmd.has("quiet") && !cmd.has("splash"))
        #expect(KernelCommandLine("isolcpus=3").isolcpus(lastCPU: nil)?.flags == [])
    }

    @Test func kernelVersions() {
        #expect(TuneChecker.kernelVersion("6.18.44-fc-v669")! == (6, 18))
        #expect(TuneChecker.kernelVersion("5.4.0")! == (5, 4))
        #expect(TuneChecker.kernelVersion("weird") == nil)
    }
}
