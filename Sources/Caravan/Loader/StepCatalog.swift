/// What route files may contain: the keys each construct accepts, and what is refused.
///
/// One table serves the loader (unknown keys, "did you mean"), and `caravan schema`.
enum StepCatalog {
    /// Keys every step accepts.
    static let commonKeys = ["id", "description", "note", "disabled"]

    /// The expression languages (as step keys and inside `expression:`).
    static let languages = [
        "simple", "constant", "jsonpath", "xpath", "header", "exchangeProperty", "variable",
        "tokenize", "jq",
    ]

    /// The keys of each step beyond ``commonKeys``; `languages` marks steps that take an
    /// expression (as `expression:` or a language key).
    static let steps: [String: (keys: [String], expression: Bool)] = [
        "to": (["uri", "parameters", "pattern", "variableSend", "variableReceive"], false),
        "toD": (["uri", "parameters", "pattern", "variableSend", "variableReceive"], false),
        "log": (["message", "loggingLevel", "logName", "marker"], false),
        "setBody": ([], true),
        "setHeader": (["name"], true),
        "setProperty": (["name"], true),
        "setVariable": (["name"], true),
        "setVariables": (["variables"], false),
        "removeVariable": (["name"], false),
        "removeHeader": (["name", "headerName"], false),
        "removeHeaders": (["pattern", "excludePattern"], false),
        "removeProperty": (["name", "propertyName"], false),
        "removeProperties": (["pattern", "excludePattern"], false),
        "transform": ([], true),
        "convertBodyTo": (["type", "charset", "mandatory"], false),
        "choice": (["when", "otherwise"], false),
        "filter": (["steps"], true),
        "marshal": (["json", "jacksonXml", "csv"], false),
        "unmarshal": (["json", "jacksonXml", "csv"], false),
        "split": (
            [
                "steps", "aggregationStrategy", "stopOnException", "parallelProcessing",
                "streaming", "shareUnitOfWork",
            ], true
        ),
        "loop": (["steps", "copy"], true),
        "idempotentConsumer": (
            [
                "idempotentRepository", "eager", "skipDuplicate", "removeOnFailure",
                "completionEager", "steps",
            ], true
        ),
        "multicast": (
            ["steps", "aggregationStrategy", "parallelProcessing", "stopOnException"], false
        ),
        "recipientList": (
            ["delimiter", "parallelProcessing", "stopOnException", "ignoreInvalidEndpoints"], true
        ),
        "wireTap": (["uri", "parameters", "variableSend"], false),
        "enrich": (["aggregationStrategy", "variableSend", "variableReceive"], true),
        "delay": (["asyncDelayed"], true),
        "throttle": (["timePeriodMillis"], true),
        "stop": ([], false),
        "throwException": (["exceptionType", "message"], false),
        "validate": ([], true),
        "doTry": (["steps", "doCatch", "doFinally"], false),
        "aggregate": (
            [
                "correlationExpression", "aggregationStrategy", "completionSize",
                "completionTimeout", "completionPredicate", "completionSizeExpression",
                "completionTimeoutExpression", "discardOnCompletionTimeout",
                "completionInterval", "completionOnNewCorrelationGroup",
                "closeCorrelationKeyOnCompletion",
                "eagerCheckCompletion", "ignoreInvalidCorrelationKeys", "steps",
            ], false
        ),
        "circuitBreaker": (
            ["steps", "onFallback", "resilience4jConfiguration", "configuration"], false
        ),
    ]

    /// Camel constructs outside Caravan's subset, refused by name with what to use instead.
    static let refusedSteps: [String: String] = [
        "bean": "Caravan runs no Java beans; use setBody/transform with simple or jsonpath",
        "process": "Caravan runs no Java processors; use the supported steps",
        "script": "scripts are not supported; use simple expressions",
        "kamelet": "kamelets are not supported",
        "pollEnrich": "use enrich",
        "saga": "sagas are not supported",
        "resequence": "resequence is not supported",
        "loadBalance": "use multicast or recipientList",
        "routingSlip": "use recipientList",
        "dynamicRouter": "use choice or recipientList",
        "sample": "sampling is not supported; use throttle",
        "onException":
            "onException inside steps is not supported; declare it at the top of the file",
        "setHeaders": "use one setHeader per header",
        "policy": "policies are not supported",
        "transacted": "transactions are not supported",
        "claimCheck": "claim checks are not supported",
        "rollback": "use throwException",
        "serviceCall": "service calls are not supported",
        "step": "nested step groups are not supported; list the steps directly",
        "threads": "thread pools are not configurable",
        "tokenizer": "use split with tokenize",
        "intercept": "interceptors are not supported",
        "interceptFrom": "interceptors are not supported",
        "interceptSendToEndpoint": "interceptors are not supported",
        "onCompletion": "onCompletion is not supported",
        "rest": "rest is a top-level item of a route file, not a step",
    ]

    /// Languages Camel has and Caravan refuses.
    static let refusedLanguages = [
        "groovy", "js", "javaScript", "ognl", "mvel", "spel", "datasonnet", "joor", "java",
        "method", "ref", "language", "python", "xquery", "wasm", "csimple", "hl7terser",
        "bean",
    ]

    /// Keys of a `route`.
    static let routeKeys = [
        "id", "description", "from", "routeConfigurationId", "autoStartup", "group", "nodePrefixId",
        "routePolicy", "streamCaching", "messageHistory", "logMask", "trace", "precondition",
        "startupOrder", "errorHandler",
    ]
    /// Keys of a `from`.
    static let fromKeys = ["uri", "parameters", "steps", "id", "description", "variableReceive"]
    /// The top-level items.
    static let items = [
        "route", "from", "routeConfiguration", "errorHandler", "onException", "beans", "rest",
        "restConfiguration",
    ]

    /// Every step name, for "did you mean".
    static var allStepNames: [String] { Array(steps.keys) + Array(refusedSteps.keys) }
}
