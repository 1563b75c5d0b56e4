import CLibXML2

/// Reads XML into a ``Document`` by Caravan's convention (see `docs/formats.md`):
///
/// ```xml
/// <order id="7"><item>a</item><item>b</item><note>rush</note></order>
/// ```
/// becomes
/// ```json
/// {"order": {"@id": "7", "item": ["a", "b"], "note": "rush"}}
/// ```
/// - the root element is the single key of the result;
/// - attributes become `@name` members, namespace declarations `@xmlns` / `@xmlns:p`;
/// - an element with only text becomes a string (`""` when empty);
/// - repeated child elements become an array, in document order;
/// - text beside child elements or attributes becomes `#text` (trimmed, whitespace-only
///   text between elements is dropped);
/// - names keep their prefix as written (`soap:Envelope`); all values are strings.
public struct XMLReader: Sendable {
    public var limits: DocumentLimits

    public init(limits: DocumentLimits = .default) { self.limits = limits }

    public func read(_ bytes: [UInt8]) throws(FormatError) -> Document {
        try read(XMLTree.parse(bytes, limits: limits))
    }

    public func read(_ text: String) throws(FormatError) -> Document { try read(Array(text.utf8)) }

    public func read(_ tree: XMLTree) -> Document {
        guard let root = tree.root else { return .object(DocumentObject()) }
        var object = DocumentObject()
        object.append(key: XMLReader.qualifiedName(root), value: element(root))
        return .object(object)
    }

    static func qualifiedName(_ node: xmlNodePtr) -> String {
        let local = String(cString: node.pointee.name)
        if let ns = node.pointee.ns, let prefix = ns.pointee.prefix {
            return "\(String(cString: prefix)):\(local)"
        }
        return local
    }

    func element(_ node: xmlNodePtr) -> Document {
        var object = DocumentObject()
        var ns = node.pointee.nsDef
        while let n = ns {
            let key = n.pointee.prefix.map { "@xmlns:\(String(cString: $0))" } ?? "@xmlns"
            object.append(
                key: key, value: .string(n.pointee.href.map { String(cString: $0) } ?? ""))
            ns = n.pointee.next
        }
        var attribute = node.pointee.properties
        while let a = attribute {
            let name = String(cString: a.pointee.name)
            let key =
                a.pointee.ns?.pointee.prefix.map { "@\(String(cString: $0)):\(name)" } ?? "@\(name)"
            object.append(key: key, value: .string(XMLTree.value(of: a)))
            attribute = a.pointee.next
        }

        var text = ""
        var children: [(String, Document)] = []
        collect(node.pointee.children, text: &text, children: &children)

        if children.isEmpty && object.isEmpty { return .string(text) }
        // Group repeated names into arrays at the position of their first occurrence.
        var order: [String] = []
        var grouped: [String: [Document]] = [:]
        for (name, value) in children {
            if grouped[name] == nil { order.append(name) }
            grouped[name, default: []].append(value)
        }
        let trimmed = text.trimmingXMLWhitespace()
        if !trimmed.isEmpty { object.append(key: "#text", value: .string(trimmed)) }
        for name in order {
            let values = grouped[name]!
            object.append(key: name, value: values.count == 1 ? values[0] : .array(values))
        }
        return .object(object)
    }

    /// Collects text and child elements, following entity references into their content.
    func collect(_ first: xmlNodePtr?, text: inout String, children: inout [(String, Document)]) {
        var child = first
        while let c = child {
            switch c.pointee.type {
            case XML_ELEMENT_NODE:
                children.append((XMLReader.qualifiedName(c), element(c)))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = c.pointee.content { text += String(cString: content) }
            case XML_ENTITY_REF_NODE:
                // The tree was checked for expansion size when it was parsed.
                if let entity = c.pointee.children {
                    collect(entity.pointee.children, text: &text, children: &children)
                }
            default:
                break  // comments, processing instructions
            }
            child = c.pointee.next
        }
    }
}

extension String {
    /// Trims the four XML whitespace characters (not every Unicode space).
    func trimmingXMLWhitespace() -> String {
        let isSpace: (Character) -> Bool = {
            $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\r\n"
        }
        guard let start = firstIndex(where: { !isSpace($0) }),
            let end = lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        return String(self[start...end])
    }
}

extension Substring {
    func trimmingXMLWhitespace() -> String { String(self).trimmingXMLWhitespace() }
}
