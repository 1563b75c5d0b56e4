/// A failed exchange as data: where it failed, its state when the failed step started,
/// and the forks around it, so it can be saved and resumed later at the failed step
/// without repeating the steps that succeeded.
///
/// ```swift
/// let point = FailurePoint(...)                 // made by the error handler
/// let saved = point.document                   // stored as jsonb
/// let back = FailurePoint(document: saved)!    // after a restart
/// await engine.resume(back)                    // continues at point.path
/// ```
public struct FailurePoint: Sendable {
    public var routeId: String
    /// The failed step.
    public var path: StepPath
    /// The exchange as the failed step received it (with the redelivery headers set).
    public var exchange: Exchange
    /// The forks around the failed step, outermost first.
    public var frames: [ResumeFrame]
    public var error: ProcessingError
    /// The redelivery this point leads to (1 = the first).
    public var counter: Int
    /// The delay before it, in milliseconds.
    public var delayMillis: Int

    public init(
        routeId: String, path: StepPath, exchange: Exchange, frames: [ResumeFrame],
        error: ProcessingError, counter: Int, delayMillis: Int
    ) {
        self.routeId = routeId
        self.path = path
        self.exchange = exchange
        self.frames = frames
        self.error = error
        self.counter = counter
        self.delayMillis = delayMillis
    }
}

/// A fork the failed step was inside: the fork step's path, the exchange as it entered
/// the fork, and the results of the parts or branches that already completed.
public struct ResumeFrame: Sendable {
    public var path: StepPath
    public var original: Exchange
    public var results: [Exchange]

    public init(path: StepPath, original: Exchange, results: [Exchange]) {
        self.path = path
        self.original = original
        self.results = results
    }
}

/// Carries a failure point down the processor tree while resuming: each fork takes the
/// next frame.
public final class Resumption: @unchecked Sendable {
    // Only touched by the one task that resumes the exchange, one step at a time.
    let point: FailurePoint
    private var nextFrame = 0

    init(_ point: FailurePoint) { self.point = point }

    /// The frame of the fork being resumed.
    func takeFrame() -> ResumeFrame? {
        guard nextFrame < point.frames.count else { return nil }
        defer { nextFrame += 1 }
        return point.frames[nextFrame]
    }

    /// The exchange the next level down resumes with: the deeper fork's original, or the
    /// failed step's exchange.
    var innerExchange: Exchange {
        nextFrame < point.frames.count ? point.frames[nextFrame].original : point.exchange
    }
}

/// What happens between a failure and its redelivery: the seam where the durable store
/// plugs in.
public protocol RedeliverySeam: Sendable {
    /// Called when a step failed and may be tried again after `delay`. Returning means
    /// "retry now" (the in-memory seam waits first). A durable seam saves `point` and
    /// throws ``ProcessingError/suspended(_:)`` instead, so the exchange leaves the route
    /// and resumes from the store when it is due.
    func redeliver(_ point: FailurePoint, after delay: Duration, _ context: ProcessContext)
        async throws(ProcessingError)
}

/// Durable redelivery: the exchange leaves the route at once, carrying its failure point;
/// the store saves it with a due time and resumes it then (``FailurePoint``). An `InOut`
/// exchange is redelivered in memory instead: its caller is waiting for the reply.
public struct SuspendingRedelivery: RedeliverySeam {
    public init() {}

    public func redeliver(_ point: FailurePoint, after delay: Duration, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        if point.exchange.pattern == .inOut {
            return try await InMemoryRedelivery().redeliver(point, after: delay, context)
        }
        throw ProcessingError.suspended(point)
    }
}

/// Redelivery in memory: waits the delay, then the step runs again.
public struct InMemoryRedelivery: RedeliverySeam {
    public init() {}

    public func redeliver(_ point: FailurePoint, after delay: Duration, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        do { try await context.sleep(delay) } catch {
            throw ProcessingError(
                ErrorKind("java.util.concurrent.RejectedExecutionException"),
                "redelivery was interrupted (shutting down)")
        }
    }
}

extension ProcessingError {
    /// The kind a durable seam throws after saving the exchange for a later redelivery; no
    /// error handler or `doCatch` handles it.
    public static let suspendedKind = ErrorKind("caravan.RedeliveryScheduled")

    public static func suspended(_ point: FailurePoint) -> ProcessingError {
        var e = ProcessingError(
            suspendedKind, "redelivery \(point.counter) scheduled in \(point.delayMillis) ms",
            path: point.path)
        e.point = point.document
        return e
    }

    public var isSuspension: Bool { kind == ProcessingError.suspendedKind }
}
