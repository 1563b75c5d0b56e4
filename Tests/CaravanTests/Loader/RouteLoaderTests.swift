import Testing

@testable import Caravan

func load(_ yaml: String, properties: [String: String] = [:], environment: [String: String] = [:])
    -> RouteLoader.Result
{
    RouteLoader(placeholders: PlaceholderResolver(properties: properties, environment: environment))
        .load([RouteFile(path: "routes/test.yaml", text: yaml)])
}

@Suite struct RouteLoaderTests {
    @Test func canonicalAndShorthandSpellingsLoadTheSame() throws {
        let canonical = load(
            """
            - route:
                id: r
                from:
                  uri: direct:in
                  steps:
                    - setBody:
                        expression:
                          simple:
                            expression: "${body}!"
                    - to:
                        uri: mock:out
                    - log:
                        message: "got ${body}"
            """)
        let shorthand = load(
            """
            - route:
                id: r
                from:
                  uri: direct:in
                  steps:
                    - setBody:
                        simple: "${body}!"
                    - to: mock:out
                    - log: "got ${body}"
            """)
        #expect(canonical.diagnostics.isEmpty && shorthand.diagnostics.isEmpty)
        let a = try #require(canonical.routes.route("r")).steps.map(\.kind)
        let b = try #require(shorthand.routes.route("r")).steps.map(\.kind)
        #expect(a.count == 3)
        #expect(a.map(\.name) == b.map(\.name))
        if case .setBody(let x) = a[0], case .setBody(let y) = b[0] {
            #expect(x.text == y.text && x.language == y.language)
        }
        if case .to(let x) = a[1], case .to(let y) = b[1] { #expect(x == y) }
    }

    /// Camel 3 and Camel K files spell steps and keys in kebab case; Camel 4 reads them.
    @Test func kebabCaseStepsAndKeysLoadAsTheirCamelCaseNamesWithAWarning() throws {
        let kebab = load(
            """
            - error-handler:
                dead-letter-channel:
                  dead-letter-uri: mock:dead
                  redelivery-policy: {maximum-redeliveries: 2}
            - route:
                id: r
                from:
                  uri: direct:in
                  steps:
                    - set-header: {name: tier, simple: gold}
                    - set-body: {constant: done}
                    - to-d: "mock:${header.tier}"
            """)
        #expect(kebab.errors.isEmpty, "\(kebab.diagnostics)")
        let warnings = kebab.diagnostics.filter { $0.severity == .warning }
        #expect(warnings.count == 8, "\(warnings)")
        #expect(
            warnings.contains { $0.message == "'set-body' is the kebab-case spelling of 'setBody'" }
        )
        #expect(warnings.contains { $0.location.line == 3 && $0.location.column == 7 })
        let steps = try #require(kebab.routes.route("r")).steps.map(\.kind.name)
        #expect(steps == ["setHeader", "setBody", "toD"])
        #expect(kebab.routes.errorHandler?.redeliveryPolicy.maximumRedeliveries == 2)
        // Camel's names that are not kebab case stay as they are.
        #expect(MappingReader.camelCase(kebab: "setBody") == nil)
        #expect(MappingReader.camelCase(kebab: "X-Api-Key") == nil)
        #expect(MappingReader.camelCase(kebab: "a--b") == nil)
    }

