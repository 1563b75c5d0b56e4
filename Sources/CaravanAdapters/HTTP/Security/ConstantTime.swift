/// Comparisons of secrets whose time does not depend on where the bytes differ.
enum ConstantTime {
    /// Whether `a` equals `b`; the time depends only on their lengths.
    static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// The index of the candidate equal to `value`, comparing against every candidate
    /// (no early exit: the time says nothing of which one matched, or how nearly).
    static func firstMatch(_ value: [UInt8], among candidates: [[UInt8]]) -> Int? {
        var found: Int?
        for (i, candidate) in candidates.enumerated() where equal(value, candidate) {
            found = found ?? i
        }
        return found
    }
}
