import ArgumentParser
import TicklineControl

/// `tickline token --user NAME`: prints a control-plane API token (JWT, HS256, valid 7 days) signed
/// with the same secret the control plane verifies with. Nothing is recorded: tokens are stateless,
/// so the way to revoke them all is a new secret.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a control-plane API token (JWT HS256, valid 7 days).",
        discussion: """
            The secret comes from --secret-file if given (a file with mode 0600 or 0400), otherwise \
            from the environment variable named by --secret-env; it must be at least 32 bytes \
            (openssl rand -hex 32). Send the token as "Authorization: Bearer <token>", or for a \
            WebSocket as the token query parameter. A missing or unusable secret is exit status 2.
            """)

    @Option(help: "User name (the token's sub claim).")
    var user: String

    @Option(help: "Bind the token to this account id: its holder sees only that account.")
    var account: UInt16?

    @Option(help: "viewer (read only), trader (also enable/disable trading, close positions) or admin.")
    var role = "viewer"

    @Option(name: .customLong("secret-env"), help: "Environment variable holding the JWT secret.")
    var secretEnv = JWTSecret.defaultEnvironmentVariable

    @Option(name: .customLong("secret-file"), help: "File holding the JWT secret (mode 0600); overrides --secret-env.")
    var secretFile: String?

    func validate() throws {
        guard !user.isEmpty else { throw ValidationError("--user must not be empty") }
        guard user.unicodeScalars.allSatisfy({ !$0.properties.generalCategory.isControl }) else {
            throw ValidationError("--user must not contain control characters")
        }
        guard Role(rawValue: role) != nil else { throw ValidationError("--role must be viewer, trader or admin") }
    }

    func run() async throws {
        let secret: JWTSecret
        do {
            secret = try JWTSecret.load(file: secretFile, environmentVariable: secretEnv)
        } catch {
            fail(error.description)
        }
        let authority = await TokenAuthority(secret: secret)
        // validate() has checked the role.
        let token = try await authority.issue(user: user, role: Role(rawValue: role)!, account: account)
        print(token)
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isControl: Bool {
        switch self {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}
