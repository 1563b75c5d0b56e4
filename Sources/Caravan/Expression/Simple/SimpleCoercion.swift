/// Camel's type coercion for Simple operators, on document values.
///
/// - Equality: two strings compare as strings; otherwise the right side is converted to
///   the left side's type (so `"100" == 100` and `100 == "100.0"` are true, `true ==
///   "TRUE"` is true); null equals only null.
/// - Order (`<`, `>=` ...): numbers, and strings that read as numbers, compare as numbers
///   (`"10" > "9"`); other values compare as text; null is never ordered.
enum SimpleCoercion {
    static func text(_ value: Document) -> String {
        switch value {
        case .null: ""
        case .array, .object: JSONWriter().string(value)
        default: value.scalarText ?? ""
        }
    }

    /// The value as a number when it is one or is text that reads as one.
    static func numberText(_ value: Document) -> DecimalText? {
        switch value {
        case .number(let n): return n
        case .string(let s):
            let t = s.trimmingXMLWhitespace()
            if let n = DecimalText(validating: t) { return n }
            if let d = Double(t), d.isFinite, t.first != "+" || t.count > 1 {
                return DecimalText(d)
            }
            return nil
        default: return nil
        }
    }

    static func number(_ value: Document) -> Double? { numberText(value)?.doubleValue }

    static func equal(_ left: Document, _ right: Document, ignoreCase: Bool) -> Bool {
        switch (left, right) {
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.string(let a), .string(let b)):
            return ignoreCase ? a.lowercased() == b.lowercased() : a == b
        case (.number(let a), .number(let b)):
            return a.text == b.text || a.doubleValue == b.doubleValue
        case (.number, _), (_, .number):
            if let a = number(left), let b = number(right) { return a == b }
            return textEqual(left, right, ignoreCase)
        case (.bool(let a), .bool(let b)): return a == b
        case (.bool, .string), (.string, .bool):
            return text(left).lowercased() == text(right).lowercased()
        case (.array, .array), (.object, .object): return left == right
        default:
            return textEqual(left, right, ignoreCase)
        }
    }

    static func textEqual(_ a: Document, _ b: Document, _ ignoreCase: Bool) -> Bool {
        ignoreCase ? text(a).lowercased() == text(b).lowercased() : text(a) == text(b)
    }

    /// Negative, zero or positive; `nil` when the values cannot be ordered.
    static func order(_ left: Document, _ right: Document) -> Int? {
        if left == .null || right == .null { return nil }
        if let a = number(left), let b = number(right) { return a < b ? -1 : (a > b ? 1 : 0) }
        if case .bool(let a) = left, case .bool(let b) = right { return a == b ? 0 : (a ? 1 : -1) }
        let a = text(left), b = text(right)
        return a < b ? -1 : (a > b ? 1 : 0)
    }

    static func contains(_ left: Document, _ right: Document, ignoreCase: Bool) -> Bool {
        switch left {
        case .null: return false
        case .array(let elements):
            return elements.contains { equal($0, right, ignoreCase: ignoreCase) }
        default:
            let haystack = text(left), needle = text(right)
            return ignoreCase
                ? haystack.lowercased().contains(needle.lowercased()) : haystack.contains(needle)
        }
    }
}
