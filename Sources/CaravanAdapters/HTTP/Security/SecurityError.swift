/// A security setting that cannot be used: which key, what is wrong, how to fix it. It
/// never holds a secret's value.
public struct SecurityError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String
    /// The `application.properties` key it is about, when one.
    public var key: String?

    public init(_ message: String, hint: String, key: String? = nil) {
        self.message = message
        self.hint = hint
        self.key = key
    }

    public var description: String {
        (key.map { "\($0): " } ?? "") + message + (hint.isEmpty ? "" : " — \(hint)")
    }
}
