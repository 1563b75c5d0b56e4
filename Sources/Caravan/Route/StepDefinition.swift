/// One step of a route as the route file wrote it, validated and ready to compile.
///
/// Definitions are plain data (`Codable`): no YAML type survives loading, and the path to
/// a step (``StepPath``) names the point where a failed exchange resumes.
public struct StepDefinition: Sendable, Hashable, Codable {
    public var kind: StepKind
    public var id: String?
    public var location: SourceLocation
    /// `variableSend`: the body sent is this variable's value (`to`, `toD`).
    public var variableSend: String? = nil
    /// `variableReceive`: the reply's body goes to this variable, not to the message.
    public var variableReceive: String? = nil

    public init(_ kind: StepKind, id: String? = nil, location: SourceLocation) {
        self.kind = kind
        self.id = id
        self.location = location
    }

    /// The step's name as route files spell it (`setHeader`, `choice` ...).
    public var name: String { kind.name }
}

/// The EIPs Caravan supports (DESIGN §4).
public indirect enum StepKind: Sendable, Hashable, Codable {
    case to(EndpointURI)
    case toD(ExpressionDefinition)
    case log(message: ExpressionDefinition, level: LogLevel, logName: String?)
    case setBody(ExpressionDefinition)
    case setHeader(name: String, ExpressionDefinition)
    case setProperty(name: String, ExpressionDefinition)
    case setVariable(name: String, ExpressionDefinition)
    /// `setVariables`: several at once, in order (a later one may read an earlier one).
    case setVariables([NamedExpression])
    /// An exact name, `*`, `prefix*`, or a regular expression, as `removeProperties`.
    case removeVariable(name: String)
    case removeHeader(name: String)
    case removeHeaders(pattern: String, excludePattern: String?)
    case removeProperty(name: String)
    case removeProperties(pattern: String, excludePattern: String?)
    case transform(ExpressionDefinition)
    case convertBodyTo(type: String)
    case choice(whens: [WhenDefinition], otherwise: [StepDefinition]?)
    case filter(ExpressionDefinition, steps: [StepDefinition])
    case marshal(DataFormatDefinition)
    case unmarshal(DataFormatDefinition)
    case split(SplitDefinition)
    case idempotentConsumer(IdempotentConsumerDefinition)
    case loop(ExpressionDefinition, steps: [StepDefinition], copy: Bool)
    case multicast(steps: [StepDefinition], strategy: AggregationStrategyName?)
    case recipientList(ExpressionDefinition, delimiter: String)
    case wireTap(ExpressionDefinition)
    case enrich(ExpressionDefinition, strategy: AggregationStrategyName?)
    case delay(ExpressionDefinition)
    case throttle(ExpressionDefinition, periodMillis: Int)
    case stop
    case throwException(kind: String, message: String)
    case validate(ExpressionDefinition)
    case doTry(steps: [StepDefinition], catches: [CatchDefinition], finally: [StepDefinition]?)
    case aggregate(AggregateDefinition)
    case circuitBreaker(CircuitBreakerDefinition)

    public var name: String {
        switch self {
        case .to: "to"
        case .toD: "toD"
        case .log: "log"
        case .setBody: "setBody"
        case .setHeader: "setHeader"
        case .setProperty: "setProperty"
        case .setVariable: "setVariable"
        case .setVariables: "setVariables"
        case .removeVariable: "removeVariable"
        case .removeHeader: "removeHeader"
        case .removeHeaders: "removeHeaders"
        case .removeProperty: "removeProperty"
        case .removeProperties: "removeProperties"
        case .transform: "transform"
        case .convertBodyTo: "convertBodyTo"
        case .choice: "choice"
        case .filter: "filter"
        case .marshal: "marshal"
        case .unmarshal: "unmarshal"
        case .split: "split"
        case .idempotentConsumer: "idempotentConsumer"
        case .loop: "loop"
        case .multicast: "multicast"
        case .recipientList: "recipientList"
        case .wireTap: "wireTap"
        case .enrich: "enrich"
        case .delay: "delay"
        case .throttle: "throttle"
        case .stop: "stop"
        case .throwException: "throwException"
        case .validate: "validate"
        case .doTry: "doTry"
        case .aggregate: "aggregate"
        case .circuitBreaker: "circuitBreaker"
        }
    }
}

/// `log` levels, as Camel names them.
public enum LogLevel: String, Sendable, Hashable, Codable, CaseIterable {
    case TRACE, DEBUG, INFO, WARN, ERROR, OFF
}

