/// Reads JSON text (RFC 8259, strict) into a ``Document``.
///
/// Strictness is deliberate: no comments, no trailing commas, no single quotes, no
/// `NaN`; text must be valid UTF-8 and a `\u` escape may not leave a surrogate alone.
/// A leading UTF-8 byte-order mark is skipped (RFC 8259 §8.1 allows ignoring it).
/// Nesting deeper than ``DocumentLimits/maxDepth`` and input larger than
/// ``DocumentLimits/maxBytes`` are errors, never a crash.
///
/// ```swift
/// let order = try JSONReader().read(Array(#"{"id": 7, "items": []}"#.utf8))
/// ```
public struct JSONReader: Sendable {
    public var limits: DocumentLimits

    public init(limits: DocumentLimits = .default) { self.limits = limits }

    public func read(_ bytes: [UInt8]) throws(FormatError) -> Document {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(FormatError) in try read(buffer) }
        }
        return try result.get()
    }

    public func read(_ text: String) throws(FormatError) -> Document {
        try read(Array(text.utf8))
    }

    public func read(_ buffer: UnsafeBufferPointer<UInt8>) throws(FormatError) -> Document {
        try parse(buffer, building: true)
    }

    /// Checks that `bytes` are JSON as ``read(_:)-([UInt8])`` would, with the same errors,
    /// without building the document: a body that is only stored needs no tree, which
    /// takes several times its size in memory.
    public func validate(_ bytes: [UInt8]) throws(FormatError) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(FormatError) in _ = try parse(buffer, building: false) }
        }
        try result.get()
    }

    private func parse(_ buffer: UnsafeBufferPointer<UInt8>, building: Bool) throws(FormatError)
        -> Document
    {
        if buffer.count > limits.maxBytes {
            throw FormatError(
                .json, line: 0, column: 0,
                "input is \(buffer.count) bytes, over the limit of \(limits.maxBytes)",
                hint: "send a smaller document or raise the size limit")
        }
        var parser = JSONParser(bytes: buffer, maxDepth: limits.maxDepth)
        parser.building = building
        return try parser.parseDocument()
    }
}

