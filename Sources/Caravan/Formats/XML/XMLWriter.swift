/// Writes a ``Document`` as XML by the convention ``XMLReader`` reads (see
/// `docs/formats.md`), so documents round-trip.
///
/// The root element is the document's single key when it is an object with one member
/// (and no ``rootName`` is given); otherwise the document is wrapped in ``rootName``
/// (default `root`). Array elements repeat the element they belong to; an array that is
/// the whole document repeats `item` elements. `null` becomes an empty element.
public struct XMLWriter: Sendable {
    /// The root element's name when the document does not name one itself.
    public var rootName: String?
    /// Indents nested elements by two spaces.
    public var pretty: Bool

    public init(rootName: String? = nil, pretty: Bool = false) {
        self.rootName = rootName
        self.pretty = pretty
    }

    public func string(_ document: Document) throws(XMLWriteError) -> String {
        String(decoding: try bytes(document), as: UTF8.self)
    }

    public func bytes(_ document: Document) throws(XMLWriteError) -> [UInt8] {
        var out = Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
        if pretty { out.append(0x0A) }
        if rootName == nil, case .object(let object) = document, object.count == 1 {
            let member = object[0]
            if case .array = member.value {
                try writeElement("root", document, into: &out, indent: 0)
            } else {
                try writeElement(member.key, member.value, into: &out, indent: 0)
            }
        } else {
            try writeElement(rootName ?? "root", document, into: &out, indent: 0)
        }
        if pretty { out.append(0x0A) }
        return out
    }

    func writeElement(_ name: String, _ value: Document, into out: inout [UInt8], indent: Int)
        throws(XMLWriteError)
    {
        guard XMLWriter.isName(name) else {
            throw XMLWriteError(
                "'\(name)' is not a valid XML element name",
                hint: "rename the key, or convert to JSON instead")
        }
        if pretty, indent > 0 {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: indent * 2))
        }
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: name.utf8)
        switch value {
        case .null:
            out.append(contentsOf: "/>".utf8)
            return
        case .object(let object):
            var text: Document?
            var children: [DocumentObject.Member] = []
            for member in object {
                if member.key == "#text" {
                    text = member.value
                } else if member.key.hasPrefix("@") {
                    let attr = String(member.key.dropFirst())
                    guard XMLWriter.isName(attr) else {
                        throw XMLWriteError(
                            "'\(attr)' is not a valid XML attribute name", hint: "rename the key")
                    }
                    out.append(0x20)
                    out.append(contentsOf: attr.utf8)
                    out.append(contentsOf: "=\"".utf8)
                    try XMLWriter.escape(
                        member.value.scalarText ?? JSONWriter().string(member.value),
                        attribute: true, into: &out)
                    out.append(UInt8(ascii: "\""))
                } else {
                    children.append(member)
                }
            }
            if children.isEmpty && (text == nil || text == .null) {
                out.append(contentsOf: "/>".utf8)
                return
            }
            out.append(UInt8(ascii: ">"))
            if let text, let s = text.scalarText {
                try XMLWriter.escape(s, attribute: false, into: &out)
            }
            for child in children {
                if case .array(let elements) = child.value {
                    for element in elements {
                        try writeElement(child.key, element, into: &out, indent: indent + 1)
                    }
                } else {
                    try writeElement(child.key, child.value, into: &out, indent: indent + 1)
                }
            }
            if pretty, !children.isEmpty {
                out.append(0x0A)
                out.append(contentsOf: repeatElement(0x20, count: indent * 2))
            }
        case .array(let elements):
            out.append(UInt8(ascii: ">"))
            for element in elements {
                try writeElement("item", element, into: &out, indent: indent + 1)
            }
            if pretty, !elements.isEmpty {
                out.append(0x0A)
                out.append(contentsOf: repeatElement(0x20, count: indent * 2))
            }
        case .string, .number, .bool:
            out.append(UInt8(ascii: ">"))
            try XMLWriter.escape(value.scalarText ?? "", attribute: false, into: &out)
        }
        out.append(contentsOf: "</".utf8)
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ">"))
    }

    static func escape(_ s: String, attribute: Bool, into out: inout [UInt8]) throws(XMLWriteError)
    {
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".utf8)
            case "<": out.append(contentsOf: "&lt;".utf8)
            case ">": out.append(contentsOf: "&gt;".utf8)
            case "\"" where attribute: out.append(contentsOf: "&quot;".utf8)
            case "\n" where attribute: out.append(contentsOf: "&#10;".utf8)
            case "\t" where attribute: out.append(contentsOf: "&#9;".utf8)
            case "\r": out.append(contentsOf: "&#13;".utf8)
            case "\t", "\n": out.append(UInt8(scalar.value))
            default:
                let v = scalar.value
                guard v >= 0x20, v != 0xFFFE, v != 0xFFFF else {
                    throw XMLWriteError(
                        "the text holds U+\(String(v, radix: 16, uppercase: true)), which XML 1.0 cannot represent",
                        hint: "remove control characters before converting to XML")
                }
                out.append(contentsOf: String(scalar).utf8)
            }
        }
    }

    /// An XML `QName`-compatible name: a letter or `_` first, then letters, digits, `-`,
    /// `.`, `_`, and at most one `:` between two non-empty parts.
    static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        let isStart: (Unicode.Scalar) -> Bool = { $0 == "_" || $0.properties.isAlphabetic }
        guard isStart(first) else { return false }
        var colons = 0
        var previous: Unicode.Scalar = first
        for s in name.unicodeScalars.dropFirst() {
            if s == ":" {
                colons += 1
                if colons > 1 { return false }
            } else if previous == ":" {
                if !isStart(s) { return false }
            } else if !(isStart(s) || s.properties.numericType != nil || s == "-" || s == "."
                || s == "\u{B7}")
            {
                return false
            }
            previous = s
        }
        return previous != ":"
    }
}

/// A document that cannot be written as XML (a key that is not an XML name, a character
/// XML 1.0 cannot hold).
public struct XMLWriteError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String?

    init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { "XML: " + message + (hint.map { " — \($0)" } ?? "") }
}

extension XMLWriter {
    /// Whether `name` can be an element name.
    public static func isValidName(_ name: String) -> Bool { isName(name) }
}
