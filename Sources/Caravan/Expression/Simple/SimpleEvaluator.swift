/// Evaluates compiled Simple nodes against one exchange.
struct SimpleEvaluator {
    let exchange: Exchange
    let context: SimpleContext

    // MARK: - Conditions

    func test(_ node: SimpleNode) throws(EvaluationError) -> Bool {
        switch node {
        case .template(let t): return SimpleEvaluator.truthiness(try value(t))
        case .and(let l, let r):
            guard try test(l) else { return false }
            return try test(r)
        case .or(let l, let r):
            if try test(l) { return true }
            return try test(r)
        case .binary(let l, let op, let r, let regex):
            return try compare(try operand(l), op, try operand(r), regex: regex)
        }
    }

    /// Camel's `evaluateValuePredicate`: booleans as they are, "true"/"false" strings, any
    /// other non-null value is true.
    static func truthiness(_ value: Document) -> Bool {
        switch value {
        case .null: return false
        case .bool(let b): return b
        case .string(let s):
            let t = s.trimmingXMLWhitespace().lowercased()
            if t == "false" { return false }
            return true
        case .array(let a): return !a.isEmpty
        default: return true
        }
    }

    func operand(_ o: SimpleOperand) throws(EvaluationError) -> Document {
        switch o {
        case .template(let t): return try value(t)
        case .quoted(let t): return .string(try text(t))
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .null: return .null
        }
    }

    func compare(_ left: Document, _ op: SimpleOperator, _ right: Document, regex: CompiledRegex?)
        throws(EvaluationError) -> Bool
    {
        switch op {
        case .equal: return SimpleCoercion.equal(left, right, ignoreCase: false)
        case .equalIgnoreCase: return SimpleCoercion.equal(left, right, ignoreCase: true)
        case .notEqual: return !SimpleCoercion.equal(left, right, ignoreCase: false)
        case .notEqualIgnoreCase: return !SimpleCoercion.equal(left, right, ignoreCase: true)
        case .greater: return SimpleCoercion.order(left, right).map { $0 > 0 } ?? false
        case .greaterOrEqual: return SimpleCoercion.order(left, right).map { $0 >= 0 } ?? false
        case .less: return SimpleCoercion.order(left, right).map { $0 < 0 } ?? false
        case .lessOrEqual: return SimpleCoercion.order(left, right).map { $0 <= 0 } ?? false
        case .contains: return SimpleCoercion.contains(left, right, ignoreCase: false)
        case .notContains: return !SimpleCoercion.contains(left, right, ignoreCase: false)
        case .containsIgnoreCase: return SimpleCoercion.contains(left, right, ignoreCase: true)
        case .notContainsIgnoreCase: return !SimpleCoercion.contains(left, right, ignoreCase: true)
        case .regex, .notRegex:
            guard left != .null else { return op == .notRegex }
            let compiled: Regex<AnyRegexOutput>
            if let regex {
                compiled = regex.regex
            } else {
                let pattern = SimpleCoercion.text(right)
                do { compiled = try Regex(pattern) } catch {
                    throw EvaluationError("invalid regular expression '\(pattern)': \(error)")
                }
            }
            let matched = (try? compiled.wholeMatch(in: SimpleCoercion.text(left))) != nil
            return op == .regex ? matched : !matched
        case .in, .notIn:
            let items = SimpleCoercion.text(right).split(
                separator: ",", omittingEmptySubsequences: false)
            let found = items.contains {
                SimpleCoercion.equal(
                    left, .string(String($0).trimmingXMLWhitespace()), ignoreCase: false)
            }
            return op == .in ? found : !found
        case .is, .notIs:
            let name = SimpleCoercion.text(right)
            guard let type = SimpleType(javaName: name) else {
                throw EvaluationError(
                    "unknown type '\(name)' after 'is' — use String, Integer, Double, Boolean, Map or List"
                )
            }
            return op == .is ? type.matches(left) : !type.matches(left)
        case .range, .notRange:
            let bounds = SimpleCoercion.text(right).split(
                separator: "..", omittingEmptySubsequences: false
            ).map(String.init)
            guard bounds.count == 2, let low = Double(bounds[0].trimmingXMLWhitespace()),
                let high = Double(bounds[1].trimmingXMLWhitespace())
            else {
                throw EvaluationError(
                    "range needs 'from..to' with numbers, not '\(SimpleCoercion.text(right))'")
            }
            guard let v = SimpleCoercion.number(left) else { return op == .notRange }
            let inside = v >= low && v <= high
            return op == .range ? inside : !inside
        case .startsWith, .notStartsWith:
            let r = left != .null && SimpleCoercion.text(left).hasPrefix(SimpleCoercion.text(right))
            return op == .startsWith ? r : !r
        case .endsWith, .notEndsWith:
            let r = left != .null && SimpleCoercion.text(left).hasSuffix(SimpleCoercion.text(right))
            return op == .endsWith ? r : !r
        }
    }

