import Caravan

/// An exchange's properties and variables as a stored message keeps them (the messages
/// table's `exchange` column): `{"properties": {...}, "variables": {...}}`, each part only
/// when it has members, NULL when neither has.
struct ExchangeState: Equatable {
    var properties: [String: Document] = [:]
    var variables: [String: Document] = [:]

    /// The column's text; nil when there is nothing to keep.
    var stored: String? {
        var parts = DocumentObject()
        if !properties.isEmpty {
            parts.append(key: "properties", value: Document(sortedKeys: properties))
        }
        if !variables.isEmpty {
            parts.append(key: "variables", value: Document(sortedKeys: variables))
        }
        return parts.isEmpty ? nil : JSONWriter().string(.object(parts))
    }

    init(properties: [String: Document], variables: [String: Document]) {
        self.properties = properties
        self.variables = variables
    }

    /// From the column's text (nil: none).
    init(stored text: String?) throws {
        guard let text, case .object(let parts) = try JSONReader().read(text) else { return }
        if case .object(let p)? = parts["properties"] {
            for member in p { properties[member.key] = member.value }
        }
        if case .object(let v)? = parts["variables"] {
            for member in v { variables[member.key] = member.value }
        }
    }
}