/// One `when` of a `choice`.
public struct WhenDefinition: Sendable, Hashable, Codable {
    public var predicate: ExpressionDefinition
    public var steps: [StepDefinition]
    public var location: SourceLocation
}

/// One `doCatch` of a `doTry`.
public struct CatchDefinition: Sendable, Hashable, Codable {
    /// Exception class names as written (`java.io.IOException`); empty catches everything.
    public var exceptions: [String]
    public var onWhen: ExpressionDefinition?
    public var steps: [StepDefinition]
    public var location: SourceLocation
}

/// `split`: the expression that yields the parts and what to do with them.
/// An `idempotentConsumer` block: its key, the repository's name and Camel's options.
public struct IdempotentConsumerDefinition: Sendable, Hashable, Codable {
    public var key: ExpressionDefinition
    /// The repository's name (a `beans` entry, or a name of Caravan's own).
    public var repository: String
    public var eager: Bool
    public var skipDuplicate: Bool
    public var removeOnFailure: Bool
    public var steps: [StepDefinition]
}

public struct SplitDefinition: Sendable, Hashable, Codable {
    public var expression: ExpressionDefinition
    public var steps: [StepDefinition]
    public var strategy: AggregationStrategyName?
    public var stopOnException: Bool
}

/// Camel's built-in aggregation strategies that Caravan provides.
public enum AggregationStrategyKind: String, Sendable, Hashable, Codable, CaseIterable {
    case groupedBody = "GroupedBodyAggregationStrategy"
    case groupedExchange = "GroupedExchangeAggregationStrategy"
    case useLatest = "UseLatestAggregationStrategy"
    case useOriginal = "UseOriginalAggregationStrategy"
    case string = "StringAggregationStrategy"
}

/// A built-in aggregation strategy with the properties a `beans` entry gave it
/// (`StringAggregationStrategy`'s `delimiter`).
public struct AggregationStrategyName: Sendable, Hashable, Codable {
    public var kind: AggregationStrategyKind
    /// `StringAggregationStrategy`: put between the bodies.
    public var delimiter: String = ""

    public init(_ kind: AggregationStrategyKind, delimiter: String = "") {
        self.kind = kind
        self.delimiter = delimiter
    }

    public init?(rawValue: String) {
        guard let kind = AggregationStrategyKind(rawValue: rawValue) else { return nil }
        self.init(kind)
    }

    public var rawValue: String { kind.rawValue }

    public static let groupedBody = AggregationStrategyName(.groupedBody)
    public static let groupedExchange = AggregationStrategyName(.groupedExchange)
    public static let useLatest = AggregationStrategyName(.useLatest)
    public static let useOriginal = AggregationStrategyName(.useOriginal)
    public static let string = AggregationStrategyName(.string)
    public static let allCases = AggregationStrategyKind.allCases.map {
        AggregationStrategyName($0)
    }
}

/// A `marshal`/`unmarshal` data format and its options.
public enum DataFormatDefinition: Sendable, Hashable, Codable {
    /// `json` (any library: Jackson, Gson ... all mean JSON here).
    case json(JacksonOptionsDefinition)
    /// `jacksonXml`: unmarshal as Jackson's XmlMapper reads XML into a Map, marshal in the
    /// XML convention of docs/formats.md.
    case xml(rootName: String?, JacksonOptionsDefinition)
    case csv(CSVOptionsDefinition)

    public var name: String {
        switch self {
        case .json: "json"
        case .xml: "jacksonXml"
        case .csv: "csv"
        }
    }
}

/// The options of Camel's Jackson data formats (`json`, `jacksonXml`) that need no Java
/// type, as data.
public struct JacksonOptionsDefinition: Sendable, Hashable, Codable {
    /// Which map entries marshal writes (`include`, Jackson's `JsonInclude.Include`).
    public enum Include: String, Sendable, Hashable, Codable {
        /// `ALWAYS`, `USE_DEFAULTS`: every entry.
        case always
        /// `NON_NULL`, `NON_ABSENT`: not the entries whose value is null.
        case nonNull
        /// `NON_EMPTY`: nor those whose value is "", an empty list or an empty map.
        case nonEmpty
    }

