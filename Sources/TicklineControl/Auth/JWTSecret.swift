import TicklineConfig

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The HS256 key that signs and verifies control-plane tokens, loaded once at start-up.
///
/// From an environment variable (default `TICKLINE_JWT_SECRET`) or from a file that grants nothing
/// to group or others (mode 0600 or 0400); either way at least 32 bytes (RFC 7518 §3.2: an HS256
/// key must be at least as long as the hash). Generate one with `openssl rand -hex 32`.
///
/// Printing never shows the secret: `description`, `debugDescription` and the mirror (`dump`,
/// logging metadata) show only where it came from and its length. Error messages name the variable
/// or file, never the value.
public struct JWTSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let minimumLengthBytes = 32
    public static let defaultEnvironmentVariable = "TICKLINE_JWT_SECRET"
    /// Larger secret files are refused (a secret is a line, not a document).
    static let maximumFileBytes = 64 << 10

    let bytes: [UInt8]
    /// Where the secret came from, e.g. "environment variable TICKLINE_JWT_SECRET".
    public let source: String

    /// A secret from bytes in hand (tests, other loaders); refuses fewer than 32 bytes.
    public init(bytes: [UInt8], source: String) throws(JWTSecretError) {
        guard bytes.count >= Self.minimumLengthBytes else {
            throw .tooShort(source: source, lengthBytes: bytes.count)
        }
        self.bytes = bytes
        self.source = source
    }

    /// The file if one is given, otherwise the environment variable.
    public static func load(
        file: String?, environmentVariable: String = defaultEnvironmentVariable,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(JWTSecretError) -> JWTSecret {
        if let file { return try fromFile(file) }
        return try fromEnvironment(environmentVariable, environment: environment)
    }

    /// The variable's value, byte for byte; unset or empty is `variableNotSet`.
    public static func fromEnvironment(
        _ variable: String = defaultEnvironmentVariable,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(JWTSecretError) -> JWTSecret {
        guard let value = environment[variable], !value.isEmpty else { throw .variableNotSet(variable: variable) }
        return try JWTSecret(bytes: Array(value.utf8), source: "environment variable \(variable)")
    }

    /// The file's bytes without trailing line breaks (`echo "$s" > file` adds one), read by
    /// `SecretFile` (an owner-only regular file, checked on the open descriptor).
    public static func fromFile(_ path: String) throws(JWTSecretError) -> JWTSecret {
        var bytes: [UInt8]
        do {
            bytes = try SecretFile.read(path, limit: maximumFileBytes)
        } catch {
            switch error {
            case .notFound: throw .fileNotFound(path: path)
            case .unreadable(let reason): throw .fileUnreadable(path: path, reason: reason)
            case .notARegularFile: throw .notARegularFile(path: path)
            case .tooOpen(let mode): throw .fileTooOpen(path: path, mode: mode)
            case .tooLarge: throw .fileUnreadable(path: path, reason: "larger than 64 KiB")
            }
        }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        return try JWTSecret(bytes: bytes, source: "secret file \(path)")
    }

    public var description: String { "JWTSecret(\(bytes.count) bytes from \(source), <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["source": source, "bytes": "<redacted>"], displayStyle: .struct)
    }
}

/// Why the JWT secret could not be loaded: a start-up error. Messages name the variable or file,
/// never the secret.
public enum JWTSecretError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The environment variable is unset or empty.
    case variableNotSet(variable: String)
    case fileNotFound(path: String)
    case fileUnreadable(path: String, reason: String)
    case notARegularFile(path: String)
    /// The file's permission bits (`mode & 0o7777`) let the group or others in.
    case fileTooOpen(path: String, mode: UInt32)
    case tooShort(source: String, lengthBytes: Int)

    public var description: String {
        switch self {
        case .variableNotSet(let v):
            return "JWT secret missing: environment variable \(v) is not set (or is empty); set it to at least "
                + "\(JWTSecret.minimumLengthBytes) random bytes (openssl rand -hex 32) or give a secret file with mode 0600"
        case .fileNotFound(let p):
            return "JWT secret file \(p) does not exist"
        case .fileUnreadable(let p, let reason):
            return "cannot read JWT secret file \(p): \(reason)"
        case .notARegularFile(let p):
            return "JWT secret file \(p) is not a regular file"
        case .fileTooOpen(let p, let mode):
            let octal = String(mode, radix: 8)
            let padded = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            return "JWT secret file \(p) has mode \(padded): group or others may read it; it must be 0600 (chmod 600 \(p))"
        case .tooShort(let source, let length):
            return "JWT secret from \(source) is \(length) bytes; at least \(JWTSecret.minimumLengthBytes) are required "
                + "(openssl rand -hex 32)"
        }
    }
}
