/// The document Camel's `jacksonXml` data format unmarshals to when no type is named:
/// Jackson's `XmlMapper` reading XML into a `Map`.
///
/// From ``XMLReader``'s document (root element as the single key, `@` attributes, `#text`):
/// the root element is dropped; attributes and child elements are both plain keys, in
/// document order; an element's text beside attributes or children is the key `""`;
/// namespace declarations are dropped and prefixed names keep their local part; a name
/// that repeats (elements, or an attribute and an element) is an array of its values.
///
/// ```
/// <order id="7"><item sku="A">2</item><item sku="B">1</item><note/></order>
/// → {"id": "7", "item": [{"sku": "A", "": "2"}, {"sku": "B", "": "1"}], "note": ""}
/// ```
public enum JacksonXMLView {
    /// The Jackson view of a document ``XMLReader`` read.
    public static func map(_ read: Document) -> Document {
        guard case .object(let root) = read, root.count == 1 else { return element(read) }
        return element(root[0].value)
    }

    static func element(_ value: Document) -> Document {
        switch value {
        case .object(let members):
            var grouped: [(key: String, values: [Document])] = []
            var index: [String: Int] = [:]
            for member in members {
                guard let key = name(member.key) else { continue }
                // Repeated elements already arrive as an array: each item is one value.
                let values: [Document]
                if case .array(let items) = member.value, !member.key.hasPrefix("@") {
                    values = items.map(element)
                } else {
                    values = [element(member.value)]
                }
                if let i = index[key] {
                    grouped[i].values += values
                } else {
                    index[key] = grouped.count
                    grouped.append((key, values))
                }
            }
            var object = DocumentObject()
            for (key, values) in grouped {
                object.append(key: key, value: values.count == 1 ? values[0] : .array(values))
            }
            return .object(object)
        case .array(let items):
            return .array(items.map(element))
        default:
            return value
        }
    }

    /// The key Jackson reports for one of ``XMLReader``'s keys; nil for a namespace
    /// declaration, which it does not report.
    static func name(_ key: String) -> String? {
        if key == "#text" { return "" }
        var local = key.hasPrefix("@") ? String(key.dropFirst()) : key
        if local == "xmlns" || local.hasPrefix("xmlns:") { return nil }
        if let colon = local.lastIndex(of: ":") {
            local = String(local[local.index(after: colon)...])
        }
        return local
    }
}
