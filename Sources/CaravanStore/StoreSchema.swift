/// The PostgreSQL schema Caravan's tables live in: a validated identifier, so it can be
/// spliced into SQL (identifiers cannot be bind parameters).
public struct StoreSchema: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    /// `name` must be a lowercase SQL identifier: `[a-z_][a-z0-9_]*`, at most 63 bytes.
    public init(_ name: String) throws(StoreError) {
        let valid =
            !name.isEmpty && name.utf8.count <= 63
            && name.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
            }
            && !(name.utf8.first! >= 0x30 && name.utf8.first! <= 0x39)
        guard valid else {
            throw StoreError.configuration(
                "the schema name '\(name)' is not a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)"
            )
        }
        self.name = name
    }

    public static let `default` = try! StoreSchema("caravan")

    public var description: String { name }

    /// `schema.table`, quoted.
    func table(_ table: String) -> String { "\"\(name)\".\"\(table)\"" }

    /// A 64-bit advisory lock key for `purpose` in this schema (FNV-1a), so two schemas in
    /// one database never block each other.
    func lockKey(_ purpose: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "caravan:\(name):\(purpose)".utf8 {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}

/// What the store reports: the database is unreachable, a query failed, the
/// configuration is wrong, or an operator asked for something that cannot be done.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The database cannot be reached (the HTTP layer answers 503).
    case unavailable(String)
    case query(String)
    case configuration(String)
    /// A refused operator action, with the reason (replaying a message that is not dead).
    case refused(String)
    /// What an operator asked for does not exist (an unknown message id or token).
    case notFound(String)

    public var description: String {
        switch self {
        case .unavailable(let m): "the database is unavailable: \(m)"
        case .query(let m): "a database query failed: \(m)"
        case .configuration(let m): m
        case .refused(let m), .notFound(let m): m
        }
    }
}
