import Foundation
import Testing
@testable import TicklineControl

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify datagrams on a real AF_UNIX socket standing in for systemd's.
@Suite struct SystemdNotifierTests {
    @Test func readyWatchdogAndStoppingReachTheNotifySocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-notify-\(getpid()).sock").path
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { dst in for (i, b) in path.utf8.enumerated() { dst[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"])
        #expect(notifier.isActive && notifier.watchdogIntervalMs == 30_000)
        notifier.ready()
        notifier.watchdog()
        notifier.stopping()
        var received: [String] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        for _ in 0..<3 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.append(String(decoding: buffer[..<n], as: UTF8.self)) }
        }
        #expect(received == ["READY=1\nSTATUS=trading", "WATCHDOG=1", "STOPPING=1\nSTATUS=draining and flushing the journal"])
    }

    @Test func withoutNotifySocketNothingIsSent() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isActive && notifier.watchdogIntervalMs == nil)
        #expect(notifier.send("READY=1") == false)
    }
}
