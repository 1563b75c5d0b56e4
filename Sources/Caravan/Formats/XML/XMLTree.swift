import CLibXML2

#if canImport(Glibc)
    import Glibc
#endif

/// A parsed, hardened XML document owned by libxml2: the input of XPath and of the
/// XML → ``Document`` conversion.
///
/// Parsing refuses what Caravan's XML policy forbids, even where libxml2 would accept it:
/// - a DOCTYPE with an external identifier, and any external entity declaration (no file
///   or network access ever happens: the external entity loader refuses everything);
/// - entity expansion beyond ``XMLTree/maxEntityExpansion(forInputOf:)`` characters,
///   in element text and attribute values alike (billion laughs, quadratic blow-up), and
///   more than ``XMLTree/maxEntityReferencesPerAttribute`` references in one attribute
///   value (libxml2 joins an attribute's parts in quadratic time);
/// - namespace errors (undeclared prefixes, bad `xmlns` bindings);
/// - a byte-order mark that contradicts the declared encoding;
/// - nesting deeper than ``DocumentLimits/maxDepth``.
///
/// The tree is never mutated after parsing, so it is shared read-only across tasks.
public final class XMLTree: @unchecked Sendable {
    let doc: xmlDocPtr

    private init(doc: xmlDocPtr) { self.doc = doc }

    deinit { xmlFreeDoc(doc) }

    /// The largest number of characters entity references may expand to: 1 MiB plus ten
    /// times the input size, enough for any legitimate use of entities.
    public static func maxEntityExpansion(forInputOf bytes: Int) -> Int { (1 << 20) + 10 * bytes }

    /// The most entity references one attribute value may hold. libxml2 builds an
    /// attribute's value (for XPath) by appending each part to the whole, so its cost grows
    /// with the square of the number of parts; legitimate documents use a handful.
    public static let maxEntityReferencesPerAttribute = 256

