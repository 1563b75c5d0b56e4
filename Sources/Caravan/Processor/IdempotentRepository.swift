import Synchronization

/// Where `idempotentConsumer` remembers the keys it has seen (Camel's
/// IdempotentRepository). Each key remembers the message that added it, so a redelivery
/// of that same message — after a crash, or a durable retry that starts over — is not
/// mistaken for its own duplicate.
public protocol IdempotentRepository: Sendable {
    /// Adds `key` for message `owner`; false when another message added it first.
    func add(_ key: String, owner: String) async throws(ProcessingError) -> Bool
    /// Whether another message than `owner` added `key`.
    func contains(_ key: String, owner: String) async throws(ProcessingError) -> Bool
    func remove(_ key: String) async throws(ProcessingError)
}

/// Finds repositories by the name a route gives (`idempotentRepository: orders`).
public protocol IdempotentRepositories: Sendable {
    func repository(named name: String) -> any IdempotentRepository
}

/// Camel's `MemoryIdempotentRepository`: keys in memory, the oldest forgotten beyond
/// `capacity` (Camel's default cache size is 1000). For route tests and `direct:` use;
/// the server keeps keys in PostgreSQL.
public final class MemoryIdempotentRepository: IdempotentRepository {
    private struct State {
        var owners: [String: String] = [:]
        var order: [String] = []
        var head = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 1000) { self.capacity = capacity }

    public func add(_ key: String, owner: String) async throws(ProcessingError) -> Bool {
        state.withLock { s in
            if let existing = s.owners[key] { return existing == owner }
            s.owners[key] = owner
            s.order.append(key)
            while s.owners.count > capacity, s.head < s.order.count {
                s.owners.removeValue(forKey: s.order[s.head])
                s.head += 1
            }
            if s.head > 1024, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
            return true
        }
    }

    public func contains(_ key: String, owner: String) async throws(ProcessingError) -> Bool {
        state.withLock { s in s.owners[key].map { $0 != owner } ?? false }
    }

    public func remove(_ key: String) async throws(ProcessingError) {
        _ = state.withLock { $0.owners.removeValue(forKey: key) }
    }
}

/// One ``MemoryIdempotentRepository`` per name, for the engine's life.
public final class MemoryIdempotentRepositories: IdempotentRepositories {
    private let repositories = ByName { MemoryIdempotentRepository() }

    public init() {}

    public func repository(named name: String) -> any IdempotentRepository {
        repositories[name]
    }
}

/// One value per name, made on first use and kept: the memory repositories of an engine.
final class ByName<Value: Sendable>: Sendable {
    private let values = Mutex<[String: Value]>([:])
    private let make: @Sendable () -> Value

    init(_ make: @escaping @Sendable () -> Value) { self.make = make }

    subscript(name: String) -> Value {
        values.withLock { v in
            if let existing = v[name] { return existing }
            let made = make()
            v[name] = made
            return made
        }
    }
}
