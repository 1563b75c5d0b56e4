/// A number kept as its exact decimal text, as it was read.
///
/// Documents never round numbers through `Double`: `12345678901234567890.10` is written
/// back exactly as it came in. `doubleValue` gives the value for arithmetic and
/// comparisons.
public struct DecimalText: Sendable, Hashable, CustomStringConvertible {
    /// The number's text, in JSON number syntax.
    public let text: String

    /// Wraps text already known to be a valid JSON number (the readers check it).
    public init(unchecked text: String) { self.text = text }

    public init(_ value: Int) { self.text = String(value) }

    /// A finite double, written in the shortest form that reads back as the same value;
    /// `nil` for NaN and infinities, which JSON cannot represent.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        if value == value.rounded(), abs(value) < 1e15 {
            self.text = String(Int64(value))
        } else {
            self.text = "\(value)"
        }
    }

    /// Validates `text` against the JSON number grammar.
    public init?(validating text: String) {
        guard DecimalText.isValidJSONNumber(Substring(text)) else { return nil }
        self.text = text
    }

    public var doubleValue: Double { Double(text) ?? .nan }

    /// The value as an integer when it is one exactly (`3`, `3.0`, `3e2`), else `nil`.
    public var intValue: Int? {
        if let i = Int(text) { return i }
        let d = doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    public var description: String { text }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    static func isValidJSONNumber(_ s: Substring) -> Bool {
        var u = s.utf8[...]
        func digits() -> Int {
            var n = 0
            while let c = u.first, c >= 0x30, c <= 0x39 {
                u = u.dropFirst()
                n += 1
            }
            return n
        }
        if u.first == 0x2D { u = u.dropFirst() }
        if u.first == 0x30 {
            u = u.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if u.first == 0x2E {
            u = u.dropFirst()
            if digits() == 0 { return false }
        }
        if u.first == 0x65 || u.first == 0x45 {
            u = u.dropFirst()
            if u.first == 0x2B || u.first == 0x2D { u = u.dropFirst() }
            if digits() == 0 { return false }
        }
        return u.isEmpty
    }
}
