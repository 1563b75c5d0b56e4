import Crypto
import Foundation
import Logging
import PostgresNIO

/// What a token may do on the management listener.
public enum Role: String, Sendable, CaseIterable, Comparable {
    /// Read: routes, messages, dead letters, operations, the audit log; metrics.
    case viewer
    /// Also replay, edit, discard, bulk operations.
    case `operator`
    /// Also tokens.
    case admin

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A token as the store keeps it (never its secret).
public struct ApiToken: Sendable, Equatable {
    public var name: String
    public var role: Role
    public var createdAt: Date
    public var createdBy: String
    public var revokedAt: Date?

    public init(
        name: String, role: Role, createdAt: Date, createdBy: String, revokedAt: Date? = nil
    ) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
    }
}

/// The admin API's bearer tokens: `caravan tokens create|list|revoke` and the API's token
/// endpoints. A secret is 32 random bytes, shown once; the store keeps its SHA-256 only.
/// (A fast hash is right for a secret of 256 random bits: there is nothing to guess, so
/// nothing for a slow hash to slow down; and the lookup by hash never compares secrets.)
public struct ApiTokens: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.tokens")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    var table: String { schema.table("api_tokens") }

    /// Secrets start with this, so a leaked one is recognisable (secret scanners).
    public static let secretPrefix = "cvn_"

    /// Creates token `name` with `role`; returns its secret (the only time it is known).
    public func create(name: String, role: Role, by actor: Operator) async throws(StoreError)
        -> String
    {
        guard !name.isEmpty, name.count <= 100,
            name.unicodeScalars.allSatisfy({
                $0.properties.isAlphabetic || "0123456789-_.@".unicodeScalars.contains($0)
            })
        else {
            throw StoreError.refused(
                "a token name is 1 to 100 letters, digits, '-', '_', '.' or '@': '\(name)' is not")
        }
        let secret = Self.secretPrefix + ConsoleSessions.randomSecret()
        var b = PostgresBindings()
        b.append(name)
        b.append(role.rawValue)
        b.append(ByteBuffer(bytes: Self.hash(secret)))
        b.append(actor.name)
        b.append(actor.via.rawValue)
        let sql = """
            WITH created AS (
                INSERT INTO \(table) (name, role, secret_sha256, created_by)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (name) DO NOTHING RETURNING name
            ), logged AS (
                INSERT INTO \(schema.table("audit_log")) (actor, via, action, target, count)
                SELECT $4, $5, 'create token', jsonb_build_object('token', name, 'role', $2::text), 1
                FROM created
            )
            SELECT count(*)::int FROM created
            """
        let created = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await n in rows.decode(Int.self) { return n }
            return 0
        }
        guard created == 1 else {
            throw StoreError.refused(
                "a token named '\(name)' exists already: revoke it first, or choose another name")
        }
        OperatorMetrics.action("create_token", via: actor.via)
        return secret
    }

    public func list() async throws(StoreError) -> [ApiToken] {
        let sql = """
            SELECT name, role, created_at, created_by, revoked_at FROM \(table) ORDER BY name
            """
        return try await statements.run { [self] in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            var tokens: [ApiToken] = []
            for try await (name, role, created, by, revoked) in rows.decode(
                (String, String, Date, String, Date?).self)
            {
                tokens.append(
                    ApiToken(
                        name: name, role: Role(rawValue: role) ?? .viewer, createdAt: created,
                        createdBy: by, revokedAt: revoked))
            }
            return tokens
        }
    }

    /// Revokes token `name` (kept, marked revoked: the audit log still names it).
    public func revoke(name: String, by actor: Operator) async throws(StoreError) {
        var b = PostgresBindings()
        b.append(name)
        b.append(actor.name)
        b.append(actor.via.rawValue)
        let sql = """
            WITH revoked AS (
                UPDATE \(table) SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL
                RETURNING name
            ), logged AS (
                INSERT INTO \(schema.table("audit_log")) (actor, via, action, target, count)
                SELECT $2, $3, 'revoke token', jsonb_build_object('token', name), 1 FROM revoked
            )
            SELECT count(*)::int FROM revoked
            """
        let revoked = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await n in rows.decode(Int.self) { return n }
            return 0
        }
        guard revoked == 1 else {
            throw StoreError.notFound("no token named '\(name)' that is not revoked already")
        }
        OperatorMetrics.action("revoke_token", via: actor.via)
    }

    /// The token whose secret this is, unless revoked; nil for any other string.
    public func authenticate(secret: String) async throws(StoreError) -> ApiToken? {
        guard secret.hasPrefix(Self.secretPrefix), secret.utf8.count < 200 else { return nil }
        var b = PostgresBindings()
        b.append(ByteBuffer(bytes: Self.hash(secret)))
        let sql = """
            SELECT name, role, created_at, created_by FROM \(table)
            WHERE secret_sha256 = $1 AND revoked_at IS NULL
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await (name, role, created, by) in rows.decode(
                (String, String, Date, String).self)
            {
                guard let role = Role(rawValue: role) else { return nil }
                return ApiToken(name: name, role: role, createdAt: created, createdBy: by)
            }
            return nil
        }
    }

    static func hash(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Array(secret.utf8))) }
}
