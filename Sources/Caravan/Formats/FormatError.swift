/// Malformed input: what is wrong, where (line:column, both 1-based), and how to fix it.
///
/// ```
/// JSON 3:14: expected ',' or '}' after an object member — check for a missing comma
/// ```
public struct FormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The format being read.
    public enum Format: String, Sendable, Hashable {
        case json = "JSON"
        case xml = "XML"
        case csv = "CSV"
    }

    public let format: Format
    /// 1-based line, or 0 when the problem is not tied to a position (a size limit).
    public let line: Int
    /// 1-based column, counted in characters (Unicode scalars).
    public let column: Int
    public let message: String
    /// How to fix it, when there is something useful to say.
    public let hint: String?

    public init(_ format: Format, line: Int, column: Int, _ message: String, hint: String? = nil) {
        self.format = format
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    public var description: String {
        let place = line > 0 ? " \(line):\(column)" : ""
        let fix = hint.map { " — \($0)" } ?? ""
        return "\(format.rawValue)\(place): \(message)\(fix)"
    }
}

/// Converts a byte offset into a 1-based line and column (columns count Unicode scalars).
/// Only called on the error path, so it rescans from the start.
func lineAndColumn(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int)
{
    var line = 1
    var column = 1
    var i = 0
    let end = min(offset, bytes.count)
    while i < end {
        let b = bytes[i]
        if b == 0x0A {
            line += 1
            column = 1
        } else if b == 0x0D {
            // CRLF counts once; a lone CR ends a line too.
            if i + 1 < bytes.count, bytes[i + 1] == 0x0A {
            } else {
                line += 1
                column = 1
            }
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
        i += 1
    }
    return (line, column)
}

/// Limits that keep a hostile or accidental input from exhausting memory or the stack.
public struct DocumentLimits: Sendable, Hashable {
    /// Deepest nesting of arrays/objects (JSON) or elements (XML).
    public var maxDepth: Int
    /// Largest input accepted, in bytes.
    public var maxBytes: Int

    public init(maxDepth: Int = 512, maxBytes: Int = 128 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
    }

    public static let `default` = DocumentLimits()
}
