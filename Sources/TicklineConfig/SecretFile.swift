#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file that holds a secret (API credentials, the JWT secret): a regular file (a symlink to
/// one is fine) readable by its owner only (`mode & 0o077 == 0`), at most `limit` bytes. The file is
/// opened first and the open descriptor checked (`fstat`), so the file checked is the file read.
public enum SecretFile {
    public enum Failure: Error, Equatable, Sendable {
        case notFound
        case unreadable(reason: String)
        case notARegularFile
        case tooOpen(mode: UInt32)
        case tooLarge
    }

    public static func read(_ path: String, limit: Int = 64 << 10) throws(Failure) -> [UInt8] {
        var fd: Int32
        repeat {
            // O_NONBLOCK: opening a FIFO must not hang start-up (it fails the regular-file check instead).
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        } while fd < 0 && errno == EINTR
        if fd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .notFound }
            throw .unreadable(reason: String(cString: strerror(e)))
        }
        defer { close(fd) }

        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .unreadable(reason: String(cString: strerror(errno))) }
        let mode = UInt32(st.st_mode)
        guard mode & 0o170000 == 0o100000 else { throw .notARegularFile }
        guard mode & 0o077 == 0 else { throw .tooOpen(mode: mode & 0o7777) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(reason: String(cString: strerror(errno)))
            }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
            guard bytes.count <= limit else { throw .tooLarge }
        }
    }
}
