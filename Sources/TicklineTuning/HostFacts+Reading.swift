import Foundation

extension HostFacts {
    /// The sysctls the rules look at.
    public static let sysctlNames = [
        "kernel.osrelease", "vm.swappiness", "kernel.sched_rt_runtime_us", "net.core.rmem_max", "net.core.wmem_max",
        "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.core.busy_read", "net.core.busy_poll", "vm.max_map_count",
        "kernel.io_uring_disabled", "kernel.numa_balancing", "kernel.timer_migration",
    ]

    /// Reads everything the rules need. Never fails: what cannot be read stays nil.
    ///
    /// - Parameter dataDirectory: the LMDB directory as configured (`[store] directory`),
    ///   absolute or relative to `workingDirectory`; nil when the store is off.
    public static func read(_ reader: HostReader, dataDirectory: String?,
                            workingDirectory: String = FileManager.default.currentDirectoryPath) -> HostFacts {
        var f = HostFacts(root: reader.root)
        for name in sysctlNames {
            if let v = reader.sysctl(name) { f.sysctls[name] = v }
        }
        f.kernelRelease = f.sysctls["kernel.osrelease"]
        readCPUs(reader, into: &f)
        f.commandLine = reader.read("/proc/cmdline").map(KernelCommandLine.init)
        f.isolatedSysfs = reader.read("/sys/devices/system/cpu/isolated").flatMap { CPUSet(cpulist: $0) }
        f.nohzFullSysfs = reader.read("/sys/devices/system/cpu/nohz_full").flatMap { CPUSet(cpulist: $0) }
        readFrequencyAndIdle(reader, into: &f)
        f.transparentHugePages = reader.read("/sys/kernel/mm/transparent_hugepage/enabled").flatMap(bracketed)
        f.transparentHugePagesDefrag = reader.read("/sys/kernel/mm/transparent_hugepage/defrag").flatMap(bracketed)
        readIRQs(reader, into: &f)
        f.timerSlackNs = reader.readInt("/proc/self/timerslack_ns")
        f.memlock = reader.liveMemlockLimit() ?? reader.read("/proc/self/limits").flatMap(parseMemlock)
        if let dir = dataDirectory {
            f.dataDirectory = readDataDirectory(reader, path: absolute(dir, in: workingDirectory))
        }
        return f
    }