    /// `prettyPrint`, or the `INDENT_OUTPUT` feature.
    public var pretty = false
    public var include = Include.always
    /// The `ORDER_MAP_ENTRIES_BY_KEYS` feature.
    public var sortKeys = false
    /// `WRITE_NULL_MAP_VALUES` disabled: null map values are not written.
    public var writeNullMapValues = true
    /// `contentTypeHeader`: marshal sets `Content-Type` (Camel's default).
    public var contentTypeHeader = true
    /// `maxStringLength`: unmarshal refuses a longer string value.
    public var maxStringLength: Int?

    public init() {}
}

/// Camel's csv data format options, as data.
public struct CSVOptionsDefinition: Sendable, Hashable, Codable {
    public var delimiter: String = ","
    public var quote: String = "\""
    public var useMaps: Bool = true
    public var header: [String]?
    public var skipHeaderRecord: Bool = false
    public var trim: Bool = false
    public var ignoreEmptyLines: Bool = true
    public var recordSeparator: String = "\r\n"
    public var commentMarker: String? = nil
    public var escape: String? = nil
    public var nullString: String? = nil
    public var allowMissingColumnNames = false
    public var trailingDelimiter = false
    /// Unmarshal: the header record goes to the `CamelCsvHeaderRecord` header.
    public var captureHeaderRecord = false

    public init() {}

    /// The reader/writer options.
    public var options: CSVOptions {
        var o = CSVOptions()
        o.delimiter = delimiter.unicodeScalars.first ?? ","
        o.quote = quote.unicodeScalars.first ?? "\""
        o.useMaps = useMaps
        o.header = header
        o.skipHeaderRecord = skipHeaderRecord
        o.trim = trim
        o.ignoreEmptyLines = ignoreEmptyLines
        o.recordSeparator = recordSeparator
        o.commentMarker = commentMarker?.unicodeScalars.first
        o.escape = escape?.unicodeScalars.first
        o.nullString = nullString
        o.allowMissingColumnNames = allowMissingColumnNames
        o.trailingDelimiter = trailingDelimiter
        return o
    }
}

/// `aggregate`: collects related messages into one (the EIP Aggregator).
public struct AggregateDefinition: Sendable, Hashable, Codable {
    public var correlation: ExpressionDefinition
    public var strategy: AggregationStrategyName
    public var completionSize: Int?
    /// Inactivity, in milliseconds, after which a group completes.
    public var completionTimeout: Int?
    public var completionPredicate: ExpressionDefinition?
    /// Check the predicate on the incoming message rather than the aggregate.
    public var eagerCheckCompletion: Bool
    public var ignoreInvalidCorrelationKeys: Bool
    public var steps: [StepDefinition]
    /// The completion size from each incoming message (besides `completionSize`).
    public var completionSizeExpression: ExpressionDefinition? = nil
    /// The completion timeout (ms) from each incoming message; wins over
    /// `completionTimeout` when it gives one above 0.
    public var completionTimeoutExpression: ExpressionDefinition? = nil
    /// A group that times out is dropped, not sent through the steps.
    public var discardOnCompletionTimeout = false
    /// Every this many milliseconds, every open group completes.
    public var completionInterval: Int? = nil
    /// A message that starts a new group completes every other open group first.
    public var completionOnNewCorrelationGroup = false
    /// Once a key's group completed, later messages with that key fail with
    /// `ClosedCorrelationKeyException`; the number is how many closed keys are kept
    /// (0: all).
    public var closeCorrelationKeyOnCompletion: Int? = nil
}

/// `circuitBreaker`: stops calling what keeps failing and uses the fallback instead.
public struct CircuitBreakerDefinition: Sendable, Hashable, Codable {
    public var steps: [StepDefinition]
    public var fallback: [StepDefinition]?
    public var configuration: CircuitBreakerConfiguration
}

/// resilience4j's settings that Caravan's circuit breaker honours, with its defaults.
public struct CircuitBreakerConfiguration: Sendable, Hashable, Codable {
    /// Percent of failed calls that opens the circuit.
    public var failureRateThreshold = 50.0
    /// Calls needed in the window before the rate counts.
    public var minimumNumberOfCalls = 100
    /// The last N calls make the window.
    public var slidingWindowSize = 100
    /// Seconds the circuit stays open before letting trial calls through.
    public var waitDurationInOpenState = 60
    /// Trial calls while half open.
    public var permittedNumberOfCallsInHalfOpenState = 10

    public init() {}
}

/// A name and the expression that gives its value (`setVariables`).
public struct NamedExpression: Sendable, Hashable, Codable {
    public var name: String
    public var expression: ExpressionDefinition

    public init(name: String, expression: ExpressionDefinition) {
        self.name = name
        self.expression = expression
    }
}
