/// Message headers: names compare case-insensitively (as in HTTP and Camel), the
/// spelling first used is kept, and order is preserved.
///
/// ```swift
/// var headers = Headers()
/// headers["Content-Type"] = "application/json"
/// headers["content-type"]  // "application/json"
/// ```
public struct Headers: Sendable, Hashable, Sequence {
    public struct Entry: Sendable, Hashable {
        public let name: String
        public var value: Document
    }

    private var entries: [Entry] = []

    public init() {}

    public init(_ pairs: [(String, Document)]) {
        for (name, value) in pairs { self[name] = value }
    }

    public subscript(name: String) -> Document? {
        get { entries.first { $0.name.caseInsensitiveEquals(name) }?.value }
        set {
            let i = entries.firstIndex { $0.name.caseInsensitiveEquals(name) }
            switch (i, newValue) {
            case (let i?, let v?): entries[i].value = v
            case (let i?, nil): entries.remove(at: i)
            case (nil, let v?): entries.append(Entry(name: name, value: v))
            case (nil, nil): break
            }
        }
    }

    public var names: [String] { entries.map(\.name) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// Removes every header whose name matches `shouldRemove`.
    public mutating func removeAll(where shouldRemove: (String) -> Bool) {
        entries.removeAll { shouldRemove($0.name) }
    }

    /// The headers as an object, for `${headers}` and for storage.
    public var document: Document {
        .object(
            DocumentObject(entries.map { DocumentObject.Member(key: $0.name, value: $0.value) }))
    }

    public static func == (a: Headers, b: Headers) -> Bool { a.entries == b.entries }
}

extension String {
    /// ASCII case-insensitive equality (header names are ASCII tokens).
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A)
        }
    }
}
