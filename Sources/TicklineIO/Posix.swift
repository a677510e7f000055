import CTicklineShims

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the operation and its errno. Would-block is not an error (see
/// `IOResult`).
public struct IOError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: StaticString
    public var errno: Int32

    public static func == (a: IOError, b: IOError) -> Bool {
        a.errno == b.errno && a.operation.description == b.operation.description
    }

    public var description: String { "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The result of a non-blocking call: done with a count, or try again later.
public enum IOResult: Equatable, Sendable {
    case processed(Int)
    case wouldBlock
}

/// Every socket system call the I/O layer makes, wrapped once (swift-nio's `Posix` pattern):
/// `EINTR` is retried, would-block becomes `.wouldBlock`, other failures throw `IOError`.
public enum Posix {
    @inline(__always)
    static func retrying(_ operation: StaticString, _ call: () -> Int) throws(IOError) -> IOResult {
        while true {
            let rc = call()
            if rc >= 0 { return .processed(rc) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK || e == EINPROGRESS { return .wouldBlock }
            throw IOError(operation: operation, errno: e)
        }
    }

    /// A non-blocking TCP socket with TCP_NODELAY (latency over batching, as every hop here).
    public static func tcpSocket(family: Int32) throws(IOError) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    /// Starts a connect; `.wouldBlock` means in progress (poll `connectResult`).
    public static func connect(_ fd: Int32, _ address: SocketAddress) throws(IOError) -> IOResult {
        try retrying("connect") {
            address.withSockaddr { Int(Glibc.connect(fd, $0, $1)) }
        }
    }

    /// The outcome of an in-progress connect: nil while still in progress, else 0 or an errno.
    /// Reading it clears the socket's pending error: call until non-nil, then keep the answer.
    public static func connectResult(_ fd: Int32) -> Int32? {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return nil }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }

    public static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(IOError) -> IOResult {
        try retrying("send") { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// `.processed(0)` is end of stream (the peer closed).
    public static func receive(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> IOResult {
        try retrying("recv") { Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) }
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

/// An IPv4 or IPv6 socket address, resolved once at start-up or reconnect (never on the hot path).
public struct SocketAddress: Sendable, Equatable {
    var storage: [UInt8]
    public let family: Int32
    public let port: UInt16

    public static func == (a: SocketAddress, b: SocketAddress) -> Bool { a.storage == b.storage }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        storage.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
    }

    /// Resolves `host` with getaddrinfo (blocking: call it off the hot path). IPv4 first.
    public static func resolve(host: String, port: UInt16) throws(IOError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else { throw IOError(operation: "getaddrinfo", errno: rc) }
        defer { freeaddrinfo(first) }
        var out: [SocketAddress] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let a = p {
            let bytes = UnsafeRawBufferPointer(start: a.pointee.ai_addr, count: Int(a.pointee.ai_addrlen))
            out.append(SocketAddress(storage: Array(bytes), family: a.pointee.ai_family, port: port))
            p = a.pointee.ai_next
        }
        return out.sorted { $0.family == AF_INET && $1.family != AF_INET }
    }
}
