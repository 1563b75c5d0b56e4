import CLibXML2

#if canImport(Glibc)
    import Glibc
#endif

/// A compiled XPath 1.0 expression, evaluated with libxml2 over an ``XMLTree``.
///
/// Unlike FoundationXML's `nodes(forXPath:)`, scalar results (`count()`, `string()`,
/// booleans, numbers) are returned as such:
///
/// ```swift
/// let items = try XPath("count(/order/item)")
/// try items.evaluate(tree)  // .number(2)
/// let skus = try XPath("/o:order/o:item/@sku", namespaces: ["o": "urn:orders"])
/// ```
///
/// Prefixes declared on the document's root element are available without registering
/// them; `namespaces` adds or overrides bindings.
public struct XPath: Sendable {
    public let expression: String
    public let namespaces: [String: String]
    let compiled: CompiledXPath

    public init(_ expression: String, namespaces: [String: String] = [:]) throws(ExpressionError) {
        _ = XMLTree.setUp
        self.expression = expression
        self.namespaces = namespaces
        let errors = XPathErrors()
        guard let context = xmlXPathNewContext(nil) else {
            throw ExpressionError(
                language: "xpath", expression: expression, position: 1,
                "out of memory compiling XPath")
        }
        defer { xmlXPathFreeContext(context) }
        let box = Unmanaged.passRetained(errors)
        defer { box.release() }
        context.pointee.userData = box.toOpaque()
        context.pointee.error = xpathErrorHandler
        guard let comp = xmlXPathCtxtCompile(context, expression) else {
            let (message, offset) = errors.first ?? ("invalid XPath expression", 0)
            let position = String(decoding: expression.utf8.prefix(offset), as: UTF8.self).count + 1
            throw ExpressionError(
                language: "xpath", expression: expression, position: position, message,
                hint: "check the expression against XPath 1.0")
        }
        self.compiled = CompiledXPath(comp)
    }

    /// Evaluates against a parsed document.
    public func evaluate(_ tree: XMLTree) throws(EvaluationError) -> XPathResult {
        let object = try run(tree)
        defer { xmlXPathFreeObject(object) }
        switch object.pointee.type {
        case XPATH_NODESET:
            var values: [String] = []
            if let set = object.pointee.nodesetval, set.pointee.nodeNr > 0 {
                for i in 0..<Int(set.pointee.nodeNr) {
                    guard let node = set.pointee.nodeTab[i],
                        let raw = xmlXPathCastNodeToString(node)
                    else { continue }
                    values.append(String(cString: raw))
                    // libxml2 allocates with malloc; Caravan never installs other allocators.
                    free(raw)
                }
            }
            return .nodes(values)
        case XPATH_BOOLEAN: return .boolean(object.pointee.boolval != 0)
        case XPATH_NUMBER: return .number(object.pointee.floatval)
        case XPATH_STRING:
            return .string(object.pointee.stringval.map { String(cString: $0) } ?? "")
        default: throw EvaluationError("xpath '\(expression)': unsupported result type")
        }
    }
}

/// What an XPath expression evaluates to.
public enum XPathResult: Sendable, Hashable {
    /// The string values of the selected nodes, in document order.
    case nodes([String])
    case string(String)
    case number(Double)
    case boolean(Bool)

    /// XPath's `boolean()`: a non-empty node set, a non-zero number, a non-empty string.
    public var booleanValue: Bool {
        switch self {
        case .nodes(let n): !n.isEmpty
        case .string(let s): !s.isEmpty
        case .number(let d): d != 0 && !d.isNaN
        case .boolean(let b): b
        }
    }

    /// XPath's number-to-string rule: integers without a decimal point, `NaN`, `Infinity`.
    public static func text(of number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    /// As a document: one node's value as a string, several as an array, scalars as they are.
    public var document: Document {
        switch self {
        case .nodes(let values):
            values.count == 1 ? .string(values[0]) : .array(values.map(Document.string))
        case .string(let s): .string(s)
        case .number(let d): DecimalText(d).map(Document.number) ?? .string(XPathResult.text(of: d))
        case .boolean(let b): .bool(b)
        }
    }
}

/// A compiled libxml2 XPath program. It is only read while evaluating, so one instance is
/// shared across tasks.
final class CompiledXPath: @unchecked Sendable {
    let pointer: xmlXPathCompExprPtr

    init(_ pointer: xmlXPathCompExprPtr) { self.pointer = pointer }