    /// `id`, `description` and `note` may sit on any element without changing it.
    @Test func idDescriptionAndNoteAreAcceptedOnEveryElement() throws {
        let result = load(
            """
            - errorHandler:
                id: dlc
                description: the dead letters
                deadLetterChannel:
                  id: inner
                  deadLetterUri: mock:dead
                  redeliveryPolicy: {id: policy, note: three tries, maximumRedeliveries: 3}
            - route:
                id: r
                note: the orders
                from:
                  uri: direct:in
                  note: entry
                  steps:
                    - log: {message: hi, note: greeting}
            """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        #expect(result.routes.errorHandler?.redeliveryPolicy.maximumRedeliveries == 3)
        if case .deadLetterChannel(let uri)? = result.routes.errorHandler?.kind {
            #expect(uri.description == "mock:dead")
        } else {
            Issue.record(
                "not a dead letter channel: \(String(describing: result.routes.errorHandler))")
        }
    }

    @Test func uriAndParametersMergeAsInCamel() throws {
        let result = load(
            """
            - from:
                uri: "file:out?fileExist=Append"
                steps:
                  - to:
                      uri: "log:orders?level=DEBUG"
                      parameters:
                        showHeaders: true
                        level: WARN
                  - to:
                      uri: file
                      parameters:
                        directoryName: out/hazmat
            """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let route = try #require(result.routes.routes.first)
        #expect(route.id == "route1")
        guard case .to(let log) = route.steps[0].kind, case .to(let file) = route.steps[1].kind
        else { Issue.record("not to"); return }
        #expect(log[option: "level"] == "WARN" && log[option: "showHeaders"] == "true")
        #expect(file.description == "file:out/hazmat")
    }

    @Test func placeholdersResolveFromPropertiesAndEnvironment() throws {
        let result = load(
            """
            - from:
                uri: "direct:{{in.name}}"
                steps:
                  - to: "{{target:mock:fallback}}"
                  - setHeader:
                      name: token
                      constant: "{{env:API_TOKEN}}"
            """, properties: ["in.name": "orders"], environment: ["API_TOKEN": "s3cret"])
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let route = try #require(result.routes.routes.first)
        #expect(route.from.description == "direct:orders")
        guard case .to(let uri) = route.steps[0].kind,
            case .setHeader(_, let token) = route.steps[1].kind
        else { return }
        #expect(uri.description == "mock:fallback")
        #expect(token.text == "s3cret")
    }

    @Test func aMissingPropertyIsAnErrorWithAHint() {
        let result = load("- from: {uri: \"direct:{{nope}}\", steps: []}")
        #expect(result.errors.first?.message.contains("'nope' is not defined") == true)
    }

    @Test func everyProblemOfAFileIsReportedWithItsPosition() {
        let result = load(
            """
            - route:
                id: r
                from:
                  uri: direct:in
                  steps:
                    - bean: {ref: x}
                    - setBody:
                        groovy: "1"
                    - filtr:
                        simple: "x"
                    - to: "kafka:orders"
                    - filter:
                        simple: "${header.a} == "
                        stpes: []
            """)
        let lines = result.errors.map { "\($0.location.line):\($0.location.column)" }
        #expect(
            lines == ["6:11", "8:13", "9:11", "11:15", "13:34", "14:13"], "\(result.diagnostics)")
        #expect(result.errors[2].message.contains("did you mean 'filter'"))
        #expect(result.errors[5].message.contains("did you mean 'steps'"))
        #expect(result.errors.allSatisfy { $0.description.hasPrefix("routes/test.yaml:") })
    }

    @Test func duplicateRouteIdsAreRejected() {
        let result = load(
            """
            - route: {id: a, from: {uri: direct:a, steps: []}}
            - route: {id: a, from: {uri: direct:b, steps: []}}
            """)
        #expect(result.errors.count == 1)
        #expect(result.errors[0].message.contains("duplicate route id 'a'"))
        #expect(result.errors[0].location.line == 2)
    }

    @Test func yamlSyntaxErrorsHaveAPosition() {
        let result = load("- route:\n    id: [unclosed\n")
        #expect(result.errors.count == 1)
        #expect(result.errors[0].message.hasPrefix("YAML syntax"))
        #expect(result.errors[0].location.line >= 2)
    }

    @Test func outOfSubsetItemsAndEndpointsAreRefused() {
        let result = load(
            """
            - routeTemplate: {}
            - from: {uri: "kamelet:source", steps: []}
            - from: {uri: "http://example.com", steps: []}
            """)
        #expect(result.errors.count == 3)
        #expect(result.errors[1].message.contains("'kamelet:' is not supported"))
        #expect(result.errors[2].message.contains("cannot start a route"))
    }

    @Test func choiceSplitAndDoTryLoad() throws {
        let result = load(
            """
            - from:
                uri: direct:in
                steps:
                  - choice:
                      when:
                        - simple: "${body} == 'a'"
                          steps: [{to: mock:a}]
                        - expression: {jsonpath: {expression: "$.x"}}
                          steps: [{to: mock:x}]
                      otherwise:
                        steps: [{to: mock:other}]
                  - split:
                      tokenize: {token: ",", skipFirst: true}
                      aggregationStrategy: "#class:org.apache.camel.processor.aggregate.GroupedBodyAggregationStrategy"
                      steps: [{to: mock:part}]
                  - doTry:
                      steps: [{to: direct:risky}]
                      doCatch:
                        - exception: [java.io.IOException, java.lang.IllegalStateException]
                          onWhen: {simple: "${exception.message} contains 'x'"}
                          steps: [{log: caught}]
                      doFinally:
                        steps: [{log: done}]
            """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let steps = try #require(result.routes.routes.first).steps
        guard case .split(let split) = steps[1].kind else { Issue.record("no split"); return }
        #expect(split.strategy == .groupedBody)
        #expect(split.expression.tokenize?.skipFirst == true)
    }

    @Test func propertiesFilesParseLikeJava() {
        let props = PlaceholderResolver.parseProperties(
            """
            # comment
            ! also a comment
            a=1
            b : two words
            c three
            long = first \\
                   second
            escaped\\=key=v\\tw
            """)
        #expect(
            props == [
                "a": "1", "b": "two words", "c": "three", "long": "first second",
                "escaped=key": "v\tw",
            ])
    }

    @Test func anExpressionErrorPointsIntoTheQuotedText() {
        let result = load(
            """
            - from:
                uri: direct:in
                steps:
                  - setBody:
                      simple: "abc ${bdy}"
            """)
        #expect(result.errors.count == 1)
        #expect(result.errors[0].location.column == 26)  // the b of bdy
        #expect(result.errors[0].message.contains("did you mean 'body'"))
    }
}

@Suite struct CamelCompatibilityTests {
    /// What `camel init hello.camel.yaml` (Camel JBang 4) and Kaoto write: ids on every
    /// node, canonical expressions.
    @Test func camelJBangStyleFilesLoadUnchanged() throws {
        let result = load(
            """
            - route:
                id: route-3a5e
                nodePrefixId: route-0c1
                from:
                  id: from-1f2a
                  uri: timer:yaml
                  parameters:
                    period: "1000"
                  steps:
                    - setBody:
                        id: setBody-4b1c
                        expression:
                          simple:
                            id: simple-8d7e
                            expression: Hello Camel from ${routeId}
                    - choice:
                        id: choice-7a3b
                        when:
                          - id: when-1c2d
                            expression:
                              simple:
                                expression: ${header.CamelTimerCounter} > 2
                            steps:
                              - log:
                                  id: log-5e6f
                                  message: ${body}
                        otherwise:
                          id: otherwise-9b8a
                          steps:
                            - to:
                                id: to-2d3e
                                uri: log:info
            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let route = try #require(result.routes.route("route-3a5e"))
        #expect(route.from.description == "timer:yaml?period=1000")
        #expect(route.steps.map(\.name) == ["setBody", "choice"])
        #expect(route.steps[0].id == "setBody-4b1c")
    }

    @Test func theCamelDocsSplitAndErrorHandlerExamplesLoad() throws {
        let result = load(
            """
            - errorHandler:
                deadLetterChannel:
                  deadLetterUri: mock:dead
                  redeliveryPolicy:
                    maximumRedeliveries: 3
                    redeliveryDelay: 250
                    retryAttemptedLogLevel: WARN
            - beans:
                - name: myAggregationStrategy
                  type: "#class:org.apache.camel.processor.aggregate.UseLatestAggregationStrategy"
            - from:
                uri: "direct:start"
                steps:
                  - split:
                      expression:
                        tokenize:
                          token: ","
                      aggregationStrategy: "#myAggregationStrategy"
                      steps:
                        - to: "mock:split"
                  - removeHeaders:
                      pattern: "*"
                  - convertBodyTo:
                      type: java.lang.String
            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        guard case .split(let split)? = result.routes.routes.first?.steps.first?.kind else {
            Issue.record("no split"); return
        }
        #expect(split.strategy == .useLatest)
        #expect(result.routes.errorHandler?.redeliveryPolicy.retryAttemptedLogLevel == .WARN)
    }

    @Test func aRemoveHeadersPatternThatIsNoRegexIsRefusedWithItsPosition() {
        let result = load(
            """
            - from:
                uri: direct:in
                steps:
                  - removeHeaders:
                      pattern: "X-(Trace"
                  - removeHeaders: "*Id"
                  - removeHeaders: {pattern: "Camel*", excludePattern: "[a-"}
                  - removeHeaders: {pattern: "X-(Trace|Span)-.*", excludePattern: "Camel*"}
            """)
        #expect(result.errors.count == 3)
        #expect(result.errors.map(\.location.line) == [5, 6, 7])
        #expect(result.errors.allSatisfy { $0.message.contains("nor a valid regular expression") })
    }

    @Test func errorHandlingMistakesAreReported() {
        let result = load(
            """
            - errorHandler:
                deadLetterChanel: {deadLetterUri: mock:dead}
            - onException:
                handled: {constant: true}
            - routeConfiguration:
                onException:
                  - onException:
                      exception: [java.lang.Exception]
                      redeliveryPolicy: {maximumRedeliveries: 2, delayPatern: "x"}
            - route:
                routeConfigurationId: missing
                from: {uri: direct:a, steps: []}
            """)
        let messages = result.errors.map(\.message)
        #expect(
            messages.contains {
                $0.contains(
                    "unknown error handler 'deadLetterChanel' (did you mean 'deadLetterChannel'?)")
            })
        #expect(messages.contains { $0.contains("'onException' needs 'exception'") })
        #expect(
            messages.contains {
                $0.contains(
                    "unknown key 'delayPatern' in 'redeliveryPolicy' (did you mean 'delayPattern'?)"
                )
            })
        #expect(
            messages.contains {
                $0.contains("uses routeConfiguration 'missing', which no file defines")
            })
    }

    /// Files as Camel's repositories have them: a launcher line, a Kubernetes resource,
    /// a component written bare, the rest component as a consumer, kebab-case parameters.
    @Test func aLauncherFirstLineIsACommentAndKeepsTheLineNumbers() {
        let result = load(
            """
            ///usr/bin/env jbang --quiet camel@apache/camel pipe "$0" "$@" ; exit $?
            ---
            - from:
                uri: "stream:in"
                steps: [{to: log:x}]
            """)
        #expect(result.errors.map(\.location.line) == [4])
        #expect(result.errors.first?.message.contains("'stream:' is not supported") == true)
    }

    @Test func aKubernetesResourceIsToldApartFromARouteFile() {
        let result = load(
            """
            apiVersion: camel.apache.org/v1
            kind: Integration
            spec:
              flows:
                - from: {uri: timer:x, steps: [{to: log:x}]}
            """)
        #expect(result.errors.count == 1)
        #expect(
            result.errors.first?.message
                == "this is a Kubernetes resource (kind: Integration), not a route file")
        #expect(result.errors.first?.location.line == 2)
    }

    @Test func aBareUnknownComponentIsAnUnsupportedScheme() {
        let result = load(
            """
            - from:
                uri: jms
                parameters: {destinationName: orders}
                steps: [{to: log:x}]
            """)
        #expect(
            result.errors.first?.message.hasPrefix("the endpoint scheme 'jms:' is not supported")
                == true)
    }

    @Test func theRestComponentAsAConsumerIsServedAsARestVerb() throws {
        let result = load(
            """
            - from:
                uri: "rest:post:/orders/{id}?consumes=application/json"
                steps: [{setBody: {constant: ok}}]
            """)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let from = try #require(result.routes.routes.first?.from)
        #expect(from.scheme == "platform-http")
        #expect(from.path == "/orders/{id}")
        #expect(from[option: "httpMethodRestrict"] == "POST")
        #expect(from[option: "exchangePattern"] == "InOut")
        #expect(from[option: "consumes"] == "application/json")
        #expect(!load("- from: {uri: \"rest:fetch:/x\", steps: [{to: log:x}]}").errors.isEmpty)
    }

    @Test func kebabCaseEndpointParametersAreTheirCamelCaseWithAWarning() throws {
        let result = load(
            """
            - from:
                uri: timer:t
                steps:
                  - to:
                      uri: log:x
                      parameters: {show-body-type: false}
            """)
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(
            result.diagnostics.contains {
                $0.message.contains("'show-body-type' is the kebab-case spelling of 'showBodyType'")
            })
    }

    /// `resource:` expressions go through the loader's reader; without one they are errors
    /// at the expression.
    @Test func aResourceExpressionIsTheResourcesTextOrAnErrorAtItsPosition() throws {
        struct Reader: ResourceReader {
            func read(_ reference: String, forRouteFile routeFile: String) throws(ResourceError)
                -> String
            {
                guard reference == "classpath:greeting.txt" else {
                    throw ResourceError("the resource '\(reference)' was not found")
                }
                return "Hello ${header.name}"
            }
        }
        let yaml = """
            - from:
                uri: direct:in
                steps:
                  - setBody: {simple: "resource:classpath:greeting.txt"}
                  - setHeader: {name: x, constant: "resource:file:missing.txt"}
            """
        let read = RouteLoader(resources: Reader()).load([RouteFile(path: "r.yaml", text: yaml)])
        #expect(read.errors.map(\.message) == ["the resource 'file:missing.txt' was not found"])
        #expect(read.errors.first?.location.line == 5)
        let none = load(yaml)
        #expect(none.errors.count == 2)
        let ok = RouteLoader(resources: Reader()).load([
            RouteFile(
                path: "r.yaml",
                text:
                    "- from: {uri: direct:in, steps: [{setBody: {simple: \"resource:classpath:greeting.txt\"}}]}"
            )
        ])
        guard case .setBody(let e)? = ok.routes.routes.first?.steps.first?.kind else {
            Issue.record("no setBody: \(ok.errors)")
            return
        }
        #expect(e.text == "Hello ${header.name}")
    }
}