    /// Parses `bytes` under Caravan's XML policy.
    public static func parse(_ bytes: [UInt8], limits: DocumentLimits = .default)
        throws(FormatError)
        -> XMLTree
    {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(FormatError) in try parse(buffer, limits: limits) }
        }
        return try result.get()
    }

    public static func parse(
        _ buffer: UnsafeBufferPointer<UInt8>, limits: DocumentLimits = .default
    )
        throws(FormatError) -> XMLTree
    {
        _ = XMLTree.setUp
        if buffer.count > limits.maxBytes {
            throw FormatError(
                .xml, line: 0, column: 0,
                "input is \(buffer.count) bytes, over the limit of \(limits.maxBytes)",
                hint: "send a smaller document or raise the size limit")
        }
        if buffer.count > Int(Int32.max) {
            throw FormatError(.xml, line: 0, column: 0, "input is too large for the XML parser")
        }
        if buffer.isEmpty {
            throw FormatError(
                .xml, line: 1, column: 1, "the document is empty", hint: "send one root element")
        }
        try checkByteOrderMark(buffer)

        guard let ctxt = xmlNewParserCtxt() else {
            throw FormatError(.xml, line: 0, column: 0, "out of memory creating the XML parser")
        }
        defer { xmlFreeParserCtxt(ctxt) }
        let errors = ErrorCollector()
        let box = Unmanaged.passRetained(errors)
        defer { box.release() }
        ctxt.pointee._private = box.toOpaque()
        ctxt.pointee.sax.pointee.serror = { userData, error in
            guard let userData, let error else { return }
            let ctxt = userData.assumingMemoryBound(to: xmlParserCtxt.self)
            guard let raw = ctxt.pointee._private else { return }
            Unmanaged<ErrorCollector>.fromOpaque(raw).takeUnretainedValue().record(error.pointee)
        }

        // Entities are kept as references (no XML_PARSE_NOENT) so their expansion can be
        // measured before anything expands them; no DTD loading, no network.
        let options = Int32(
            XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOERROR.rawValue
                | XML_PARSE_NOWARNING.rawValue)
        let doc = buffer.withMemoryRebound(to: CChar.self) { chars in
            xmlCtxtReadMemory(ctxt, chars.baseAddress, Int32(chars.count), nil, nil, options)
        }
        guard let doc else {
            throw errors.first
                ?? FormatError(.xml, line: 1, column: 1, "the document is not well-formed")
        }
        let tree = XMLTree(doc: doc)
        if ctxt.pointee.wellFormed == 0 || ctxt.pointee.nsWellFormed == 0 {
            throw errors.first
                ?? FormatError(.xml, line: 1, column: 1, "the document is not well-formed")
        }
        try tree.checkPolicy(inputSize: buffer.count, maxDepth: limits.maxDepth)
        return tree
    }

    /// The root element.
    var root: xmlNodePtr? { xmlDocGetRootElement(doc) }

    // MARK: - Policy

    private func checkPolicy(inputSize: Int, maxDepth: Int) throws(FormatError) {
        if let dtd = doc.pointee.intSubset {
            if dtd.pointee.ExternalID != nil || dtd.pointee.SystemID != nil {
                throw FormatError(
                    .xml, line: 1, column: 1,
                    "the DOCTYPE names an external DTD, which Caravan never loads",
                    hint: "remove the SYSTEM/PUBLIC identifier or inline the declarations")
            }
            var node = dtd.pointee.children
            while let n = node {
                if n.pointee.type == XML_ENTITY_DECL {
                    let entity = UnsafeMutableRawPointer(n).assumingMemoryBound(to: xmlEntity.self)
                    switch entity.pointee.etype {
                    case XML_EXTERNAL_GENERAL_PARSED_ENTITY, XML_EXTERNAL_GENERAL_UNPARSED_ENTITY,
                        XML_EXTERNAL_PARAMETER_ENTITY:
                        let name = String(cString: entity.pointee.name)
                        throw FormatError(
                            .xml, line: 0, column: 0,
                            "the DTD declares the external entity '\(name)', which Caravan refuses",
                            hint: "declare entities with inline replacement text")
                    default: break
                    }
                }
                node = n.pointee.next
            }
        }
        var budget = XMLTree.maxEntityExpansion(forInputOf: inputSize)
        var expansionMemo: [UnsafeMutableRawPointer: Int] = [:]
        try checkTree(root, depth: 1, maxDepth: maxDepth, budget: &budget, memo: &expansionMemo)
    }

    /// Walks the element tree once: depth, and the total size entity references expand to.
    private func checkTree(
        _ node: xmlNodePtr?, depth: Int, maxDepth: Int, budget: inout Int,
        memo: inout [UnsafeMutableRawPointer: Int]
    ) throws(FormatError) {
        guard let node else { return }
        if depth > maxDepth {
            throw FormatError(
                .xml, line: Int(xmlGetLineNo(node)), column: 1,
                "elements nested deeper than \(maxDepth) levels",
                hint: "flatten the document")
        }
        var attribute = node.pointee.properties
        while let a = attribute {
            var references = 0
            var part = a.pointee.children
            while let p = part {
                if p.pointee.type == XML_ENTITY_REF_NODE {
                    references += 1
                    if references > XMLTree.maxEntityReferencesPerAttribute {
                        throw FormatError(
                            .xml, line: Int(xmlGetLineNo(node)), column: 1,
                            "the attribute '\(String(cString: a.pointee.name))' holds more than \(XMLTree.maxEntityReferencesPerAttribute) entity references",
                            hint:
                                "this looks like an entity expansion attack; send the value inline")
                    }
                    try spend(p, budget: &budget, memo: &memo)
                }
                part = p.pointee.next
            }
            attribute = a.pointee.next
        }
        var child = node.pointee.children
        while let c = child {
            switch c.pointee.type {
            case XML_ELEMENT_NODE:
                try checkTree(c, depth: depth + 1, maxDepth: maxDepth, budget: &budget, memo: &memo)
            case XML_ENTITY_REF_NODE:
                try spend(c, budget: &budget, memo: &memo)
            default: break
            }
            child = c.pointee.next
        }
    }

    /// Takes what the entity reference `ref` expands to from `budget`; throws when the
    /// document's references expand to more than its budget.
    private func spend(
        _ ref: xmlNodePtr, budget: inout Int, memo: inout [UnsafeMutableRawPointer: Int]
    ) throws(FormatError) {
        budget -= expandedSize(ofEntityRef: ref, memo: &memo, level: 0)
        if budget < 0 {
            throw FormatError(
                .xml, line: Int(xmlGetLineNo(ref)), column: 1,
                "entity references expand to more than \(XMLTree.maxEntityExpansion(forInputOf: 0) >> 20) MiB plus ten times the input size",
                hint:
                    "this looks like an entity expansion attack (billion laughs); send the text inline"
            )
        }
    }

    /// The number of characters one entity reference expands to (memoised per entity).
    private func expandedSize(
        ofEntityRef ref: xmlNodePtr, memo: inout [UnsafeMutableRawPointer: Int], level: Int
    )
        -> Int
    {
        guard let entityNode = ref.pointee.children, level < 64 else { return Int.max / 4 }
        let key = UnsafeMutableRawPointer(entityNode)
        if let size = memo[key] { return size }
        memo[key] = Int.max / 4  // a reference loop counts as too large
        var size = 0
        func walk(_ first: xmlNodePtr?) {
            var n = first
            while let node = n, size < Int.max / 8 {
                switch node.pointee.type {
                case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                    if let content = node.pointee.content { size += Int(xmlStrlen(content)) }
                case XML_ENTITY_REF_NODE:
                    size += expandedSize(ofEntityRef: node, memo: &memo, level: level + 1)
                case XML_ELEMENT_NODE:
                    size += 1
                    var attribute = node.pointee.properties
                    while let a = attribute {
                        walk(a.pointee.children)
                        attribute = a.pointee.next
                    }
                    walk(node.pointee.children)
                default: break
                }
                n = node.pointee.next
            }
        }
        walk(entityNode.pointee.children)
        memo[key] = size
        return size
    }

    /// A UTF-8 byte-order mark with a declared non-UTF-8 encoding, or a UTF-16 mark with a
    /// declared UTF-8 encoding, is a contradiction libxml2 would silently resolve.
    private static func checkByteOrderMark(_ buffer: UnsafeBufferPointer<UInt8>) throws(FormatError)
    {
        let mark: String?
        var declaration: [UInt8] = []
        if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
            mark = "UTF-8"
            declaration = Array(buffer[3..<min(buffer.count, 200)])
        } else if buffer.count >= 2,
            (buffer[0] == 0xFE && buffer[1] == 0xFF) || (buffer[0] == 0xFF && buffer[1] == 0xFE)
        {
            mark = "UTF-16"
            let bigEndian = buffer[0] == 0xFE
            var i = 2
            while i + 1 < min(buffer.count, 400) {
                let unit = bigEndian ? buffer[i + 1] : buffer[i]
                let high = bigEndian ? buffer[i] : buffer[i + 1]
                declaration.append(high == 0 ? unit : 0)
                i += 2
            }
        } else {
            return
        }
        guard let mark else { return }
        let text = String(decoding: declaration, as: UTF8.self)
        guard text.hasPrefix("<?xml"), let end = text.firstRange(of: "?>") else { return }
        let decl = text[..<end.lowerBound]
        guard let enc = decl.firstRange(of: "encoding") else { return }
        let rest = decl[enc.upperBound...].drop {
            $0 == " " || $0 == "=" || $0 == "\t" || $0 == "\"" || $0 == "'"
        }
        let name = rest.prefix { $0 != "\"" && $0 != "'" && $0 != " " }.uppercased()
        let compatible: Bool
        switch mark {
        case "UTF-8": compatible = name == "UTF-8" || name == "UTF8"
        default:
            compatible =
                name.hasPrefix("UTF-16") || name == "UTF16" || name == "UCS-2"
                || name == "ISO-10646-UCS-2"
        }
        if !compatible {
            throw FormatError(
                .xml, line: 1, column: 1,
                "the byte-order mark says \(mark) but the XML declaration says encoding=\"\(name)\"",
                hint: "make the declared encoding match how the document is encoded")
        }
    }
}