    deinit { xmlXPathFreeCompExpr(pointer) }
}

/// Keeps the first XPath error (its message and byte offset in the expression).
private final class XPathErrors {
    var first: (String, Int)?
}

private let xpathErrorHandler: xmlStructuredErrorFunc = { userData, error in
    guard let userData, let error else { return }
    let errors = Unmanaged<XPathErrors>.fromOpaque(userData).takeUnretainedValue()
    guard errors.first == nil else { return }
    // libxml2's XPath errors carry a code but no message text.
    var message =
        error.pointee.message.map { String(cString: $0) } ?? xpathMessages[Int(error.pointee.code)]
        ?? "invalid XPath expression"
    while message.last == "\n" { message.removeLast() }
    errors.first = (message, Int(error.pointee.int1))
}

/// libxml2's XPath error codes (XML_XPATH_*), in words.
private let xpathMessages: [Int: String] = [
    1201: "a number is malformed", 1202: "a string literal is never closed",
    1203: "a string literal was expected",
    1204: "'$' must be followed by a variable name", 1205: "the variable is not defined",
    1206: "the predicate is invalid",
    1207: "the expression is invalid", 1208: "a bracket or parenthesis is never closed",
    1209: "unknown function",
    1210: "an operand has the wrong type", 1211: "a value has the wrong type",
    1212: "a function has the wrong number of arguments",
    1219: "the namespace prefix is not declared", 1220: "the expression is not valid UTF-8",
    1221: "an invalid character",
]

extension XPath {
    /// Evaluates the compiled expression over `tree` with the document's and the given
    /// namespace bindings; the caller frees the result with `xmlXPathFreeObject`.
    func run(_ tree: XMLTree) throws(EvaluationError) -> xmlXPathObjectPtr {
        guard let context = xmlXPathNewContext(tree.doc) else {
            throw EvaluationError("out of memory evaluating XPath")
        }
        defer { xmlXPathFreeContext(context) }
        // The context node is the document node, as in Camel (JAXP evaluates against the
        // Document): a relative path (`.`, `*`, `order/id`) starts there. libxml2's new
        // context has no node, and a relative path then selects nothing.
        context.pointee.node = xmlNodePtr(OpaquePointer(tree.doc))
        let errors = XPathErrors()
        let box = Unmanaged.passRetained(errors)
        defer { box.release() }
        context.pointee.userData = box.toOpaque()
        context.pointee.error = xpathErrorHandler
        xmlXPathRegisterFunc(context, "number", nil)
        xmlXPathRegisterFunc(context, "number", xpathNumber)
        var ns = tree.root?.pointee.nsDef
        while let n = ns {
            if let prefix = n.pointee.prefix, let href = n.pointee.href {
                xmlXPathRegisterNs(context, prefix, href)
            }
            ns = n.pointee.next
        }
        for (prefix, uri) in namespaces { xmlXPathRegisterNs(context, prefix, uri) }
        guard let object = xmlXPathCompiledEval(compiled.pointer, context) else {
            throw EvaluationError(
                "xpath '\(expression)': \(errors.first?.0 ?? "the expression could not be evaluated")"
            )
        }
        return object
    }

    /// The selected nodes serialised as XML (for `split` with xpath, whose parts are
    /// elements, not their text); `nil` when the result is not a node set.
    public func selectXML(_ tree: XMLTree) throws(EvaluationError) -> [String]? {
        let object = try run(tree)
        defer { xmlXPathFreeObject(object) }
        guard object.pointee.type == XPATH_NODESET else { return nil }
        var parts: [String] = []
        guard let set = object.pointee.nodesetval, set.pointee.nodeNr > 0 else { return parts }
        for i in 0..<Int(set.pointee.nodeNr) {
            guard let node = set.pointee.nodeTab[i], let buffer = xmlBufferCreate() else {
                continue
            }
            defer { xmlBufferFree(buffer) }
            if node.pointee.type == XML_ELEMENT_NODE {
                xmlNodeDump(buffer, tree.doc, node, 0, 0)
                parts.append(buffer.pointee.content.map { String(cString: $0) } ?? "")
            } else if let raw = xmlXPathCastNodeToString(node) {
                parts.append(String(cString: raw))
                free(raw)
            }
        }
        return parts
    }
}

/// XPath's `number()`, with libxml2's one wrong answer corrected: a string that is only a
/// minus sign (with whitespace) is NaN, not -0 (XPath 1.0 §4.4: anything that is not a
/// Number is NaN). Everything else goes to libxml2's own function. Implicit conversions
/// inside libxml2 (`'-' + 1`) keep its answer.
private let xpathNumber: xmlXPathFunction = { parser, nargs in
    guard let parser, nargs == 1, let top = parser.pointee.value,
        top.pointee.type == XPATH_STRING || top.pointee.type == XPATH_NODESET,
        let raw = xmlXPathCastToString(top)
    else {
        xmlXPathNumberFunction(parser, nargs)
        return
    }
    let text = String(cString: raw)
    free(raw)
    guard text.filter({ !" \t\n\r".contains($0) }) == "-" else {
        xmlXPathNumberFunction(parser, nargs)
        return
    }
    xmlXPathFreeObject(valuePop(parser))
    valuePush(parser, xmlXPathNewFloat(.nan))
}
