/// A message: headers and a body (the EIP Message).
public struct Message: Sendable, Equatable {
    public var headers: Headers
    public var body: Body

    public init(headers: Headers = Headers(), body: Body = .empty) {
        self.headers = headers
        self.body = body
    }

    /// The body's media type: the `Content-Type` header when it parses, else the type the
    /// raw bytes came with.
    public var contentType: MediaType? {
        if let header = headers["Content-Type"]?.scalarText, let type = MediaType(header) {
            return type
        }
        if case .bytes(_, let type) = body.content { return type }
        return nil
    }
}
