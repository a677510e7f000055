/// The kernel command line (`/proc/cmdline`), with the CPU-isolation parameters parsed.
///
/// Reference: the kernel's `Documentation/admin-guide/kernel-parameters.txt` (`isolcpus=`,
/// `nohz_full=`, `rcu_nocbs=`, `irqaffinity=`, `processor.max_cstate=`, `intel_idle.max_cstate=`,
/// `idle=`). Everything after a bare `--` belongs to init and is ignored.
public struct KernelCommandLine: Equatable, Sendable {
    public var text: String
    /// `name` or `name=value` in order; a parameter given twice keeps the last value, as the kernel does.
    public var parameters: [(name: String, value: String?)]

    public init(_ text: String) {
        self.text = text.trimmingWhitespace()
        var parameters: [(name: String, value: String?)] = []
        for token in self.text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            if token == "--" { break }
            if let eq = token.firstIndex(of: "=") {
                parameters.append((String(token[..<eq]), String(token[token.index(after: eq)...])))
            } else {
                parameters.append((String(token), nil))
            }
        }
        self.parameters = parameters
    }

    public static func == (a: KernelCommandLine, b: KernelCommandLine) -> Bool { a.text == b.text }

    /// The value of the last `name=value`; nil when absent.
    public func value(_ name: String) -> String? {
        parameters.last { $0.name == name }?.value
    }

    public func has(_ name: String) -> Bool { parameters.contains { $0.name == name } }

    /// `isolcpus=[flag,…,]cpulist`: flags `nohz`, `domain` (the default when none is given),
    /// `managed_irq`. Nil when absent or unparsable.
    public func isolcpus(lastCPU: Int?) -> (cpus: CPUSet, flags: [String])? {
        guard let raw = value("isolcpus") else { return nil }
        let knownFlags: Set<Substring> = ["nohz", "domain", "managed_irq"]
        var flags: [String] = []
        var rest: [Substring] = []
        for part in raw.split(separator: ",") {
            if rest.isEmpty && knownFlags.contains(part) { flags.append(String(part)) } else { rest.append(part) }
        }
        guard let cpus = CPUSet(cpulist: rest.joined(separator: ","), lastCPU: lastCPU) else { return nil }
        return (cpus, flags)
    }

    /// A cpulist parameter (`nohz_full`, `rcu_nocbs`, `irqaffinity`). Nil when absent or unparsable.
    public func cpus(_ name: String, lastCPU: Int?) -> CPUSet? {
        guard let raw = value(name) else { return nil }
        return CPUSet(cpulist: raw, lastCPU: lastCPU)
    }
}
