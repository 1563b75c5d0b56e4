/// Where in a route something happened: a path through the definition tree, saved with a
/// failed exchange so a redelivery can resume at the failed step.
///
/// `[.step(2), .when(0), .step(1)]` is the second step inside the first `when` of the
/// route's third step; `[.step(4), .part(17), .step(0)]` is the first step of the split's
/// 18th part.
public struct StepPath: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Element: Sendable, Hashable, Codable {
        case step(Int)
        case when(Int)
        case otherwise
        /// A split part, by index.
        case part(Int)
        /// A multicast or recipient-list branch.
        case branch(Int)
        /// A loop iteration.
        case iteration(Int)
        case doCatch(Int)
        case doFinally
    }

    public var elements: [Element]

    public init(_ elements: [Element] = []) { self.elements = elements }

    public func prepending(_ element: Element) -> StepPath { StepPath([element] + elements) }

    public func appending(_ element: Element) -> StepPath { StepPath(elements + [element]) }

    /// A compact spelling for keys: `4.p17.0` is the first step of part 17 of step 5.
    public var key: String {
        elements.map { e in
            switch e {
            case .step(let i): "\(i)"
            case .when(let i): "w\(i)"
            case .otherwise: "o"
            case .part(let i): "p\(i)"
            case .branch(let i): "b\(i)"
            case .iteration(let i): "i\(i)"
            case .doCatch(let i): "c\(i)"
            case .doFinally: "f"
            }
        }.joined(separator: ".")
    }

    public var description: String {
        elements.map { e in
            switch e {
            case .step(let i): "step \(i + 1)"
            case .when(let i): "when \(i + 1)"
            case .otherwise: "otherwise"
            case .part(let i): "part \(i)"
            case .branch(let i): "branch \(i + 1)"
            case .iteration(let i): "iteration \(i)"
            case .doCatch(let i): "doCatch \(i + 1)"
            case .doFinally: "doFinally"
            }
        }.joined(separator: " › ")
    }
}

/// A failure while processing an exchange: its kind, what happened, and where.
public struct ProcessingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var kind: ErrorKind
    public var message: String
    /// The failed step, from the route's first step down.
    public var path: StepPath
    /// The endpoint being called, for delivery failures.
    public var endpoint: String?
    /// The HTTP status and a response excerpt, for HTTP failures.
    public var statusCode: Int?
    public var responseExcerpt: String?
    /// Set once the error handler gave up on it, so enclosing steps do not redeliver again.
    public var exhausted = false
    /// Where the exchange can resume (``FailurePoint/document``): set for a suspension
    /// (the redelivery to come) and when redeliveries are exhausted (for a replay).
    public var point: Document?

    public init(
        _ kind: ErrorKind, _ message: String, path: StepPath = StepPath(), endpoint: String? = nil,
        statusCode: Int? = nil, responseExcerpt: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.path = path
        self.endpoint = endpoint
        self.statusCode = statusCode
        self.responseExcerpt = responseExcerpt
    }

    public var description: String {
        "\(kind.name): \(message)" + (path.elements.isEmpty ? "" : " (at \(path))")
    }

    /// An expression that could not be evaluated.
    static func evaluation(_ error: EvaluationError) -> ProcessingError {
        ProcessingError(error.unreadableBody.map(ErrorKind.parse) ?? .expression, error.message)
    }

    static func format(_ error: FormatError) -> ProcessingError {
        ProcessingError(.parse(error.format), error.description)
    }
}
