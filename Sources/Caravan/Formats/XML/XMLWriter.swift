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
        out.reserveCapacity(1024)
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
        appendUTF8(name, to: &out)
        switch value {
        case .null:
            out.append(contentsOf: "/>".utf8)
            return
        case .object(let object):
            // One pass for attributes and text, one for children: no intermediate lists.
            var text: Document?
            var hasChildren = false
            for member in object.members {
                switch member.key.utf8.first {
                case UInt8(ascii: "#") where member.key == "#text":
                    text = member.value
                case UInt8(ascii: "@"):
                    let attr = member.key.dropFirst()
                    guard XMLWriter.isName(String(attr)) else {
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
                default:
                    hasChildren = true
                }
            }
            if !hasChildren && (text == nil || text == .null) {
                out.append(contentsOf: "/>".utf8)
                return
            }
            out.append(UInt8(ascii: ">"))
            if let text, let s = text.scalarText {
                try XMLWriter.escape(s, attribute: false, into: &out)
            }
            for child in object.members {
                switch child.key.utf8.first {
                case UInt8(ascii: "@"): continue
                case UInt8(ascii: "#") where child.key == "#text": continue
                default: break
                }
                if case .array(let elements) = child.value {
                    for element in elements {
                        try writeElement(child.key, element, into: &out, indent: indent + 1)
                    }
                } else {
                    try writeElement(child.key, child.value, into: &out, indent: indent + 1)
                }
            }
            if pretty, hasChildren {
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
        appendUTF8(name, to: &out)
        out.append(UInt8(ascii: ">"))
    }

    static func escape(_ s: String, attribute: Bool, into out: inout [UInt8]) throws(XMLWriteError)
    {
        // Most text needs nothing: copy it whole.
        var text = s
        let done = text.withUTF8 { bytes -> Bool in
            for b in bytes
            where b < 0x20 || b == UInt8(ascii: "&") || b == UInt8(ascii: "<")
                || b == UInt8(ascii: ">") || b == UInt8(ascii: "\"") || b == 0xEF
            {
                return false
            }
            out.append(contentsOf: bytes)
            return true
        }
        if done { return }
        // Byte by byte: every character that needs care is ASCII, except U+FFFE/U+FFFF
        // (EF BF BE/BF), which XML 1.0 cannot hold either.
        var previous: (UInt8, UInt8) = (0, 0)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\"") where attribute: out.append(contentsOf: "&quot;".utf8)
            case 0x0A where attribute: out.append(contentsOf: "&#10;".utf8)
            case 0x09 where attribute: out.append(contentsOf: "&#9;".utf8)
            case 0x0D: out.append(contentsOf: "&#13;".utf8)
            case 0x09, 0x0A: out.append(b)
            case 0..<0x20:
                throw XMLWriteError(
                    "the text holds U+\(String(b, radix: 16, uppercase: true)), which XML 1.0 cannot represent",
                    hint: "remove control characters before converting to XML")
            case 0xBE where previous == (0xEF, 0xBF), 0xBF where previous == (0xEF, 0xBF):
                throw XMLWriteError(
                    "the text holds U+FFF\(b == 0xBE ? "E" : "F"), which XML 1.0 cannot represent",
                    hint: "remove it before converting to XML")
            default: out.append(b)
            }
            previous = (previous.1, b)
        }
    }

    /// An XML `QName`-compatible name: a letter or `_` first, then letters, digits, `-`,
    /// `.`, `_`, and at most one `:` between two non-empty parts.
    static func isName(_ name: String) -> Bool {
        if let ascii = asciiName(name) { return ascii }
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
    /// The fast answer for ASCII names, or `nil` when the name has other characters.
    static func asciiName(_ name: String) -> Bool? {
        var name = name
        return name.withUTF8 { bytes -> Bool? in
            guard let first = bytes.first else { return false }
            var colons = 0
            var previous = first
            guard (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A || first == UInt8(ascii: "_")
            else {
                return first < 0x80 ? false : nil
            }
            for b in bytes.dropFirst() {
                guard b < 0x80 else { return nil }
                let letter = ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b == UInt8(ascii: "_")
                if previous == UInt8(ascii: ":") {
                    guard letter else { return false }
                } else if b == UInt8(ascii: ":") {
                    colons += 1
                    if colons > 1 { return false }
                } else if !(letter || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-")
                    || b == UInt8(ascii: "."))
                {
                    return false
                }
                previous = b
            }
            return previous != UInt8(ascii: ":")
        }
    }

    /// Whether `name` can be an element name.
    public static func isValidName(_ name: String) -> Bool { isName(name) }
}

/// Appends a string's UTF-8 bytes in one copy (`append(contentsOf: s.utf8)` goes through
/// a slow generic path for the small strings element names are).
@inline(__always) func appendUTF8(_ s: String, to out: inout [UInt8]) {
    var s = s
    s.withUTF8 { out.append(contentsOf: $0) }
}
