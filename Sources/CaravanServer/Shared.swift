import Caravan
import CaravanAdapters
import CaravanStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// What every generation of a node shares: the store, the journal as the consumers'
/// ``Intake``, the HTTP client pool, and which generation is current.
final class Shared: Intake, Sendable {
    let clients: any PostgresClientProvider
    /// The client for the next statement (a `DatabasePool` may replace it).
    var client: PostgresClient { clients.client }
    let schema: StoreSchema
    let journal: Journal
    /// The signatures of verified webhook requests (replay checks).
    let signatures: SeenSignatures
    let store: MessageStore
    let http: HTTPComponent
    let logger: Logger
    let current = Mutex<Generation?>(nil)
    /// Set once the first generation started (readiness).
    let ready = Mutex(false)
    private let stopped = Gate()
    /// Readiness probes wait this long for the database's answer.
    private let probes = StatementGuard(timeout: .seconds(2))

    init(
        client: some PostgresClientProvider, schema: StoreSchema, journal: Journal,
        store: MessageStore,
        http: HTTPComponent, logger: Logger
    ) {
        self.clients = client
        self.schema = schema
        self.journal = journal
        self.signatures = SeenSignatures(client: client, schema: schema, logger: logger)
        self.store = store
        self.http = http
        self.logger = logger
    }

    /// Hands messages of `route` to this node's workers when they serve it.
    func localQueue(for route: String) -> LocalQueue? {
        current.withLock { $0 }?.workers.localQueue(for: route)
    }

    func accept(
        _ message: Message, properties: [String: Document], route: String, consumer: String,
        id: UUID?, signature: ReplayClaim?
    ) async throws(IntakeError) -> UUID {
        var entry = JournalEntry(
            id: id ?? .timeOrdered(), route: route, consumer: consumer, message: message,
            signature: signature.map {
                SignatureClaim(policy: $0.policy, signature: $0.signature, until: $0.until)
            })
        entry.properties = properties
        let appended: Appended
        do {
            appended = try await journal.append(entry, handOff: localQueue(for: route))
        } catch {
            if case .unavailable = error { throw IntakeError(error.description) }
            throw IntakeError(error.description, retryable: false)
        }
        if appended == .replay { throw .replay }
        return entry.id
    }

    /// Starts the current generation's work.
    func start() { current.withLock { $0 }?.start() }

    /// Makes `next` current and stops the one before it (which finishes its messages).
    func swap(to next: Generation, drainTimeout: Duration) async {
        next.start()
        let previous = current.withLock { c in
            defer { c = next }
            return c
        }
        await previous?.stop(drainTimeout: drainTimeout, logger: logger)
    }

    /// Stops the current generation (draining up to `drainTimeout`), then lets
    /// ``waitUntilStopped()`` return.
    func stop(drainTimeout: Duration) {
        Task {
            await current.withLock { $0 }?.stop(drainTimeout: drainTimeout, logger: logger)
            stopped.open()
        }
    }

    func waitUntilStopped() async { await stopped.wait() }

    /// Ready: the routes started and the database answers.
    func readiness() async -> (ready: Bool, detail: String) {
        guard ready.withLock({ $0 }) else { return (false, "the routes are starting") }
        if let problems = current.withLock({ $0 })?.problems, !problems.isEmpty {
            return (false, problems.joined(separator: "; "))
        }
        do {
            let ok = try await probes.run { [client, logger] in
                try await client.answersSelectOne(logger: logger)
            }
            return ok
                ? (true, "database reachable, migrations applied, routes started")
                : (false, "the database gave no answer")
        } catch {
            return (false, "the database is unreachable: \(error)")
        }
    }
}

/// Opens once; waiters return then.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>(
        (false, []))

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    func wait() async {
        await withCheckedContinuation { c in
            let isOpen = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if isOpen { c.resume() }
        }
    }
}

extension Shared: SignatureLedger {
    func claim(_ claim: ReplayClaim) async throws(IntakeError) -> Bool {
        do {
            return try await signatures.claim(
                SignatureClaim(policy: claim.policy, signature: claim.signature, until: claim.until)
            )
        } catch { throw IntakeError(error.description) }
    }
}