    static func readCPUs(_ reader: HostReader, into f: inout HostFacts) {
        if let online = reader.read("/sys/devices/system/cpu/online").flatMap({ CPUSet(cpulist: $0) }), !online.isEmpty {
            f.onlineCPUs = online
            f.onlineCPUsSource = "/sys/devices/system/cpu/online"
        } else if let n = reader.sysconfOnlineCPUs() {
            f.onlineCPUs = CPUSet(0..<n)
            f.onlineCPUsSource = "sysconf(_SC_NPROCESSORS_ONLN)"
        } else if let info = reader.read("/proc/cpuinfo") {
            let ids = info.split(separator: "\n").compactMap { line -> Int? in
                guard line.hasPrefix("processor") else { return nil }
                return line.split(separator: ":").last.flatMap { Int($0.trimmingWhitespace()) }
            }
            if !ids.isEmpty {
                f.onlineCPUs = CPUSet(ids)
                f.onlineCPUsSource = "/proc/cpuinfo"
            }
        }
        if let status = reader.read("/proc/self/status") {
            for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
                f.allowedCPUs = CPUSet(cpulist: String(line.dropFirst("Cpus_allowed_list:".count)))
            }
        }
        f.smtActive = reader.readInt("/sys/devices/system/cpu/smt/active").map { $0 != 0 }
        f.smtControl = reader.read("/sys/devices/system/cpu/smt/control")
        for cpu in f.onlineCPUs?.cpus ?? [] {
            if let s = reader.read("/sys/devices/system/cpu/cpu\(cpu)/topology/thread_siblings_list"),
               let set = CPUSet(cpulist: s) {
                f.threadSiblings[cpu] = set
            }
        }
        if let entries = reader.list("/sys/devices/system/node") {
            var nodes: [Int: CPUSet] = [:]
            for e in entries where e.hasPrefix("node") {
                guard let n = Int(e.dropFirst(4)),
                      let list = reader.read("/sys/devices/system/node/\(e)/cpulist").flatMap({ CPUSet(cpulist: $0) })
                else { continue }
                nodes[n] = list
            }
            f.numaNodes = nodes.isEmpty ? nil : nodes
        }
    }

    static func readFrequencyAndIdle(_ reader: HostReader, into f: inout HostFacts) {
        for cpu in f.onlineCPUs?.cpus ?? [] {
            if let g = reader.read("/sys/devices/system/cpu/cpu\(cpu)/cpufreq/scaling_governor") { f.governors[cpu] = g }
            let base = "/sys/devices/system/cpu/cpu\(cpu)/cpuidle"
            guard let entries = reader.list(base) else { continue }
            var states: [(Int, IdleState)] = []
            for e in entries where e.hasPrefix("state") {
                guard let k = Int(e.dropFirst(5)) else { continue }
                let name = reader.read("\(base)/\(e)/name") ?? e
                states.append((k, IdleState(name: name, latencyUs: reader.readInt("\(base)/\(e)/latency"),
                                            disabled: reader.readInt("\(base)/\(e)/disable") == 1)))
            }
            f.idleStates[cpu] = states.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if let b = reader.readInt("/sys/devices/system/cpu/cpufreq/boost") {
            f.boost = b != 0
            f.boostSource = "cpufreq/boost"
        } else if let t = reader.readInt("/sys/devices/system/cpu/intel_pstate/no_turbo") {
            f.boost = t == 0
            f.boostSource = "intel_pstate/no_turbo"
        } else if let cpu = f.onlineCPUs?.cpus.first,
                  let b = reader.readInt("/sys/devices/system/cpu/cpufreq/policy\(cpu)/boost") {
            f.boost = b != 0
            f.boostSource = "cpufreq/policy\(cpu)/boost"
        }
        f.cpuidleDriver = reader.read("/sys/devices/system/cpu/cpuidle/current_driver")
        f.cpuidleGovernor = reader.read("/sys/devices/system/cpu/cpuidle/current_governor_ro")
            ?? reader.read("/sys/devices/system/cpu/cpuidle/current_governor")
    }

    static func readIRQs(_ reader: HostReader, into f: inout HostFacts) {
        f.defaultIRQAffinity = reader.read("/proc/irq/default_smp_affinity").flatMap { CPUSet(hexMask: $0) }
        if let entries = reader.list("/proc/irq") {
            var names: [Int: String] = [:]
            if let table = reader.read("/proc/interrupts") {
                for line in table.split(separator: "\n") {
                    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    guard fields.count >= 2, fields[0].hasSuffix(":"), let n = Int(fields[0].dropLast()) else { continue }
                    if let last = fields.last, Int(last) == nil { names[n] = String(last) }
                }
            }
            f.irqs = entries.compactMap { e -> IRQ? in
                guard let n = Int(e) else { return nil }
                return IRQ(number: n, name: names[n],
                           affinity: reader.read("/proc/irq/\(e)/smp_affinity_list").flatMap { CPUSet(cpulist: $0) },
                           effectiveAffinity: reader.read("/proc/irq/\(e)/effective_affinity_list")
                               .flatMap { CPUSet(cpulist: $0) })
            }.sorted { $0.number < $1.number }
        }
        if let pids = reader.list("/proc") {
            let numeric = pids.filter { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
            f.irqbalanceRunning = numeric.contains { reader.read("/proc/\($0)/comm") == "irqbalance" }
        }
    }

    /// `Max locked memory  65536  65536  bytes` (or `unlimited`).
    static func parseMemlock(_ limits: String) -> ResourceLimit? {
        for line in limits.split(separator: "\n") where line.hasPrefix("Max locked memory") {
            let fields = line.dropFirst("Max locked memory".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2 else { return nil }
            func value(_ s: Substring) -> ResourceLimit.Value? {
                s == "unlimited" ? .unlimited : UInt64(s).map { .bytes($0) }
            }
            guard let soft = value(fields[0]), let hard = value(fields[1]) else { return nil }
            return ResourceLimit(soft: soft, hard: hard, source: "/proc/self/limits")
        }
        return nil
    }

    static func readDataDirectory(_ reader: HostReader, path: String) -> DataDirectory {
        var d = DataDirectory(path: path)
        if reader.isLive {
            var candidate = path
            var isDir: ObjCBool = false
            while !(FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir) && isDir.boolValue) {
                guard candidate != "/", !candidate.isEmpty else { break }
                candidate = parent(of: candidate)
            }
            d.existing = candidate
            d.filesystem = reader.liveFilesystemType(of: candidate)
        }
        // The mount holding the directory: the longest mount point that prefixes it.
        if let mounts = reader.read("/proc/self/mounts") ?? reader.read("/proc/mounts") {
            var best: (point: String, type: String, source: String, options: String)?
            for line in mounts.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 4 else { continue }
                let point = unescapeMountPath(String(fields[1]))
                let target = d.existing ?? path
                let covers = point == "/" || target == point || target.hasPrefix(point + "/")
                if covers && point.count >= (best?.point.count ?? -1) {
                    best = (point, String(fields[2]), String(fields[0]), String(fields[3]))
                }
            }
            if let best {
                d.mountPoint = best.point
                d.mountSource = best.source
                d.mountOptions = best.options
                if d.filesystem == nil || d.filesystem == "ext4" && best.type.hasPrefix("ext") {
                    d.filesystem = best.type
                }
            }
        }
        return d
    }

    static func absolute(_ path: String, in directory: String) -> String {
        var parts: [Substring] = []
        let full = path.hasPrefix("/") ? path : directory + "/" + path
        for c in full.split(separator: "/") {
            if c == "." || c.isEmpty { continue }
            if c == ".." { _ = parts.popLast() } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// `/proc/mounts` escapes space, tab, newline and backslash as octal (`\040`).
    static func unescapeMountPath(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var chars = Array(s)[...]
        while let c = chars.popFirst() {
            if c == "\\", chars.count >= 3, let code = UInt8(String(chars.prefix(3)), radix: 8) {
                out.append(Character(UnicodeScalar(code)))
                chars = chars.dropFirst(3)
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// `always [madvise] never` → `madvise`.
    static func bracketed(_ s: String) -> String? {
        guard let open = s.firstIndex(of: "["), let close = s[open...].firstIndex(of: "]") else {
            return s.isEmpty ? nil : s
        }
        return String(s[s.index(after: open)..<close])
    }
}