    // MARK: - Values

    /// A lone function keeps its type; text with functions is a string.
    func value(_ t: SimpleTemplate) throws(EvaluationError) -> Document {
        if t.parts.count == 1, case .function(let f) = t.parts[0] { return try value(f) }
        return .string(try text(t))
    }

    func text(_ t: SimpleTemplate) throws(EvaluationError) -> String {
        var s = ""
        for part in t.parts {
            switch part {
            case .text(let literal): s += literal
            case .function(let f): s += SimpleCoercion.text(try value(f))
            }
        }
        return s
    }

    func value(_ f: SimpleFunction) throws(EvaluationError) -> Document {
        let message = exchange.message
        switch f {
        case .body(let path):
            if path.isEmpty { return bodyValue() }
            return try apply(path, to: try bodyDocument())
        case .bodyAs(let type, let mandatory, let path):
            let converted = try Self.convert(
                path.isEmpty ? bodyValue() : try bodyDocument(), to: type, what: "the body")
            if mandatory, converted == .null {
                throw EvaluationError("the body is empty but mandatoryBodyAs requires one")
            }
            return try apply(path, to: converted)
        case .header(let name, let path):
            return try apply(path, to: message.headers[name] ?? .null)
        case .headerAs(let name, let type):
            return try Self.convert(
                message.headers[name] ?? .null, to: type, what: "the header \(name)")
        case .variableAs(let name, let type):
            return try Self.convert(
                exchange.variables[name] ?? .null, to: type, what: "the variable \(name)")
        case .headers(let path):
            return try apply(path, to: message.headers.document)
        case .property(let name, let path):
            return try apply(path, to: exchange.properties[name] ?? .null)
        case .variable(let name, let path):
            return try apply(path, to: exchange.variables[name] ?? .null)
        case .variables(let path):
            return try apply(path, to: Document(sortedKeys: exchange.variables))
        case .exchangeId: return .string(exchange.id)
        case .routeId: return exchange.routeId.map(Document.string) ?? .null
        case .exceptionMessage: return exchange.error.map { .string($0.message) } ?? .null
        case .exceptionStackTrace:
            return exchange.error.map { .string("\($0.kind): \($0.message)") } ?? .null
        case .date(let source, let zone, let pattern):
            return try SimpleDates.format(
                source: source, timeZone: zone, pattern: pattern, exchange: exchange,
                context: context)
        case .random(let min, let max): return .number(DecimalText(Int.random(in: min..<max)))
        case .uuid: return .string(Exchange.newId())
        case .env(let name): return context.environmentValue(name).map(Document.string) ?? .null
        case .file(let part): return SimpleFiles.value(part, headers: message.headers)
        case .jsonpath(let path, let input):
            return path.value(of: try json(input))
        case .jq(let program, let input):
            return try program.evaluate(try json(input))
        case .null: return .null
        }
    }

    /// `${body}`: a document body as the document, anything else as text.
    func bodyValue() -> Document {
        switch exchange.message.body.content {
        case .document(let d): return d
        case .empty: return .null
        default: return .string(exchange.message.body.text)
        }
    }

