/// A users file as `htpasswd -B` writes it: `name:$2y$...` per line. Only bcrypt hashes
/// are accepted — htpasswd's other formats (MD5 `$apr1$`, SHA-1 `{SHA}`, crypt) are fast
/// to guess.
public struct Htpasswd: Sendable {
    public let users: [String: String]

    /// A line that cannot be used: which and why.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    public init(_ text: String) throws(Problem) {
        var users: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw Problem(line: index + 1, message: "expected name:hash")
            }
            let name = String(line[..<colon])
            let hash = String(line[line.index(after: colon)...])
            guard let normalized = Self.bcrypt(hash) else {
                throw Problem(
                    line: index + 1,
                    message:
                        "the hash of '\(name)' is not bcrypt — write the file with htpasswd -B")
            }
            users[name] = normalized
        }
        self.users = users
    }

    /// A bcrypt hash in the `$2b$` form the verifier reads (`$2y$`, which htpasswd writes,
    /// is the same algorithm); nil for anything else.
    static func bcrypt(_ hash: String) -> String? {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$")
        else { return nil }
        return bytes[2] == UInt8(ascii: "y") ? "$2b$" + hash.dropFirst(4) : hash
    }
}
