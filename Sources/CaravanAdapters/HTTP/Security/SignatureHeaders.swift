import Foundation

/// Readers of the signature headers of the three webhook schemes. Pure and total: any
/// text gives a value or nil, never a crash (the fuzz targets call them).
public enum SignatureHeaders {
    /// Standard Webhooks' `webhook-signature`: space-separated `v1,<base64>` entries (other
    /// versions are skipped); the decoded signatures.
    public static func standardWebhooks(_ header: String) -> [[UInt8]] {
        header.split(separator: " ").compactMap { entry in
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1",
                let bytes = Data(base64Encoded: String(parts[1]))
            else { return nil }
            return Array(bytes)
        }
    }

    /// GitHub's `X-Hub-Signature-256: sha256=<hex>`.
    public static func github(_ header: String) -> [UInt8]? {
        guard header.hasPrefix("sha256=") else { return nil }
        return hex(header.dropFirst(7))
    }

    /// Stripe's `Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>...]` (other schemes,
    /// such as `v0`, skipped): the timestamp and the `v1` signatures.
    public static func stripe(_ header: String) -> (timestamp: Int64, signatures: [[UInt8]])? {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t": timestamp = Int64(value)
            case "v1": if let bytes = hex(Substring(value)) { signatures.append(bytes) }
            default: continue
            }
        }
        guard let timestamp else { return nil }
        return (timestamp, signatures)
    }

    /// Lower- or upper-case hex; nil for an odd length or another character.
    static func hex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