/// Keeps the first error libxml2 reports while parsing.
private final class ErrorCollector {
    var first: FormatError?

    func record(_ error: xmlError) {
        guard first == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        var message = error.message.map { String(cString: $0) } ?? "the document is not well-formed"
        while message.last == "\n" || message.last == " " { message.removeLast() }
        var hint: String?
        if message.hasPrefix("Excessive depth") {
            // libxml2's own limit (256 levels) applies before Caravan's; its message names
            // an option users cannot set.
            message = "elements nested deeper than 256 levels"
            hint = "flatten the document"
        } else if error.code == Int32(XML_ERR_ENTITY_LOOP.rawValue) {
            hint =
                "entities that expand to themselves or explode in size are refused; send the text inline"
        }
        first = FormatError(
            .xml, line: Int(max(error.line, 1)), column: Int(max(error.int2, 1)), message,
            hint: hint)
    }
}

extension XMLTree {
    /// Initialises libxml2 once and replaces its external entity loader with one that
    /// refuses everything: Caravan never reads a file or URL named by a document.
    static let setUp: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
    }()
}

extension XMLTree {
    /// An attribute's value with its entity references expanded, built in one pass
    /// (libxml2's own, `xmlNodeGetContent`, joins the parts in quadratic time).
    static func value(of attribute: xmlAttrPtr) -> String {
        var value = ""
        func append(_ first: xmlNodePtr?, level: Int) {
            var part = first
            while let p = part, level < 64 {
                switch p.pointee.type {
                case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                    if let content = p.pointee.content { value += String(cString: content) }
                case XML_ENTITY_REF_NODE:
                    if let entity = p.pointee.children {
                        append(entity.pointee.children, level: level + 1)
                    }
                default: break
                }
                part = p.pointee.next
            }
        }
        append(attribute.pointee.children, level: 0)
        return value
    }

    /// The text of a node as libxml2 computes it (XPath `string()`), entities expanded.
    static func content(of node: xmlNodePtr) -> String {
        guard let raw = xmlNodeGetContent(node) else { return "" }
        // libxml2 allocates with malloc unless xmlMemSetup changed it; Caravan never does.
        defer { free(raw) }
        return String(cString: raw)
    }
}
