import Foundation

/// `sd_notify(3)` without libsystemd: datagrams to `$NOTIFY_SOCKET` (a path, or `@name` in the
/// abstract namespace). Under `Type=notify` the engine says `READY=1` once the data plane runs and
/// the API listens, `WATCHDOG=1` while its stage threads make progress (so a stalled data plane
/// stops the keep-alives and systemd restarts the service after `WatchdogSec`), and `STOPPING=1`
/// at shutdown. Without `NOTIFY_SOCKET` (not under systemd) every call does nothing.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?
    /// `$WATCHDOG_USEC` in ms when systemd expects keep-alives.
    public let watchdogIntervalMs: Int64?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        watchdogIntervalMs = path == nil ? nil : environment["WATCHDOG_USEC"].flatMap { Int64($0) }.map { $0 / 1000 }
    }

    public var isActive: Bool { socketPath != nil }

    public func ready() { send("READY=1\nSTATUS=trading") }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping() { send("STOPPING=1\nSTATUS=draining and flushing the journal") }

    /// Sends one notification; false when there is no socket or the send failed.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { dst in
            for (i, b) in path.enumerated() { dst[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        var bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, &bytes, bytes.count, Int32(MSG_NOSIGNAL), sa, length)
            }
        }
        return sent == bytes.count
    }
}
