import Caravan
import Foundation

/// What the `messages` and `dlq` commands share: reading a message id argument and
/// writing a stored body.
enum MessageArguments {
    /// A message id from the command line.
    static func id(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw CLIFailure.invalid("'\(text)' is not a message id (a UUID)")
        }
        return id
    }
}

extension DocumentObject {
    /// A stored body for JSON output: `body` when it is UTF-8 text, else `bodyBase64`.
    mutating func appendBody(_ bytes: [UInt8]) {
        if let text = String(validating: bytes, as: UTF8.self) {
            append(key: "body", value: .string(text))
        } else {
            append(key: "bodyBase64", value: .string(Data(bytes).base64EncodedString()))
        }
    }
}
