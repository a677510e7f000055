import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads files of `/proc` and `/sys` under a root prefix: `/` for this host, a fixture tree in
/// tests. Every read returns nil when the file is missing or unreadable: a host that lacks a
/// file (a VM without cpufreq, an old kernel without a sysctl) is reported as "unknown", never
/// as an error.
///
/// Calls that cannot be redirected to a tree (`sysconf`, `getrlimit`, `statfs`) are made only
/// when `isLive` (root `/`); under a fixture the same facts come from files
/// (`proc/self/limits`, `proc/self/mounts`).
public struct HostReader: Sendable {
    /// The root prefix without a trailing slash (`""` for `/`).
    public let prefix: String
    public let root: String

    public init(root: String = "/") {
        self.root = root
        var p = root
        while p.hasSuffix("/") { p.removeLast() }
        self.prefix = p
    }

    /// True when reading this machine (root `/`), so syscalls describe the same host as the files.
    public var isLive: Bool { prefix.isEmpty }

    public func path(_ absolute: String) -> String { prefix + absolute }

    /// The file's text, trimmed; nil when missing or unreadable.
    public func read(_ absolute: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path(absolute)) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingWhitespace()
    }

    public func readInt(_ absolute: String) -> Int? {
        read(absolute).flatMap { Int($0) }
    }

    /// Directory entries, sorted; nil when the directory is missing.
    public func list(_ absolute: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: path(absolute)))?.sorted()
    }

    /// A sysctl by its dotted name (`net.core.rmem_max` → `/proc/sys/net/core/rmem_max`).
    public func sysctl(_ name: String) -> String? {
        read("/proc/sys/" + name.replacingOccurrences(of: ".", with: "/"))
    }

    // MARK: Live-only calls

    /// `sysconf(_SC_NPROCESSORS_ONLN)`; nil unless live.
    public func sysconfOnlineCPUs() -> Int? {
        guard isLive else { return nil }
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? n : nil
    }

    /// `getrlimit(RLIMIT_MEMLOCK)` of this process; nil unless live.
    public func liveMemlockLimit() -> ResourceLimit? {
        guard isLive else { return nil }
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0 else { return nil }
        // RLIM_INFINITY is (rlim_t)-1, which does not import.
        func value(_ v: rlim_t) -> ResourceLimit.Value { v == rlim_t.max ? .unlimited : .bytes(UInt64(v)) }
        return ResourceLimit(soft: value(limit.rlim_cur), hard: value(limit.rlim_max), source: "getrlimit")
    }

    /// `statfs(2)`'s filesystem type of `path`, by name; nil unless live or when the call fails.
    ///
    /// `<sys/statfs.h>` is not part of SwiftGlibc, so the function is looked up with `dlsym`
    /// and called through a C function pointer; `f_type` is the first member of
    /// `struct statfs` (a `long` on x86_64 and aarch64; the struct is 120 bytes there).
    public func liveFilesystemType(of path: String) -> String? {
        guard isLive, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "statfs") else { return nil }
        typealias Statfs = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32
        let call = unsafeBitCast(symbol, to: Statfs.self)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 512)
        guard call(path, buffer) == 0 else { return nil }
        let magic = UInt64(UInt32(truncatingIfNeeded: buffer.load(as: Int.self)))
        return Self.filesystemNames[magic] ?? "0x" + String(magic, radix: 16)
    }

    /// `f_type` magic numbers (linux/magic.h) of the filesystems worth naming.
    static let filesystemNames: [UInt64: String] = [
        0xEF53: "ext4",  // ext2/ext3/ext4 share the magic
        0x5846_5342: "xfs",
        0x9123_683E: "btrfs",
        0x2FC1_2FC1: "zfs",
        0xF2F5_2010: "f2fs",
        0x0102_1994: "tmpfs",
        0x8584_58F6: "ramfs",
        0x794C_7630: "overlay",
        0x6969: "nfs",
        0xFF53_4D42: "cifs",
        0xFE53_4D42: "smb2",
        0x6573_5546: "fuse",
        0x0102_1997: "9p",
        0x7366_746E: "nilfs",
        0x7371_7368: "squashfs",
        0x6A65_6A65: "ecryptfs",
        0x0000_4D44: "vfat",
    ]
}
