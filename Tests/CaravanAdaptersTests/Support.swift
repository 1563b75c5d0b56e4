import Caravan
import CaravanAdapters
import Foundation
import Synchronization

/// An intake that keeps messages in memory (the adapters' tests are about the adapters;
/// the store's journal is tested with PostgreSQL in the store and server tests).
final class RecordingIntake: Intake {
    struct Accepted: Sendable {
        let message: Message
        let properties: [String: Document]
        let route: String
        let consumer: String
        let id: UUID
    }

    let accepted = Mutex<[Accepted]>([])
    let ids = Mutex<Set<UUID>>([])
    /// Fail every accept (the store is down).
    let failing = Mutex(false)
    /// How many accepts failed that way.
    let refused = Mutex(0)
    /// How many times a message was offered (stored or not).
    let offers = Mutex(0)

    func accept(
        _ message: Message, properties: [String: Document], route: String, consumer: String,
        id: UUID?, signature: ReplayClaim?
    ) async throws(IntakeError) -> UUID {
        offers.withLock { $0 += 1 }
        if failing.withLock({ $0 }) {
            refused.withLock { $0 += 1 }
            throw IntakeError("the store is down")
        }
        let id = id ?? UUID()
        // Like the journal: an id stored before is not stored again.
        guard ids.withLock({ $0.insert(id).inserted }) else { return id }
        accepted.withLock {
            $0.append(
                Accepted(
                    message: message, properties: properties, route: route, consumer: consumer,
                    id: id))
        }
        return id
    }

    var messages: [Accepted] { accepted.withLock { $0 } }

    func waitFor(_ count: Int, timeout: Duration = .seconds(20)) async throws -> Bool {
        try await waitUntil(timeout) { messages.count >= count }
    }

    /// Waits until messages were offered `count` times.
    func waitForOffers(_ count: Int, timeout: Duration = .seconds(20)) async throws -> Bool {
        try await waitUntil(timeout) { offers.withLock { $0 } >= count }
    }

    /// Waits until `count` accepts were refused (the store being down).
    func waitForRefusals(_ count: Int, timeout: Duration = .seconds(20)) async throws -> Bool {
        try await waitUntil(timeout) { refused.withLock { $0 } >= count }
    }

    private func waitUntil(_ timeout: Duration, _ done: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if done() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

func temporaryFolder() throws -> String {
    let folder = NSTemporaryDirectory() + "caravan-adapters-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
}

/// Runs `routes` in memory with the adapters' components.
func engine(_ yaml: String) async throws -> RouteEngine {
    let loaded = RouteLoader().load([RouteFile(path: "routes.yaml", text: yaml)])
    if !loaded.errors.isEmpty { throw LoadFailure(loaded.errors) }
    let http = HTTPComponent(scheme: "http")
    let engine = try RouteEngine(
        routes: loaded.routes, components: [http, FileComponent()])
    try await engine.start()
    return engine
}
