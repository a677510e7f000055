import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Testing
import TicklineTestSupport

@testable import TicklineControl

#if canImport(Glibc)
import Glibc
#endif

/// JWT authentication of the control plane: `TokenAuthority`, `JWTSecret` and
/// `TokenAuthMiddleware` (over real HTTP on 127.0.0.1).
@Suite struct AuthTests {
    /// The secret of every fixture below (37 bytes).
    static let secretText = "tickline-test-secret-0123456789abcdef"
    /// 2026-01-01T00:00:00Z: the fixtures' `iat`; they expire a week later.
    static let issuedAt: Int64 = 1_767_225_600
    static let week: Int64 = 7 * 24 * 3600

    /// Tokens made by PyJWT 2.15.1, an independent implementation:
    /// `/tmp/jwtvenv/bin/python Tests/TicklineControlTests/Scripts/make_jwt_fixtures.py`
    /// (the script says how to install PyJWT; its output is pasted here unchanged).
    enum PyJWT {
        /// `{"sub":"alice","account":3,"role":"trader","iat":1767225600,"exp":1767830400}`
        static let trader =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImFjY291bnQiOjMsInJvbGUiOiJ0cmFkZXIiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzgzMDQwMH0.tD2NFz5b4uqv2TJKPPeGkwebiPh2zDOK-prDTb7cjPc"
        /// `{"sub":"carol","role":"viewer",…}`
        static let viewer =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYXJvbCIsInJvbGUiOiJ2aWV3ZXIiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzgzMDQwMH0.sZb-57gmUpgnqjhdkTsw3U9hU1qjKMtoYg9JYq6mlio"
        /// `{"sub":"root","role":"admin",…}`
        static let admin =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyb290Iiwicm9sZSI6ImFkbWluIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3Njc4MzA0MDB9.vFvill5t2O5zP-smHRujVDZZh6e7N4uEMlFE2UywW0o"
        /// `{"sub":"alice","role":"trader","iat":1766620800,"exp":1767225600}`: expired at `issuedAt`.
        static let expired =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJ0cmFkZXIiLCJpYXQiOjE3NjY2MjA4MDAsImV4cCI6MTc2NzIyNTYwMH0.aquTipXDqpMYrzClsC7zxfO0ZfJgW5XoDqg9TWnsq5E"
        /// Admin claims signed with another secret.
        static let wrongSecret =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3ODMwNDAwfQ.5Y-oyFTsmuA48Q2kI-pRUSpBFiAv4h9JtLVmRpMOF1g"
        /// Admin claims, HS512 with the right secret: right key, wrong algorithm.
        static let hs512 =
            "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3ODMwNDAwfQ.2RPo4gMUACGI7ZziNq2akr7jsdLuhXwNBEMLEHGpCK8yoHZAeA9h65HhTZHGMiK1z9tQ418rGDrh4EK5acqHJw"
        /// Admin claims, `alg: none`, empty signature.
        static let algNone =
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3ODMwNDAwfQ."
    }

    /// Built by hand, signed with OpenSSL (no JWT library involved):
    /// ```
    /// h=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | basenc -w0 --base64url | tr -d '=')
    /// p=$(printf '%s' '{"sub":"bob","role":"admin","iat":1767225600,"exp":1767830400}' | basenc -w0 --base64url | tr -d '=')
    /// s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac 'tickline-test-secret-0123456789abcdef' -binary \
    ///     | basenc -w0 --base64url | tr -d '=')
    /// echo "$h.$p.$s"
    /// ```
    static let opensslAdmin =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJib2IiLCJyb2xlIjoiYWRtaW4iLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzgzMDQwMH0.I521A0XXertH_yC9KbkpDxY1G_crmNwQwbgCjCmL5-k"

