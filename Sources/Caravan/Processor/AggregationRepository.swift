import Synchronization

/// A group of an `aggregate` step, as its repository keeps it.
public struct AggregationGroup: Sendable {
    /// The members in arrival order.
    public var members: [Exchange]
    /// True when the message adding to it had completed it before (it is redelivered, after
    /// a crash, and the group is still waiting for its confirmation).
    public var completedByThisOwner: Bool

    public init(members: [Exchange], completedByThisOwner: Bool = false) {
        self.members = members
        self.completedByThisOwner = completedByThisOwner
    }
}

/// A group a repository holds that needs its steps run without a message to run them:
/// its completion timeout passed (or will, in `remaining`) while no node watched it, or
/// a timeout completed it and its steps never confirmed.
public struct PendingAggregation: Sendable {
    public var key: String
    public var members: [Exchange]
    /// Time left before its completion timeout (zero: overdue).
    public var remaining: Duration
    /// The timeout owner that completed it, when it is completed.
    public var completedBy: String?

    public init(key: String, members: [Exchange], remaining: Duration, completedBy: String?) {
        self.key = key
        self.members = members
        self.remaining = remaining
        self.completedBy = completedBy
    }
}

/// Where an `aggregate` step keeps its groups (Camel's AggregationRepository). The server
/// keeps them in PostgreSQL, so that the messages of an open group survive a restart,
/// a crash or a hot reload; route tests keep them in memory.
///
/// A group is open until it completes; completing moves it aside (a new message with the
/// same key starts a new group) until its aggregate went through the steps and the
/// completer confirms it. Owners are message ids: adding is idempotent per owner, so a
/// redelivered message is not counted twice.
public protocol AggregationRepository: Sendable {
    /// Adds `exchange` from message `owner` to the open group `key`, (re)starting its
    /// completion timeout, and returns the group; or, when `owner` completed a group of
    /// this key that is not confirmed yet, that group.
    func add(_ exchange: Exchange, key: String, owner: String, timeout: Duration?)
        async throws(ProcessingError) -> AggregationGroup
    /// Completes the open group `key` for `owner` if it still has `size` members; false
    /// when it changed meanwhile (a member came, or another completer was first).
    func complete(key: String, size: Int, by owner: String) async throws(ProcessingError) -> Bool
    /// Forgets the group `key` that `owner` completed: its aggregate went through.
    func confirm(key: String, completedBy owner: String) async throws(ProcessingError)
    /// Open groups with a completion timeout, and groups completed by a timeout (an owner
    /// starting with `timeout:`) and never confirmed: what a starting node takes over.
    func pending() async throws(ProcessingError) -> [PendingAggregation]
    /// Every open group (`completionInterval`, `completionOnNewCorrelationGroup`).
    func openGroups() async throws(ProcessingError) -> [AggregationGroupSnapshot]
}

/// An open group as it stands: its key and members.
public struct AggregationGroupSnapshot: Sendable {
    public var key: String
    public var members: [Exchange]

    public init(key: String, members: [Exchange]) {
        self.key = key
        self.members = members
    }
}

/// Finds an aggregate step's repository by its name.
public protocol AggregationRepositories: Sendable {
    func repository(named name: String) -> any AggregationRepository
}

/// Groups in memory, for route tests and engines without a store.
public final class MemoryAggregationRepository: AggregationRepository {
    private struct State {
        var open: [String: [(owner: String, exchange: Exchange)]] = [:]
        var completed: [String: [Exchange]] = [:]  // "key\u{0}owner"
    }
    private let state = Mutex(State())

    public init() {}

    public func add(_ exchange: Exchange, key: String, owner: String, timeout: Duration?)
        async throws(ProcessingError) -> AggregationGroup
    {
        state.withLock { s in
            if let done = s.completed["\(key)\u{0}\(owner)"] {
                return AggregationGroup(members: done, completedByThisOwner: true)
            }
            var members = s.open[key] ?? []
            if !members.contains(where: { $0.owner == owner }) {
                members.append((owner, exchange))
            }
            s.open[key] = members
            return AggregationGroup(members: members.map(\.exchange))
        }
    }

    public func complete(key: String, size: Int, by owner: String) async throws(ProcessingError)
        -> Bool
    {
        state.withLock { s in
            guard let members = s.open[key], members.count == size else { return false }
            s.open[key] = nil
            s.completed["\(key)\u{0}\(owner)"] = members.map(\.exchange)
            return true
        }
    }

    public func confirm(key: String, completedBy owner: String) async throws(ProcessingError) {
        _ = state.withLock { $0.completed.removeValue(forKey: "\(key)\u{0}\(owner)") }
    }

    /// In memory nothing outlives the process: nothing is pending at start.
    public func pending() async throws(ProcessingError) -> [PendingAggregation] { [] }

    public func openGroups() async throws(ProcessingError) -> [AggregationGroupSnapshot] {
        state.withLock { s in
            s.open.sorted { $0.key < $1.key }.map {
                AggregationGroupSnapshot(key: $0.key, members: $0.value.map(\.exchange))
            }
        }
    }
}

/// One ``MemoryAggregationRepository`` per name, for the engine's life.
public final class MemoryAggregationRepositories: AggregationRepositories {
    private let repositories = ByName { MemoryAggregationRepository() }

    public init() {}

    public func repository(named name: String) -> any AggregationRepository {
        repositories[name]
    }
}