/// The recursive-descent parser over a byte buffer. Depth is bounded by `maxDepth`, so
/// recursion never exhausts the stack.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0
    /// Reused between strings that contain escapes.
    var scratch: [UInt8] = []
    /// The members and elements of the objects and arrays being read, innermost last.
    var memberStack: [DocumentObject.Member] = []
    var elementStack: [Document] = []
    /// False to check the text only: objects and arrays are read but not kept.
    var building = true

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(FormatError) -> Document {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        skipWhitespace()
        guard index < bytes.count else {
            throw error("the document is empty", hint: "send a JSON value such as {} or []")
        }
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw error(
                "unexpected \(describe(bytes[index])) after the end of the document",
                hint: "a JSON document holds exactly one value; wrap several in an array")
        }
        return value
    }

    // MARK: - Values

    mutating func parseValue() throws(FormatError) -> Document {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw error(
                "unexpected \(describe(bytes[index])), expected a value",
                hint: "values are objects, arrays, \"strings\", numbers, true, false or null")
        }
    }

    mutating func enter() throws(FormatError) {
        depth += 1
        if depth > maxDepth {
            throw error(
                "nesting deeper than \(maxDepth) levels",
                hint: "flatten the document or raise the depth limit")
        }
    }

    mutating func parseObject() throws(FormatError) -> Document {
        try enter()
        index += 1
        // Members collect on a stack shared by all levels and are copied out once, at
        // their exact size: growing a fresh array per object cost several allocations.
        let base = memberStack.count
        defer { memberStack.removeSubrange(base...) }
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(DocumentObject())
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else {
                throw error(
                    index < bytes.count
                        ? "unexpected \(describe(bytes[index])), expected a member name in double quotes"
                        : "unexpected end of input inside an object",
                    hint: index < bytes.count && bytes[index] == UInt8(ascii: "}")
                        ? "remove the trailing comma" : nil)
            }
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw error("expected ':' after the member name \"\(key)\"")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            if building { memberStack.append(DocumentObject.Member(key: key, value: value)) }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return building ? .object(DocumentObject(Array(memberStack[base...]))) : .null
            default:
                throw error(
                    index < bytes.count
                        ? "unexpected \(describe(bytes[index])), expected ',' or '}' after an object member"
                        : "unexpected end of input inside an object",
                    hint: "check for a missing comma or closing brace")
            }
        }
    }

    mutating func parseArray() throws(FormatError) -> Document {
        try enter()
        index += 1
        let base = elementStack.count
        defer { elementStack.removeSubrange(base...) }
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array([])
        }
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                throw error("unexpected ']' after ','", hint: "remove the trailing comma")
            }
            let element = try parseValue()
            if building { elementStack.append(element) }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return building ? .array(Array(elementStack[base...])) : .null
            default:
                throw error(
                    index < bytes.count
                        ? "unexpected \(describe(bytes[index])), expected ',' or ']' after an array element"
                        : "unexpected end of input inside an array",
                    hint: "check for a missing comma or closing bracket")
            }
        }
    }

    // MARK: - Strings

    mutating func parseString() throws(FormatError) -> String {
        index += 1  // opening quote
        let start = index
        var ascii = true
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let span = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return try makeString(span, ascii: ascii, at: start)
            }
            if b == UInt8(ascii: "\\") { return try parseEscapedString(from: start) }
            if b < 0x20 { throw controlCharacterError(b) }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        throw error(at: start - 1, "unterminated string", hint: "close the string with '\"'")
    }

    mutating func parseEscapedString(from start: Int) throws(FormatError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                let result = scratch.withUnsafeBufferPointer { span in
                    // Escapes may have produced any UTF-8, so the text is always validated.
                    Result { () throws(FormatError) in try makeString(span, ascii: false, at: start)
                    }
                }
                return try result.get()
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                throw controlCharacterError(b)
            default:
                scratch.append(b)
                index += 1
            }
        }
        throw error(at: start - 1, "unterminated string", hint: "close the string with '\"'")
    }

    mutating func parseEscape() throws(FormatError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else { throw error("unterminated escape sequence") }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var code = try parseHex4(escapeStart)
            if (0xD800...0xDBFF).contains(code) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else {
                    throw error(
                        at: escapeStart,
                        "a high surrogate \\u\(hex(code)) without its low surrogate",
                        hint: "escape characters outside the BMP as a surrogate pair")
                }
                index += 2
                let low = try parseHex4(escapeStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error(
                        at: escapeStart,
                        "a high surrogate \\u\(hex(code)) followed by \\u\(hex(low))",
                        hint: "escape characters outside the BMP as a surrogate pair")
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw error(
                    at: escapeStart, "a lone low surrogate \\u\(hex(code))",
                    hint: "escape characters outside the BMP as a surrogate pair")
            }
            appendUTF8(code)
        default:
            throw error(
                at: escapeStart, "invalid escape sequence '\\\(Unicode.Scalar(c))'",
                hint: "valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX")
        }
    }

    mutating func parseHex4(_ escapeStart: Int) throws(FormatError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error(at: escapeStart, "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default:
                throw error(at: escapeStart, "\\u must be followed by four hexadecimal digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func appendUTF8(_ code: UInt32) {
        switch code {
        case 0..<0x80:
            scratch.append(UInt8(code))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (code >> 6)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (code >> 12)))
            scratch.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (code >> 18)))
            scratch.append(UInt8(0x80 | ((code >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (code & 0x3F)))
        }
    }

    func makeString(_ span: UnsafeBufferPointer<UInt8>, ascii: Bool, at start: Int)
        throws(FormatError)
        -> String
    {
        if ascii { return String(decoding: span, as: UTF8.self) }
        if let s = String(validating: span, as: UTF8.self) { return s }
        throw error(
            at: start + firstInvalidUTF8Offset(span), "invalid UTF-8 in a string",
            hint: "send the document encoded as UTF-8")
    }

    // MARK: - Numbers

    mutating func parseNumber() throws(FormatError) -> DecimalText {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw error("a number needs a digit after '-'")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw error(at: start, "a number may not have leading zeros")
            }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw error("a number needs digits after the decimal point")
            }
            skipDigits()
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count,
                bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
            {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw error("a number needs digits in its exponent")
            }
            skipDigits()
        }
        return DecimalText(
            unchecked: String(
                decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always) mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    // MARK: - Helpers

    @inline(__always) func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(FormatError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { lit in
            index + count <= bytes.count && (0..<count).allSatisfy { bytes[index + $0] == lit[$0] }
        }
        guard matches else {
            throw error(
                at: start, "invalid literal, expected '\(literal)'",
                hint: "literals are lowercase true, false and null")
        }
        index += count
    }

    func controlCharacterError(_ b: UInt8) -> FormatError {
        error(
            "an unescaped control character (U+\(hex(UInt32(b)))) in a string",
            hint: "escape it, e.g. \\n or \\u0001")
    }

    func describe(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Unicode.Scalar(b))'" }
        return "byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    func error(_ message: String, hint: String? = nil) -> FormatError {
        error(at: index, message, hint: hint)
    }

    func error(at offset: Int, _ message: String, hint: String? = nil) -> FormatError {
        let (line, column) = lineAndColumn(of: offset, in: bytes)
        return FormatError(.json, line: line, column: column, message, hint: hint)
    }
}

/// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
func firstInvalidUTF8Offset(_ span: UnsafeBufferPointer<UInt8>) -> Int {
    var i = 0
    while i < span.count {
        var end = i + 1
        while end <= min(span.count, i + 4) {
            if String(validating: UnsafeBufferPointer(rebasing: span[i..<end]), as: UTF8.self)
                != nil
            {
                break
            }
            end += 1
        }
        if end > min(span.count, i + 4) { return i }
        i = end
    }
    return span.count
}
