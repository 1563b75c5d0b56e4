import Synchronization

/// Hides the values of secrets (`{{secret:NAME}}`) wherever text leaves the process: log
/// lines, errors, `caravan validate` and the admin API. Each value is replaced by
/// `[secret NAME]`, which says which secret was there without showing it.
public final class SecretRedactor: Sendable {
    /// The process's redactor: the CLI fills it from the secrets directory at start.
    public static let shared = SecretRedactor()

    private let secrets = Mutex<[(name: String, value: String)]>([])

    public init() {}

    /// Values shorter than this are not redacted: a secret of one or two characters would
    /// turn ordinary text into noise (and is no secret).
    static let shortest = 4

    /// Adds `secrets` (name → value) to what is hidden.
    public func register(_ secrets: [String: String]) {
        let usable = secrets.filter { $0.value.count >= Self.shortest }
            .map { (name: $0.key, value: $0.value) }
        self.secrets.withLock { current in
            current += usable
            // Longest first: a value that contains another is hidden whole.
            current.sort { $0.value.count > $1.value.count }
        }
    }

    /// `text` with every secret value replaced by its name.
    public func redact(_ text: String) -> String {
        let secrets = self.secrets.withLock { $0 }
        guard !secrets.isEmpty else { return text }
        var text = text
        for secret in secrets where text.contains(secret.value) {
            text = text.replacing(secret.value, with: "[secret \(secret.name)]")
        }
        return text
    }

    public var isEmpty: Bool { secrets.withLock { $0.isEmpty } }
}
