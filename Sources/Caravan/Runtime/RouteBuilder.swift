import Foundation
import Synchronization

/// Turns validated step definitions into processors, once, when routes start (Camel's
/// "reifiers"): expressions are compiled and static endpoints resolved here, so nothing is
/// parsed while messages flow.
struct RouteBuilder {
    let endpoints: any EndpointResolver
    let repositories: any IdempotentRepositories
    /// Where `aggregate` steps keep their groups, and the steps built (to recover their
    /// pending groups when the engine starts).
    let aggregations: AggregationRegistry
    /// When set, every step is wrapped in a ``Channel`` with this error handling.
    var handling: ErrorHandling?

    func pipeline(_ steps: [StepDefinition]) throws(Diagnostic) -> Pipeline {
        var processors: [any Processor] = []
        for step in steps {
            let p = try processor(step)
            processors.append(channel(p))
        }
        return Pipeline(steps: processors)
    }

    /// `p` wrapped in its error handling channel, when the handling can do anything.
    func channel(_ p: any Processor) -> any Processor {
        guard let handling, !handling.isTrivial else { return p }
        return Channel(inner: p, handling: handling)
    }

    /// The error handling of `route`, compiled: precedence as ``RouteSet/errorHandler(for:fallback:)``.
    func errorHandling(
        for route: RouteDefinition, in set: RouteSet, fallback: ErrorHandlerDefinition
    ) throws(Diagnostic) -> ErrorHandling {
        let definition = set.errorHandler(for: route, fallback: fallback)
        let plain = RouteBuilder(
            endpoints: endpoints, repositories: repositories, aggregations: aggregations,
            handling: nil)
        let handler: ErrorHandling.Handler
        switch definition.kind {
        case .defaultErrorHandler: handler = .defaultErrorHandler
        case .noErrorHandler: handler = .noErrorHandler
        case .deadLetterChannel(let uri):
            handler = .deadLetterChannel(
                uri: uri, producer: try producer(uri, at: definition.location))
        }
        var clauses: [ErrorHandling.OnException] = []
        for o in set.onExceptions(for: route) {
            clauses.append(
                ErrorHandling.OnException(
                    kinds: o.exceptions.map(ErrorKind.init),
                    onWhen: try o.onWhen.map { (e) throws(Diagnostic) in
                        try compile(e, predicate: true)
                    },
                    handled: try o.handled.map { (e) throws(Diagnostic) in
                        try compile(e, predicate: true)
                    },
                    continued: try o.continued.map { (e) throws(Diagnostic) in
                        try compile(e, predicate: true)
                    },
                    policy: o.redeliveryPolicy?.applied(to: definition.redeliveryPolicy)
                        ?? definition.redeliveryPolicy,
                    useOriginalMessage: o.useOriginalMessage,
                    steps: try plain.pipeline(o.steps)))
        }
        return ErrorHandling(
            handler: handler, policy: definition.redeliveryPolicy,
            useOriginalMessage: definition.useOriginalMessage, onExceptions: clauses)
    }

    /// The step's processor, inside a ``VariableIOProcessor`` when it sends or receives
    /// through variables.
    func processor(_ step: StepDefinition) throws(Diagnostic) -> any Processor {
        let built = try stepProcessor(step)
        guard step.variableSend != nil || step.variableReceive != nil else { return built }
        var io = VariableIOProcessor(
            inner: built, send: step.variableSend, receive: step.variableReceive)
        // A tap sends a copy: the message goes on as it was, whatever the pattern.
        if case .wireTap = step.kind { io.keepsMessage = true }
        return io
    }

