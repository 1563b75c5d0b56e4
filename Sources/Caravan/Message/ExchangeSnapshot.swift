import Foundation

/// An exchange as a document, so a failed exchange can be saved (the store keeps it as
/// jsonb) and resumed later exactly as it was:
///
/// ```json
/// {"id": "…", "routeId": "orders",
///  "headers": {"Content-Type": "application/json"},
///  "properties": {"CamelSplitIndex": 3},
///  "variables": {"customer": "ACME"},
///  "body": {"bytes": "eyJhIjoxfQ==", "contentType": "application/json"},
///  "error": {"kind": "java.net.ConnectException", "message": "connection refused"}}
/// ```
/// The body is one of `{"bytes": base64, "contentType": …}`, `{"text": …}`,
/// `{"document": …}` or `{}` (empty).
extension Exchange {
    public var snapshot: Document {
        var o = DocumentObject()
        o.append(key: "id", value: .string(id))
        if let routeId { o.append(key: "routeId", value: .string(routeId)) }
        o.append(key: "headers", value: message.headers.document)
        o.append(key: "properties", value: Document(sortedKeys: properties))
        if !variables.isEmpty { o.append(key: "variables", value: Document(sortedKeys: variables)) }
        var body = DocumentObject()
        switch message.body.content {
        case .empty: break
        case .bytes(let bytes, let type):
            body.append(key: "bytes", value: .string(Data(bytes).base64EncodedString()))
            if let type { body.append(key: "contentType", value: .string(type.description)) }
        case .text(let t): body.append(key: "text", value: .string(t))
        case .document(let d): body.append(key: "document", value: d)
        }
        o.append(key: "body", value: .object(body))
        if let error {
            o.append(
                key: "error",
                value: ["kind": .string(error.kind), "message": .string(error.message)])
        }
        return .object(o)
    }

    /// Rebuilds an exchange from ``snapshot``; `nil` when the document is not one.
    public init?(snapshot: Document) {
        guard case .string(let id)? = snapshot["id"],
            case .object(let headerObject)? = snapshot["headers"],
            case .object(let propertyObject)? = snapshot["properties"],
            case .object(let bodyObject)? = snapshot["body"]
        else { return nil }
        var headers = Headers()
        for m in headerObject { headers[m.key] = m.value }
        let body: Body
        if case .string(let b64)? = bodyObject["bytes"] {
            guard let data = Data(base64Encoded: b64) else { return nil }
            body = Body(
                bytes: Array(data),
                contentType: bodyObject["contentType"]?.scalarText.flatMap(MediaType.init))
        } else if case .string(let t)? = bodyObject["text"] {
            body = Body(text: t)
        } else if let d = bodyObject["document"] {
            body = Body(document: d)
        } else {
            body = .empty
        }
        var properties: [String: Document] = [:]
        for m in propertyObject { properties[m.key] = m.value }
        self.init(
            id: id, message: Message(headers: headers, body: body), properties: properties,
            routeId: snapshot["routeId"]?.scalarText)
        if case .object(let variableObject)? = snapshot["variables"] {
            for m in variableObject { variables[m.key] = m.value }
        }
        if case .string(let kind)? = snapshot["error"]?["kind"] {
            error = ExchangeError(
                kind: kind, message: snapshot["error"]?["message"]?.scalarText ?? "")
        }
    }
}

extension Document {
    /// An object of `map`'s members in key order (a dictionary has none of its own).
    public init(sortedKeys map: [String: Document]) {
        self = .object(
            DocumentObject(
                map.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) }))
    }
}
