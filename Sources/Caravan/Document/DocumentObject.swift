/// The members of an object, in the order they were read or added.
///
/// A key may repeat (JSON allows it, XML produces it before grouping); lookups return the
/// last member with the key, as most JSON readers do.
public struct DocumentObject: Sendable, Hashable, RandomAccessCollection {
    /// One key and its value.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: Document

        public init(key: String, value: Document) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var members: [Member]

    public init(_ members: [Member] = []) { self.members = members }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Member { members[position] }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The value of the last member named `key`. Setting replaces that member in place,
    /// or appends a new member; setting `nil` removes every member named `key`.
    public subscript(key: String) -> Document? {
        get { members.last(where: { $0.key == key })?.value }
        set {
            guard let newValue else {
                members.removeAll { $0.key == key }
                return
            }
            if let i = members.lastIndex(where: { $0.key == key }) {
                members[i].value = newValue
            } else {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Appends a member without looking for an existing one with the same key.
    public mutating func append(key: String, value: Document) {
        members.append(Member(key: key, value: value))
    }
}