    /// Admin claims for "mallory" under a header that does not say HS256, yet with a *valid*
    /// HMAC-SHA256 over header and payload: only the header check can refuse these (jwt-kit's HMAC
    /// key verifies whatever the header says). Built like `opensslAdmin`, with the header
    /// `{"alg":"none","typ":"JWT"}`, `{"alg":"HS512","typ":"JWT"}` and `{"typ":"JWT"}`, payload
    /// `{"sub":"mallory","role":"admin","iat":1767225600,"exp":1767830400}`.
    static let opensslMislabelled = [
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJtYWxsb3J5Iiwicm9sZSI6ImFkbWluIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3Njc4MzA0MDB9._Kn_dvL39GgvJ7_tAx2bbgW40Jy395Dr28Sk8m2EQoM",
        "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJtYWxsb3J5Iiwicm9sZSI6ImFkbWluIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3Njc4MzA0MDB9.zopwr-PvznGCni57OhYjmRCFDnzuZUAbajDLd9hdlx0",
        "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJtYWxsb3J5Iiwicm9sZSI6ImFkbWluIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3Njc4MzA0MDB9.T5fs6e2TEBT3TlKbQv9puceP5nD2ztIytbAeU0A2pyI",
    ]

    static func secret(_ text: String = secretText) throws -> JWTSecret {
        try JWTSecret(bytes: Array(text.utf8), source: "test")
    }

    /// An authority whose clock stands at `now`.
    static func authority(now: Int64 = issuedAt + 3600, secret text: String = secretText) async throws -> TokenAuthority {
        await TokenAuthority(secret: try secret(text), nowSeconds: { now })
    }

