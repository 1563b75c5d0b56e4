/// A format-neutral document: what a JSON, XML or CSV body becomes once parsed.
///
/// Objects keep their keys in order and numbers keep their exact decimal text, so a
/// document survives a JSON → XML → JSON round trip unchanged:
///
/// ```swift
/// let doc = try JSONReader().read(#"{"total": 12345678901234567890.10}"#)
/// doc["total"]  // .number(DecimalText("12345678901234567890.10"))
/// ```
public enum Document: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(DecimalText)
    case string(String)
    case array([Document])
    case object(DocumentObject)

    /// The member `key` of an object (the last one when the key repeats), or `nil`.
    public subscript(key: String) -> Document? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index` of an array (negative counts from the end), or `nil`.
    public subscript(index: Int) -> Document? {
        guard case .array(let elements) = self else { return nil }
        let i = index < 0 ? elements.count + index : index
        return elements.indices.contains(i) ? elements[i] : nil
    }

    /// The name of this value's type as JSON calls it, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The text of a scalar (strings as they are, numbers as their decimal text),
    /// or `nil` for arrays and objects.
    public var scalarText: String? {
        switch self {
        case .null: nil
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n.text
        case .string(let s): s
        case .array, .object: nil
        }
    }
}

// Not ExpressibleByNilLiteral on purpose: `nil` must always mean a missing value, never
// JSON null, or `Document?` lookups silently turn "absent" into `.null`.
extension Document: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByIntegerLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Document...) { self = .array(elements) }
    public init(integerLiteral value: Int) { self = .number(DecimalText(value)) }
    public init(dictionaryLiteral elements: (String, Document)...) {
        self = .object(
            DocumentObject(elements.map { DocumentObject.Member(key: $0.0, value: $0.1) }))
    }
}