    /// The JSON a `jsonpath()` or `jq()` function reads: the body, or a header, property
    /// or variable — a document as it is, text parsed as JSON.
    func json(_ input: SimpleJSONInput) throws(EvaluationError) -> Document {
        let value: Document?
        switch input {
        case .body: return try bodyDocument()
        case .header(let name): value = exchange.message.headers[name]
        case .property(let name): value = exchange.properties[name]
        case .variable(let name): value = exchange.variables[name]
        }
        guard let value else { return .null }
        guard case .string(let text) = value else { return value }
        do {
            return try JSONReader().read(Array(text.utf8))
        } catch {
            throw EvaluationError("the JSON to read is not JSON: \(error)")
        }
    }

    func bodyDocument() throws(EvaluationError) -> Document {
        do {
            return try exchange.message.body.document()
        } catch {
            throw EvaluationError.bodyUnreadable(error, as: "a document")
        }
    }

    func apply(_ path: SimplePath, to start: Document) throws(EvaluationError) -> Document {
        var current = start
        for step in path.steps {
            switch step {
            case .key(let key):
                switch current {
                case .object(let o): current = o[key] ?? .null
                case .array(let a):
                    current = Int(key).flatMap { a.indices.contains($0) ? a[$0] : nil } ?? .null
                case .null: return .null
                default:
                    throw EvaluationError(
                        "cannot read '\(key)' of a \(current.kindName) value — only objects have members"
                    )
                }
            case .index(let i):
                switch current {
                case .array: current = current[i] ?? .null
                case .object(let o): current = o[String(i)] ?? .null
                case .null: return .null
                default:
                    throw EvaluationError("cannot index a \(current.kindName) value with [\(i)]")
                }
            case .last(let minus):
                guard case .array(let a) = current else {
                    if current == .null { return .null }
                    throw EvaluationError("[last] needs an array, not a \(current.kindName)")
                }
                current = a.indices.contains(a.count - 1 - minus) ? a[a.count - 1 - minus] : .null
            case .method(let m):
                current = try call(m, on: current)
            }
        }
        return current
    }

    func call(_ method: SimpleMethod, on value: Document) throws(EvaluationError) -> Document {
        switch (method, value) {
        case (.size, .array(let a)), (.length, .array(let a)): return .number(DecimalText(a.count))
        case (.size, .object(let o)), (.length, .object(let o)):
            return .number(DecimalText(o.count))
        case (.size, .null), (.length, .null): return .number(DecimalText(0))
        case (.size, _), (.length, _): return .number(DecimalText(SimpleCoercion.text(value).count))
        case (.isEmpty, .array(let a)): return .bool(a.isEmpty)
        case (.isEmpty, .object(let o)): return .bool(o.isEmpty)
        case (.isEmpty, .null): return .bool(true)
        case (.isEmpty, _): return .bool(SimpleCoercion.text(value).isEmpty)
        case (_, .null): return .null
        case (.toUpperCase, _): return .string(SimpleCoercion.text(value).uppercased())
        case (.toLowerCase, _): return .string(SimpleCoercion.text(value).lowercased())
        case (.trim, _): return .string(SimpleCoercion.text(value).trimmingXMLWhitespace())
        }
    }

    static func convert(_ value: Document, to type: SimpleType, what: String)
        throws(EvaluationError)
        -> Document
    {
        if value == .null { return .null }
        switch type {
        case .any: return value
        case .string: return .string(SimpleCoercion.text(value))
        case .integer, .number:
            guard let n = SimpleCoercion.numberText(value) else {
                throw EvaluationError(
                    "cannot convert \(what) ('\(SimpleCoercion.text(value).prefix(40))') to a number"
                )
            }
            if type == .integer {
                guard let i = n.intValue else {
                    throw EvaluationError("cannot convert \(what) (\(n.text)) to an integer")
                }
                return .number(DecimalText(i))
            }
            return .number(n)
        case .boolean:
            switch SimpleCoercion.text(value).lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw EvaluationError("cannot convert \(what) to a boolean")
            }
        case .map, .list:
            var document = value
            if case .string(let s) = value {
                do { document = try JSONReader().read(s) } catch {
                    throw EvaluationError(
                        "cannot convert \(what) to a \(type == .map ? "map" : "list"): \(error)")
                }
            }
            guard type.matches(document) else {
                throw EvaluationError(
                    "cannot convert \(what) (a \(document.kindName)) to a \(type == .map ? "map" : "list")"
                )
            }
            return document
        }
    }
}
