import Crypto
import Foundation
import Logging
import PostgresNIO

/// A signed-in console session: who (the token), and the CSRF token its forms carry.
public struct ConsoleSession: Sendable {
    public var token: ApiToken
    public var csrf: String
}

/// The console's sessions. Signing in with a token gives a random session id (the
/// cookie, never stored — only its SHA-256), valid for ``lifetime`` and only while the
/// token is not revoked.
public struct ConsoleSessions: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    public var lifetime: Duration = .seconds(8 * 3600)
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.console")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    /// 32 random bytes, URL-safe base64 (session ids, and the body of token secrets).
    static func randomSecret() -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Starts a session for `token`; returns the session id for the cookie.
    public func start(for token: ApiToken) async throws(StoreError) -> String {
        let id = Self.randomSecret()
        var b = PostgresBindings()
        b.append(ByteBuffer(bytes: Array(SHA256.hash(data: Array(id.utf8)))))
        b.append(token.name)
        b.append(Self.randomSecret())
        b.append(lifetime.milliseconds)
        let sql = """
            WITH expired AS (
                DELETE FROM \(schema.table("console_sessions")) WHERE expires_at < now()
            )
            INSERT INTO \(schema.table("console_sessions")) (id_sha256, token, csrf, expires_at)
            VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
            """
        _ = try await statements.run { [self, b] in
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
        }
        return id
    }

    /// The session of cookie value `id`, when it is valid and its token not revoked.
    public func find(_ id: String) async throws(StoreError) -> ConsoleSession? {
        guard (20...100).contains(id.utf8.count) else { return nil }
        var b = PostgresBindings()
        b.append(ByteBuffer(bytes: Array(SHA256.hash(data: Array(id.utf8)))))
        let sql = """
            SELECT t.name, t.role, t.created_at, t.created_by, s.csrf
            FROM \(schema.table("console_sessions")) s JOIN \(schema.table("api_tokens")) t ON t.name = s.token
            WHERE s.id_sha256 = $1 AND s.expires_at > now() AND t.revoked_at IS NULL
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await (name, role, created, by, csrf) in rows.decode(
                (String, String, Date, String, String).self)
            {
                guard let role = Role(rawValue: role) else { return nil }
                return ConsoleSession(
                    token: ApiToken(name: name, role: role, createdAt: created, createdBy: by),
                    csrf: csrf)
            }
            return nil
        }
    }

    /// Ends the session of cookie value `id`.
    public func end(_ id: String) async throws(StoreError) {
        var b = PostgresBindings()
        b.append(ByteBuffer(bytes: Array(SHA256.hash(data: Array(id.utf8)))))
        let sql = "DELETE FROM \(schema.table("console_sessions")) WHERE id_sha256 = $1"
        _ = try await statements.run { [self, b] in
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
        }
    }
}
