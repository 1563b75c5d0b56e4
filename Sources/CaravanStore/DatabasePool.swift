import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The node's connections to PostgreSQL: PostgresNIO's pool, replaced by a fresh one when it
/// is stuck waiting to reconnect to a server that is back.
///
/// Why not the pool alone: after a failed connection attempt, PostgresNIO 1.33's pool waits
/// 100 ms × 1.25ⁿ (up to a minute) before the next one, and that cannot be configured: a
/// node went on answering 503 for up to a minute after its database was back (measured:
/// 16 s after a 90 s outage).
///
/// So every ``Timing/checkInterval`` the pool is asked for `SELECT 1`. When it has no
/// answer within ``Timing/checkTimeout`` while a connection of our own outside the pool
/// (the probe) gets through, a new pool takes over, and the old one is closed ``Timing/retireAfter``
/// later: its requests still waiting for a connection fail then (they would have failed at
/// their deadlines), so that the journal's group commits and the workers' claims move to
/// the new pool. A merely busy pool can look the same; then a statement that ran longer than
/// `retireAfter` on one of its connections is cut and fails like any other (the store runs
/// it again; nothing acknowledged is lost), and the pool is not replaced again within
/// ``Timing/cooldown``. Without a probe (a private cluster, which has no outages of its
/// own) the client is never replaced.
///
/// When the check fails and the probe does too, the server is away: ``knownOutage`` says
/// so until a check or a replacement succeeds, and the journal answers 503 at once rather
/// than holding every request (and its body) for its 5 s deadline.
public final class DatabasePool: PostgresClientProvider, Service {
    /// When the pool is checked, and what counts as stuck.
    public struct Timing: Sendable {
        public var checkInterval: Duration = .seconds(1)
        public var checkTimeout: Duration = .seconds(1)
        /// How long a replaced pool goes on running the statements it has.
        public var retireAfter: Duration = .seconds(2)
        /// The least time between two replacements.
        public var cooldown: Duration = .seconds(30)

        public init() {}
    }

    /// One pool and its retirement.
    private struct Member: Sendable {
        let client: PostgresClient
        /// Resolved when the pool is replaced.
        let retired = Completion<Void>()
    }

    private let makeClient: @Sendable () -> PostgresClient
    private let probe: (@Sendable () async -> String?)?
    private let timing: Timing
    private let logger: Logger
    private let current: Mutex<Member>
    private let replaced = Atomic(0)
    private let checked = Atomic(0)
    private let outage = Mutex<String?>(nil)
    /// The deadline of each check.
    private let checks: StatementGuard

    /// What this process's connections call themselves (`application_name`): operators
    /// see whose connections they are in `pg_stat_activity`, and the metrics count them.
    public static let applicationName: String = {
        let host = ProcessInfo.processInfo.hostName
        return String("caravan \(ProcessInfo.processInfo.processIdentifier) \(host)".prefix(63))
    }()

    /// `configuration` with the connections named ``applicationName``.
    static func named(_ configuration: PostgresClient.Configuration)
        -> PostgresClient.Configuration
    {
        var configuration = configuration
        configuration.options.additionalStartupParameters.append(
            ("application_name", applicationName))
        return configuration
    }

    /// A pool of connections to the server `url` names, replaced when stuck.
    public convenience init(
        url: DatabaseURL, timing: Timing = Timing(), logger: Logger, backgroundLogger: Logger
    ) {
        let configuration = Self.named(url.clientConfiguration)
        self.init(
            makeClient: {
                PostgresClient(configuration: configuration, backgroundLogger: backgroundLogger)
            },
            probe: {
                do {
                    try await url.probe(timeout: timing.checkTimeout, logger: backgroundLogger)
                    return nil
                } catch {
                    if case .unavailable(let reason) = error as? StoreError { return reason }
                    return "\(error)"
                }
            }, timing: timing, logger: logger)
    }

