import Synchronization

/// A message body: raw bytes with a content type, text, or a parsed document.
///
/// Parsing is lazy and happens once: the first `${body[x]}` on a JSON body parses it and
/// every later look at the same body reuses the document. Copies of a body share that
/// cache, which is safe because a body never changes after it is made (setting a new body
/// makes a new `Body`).
///
/// ```swift
/// let body = Body(bytes: Array(#"{"total": 5}"#.utf8), contentType: .json)
/// try body.document()["total"]  // 5
/// ```
public struct Body: Sendable {
    /// What the body was made from.
    public enum Content: Sendable, Hashable {
        case empty
        case bytes([UInt8], contentType: MediaType?)
        case text(String)
        case document(Document)
    }

    public let content: Content
    private let cache: ParseCache

    public init(_ content: Content) {
        self.content = content
        self.cache = ParseCache()
    }

    public static let empty = Body(.empty)

    public init(bytes: [UInt8], contentType: MediaType?) {
        self.init(.bytes(bytes, contentType: contentType))
    }
    public init(text: String) { self.init(.text(text)) }
    public init(document: Document) { self.init(.document(document)) }

    public var isEmpty: Bool {
        switch content {
        case .empty: true
        case .bytes(let b, _): b.isEmpty
        case .text(let t): t.isEmpty
        case .document: false
        }
    }

    /// The body as bytes: raw bytes as they are, text as UTF-8, a document as compact JSON.
    public var bytes: [UInt8] {
        switch content {
        case .empty: []
        case .bytes(let b, _): b
        case .text(let t): Array(t.utf8)
        case .document(let d): JSONWriter().bytes(d)
        }
    }

    /// The body as text (bytes decoded as UTF-8, documents as compact JSON, scalars as
    /// their text), which is what `${body}` shows.
    public var text: String {
        switch content {
        case .empty: ""
        case .bytes(let b, _): String(decoding: b, as: UTF8.self)
        case .text(let t): t
        case .document(let d): d.scalarText ?? JSONWriter().string(d)
        }
    }

    /// The format the body is in, from its content type or, without one, from its first
    /// significant character (`{`/`[` JSON, `<` XML).
    public var format: DocumentFormat? {
        switch content {
        case .empty: return nil
        case .document: return .json
        case .bytes(let b, let type):
            if let f = type?.format { return f }
            return Body.sniff(b)
        case .text(let t): return Body.sniff(Array(t.utf8.prefix(64)))
        }
    }

    static func sniff(_ bytes: [UInt8]) -> DocumentFormat? {
        var slice = bytes[...]
        if slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
        guard
            let first = slice.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 })
        else {
            return nil
        }
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["): return .json
        case UInt8(ascii: "<"): return .xml
        default: return nil
        }
    }

    /// The body as a document, parsed once by its format.
    public func document() throws(FormatError) -> Document {
        if case .document(let d) = content { return d }
        if let cached = cache.document.withLock({ $0 }) { return try cached.get() }
        let result = Result { () throws(FormatError) in try parseDocument() }
        cache.document.withLock { $0 = result }
        return try result.get()
    }

    private func parseDocument() throws(FormatError) -> Document {
        let raw = bytes
        switch format {
        case .json: return try JSONReader().read(raw)
        case .xml: return try XMLReader().read(xmlTree())
        case .csv: return try CSVReader().read(raw)
        case nil:
            if case .text(let t) = content { return .string(t) }
            if isEmpty { return .null }
            throw FormatError(
                .json, line: 1, column: 1,
                "the body is neither JSON nor XML and has no content type that says what it is",
                hint: "set Content-Type (application/json, application/xml, text/csv)")
        }
    }

    /// Checks that the body parses as its format — the same errors as ``document()`` —
    /// without keeping what parsing built: a message that is only stored needs no tree
    /// (JSON's takes several times the body's size), and its route parses it again.
    public func validate() throws(FormatError) {
        if case .document = content { return }
        switch format {
        case .json: try JSONReader().validate(bytes)
        case .xml: _ = try XMLTree.parse(bytes)
        case .csv: _ = try CSVReader().read(bytes)
        case nil: _ = try document()
        }
    }

    /// The body as a parsed XML tree (for XPath), parsed once. A document body is written
    /// as XML first.
    public func xmlTree() throws(FormatError) -> XMLTree {
        if let cached = cache.xml.withLock({ $0 }) { return try cached.get() }
        let result = Result { () throws(FormatError) in
            if case .document(let d) = content {
                let xml: [UInt8]
                do throws(XMLWriteError) {
                    xml = try XMLWriter().bytes(d)
                } catch {
                    throw FormatError(.xml, line: 0, column: 0, error.message, hint: error.hint)
                }
                return try XMLTree.parse(xml)
            }
            return try XMLTree.parse(bytes)
        }
        cache.xml.withLock { $0 = result }
        return try result.get()
    }
}

extension Body: Equatable {
    /// Bodies are equal when they were made from equal content.
    public static func == (a: Body, b: Body) -> Bool { a.content == b.content }
}

/// The lazily filled parse results shared by copies of one body.
private final class ParseCache: Sendable {
    let document = Mutex<Result<Document, FormatError>?>(nil)
    let xml = Mutex<Result<XMLTree, FormatError>?>(nil)
}
