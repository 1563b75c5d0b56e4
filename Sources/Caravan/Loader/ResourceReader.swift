/// Reads what an expression's `resource:` prefix names, when its route loads: Camel's
/// languages take `resource:classpath:name` or `resource:file:path` in place of the
/// expression text and use that resource's content (`constant: resource:file:order.json`).
///
/// The loader does no I/O, so the caller gives it a reader (the CLI reads files); with
/// none, a `resource:` expression is an error.
public protocol ResourceReader: Sendable {
    /// The text of `reference` (`classpath:greeting.txt`, `file:/etc/data.json`), for a
    /// route of `routeFile`; an error says what was not found and where it looked.
    func read(_ reference: String, forRouteFile routeFile: String) throws(ResourceError) -> String
}

/// Why a resource could not be read, for the diagnostic at the expression.
public struct ResourceError: Error, Sendable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
