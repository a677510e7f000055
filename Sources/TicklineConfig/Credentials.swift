import Foundation
import TOMLKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An account's API key and secret, loaded once at start-up by
/// `AccountConfig.loadCredentials(environment:)` and handed to the venue client that signs with it.
///
/// Printing never shows the secret, and shows at most the first four characters of the key (none
/// for keys shorter than eight): `description`, `debugDescription` and the mirror (`dump`, logging
/// metadata) all redact, so `"\(credentials)"` is safe in a log line.
public struct APICredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let apiKey: String
    public let secret: String

    public init(apiKey: String, secret: String) {
        self.apiKey = apiKey
        self.secret = secret
    }

    /// The simulator's demo account (`tickline sim` without `--config`).
    static let simulatorDemo = APICredentials(apiKey: "demo-key", secret: "demo-secret")

    /// At most the first 4 characters of the key, then an ellipsis.
    var redactedKey: String { (apiKey.count >= 8 ? String(apiKey.prefix(4)) : "") + "…" }

    public var description: String { "APICredentials(key: \(redactedKey), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["apiKey": redactedKey, "secret": "<redacted>"], displayStyle: .struct)
    }
}

/// Why an account's credentials could not be loaded. The messages name the account and where the
/// credentials were looked for, never a credential.
public enum CredentialsError: Error, Equatable, CustomStringConvertible {
    /// The environment variable is unset or empty.
    case variableNotSet(account: String, variable: String)
    case fileNotFound(account: String, path: String)
    case fileUnreadable(account: String, path: String, reason: String)
    case notARegularFile(account: String, path: String)
    /// The file's permission bits (`mode & 0o7777`) let the group or others in.
    case fileTooOpen(account: String, path: String, mode: UInt32)
    case fileMalformed(account: String, path: String, reason: String)
    /// The key or secret (from `source`, e.g. "environment variable X") has whitespace, control or
    /// non-ASCII characters: a stray newline would otherwise end up in an HTTP header.
    case invalidCharacters(account: String, what: String, source: String)

    public var description: String {
        switch self {
        case .variableNotSet(let a, let v):
            return "account \"\(a)\": environment variable \(v) is not set (or is empty)"
        case .fileNotFound(let a, let p):
            return "account \"\(a)\": credentials file \(p) does not exist"
        case .fileUnreadable(let a, let p, let reason):
            return "account \"\(a)\": cannot read credentials file \(p): \(reason)"
        case .notARegularFile(let a, let p):
            return "account \"\(a)\": credentials file \(p) is not a regular file"
        case .fileTooOpen(let a, let p, let mode):
            let octal = String(mode, radix: 8)
            let padded = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            return "account \"\(a)\": credentials file \(p) has mode \(padded); "
                + "it must be 0600 (chmod 600 \(Self.shellQuoted(p)))"
        case .fileMalformed(let a, let p, let reason):
            return "account \"\(a)\": credentials file \(p): \(reason); expected two lines, "
                + "api_key = \"…\" and secret = \"…\""
        case .invalidCharacters(let a, let what, let source):
            return "account \"\(a)\": the \(what) from \(source) contains whitespace, control or non-ASCII characters"
        }
    }

    static func shellQuoted(_ s: String) -> String {
        let plain = s.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || "/._-+,:@%".utf8.contains(c)
        }
        return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension AccountConfig {
    /// Reads the account's API key and secret from where `credentials` says.
    ///
    /// - `.environment`: both variables must be set and non-empty. Only for the built-in `paper`
    ///   account (`fallsBackToDemoCredentials`), both being unset or empty gives the simulator's
    ///   demo credentials (`demo-key` / `demo-secret`); one without the other is still an error.
    /// - `.file`: the file must exist, be a regular file (a symlink to one is fine), grant nothing
    ///   to group or others (`mode & 0o077 == 0`: 0600 or 0400), and be TOML with exactly two
    ///   string keys, `api_key = "…"` and `secret = "…"`.
    ///
    /// Either way the values must be printable ASCII without spaces. Call it once at start-up, off
    /// the data plane: it reads a file.
    public func loadCredentials(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CredentialsError) -> APICredentials
    {
        let credentials: APICredentials
        switch self.credentials {
        case .environment(let keyVariable, let secretVariable):
            let key = environment[keyVariable].flatMap { $0.isEmpty ? nil : $0 }
            let secret = environment[secretVariable].flatMap { $0.isEmpty ? nil : $0 }
            switch (key, secret) {
            case (let k?, let s?):
                credentials = APICredentials(apiKey: k, secret: s)
            case (nil, nil) where fallsBackToDemoCredentials:
                return .simulatorDemo
            case (nil, _):
                throw .variableNotSet(account: name, variable: keyVariable)
            case (_, nil):
                throw .variableNotSet(account: name, variable: secretVariable)
            }
            try check(credentials.apiKey, what: "API key", source: "environment variable \(keyVariable)")
            try check(credentials.secret, what: "secret", source: "environment variable \(secretVariable)")
        case .file(let path):
            credentials = try Self.readCredentialsFile(path, account: name)
            try check(credentials.apiKey, what: "API key", source: "credentials file \(path)")
            try check(credentials.secret, what: "secret", source: "credentials file \(path)")
        }
        return credentials
    }

    private func check(_ value: String, what: String, source: String) throws(CredentialsError) {
        guard value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .invalidCharacters(account: name, what: what, source: source)
        }
    }

    /// An owner-only TOML file with `api_key` and `secret` (`SecretFile`).
    private static func readCredentialsFile(_ path: String, account: String) throws(CredentialsError) -> APICredentials {
        let bytes: [UInt8]
        do {
            bytes = try SecretFile.read(path)
        } catch {
            switch error {
            case .notFound: throw .fileNotFound(account: account, path: path)
            case .unreadable(let reason): throw .fileUnreadable(account: account, path: path, reason: reason)
            case .notARegularFile: throw .notARegularFile(account: account, path: path)
            case .tooOpen(let mode): throw .fileTooOpen(account: account, path: path, mode: mode)
            case .tooLarge: throw .fileMalformed(account: account, path: path, reason: "larger than 64 KiB")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .fileMalformed(account: account, path: path, reason: "not UTF-8 text")
        }

        // No TOML error text is passed on: it may quote part of the line, i.e. of a secret.
        let doc: TOMLDocument
        do {
            doc = try TOMLDocument(text: text, file: path)
        } catch {
            let at = error.line.map { " (line \($0))" } ?? ""
            throw .fileMalformed(account: account, path: path, reason: "not valid TOML\(at)")
        }
        guard Set(doc.root.keys).isSubset(of: ["api_key", "secret"]) else {
            throw .fileMalformed(account: account, path: path, reason: "only the keys api_key and secret are allowed")
        }
        func value(_ key: String) throws(CredentialsError) -> String {
            guard let v = doc.root[key] else { throw .fileMalformed(account: account, path: path, reason: "\(key) is missing") }
            guard let s = v.string, !s.isEmpty else {
                throw .fileMalformed(account: account, path: path, reason: "\(key) must be a non-empty string")
            }
            return s
        }
        return APICredentials(apiKey: try value("api_key"), secret: try value("secret"))
    }
}