    private func stepProcessor(_ step: StepDefinition) throws(Diagnostic) -> any Processor {
        let at = step.location
        switch step.kind {
        case .to(let uri):
            return SendProcessor(uri: uri, producer: try producer(uri, at: at))
        case .toD(let uri): return DynamicSendProcessor(uri: try compile(uri))
        case .log(let message, let level, let logName):
            return LogProcessor(
                message: try compile(message), level: level, logName: logName)
        case .setBody(let e), .transform(let e): return SetBodyProcessor(expression: try compile(e))
        case .setHeader(let name, let e):
            return SetHeaderProcessor(name: name, expression: try compile(e))
        case .setProperty(let name, let e):
            return SetPropertyProcessor(name: name, expression: try compile(e))
        case .setVariable(let name, let e):
            return SetVariablesProcessor(variables: [(name, try compile(e))])
        case .setVariables(let named):
            var compiled: [(name: String, expression: CompiledExpression)] = []
            for n in named { compiled.append((n.name, try compile(n.expression))) }
            return SetVariablesProcessor(variables: compiled)
        case .removeVariable(let name):
            return RemoveVariableProcessor(pattern: NamePattern(name, ignoreCase: false))
        case .removeHeader(let name):
            return RemoveProcessor(
                target: .headers, pattern: NamePattern(name, ignoreCase: true), exclude: nil)
        case .removeHeaders(let pattern, let exclude):
            return RemoveProcessor(
                target: .headers, pattern: NamePattern(pattern, ignoreCase: true),
                exclude: exclude.map { NamePattern($0, ignoreCase: true) })
        case .removeProperty(let name):
            return RemoveProcessor(
                target: .properties, pattern: NamePattern(name, ignoreCase: false), exclude: nil)
        case .removeProperties(let pattern, let exclude):
            return RemoveProcessor(
                target: .properties, pattern: NamePattern(pattern, ignoreCase: false),
                exclude: exclude.map { NamePattern($0, ignoreCase: false) })
        case .convertBodyTo(let type): return ConvertBodyProcessor(type: type)
        case .choice(let whens, let otherwise):
            var compiled: [(predicate: CompiledExpression, steps: Pipeline)] = []
            for when in whens {
                compiled.append(
                    (try compile(when.predicate, predicate: true), try pipeline(when.steps)))
            }
            return ChoiceProcessor(
                whens: compiled,
                otherwise: try otherwise.map { (s) throws(Diagnostic) in try pipeline(s) })
        case .filter(let e, let steps):
            return FilterProcessor(
                predicate: try compile(e, predicate: true), steps: try pipeline(steps))
        case .marshal(let format): return DataFormatProcessor(direction: .marshal, format: format)
        case .unmarshal(let format):
            return DataFormatProcessor(direction: .unmarshal, format: format)
        case .split(let s):
            return SplitProcessor(
                expression: try compile(s.expression), steps: try pipeline(s.steps),
                strategy: s.strategy, stopOnException: s.stopOnException)
        case .idempotentConsumer(let d):
            return IdempotentConsumerProcessor(
                key: try compile(d.key),
                expressionText: "\(d.key.language.rawValue) '\(d.key.text)'",
                repository: repositories.repository(named: d.repository), eager: d.eager,
                skipDuplicate: d.skipDuplicate, removeOnFailure: d.removeOnFailure,
                steps: try pipeline(d.steps))
        case .loop(let e, let steps, let copy):
            return LoopProcessor(count: try compile(e), steps: try pipeline(steps), copy: copy)
        case .multicast(let steps, let strategy):
            var branches: [any Processor] = []
            for s in steps {
                let p = try processor(s)
                branches.append(channel(p))
            }
            return MulticastProcessor(branches: branches, strategy: strategy)
        case .recipientList(let e, let delimiter):
            return RecipientListProcessor(recipients: try compile(e), delimiter: delimiter)
        case .wireTap(let e): return WireTapProcessor(uri: try compile(e))
        case .enrich(let e, let strategy):
            return EnrichProcessor(uri: try compile(e), strategy: strategy)
        case .delay(let e): return DelayProcessor(millis: try compile(e))
        case .throttle(let e, let period):
            return ThrottleProcessor(maximum: try compile(e), period: .milliseconds(period))
        case .stop: return StopProcessor()
        case .throwException(let kind, let message):
            return ThrowProcessor(
                kind: ErrorKind(kind),
                message: try compile(ExpressionDefinition(.simple, message, location: at)))
        case .validate(let e): return ValidateProcessor(predicate: try compile(e, predicate: true))
        case .aggregate(let a):
            // Named after its place in its file: the same step after a restart or reload.
            let file = (step.location.file as NSString).lastPathComponent
            let name = "\(file):\(step.location.line):\(step.location.column)"
            let aggregate = AggregateProcessor(
                correlation: try compile(a.correlation), strategy: a.strategy,
                completionSize: a.completionSize,
                completionTimeout: a.completionTimeout.map { .milliseconds($0) },
                completionPredicate: try a.completionPredicate.map { (e) throws(Diagnostic) in
                    try compile(e, predicate: true)
                },
                eagerCheckCompletion: a.eagerCheckCompletion,
                ignoreInvalidCorrelationKeys: a.ignoreInvalidCorrelationKeys,
                completionSizeExpression: try a.completionSizeExpression.map {
                    (e) throws(Diagnostic) in try compile(e)
                },
                completionTimeoutExpression: try a.completionTimeoutExpression.map {
                    (e) throws(Diagnostic) in try compile(e)
                },
                discardOnCompletionTimeout: a.discardOnCompletionTimeout,
                completionInterval: a.completionInterval.map {
                    IntervalCompletion(every: .milliseconds($0))
                },
                completionOnNewCorrelationGroup: a.completionOnNewCorrelationGroup,
                closedKeys: a.closeCorrelationKeyOnCompletion.map {
                    ClosedCorrelationKeys(capacity: $0)
                },
                steps: try pipeline(a.steps),
                repository: aggregations.repositories.repository(named: name), name: name)
            aggregations.register(aggregate)
            return aggregate
        case .circuitBreaker(let c):
            return CircuitBreakerProcessor(
                steps: try pipeline(c.steps),
                fallback: try c.fallback.map { (s) throws(Diagnostic) in try pipeline(s) },
                state: CircuitBreakerBox(c.configuration))
        case .doTry(let steps, let catches, let finally):
            var compiled: [DoTryProcessor.Catch] = []
            for c in catches {
                compiled.append(
                    DoTryProcessor.Catch(
                        kinds: c.exceptions.map(ErrorKind.init),
                        onWhen: try c.onWhen.map { (e) throws(Diagnostic) in
                            try compile(e, predicate: true)
                        },
                        steps: try pipeline(c.steps)))
            }
            return DoTryProcessor(
                body: try pipeline(steps), catches: compiled,
                finally: try finally.map { (s) throws(Diagnostic) in try pipeline(s) })
        }
    }

    func compile(_ e: ExpressionDefinition, predicate: Bool = false) throws(Diagnostic)
        -> CompiledExpression
    {
        do {
            return try e.compile(predicate: predicate)
        } catch {
            throw Diagnostic(
                e.location,
                "invalid \(e.language.rawValue) expression at position \(error.position): \(error.message)",
                hint: error.hint)
        }
    }

    func producer(_ uri: EndpointURI, at location: SourceLocation) throws(Diagnostic)
        -> any Producer
    {
        do {
            return try endpoints.endpoint(for: uri).producer()
        } catch {
            throw Diagnostic(location, "cannot use the endpoint '\(uri)': \(error.message)")
        }
    }
}

/// The `aggregate` steps of an engine and where they keep their groups.
final class AggregationRegistry: Sendable {
    let repositories: any AggregationRepositories
    private let steps = Mutex<[AggregateProcessor]>([])

    init(repositories: any AggregationRepositories) { self.repositories = repositories }

    func register(_ step: AggregateProcessor) { steps.withLock { $0.append(step) } }

    var all: [AggregateProcessor] { steps.withLock { $0 } }
}