    /// A pool that is never replaced (a private cluster).
    public convenience init(configuration: PostgresClient.Configuration, backgroundLogger: Logger) {
        let configuration = Self.named(configuration)
        self.init(
            makeClient: {
                PostgresClient(configuration: configuration, backgroundLogger: backgroundLogger)
            }, probe: nil, timing: Timing(), logger: backgroundLogger)
    }

    /// `makeClient` makes each pool; `probe` connects outside of the pool and says why
    /// that failed (nil: it got through).
    init(
        makeClient: @escaping @Sendable () -> PostgresClient,
        probe: (@Sendable () async -> String?)?, timing: Timing, logger: Logger
    ) {
        self.makeClient = makeClient
        self.probe = probe
        self.timing = timing
        self.logger = logger
        self.checks = StatementGuard(timeout: timing.checkTimeout)
        self.current = Mutex(Member(client: makeClient()))
    }

    public var client: PostgresClient { current.withLock { $0.client } }

    public var knownOutage: String? { outage.withLock { $0 } }

    /// How many times the pool has been replaced.
    public var replacements: Int { replaced.load(ordering: .relaxed) }

    /// How many checks the watcher has made.
    var checkCount: Int { checked.load(ordering: .relaxed) }

    /// Runs the pool (and its replacements) until the task is cancelled or shuts down
    /// gracefully.
    public func run() async {
        let (joined, joining) = AsyncStream.makeStream(of: Member.self)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.run(self.current.withLock { $0 }) }
            if probe != nil {
                group.addTask {
                    await cancelWhenGracefulShutdown { await self.watch(joining) }
                    joining.finish()
                }
            } else {
                joining.finish()
            }
            for await member in joined {
                group.addTask { await self.run(member) }
            }
        }
    }

    /// Runs one pool until it is retired (and its grace has passed) or shut down.
    private func run(_ member: Member) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await member.client.run() }
            group.addTask { [timing] in
                // Cancelled (the pool shut down first) is as good as retired here.
                _ = try? await member.retired.wait()
                try? await Task.sleep(for: timing.retireAfter)
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Checks the pool and replaces it when it is stuck; new pools go to `joining`.
    private func watch(_ joining: AsyncStream<Member>.Continuation) async {
        guard let probe else { return }
        var last: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: timing.checkInterval)
            if Task.isCancelled { return }
            let answered = await answers(client)
            checked.add(1, ordering: .relaxed)
            if answered {
                outage.withLock { $0 = nil }
                continue
            }
            // The server itself away: the pool will reconnect on its own once it is back.
            if let reason = await probe() {
                outage.withLock { $0 = reason }
                continue
            }
            outage.withLock { $0 = nil }
            if let last, ContinuousClock.now - last < timing.cooldown { continue }
            last = .now
            let fresh = Member(client: makeClient())
            joining.yield(fresh)
            let old = current.withLock { member in
                defer { member = fresh }
                return member
            }
            old.retired.resolve(.success(()))
            replaced.add(1, ordering: .relaxed)
            logger.warning(
                "replaced the PostgreSQL connection pool: it gave no answer within \(timing.checkTimeout) while the server took a new connection",
                metadata: ["closing the old one in": "\(timing.retireAfter)"])
        }
    }

    /// True when `client` answers `SELECT 1` within the check timeout.
    private func answers(_ client: PostgresClient) async -> Bool {
        (try? await checks.run { [logger] in try await client.answersSelectOne(logger: logger) })
            ?? false
    }
}

extension PostgresClient {
    /// Whether `SELECT 1` comes back as 1: the check of a pool that works (the node's
    /// readiness, the pool's own watch). Bound it with a ``StatementGuard``.
    public func answersSelectOne(logger: Logger) async throws -> Bool {
        for try await one in try await query("SELECT 1", logger: logger).decode(Int.self) {
            return one == 1
        }
        return false
    }
}