    static func expectRefused(
        _ token: String, as expected: AuthError, by authority: TokenAuthority,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            let identity = try await authority.verify(token)
            Issue.record("accepted \(token) as \(identity)", sourceLocation: sourceLocation)
        } catch {
            #expect(error == expected, "\(token)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Token helpers (test-side base64url, independent of the code under test)

    static func base64URL(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: Substring) -> String {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return String(decoding: Data(base64Encoded: s)!, as: UTF8.self)
    }

    static func parts(_ token: String) -> [Substring] { token.split(separator: ".", omittingEmptySubsequences: false) }

    /// `token` with its header (or payload) JSON replaced, the other parts kept.
    static func replacing(header: String? = nil, payload: String? = nil, signature: String? = nil, in token: String) -> String {
        let p = parts(token)
        return [
            header.map { base64URL(Array($0.utf8)) } ?? String(p[0]),
            payload.map { base64URL(Array($0.utf8)) } ?? String(p[1]),
            signature ?? String(p[2]),
        ].joined(separator: ".")
    }

    /// The same token with one signature character changed (still valid base64url).
    static func flippingSignature(_ token: String) -> String {
        var p = parts(token)
        var sig = Array(p[2])
        sig[4] = sig[4] == "A" ? "B" : "A"
        p[2] = Substring(String(sig))
        return p.joined(separator: ".")
    }

    // MARK: Issue and verify

    @Test func roundTripCarriesTheClaims() async throws {
        let authority = try await Self.authority(now: Self.issuedAt)
        let token = try await authority.issue(user: "alice", role: .trader, account: 3)
        #expect(try await authority.verify(token) == Identity(user: "alice", role: .trader, account: 3))

        let unbound = try await authority.issue(user: "bob", role: .admin)
        #expect(try await authority.verify(unbound) == Identity(user: "bob", role: .admin, account: nil))

        // Wire shape: HS256 header; integer iat/exp exactly 7 days apart; no account key when unbound.
        let header = Self.base64URLDecode(Self.parts(token)[0])
        #expect(header.contains(#""alg":"HS256""#))
        let payload = Self.base64URLDecode(Self.parts(token)[1])
        #expect(payload.contains(#""sub":"alice""#) && payload.contains(#""role":"trader""#))
        #expect(payload.contains(#""account":3"#))
        #expect(payload.contains(#""iat":1767225600"#) && payload.contains(#""exp":1767830400"#))
        #expect(!Self.base64URLDecode(Self.parts(unbound)[1]).contains("account"))
    }

    @Test func rolesAreOrdered() {
        #expect(Role.viewer < .trader && Role.trader < .admin)
        #expect(Role.allCases.sorted() == [.viewer, .trader, .admin])
        #expect(AuthError.forbidden(requires: .trader).message == "Forbidden: requires trader role")
        #expect(Identity(user: "a", role: .viewer, account: 2).canAccess(account: 2))
        #expect(!Identity(user: "a", role: .admin, account: 2).canAccess(account: 3))
        #expect(Identity(user: "a", role: .viewer, account: nil).canAccess(account: 3))
    }

    @Test func acceptsIndependentlyMadeTokens() async throws {
        let authority = try await Self.authority()
        #expect(try await authority.verify(PyJWT.trader) == Identity(user: "alice", role: .trader, account: 3))
        #expect(try await authority.verify(PyJWT.viewer) == Identity(user: "carol", role: .viewer, account: nil))
        #expect(try await authority.verify(Self.opensslAdmin) == Identity(user: "bob", role: .admin, account: nil))
    }

    @Test func expiryIsCheckedBeforeTheSignature() async throws {
        // A token is good up to the second before exp (RFC 7519 §4.1.4).
        let lastSecond = try await Self.authority(now: Self.issuedAt + Self.week - 1)
        #expect(try await lastSecond.verify(PyJWT.trader).user == "alice")
        let atExpiry = try await Self.authority(now: Self.issuedAt + Self.week)
        await Self.expectRefused(PyJWT.trader, as: .tokenExpired, by: atExpiry)

        // Our own tokens expire after exactly 7 days.
        let issuer = try await Self.authority(now: Self.issuedAt)
        let token = try await issuer.issue(user: "alice", role: .viewer)
        await Self.expectRefused(token, as: .tokenExpired, by: atExpiry)

        // Expired with a good signature, a tampered one, garbage, none, or the wrong key: all "expired".
        let now = try await Self.authority()
        await Self.expectRefused(PyJWT.expired, as: .tokenExpired, by: now)
        await Self.expectRefused(Self.flippingSignature(PyJWT.expired), as: .tokenExpired, by: now)
        await Self.expectRefused(Self.replacing(signature: "!!not-base64!!", in: PyJWT.expired), as: .tokenExpired, by: now)
        await Self.expectRefused(Self.replacing(signature: "", in: PyJWT.expired), as: .tokenExpired, by: now)
        let otherKey = try await Self.authority(now: Self.issuedAt, secret: "another-secret-of-at-least-32-bytes!!")
        let otherKeyToken = try await otherKey.issue(user: "x", role: .admin)
        await Self.expectRefused(otherKeyToken, as: .tokenExpired, by: atExpiry)
    }

    @Test func refusesAnyAlgorithmButHS256() async throws {
        let authority = try await Self.authority()
        await Self.expectRefused(PyJWT.algNone, as: .invalidToken, by: authority)
        await Self.expectRefused(PyJWT.hs512, as: .invalidToken, by: authority)
        for token in Self.opensslMislabelled { await Self.expectRefused(token, as: .invalidToken, by: authority) }
        // A good HS256 token relabelled: with its valid signature kept, and with it dropped.
        for alg in ["none", "None", "NONE", "HS512", "hs256", "RS256"] {
            let header = #"{"alg":"\#(alg)","typ":"JWT"}"#
            await Self.expectRefused(Self.replacing(header: header, in: PyJWT.trader), as: .invalidToken, by: authority)
            await Self.expectRefused(
                Self.replacing(header: header, signature: "", in: PyJWT.trader), as: .invalidToken, by: authority)
        }
        await Self.expectRefused(Self.replacing(header: #"{"typ":"JWT"}"#, in: PyJWT.trader), as: .invalidToken, by: authority)
    }

    @Test func refusesATamperedPayload() async throws {
        let authority = try await Self.authority()
        let payload = Self.base64URLDecode(Self.parts(PyJWT.viewer)[1])
        let promoted = payload.replacingOccurrences(of: #""viewer""#, with: #""admin""#)
        #expect(promoted != payload)
        await Self.expectRefused(Self.replacing(payload: promoted, in: PyJWT.viewer), as: .invalidToken, by: authority)
        let rebound = Self.base64URLDecode(Self.parts(PyJWT.trader)[1]).replacingOccurrences(
            of: #""account":3"#, with: #""account":4"#)
        await Self.expectRefused(Self.replacing(payload: rebound, in: PyJWT.trader), as: .invalidToken, by: authority)
        // Extended expiry (and still a week left): the signature, not the clock, refuses it.
        let extended = Self.base64URLDecode(Self.parts(PyJWT.expired)[1]).replacingOccurrences(
            of: "1767225600", with: "1767830400")
        await Self.expectRefused(Self.replacing(payload: extended, in: PyJWT.expired), as: .invalidToken, by: authority)
        await Self.expectRefused(Self.flippingSignature(PyJWT.trader), as: .invalidToken, by: authority)
    }

    @Test func refusesAnotherSecret() async throws {
        let authority = try await Self.authority()
        await Self.expectRefused(PyJWT.wrongSecret, as: .invalidToken, by: authority)
        let other = try await Self.authority(secret: "another-secret-of-at-least-32-bytes!!")
        await Self.expectRefused(try await other.issue(user: "mallory", role: .admin), as: .invalidToken, by: authority)
        await Self.expectRefused(PyJWT.trader, as: .invalidToken, by: other)
    }

    @Test func refusesMalformedTokens() async throws {
        let authority = try await Self.authority()
        let p = Self.parts(PyJWT.trader)
        let malformed = [
            "", ".", "..", "...", "abc", "a.b", "a.b.c", "a.b.c.d", "not.a.jwt",
            "\(p[0]).\(p[1])",  // no signature part
            "\(p[0]).\(p[1]).\(p[2]).\(p[2])",
            "\(p[0])==.\(p[1]).\(p[2])",  // padding is not base64url
            "\(p[0]).\(p[1])x.\(p[2])",  // 1 mod 4 characters
            "\(p[0]).\(p[1].replacingOccurrences(of: "e", with: "+")).\(p[2])",
            " \(PyJWT.trader)", "\(PyJWT.trader) ",
            String(repeating: "A", count: 10_000) + ".\(p[1]).\(p[2])",
            "Bearer \(PyJWT.trader)",
        ]
        for token in malformed { await Self.expectRefused(token, as: .invalidToken, by: authority) }

        // Well-formed JWTs whose claims are not ours: JSON that is not an object, missing or
        // unknown role, empty user, account out of range, exp not a number.
        let claims = [
            "[]", "{}", "null", "not json",
            #"{"sub":"a","iat":1767225600,"exp":1767830400}"#,
            #"{"sub":"a","role":"superuser","iat":1767225600,"exp":1767830400}"#,
            #"{"sub":"","role":"admin","iat":1767225600,"exp":1767830400}"#,
            #"{"sub":"a","role":"admin","account":70000,"iat":1767225600,"exp":1767830400}"#,
            #"{"sub":"a","role":"admin","account":-1,"iat":1767225600,"exp":1767830400}"#,
            #"{"sub":"a","role":"admin","iat":1767225600,"exp":"tomorrow"}"#,
            #"{"sub":"a","role":"admin","iat":1767225600}"#,
        ]
        for payload in claims {
            await Self.expectRefused(Self.replacing(payload: payload, in: PyJWT.trader), as: .invalidToken, by: authority)
        }
        await Self.expectRefused(Self.replacing(header: "not json", in: PyJWT.trader), as: .invalidToken, by: authority)
    }

    // MARK: Secret loading

    /// A fresh directory under /tmp, removed when `body` returns.
    static func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let dir = "/tmp/tickline-auth-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    static func write(_ text: String, to path: String, mode: Int) throws {
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @Test func secretFromTheEnvironment() async throws {
        let secret = try JWTSecret.fromEnvironment("TICKLINE_JWT_SECRET", environment: ["TICKLINE_JWT_SECRET": Self.secretText])
        #expect(secret.bytes == Array(Self.secretText.utf8))
        let named = try JWTSecret.load(file: nil, environmentVariable: "MY_SECRET", environment: ["MY_SECRET": Self.secretText])
        #expect(named.bytes == secret.bytes)

        #expect(throws: JWTSecretError.variableNotSet(variable: "TICKLINE_JWT_SECRET")) {
            try JWTSecret.fromEnvironment(environment: [:])
        }
        #expect(throws: JWTSecretError.variableNotSet(variable: "TICKLINE_JWT_SECRET")) {
            try JWTSecret.fromEnvironment(environment: ["TICKLINE_JWT_SECRET": ""])
        }
        let short = String(Self.secretText.prefix(31))
        #expect(throws: JWTSecretError.tooShort(source: "environment variable TICKLINE_JWT_SECRET", lengthBytes: 31)) {
            try JWTSecret.fromEnvironment(environment: ["TICKLINE_JWT_SECRET": short])
        }
        #expect(try JWTSecret.fromEnvironment(environment: ["TICKLINE_JWT_SECRET": String(Self.secretText.prefix(32))]).bytes.count == 32)

        // The real process environment (a variable no one else uses).
        setenv("TICKLINE_AUTHTESTS_SECRET", Self.secretText, 1)
        defer { unsetenv("TICKLINE_AUTHTESTS_SECRET") }
        #expect(try JWTSecret.fromEnvironment("TICKLINE_AUTHTESTS_SECRET").bytes == secret.bytes)

        // Messages and printing never show the secret.
        let error = JWTSecretError.tooShort(source: "environment variable X", lengthBytes: 31)
        #expect(error.description.contains("at least 32"))
        var dumped = ""
        dump(secret, to: &dumped)
        for shown in ["\(secret)", String(reflecting: secret), dumped] {
            #expect(!shown.contains(Self.secretText) && !shown.contains("0123456789"), "\(shown)")
        }
    }

    @Test func secretFromAFile() async throws {
        try Self.withTemporaryDirectory { dir in
            // 0600 and 0400 are fine; a trailing line break (echo "$secret" > file) is not part of it.
            let ok = dir + "/jwt-secret"
            try Self.write(Self.secretText + "\n", to: ok, mode: 0o600)
            #expect(try JWTSecret.fromFile(ok).bytes == Array(Self.secretText.utf8))
            #expect(try JWTSecret.load(file: ok, environment: ["TICKLINE_JWT_SECRET": "ignored-when-a-file-is-given-0123456789"]).bytes
                == Array(Self.secretText.utf8))
            try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: ok)
            #expect(try JWTSecret.fromFile(ok).source == "secret file \(ok)")

            // Group or others may read it (or anything else): refused, naming the mode.
            for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
                let open = dir + "/open-\(String(mode, radix: 8))"
                try Self.write(Self.secretText, to: open, mode: mode)
                #expect(throws: JWTSecretError.fileTooOpen(path: open, mode: UInt32(mode))) { try JWTSecret.fromFile(open) }
            }
            let message = JWTSecretError.fileTooOpen(path: dir + "/s", mode: 0o644).description
            #expect(message.contains("0644") && message.contains("chmod 600"))

            let short = dir + "/short"
            try Self.write("too-short-secret\n", to: short, mode: 0o600)
            #expect(throws: JWTSecretError.tooShort(source: "secret file \(short)", lengthBytes: 16)) {
                try JWTSecret.fromFile(short)
            }
            #expect(throws: JWTSecretError.fileNotFound(path: dir + "/absent")) { try JWTSecret.fromFile(dir + "/absent") }
            #expect(throws: JWTSecretError.notARegularFile(path: dir)) { try JWTSecret.fromFile(dir) }
        }
    }

    // MARK: Live server

    /// The control plane's shape in miniature: a public /health, /api/v1 behind the middleware with a
    /// viewer route and a trader route, and a WebSocket route; one router serves both HTTP and
    /// WebSocket upgrades.
    static func makeRouter(authority: TokenAuthority) -> Router<ControlRequestContext> {
        let router = Router(context: ControlRequestContext.self)
        router.get("health") { _, _ in "ok" }
        let api = router.group("api/v1").add(middleware: TokenAuthMiddleware(authority: authority))
        api.get("status") { _, context -> String in
            let identity = try context.requireRole(.viewer)
            return "status for \(identity.user)"
        }
        api.post("trading/enable") { _, context -> String in
            let identity = try context.requireRole(.trader)
            return "enabled by \(identity.user)"
        }
        api.ws("events") { _, outbound, context in
            let user = context.requestContext.identity?.user ?? "?"
            try await outbound.write(.text("hello \(user)"))
        }
        return router
    }

    /// Runs the application on 127.0.0.1, port 0, for the duration of `body(port)`.
    static func withLiveServer(authority: TokenAuthority, _ body: @Sendable (Int) async throws -> Void) async throws {
        let router = makeRouter(authority: authority)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "AuthTests")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(port)
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    struct Answer {
        var status: Int
        var contentType: String?
        var body: String
    }

    @Test(.timeLimit(.minutes(1))) func liveServerOverHTTP() async throws {
        let authority = try await Self.authority()
        let ownViewer = try await authority.issue(user: "dave", role: .viewer, account: 1)
        let ownTrader = try await authority.issue(user: "erin", role: .trader)
        let past = try await Self.authority(now: Self.issuedAt - Self.week)
        let ownExpired = try await past.issue(user: "frank", role: .admin)

        try await Self.withLiveServer(authority: authority) { port in
            try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(5))) { client in
                func get(_ uri: String, _ headers: HTTPFields = [:]) async throws -> Answer {
                    let r = try await client.get(uri, headers: headers)
                    return Answer(
                        status: Int(r.status.code), contentType: r.headers[.contentType],
                        body: r.body.map { String(buffer: $0) } ?? "")
                }
                func post(_ uri: String, _ headers: HTTPFields = [:]) async throws -> Answer {
                    let r = try await client.post(uri, headers: headers, body: ByteBuffer())
                    return Answer(
                        status: Int(r.status.code), contentType: r.headers[.contentType],
                        body: r.body.map { String(buffer: $0) } ?? "")
                }
                func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
                func expect401(_ answer: Answer, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
                    #expect(answer.status == 401, sourceLocation: sourceLocation)
                    #expect(answer.contentType == "application/json", sourceLocation: sourceLocation)
                    #expect(answer.body == #"{"error":"\#(message)"}"#, sourceLocation: sourceLocation)
                }

                // Public route: no token needed.
                #expect(try await get("/health").status == 200)

                // 401s, on both the viewer and the trader route.
                for route in ["/api/v1/status", "/api/v1/trading/enable"] {
                    let send = route.hasSuffix("status") ? get : post
                    expect401(try await send(route, [:]), "Missing token")
                    expect401(try await send(route, [.authorization: "Basic YWxpY2U6c2VjcmV0"]), "Missing token")
                    expect401(try await send(route, [.authorization: "Bearer "]), "Missing token")
                    expect401(try await send(route, bearer("not-a-token")), "Invalid token")
                    expect401(try await send(route, bearer("a.b.c")), "Invalid token")
                    expect401(try await send(route, bearer(Self.flippingSignature(PyJWT.trader))), "Invalid token")
                    let promoted = Self.base64URLDecode(Self.parts(PyJWT.viewer)[1]).replacingOccurrences(
                        of: "viewer", with: "admin")
                    expect401(try await send(route, bearer(Self.replacing(payload: promoted, in: PyJWT.viewer))), "Invalid token")
                    expect401(try await send(route, bearer(PyJWT.wrongSecret)), "Invalid token")
                    expect401(try await send(route, bearer(PyJWT.algNone)), "Invalid token")
                    expect401(try await send(route, bearer(PyJWT.hs512)), "Invalid token")
                    expect401(try await send(route, bearer(Self.opensslMislabelled[0])), "Invalid token")
                    expect401(try await send(route, bearer(PyJWT.expired)), "Token has expired")
                    expect401(try await send(route, bearer(Self.flippingSignature(PyJWT.expired))), "Token has expired")
                    expect401(try await send(route, bearer(ownExpired)), "Token has expired")
                }
                let missing = try await client.get("/api/v1/status")
                #expect(missing.headers[.wwwAuthenticate] == "Bearer")

                // 403: a viewer on the trader route.
                for token in [PyJWT.viewer, ownViewer] {
                    let answer = try await post("/api/v1/trading/enable", bearer(token))
                    #expect(answer.status == 403)
                    #expect(answer.contentType == "application/json")
                    #expect(answer.body == #"{"error":"Forbidden: requires trader role"}"#)
                }

                // 200s: every role on the viewer route, trader and admin on the trader route.
                #expect(try await get("/api/v1/status", bearer(PyJWT.viewer)).body == "status for carol")
                #expect(try await get("/api/v1/status", bearer(ownViewer)).body == "status for dave")
                #expect(try await get("/api/v1/status", bearer(Self.opensslAdmin)).body == "status for bob")
                #expect(try await get("/api/v1/status", [.authorization: "bearer  \(PyJWT.trader) "]).body == "status for alice")
                #expect(try await post("/api/v1/trading/enable", bearer(PyJWT.trader)).body == "enabled by alice")
                #expect(try await post("/api/v1/trading/enable", bearer(ownTrader)).body == "enabled by erin")
                let asAdmin = try await post("/api/v1/trading/enable", bearer(PyJWT.admin))
                #expect(asAdmin.status == 200 && asAdmin.body == "enabled by root")

                // The query parameter is not read for ordinary requests (URLs get logged).
                expect401(try await get("/api/v1/status?token=\(PyJWT.viewer)"), "Missing token")
            }
        }
    }

    /// WebSocket handshakes on a raw socket: the `token` query parameter is read for an upgrade, and
    /// a refused token refuses the upgrade. hummingbird-websocket 2.8 answers every refused upgrade
    /// with a bare `400 Bad Request` (`HTTP1WebSocketUpgradeChannel.writeFailedUpgrade`), not with
    /// the middleware's response, so the 401 JSON is checked on the same route without `Upgrade`.
    @Test(.timeLimit(.minutes(1))) func liveServerWebSocketUpgrade() async throws {
        let authority = try await Self.authority()
        try await Self.withLiveServer(authority: authority) { port in
            let accepted = try await onOwnThread {
                try RawHTTP.exchange(port: port, request: RawHTTP.upgrade("/api/v1/events?token=\(PyJWT.viewer)"))
            }
            #expect(accepted.hasPrefix("HTTP/1.1 101"), "\(accepted)")

            let viaHeader = try await onOwnThread {
                try RawHTTP.exchange(port: port, request: RawHTTP.upgrade("/api/v1/events",
                                                                         extra: "Authorization: Bearer \(PyJWT.trader)\r\n"))
            }
            #expect(viaHeader.hasPrefix("HTTP/1.1 101"), "\(viaHeader)")

            for (token, message) in [
                (nil, "Missing token"), ("a.b.c", "Invalid token"), (PyJWT.algNone, "Invalid token"),
                (PyJWT.wrongSecret, "Invalid token"), (PyJWT.expired, "Token has expired"),
            ] {
                let query = token.map { "?token=\($0)" } ?? ""
                let refused = try await onOwnThread {
                    try RawHTTP.exchange(port: port, request: RawHTTP.upgrade("/api/v1/events" + query))
                }
                #expect(refused.hasPrefix("HTTP/1.1 400"), "\(refused)")

                let request = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n"
                let plain = try await onOwnThread { try RawHTTP.exchange(port: port, request: request) }
                #expect(plain.hasPrefix("HTTP/1.1 401"), "\(plain)")
                #expect(plain.lowercased().contains("content-type: application/json"), "\(plain)")
                #expect(plain.hasSuffix(#"{"error":"\#(message)"}"#), "\(plain)")
            }
        }
    }
}

/// Just enough HTTP/1.1 over a blocking loopback socket to see a WebSocket handshake's answer.
enum RawHTTP {
    static func upgrade(_ uri: String, extra: String = "") -> String {
        "GET \(uri) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
    }

    struct Failure: Error { let what: String }

    /// Sends `request`, returns the response head and (per Content-Length) body; a 101 returns at
    /// the end of its head.
    static func exchange(port: Int, request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(what: "socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(what: "connect") }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw Failure(what: "send") }

        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = headEnd(received) {
                let head = String(decoding: received[..<end], as: UTF8.self)
                if head.hasPrefix("HTTP/1.1 101") { return head }
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count >= end + length { return String(decoding: received[..<(end + length)], as: UTF8.self) }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(what: "recv after \(received.count) bytes: \(String(decoding: received, as: UTF8.self))") }
            received += chunk[0..<n]
        }
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
