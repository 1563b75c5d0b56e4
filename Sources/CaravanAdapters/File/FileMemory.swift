import Foundation

/// Where a `noop` file consumer remembers the files it took (Camel's idempotent
/// repository for `noop`): a file is taken once for as long as it stays in the folder,
/// across restarts and nodes. The server keeps it in the store.
public protocol FileMemory: Sendable {
    /// Whether the file `id` of `route` was taken.
    func contains(_ id: UUID, route: String) async throws -> Bool
    /// Remembers that the file `id` of `route` was taken.
    func remember(_ id: UUID, route: String) async throws
    /// Forgets every file of `route` but those in `present` (the files still there).
    func forget(route: String, except present: [UUID]) async throws
}
