/// A set of CPU numbers, read from and printed as a kernel cpulist (`0-3,8,10-11`).
///
/// The kernel writes CPU sets in two forms: cpulists (`/sys/devices/system/cpu/online`,
/// `isolcpus=` on the command line, `/proc/irq/N/smp_affinity_list`) and hexadecimal masks in
/// comma-separated 32-bit groups (`/proc/irq/default_smp_affinity`: `00000000,000000ff`).
public struct CPUSet: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Sorted, without duplicates.
    public private(set) var cpus: [Int]

    public init<S: Sequence>(_ cpus: S) where S.Element == Int {
        self.cpus = Array(Set(cpus)).sorted()
    }

    public static let empty = CPUSet([])

    public var count: Int { cpus.count }
    public var isEmpty: Bool { cpus.isEmpty }
    public func contains(_ cpu: Int) -> Bool { cpus.contains(cpu) }
    public func union(_ other: CPUSet) -> CPUSet { CPUSet(cpus + other.cpus) }
    public func intersection(_ other: CPUSet) -> CPUSet { CPUSet(cpus.filter(other.contains)) }
    public func subtracting(_ other: CPUSet) -> CPUSet { CPUSet(cpus.filter { !other.contains($0) }) }
    public func isSubset(of other: CPUSet) -> Bool { cpus.allSatisfy(other.contains) }

    /// The cpulist spelling; `none` for the empty set.
    public var description: String { isEmpty ? "none" : cpulist }

    /// The cpulist spelling (`0-3,8`); empty for the empty set.
    public var cpulist: String {
        var parts: [String] = []
        var i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count && cpus[j + 1] == cpus[j] + 1 { j += 1 }
            parts.append(i == j ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Parses a cpulist: `0-3,8`, the group form `0-15:2/4` (the first 2 CPUs of every group of
    /// 4) and `N` for the last CPU (`lastCPU`, when known). An empty string is the empty set;
    /// nil for anything else the kernel would refuse.
    public init?(cpulist text: String, lastCPU: Int? = nil) {
        let trimmed = text.trimmingWhitespace()
        var result: [Int] = []
        if trimmed.isEmpty {
            self.init(result)
            return
        }
        func number(_ s: Substring) -> Int? {
            if s == "N" { return lastCPU }
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(s)
        }
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let rangeAndGroup = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let bounds = rangeAndGroup[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = number(bounds[0]) else { return nil }
            let high: Int
            if bounds.count == 2 {
                guard let h = number(bounds[1]), h >= low else { return nil }
                high = h
            } else {
                high = low
            }
            guard high - low < 1 << 16 else { return nil }
            var used = 1, group = 1
            if rangeAndGroup.count == 2 {
                let g = rangeAndGroup[1].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                guard g.count == 2, let u = number(g[0]), let s = number(g[1]), u >= 1, s >= 1, u <= s else { return nil }
                used = u
                group = s
            }
            var cpu = low
            while cpu <= high {
                if (cpu - low) % group < used { result.append(cpu) }
                cpu += 1
            }
        }
        self.init(result)
    }

    /// Parses a hexadecimal CPU mask in 32-bit groups (`00000000,0000000f` is CPUs 0-3).
    public init?(hexMask text: String) {
        let digits = text.trimmingWhitespace().filter { $0 != "," }
        guard !digits.isEmpty else { return nil }
        var result: [Int] = []
        for (index, ch) in digits.reversed().enumerated() {
            guard let nibble = ch.hexDigitValue else { return nil }
            for bit in 0..<4 where nibble & (1 << bit) != 0 { result.append(index * 4 + bit) }
        }
        self.init(result)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines (no Foundation needed).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
