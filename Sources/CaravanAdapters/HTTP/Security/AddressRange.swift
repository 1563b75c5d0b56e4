#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `::1/128`; a bare address is
/// one host): what `allowFrom` and `caravan.server.trustedProxies` list.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The network's address bytes (4 or 16), host bits cleared.
    let network: [UInt8]
    let prefix: Int

    /// Parses `text`; nil when it is not an address with an optional `/prefix` in range.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.bytes(String(parts[0])) else { return nil }
        var prefix = bytes.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bytes.count * 8).contains(p) else { return nil }
            prefix = p
        }
        self.prefix = prefix
        self.network = Self.masked(bytes, prefix)
    }

    /// Whether `address` (as ``bytes(_:)`` gives it) is in the network.
    public func contains(_ address: [UInt8]) -> Bool {
        address.count == network.count && Self.masked(address, prefix) == network
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = network.count == 4 ? AF_INET : AF_INET6
        let text = network.withUnsafeBytes { bytes in
            inet_ntop(family, bytes.baseAddress, &buffer, socklen_t(buffer.count))
                .map { _ in
                    String(
                        decoding: buffer.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)),
                        as: UTF8.self)
                } ?? "?"
        }
        return "\(text)/\(prefix)"
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address; an IPv4 address mapped into IPv6
    /// (`::ffff:10.1.2.3`, as a dual-stack socket reports IPv4 peers) gives its 4 bytes.
    public static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return Array(bytes[12...])
        }
        return bytes
    }

    static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { i, b in
            let bits = min(8, max(0, prefix - i * 8))
            return bits == 8 ? b : b & ~(0xFF >> bits)
        }
    }

    /// A comma-separated list; nil and the first entry that does not parse when one does
    /// not.
    static func list(_ text: String) -> (ranges: [AddressRange], bad: String?) {
        var ranges: [AddressRange] = []
        for part in text.split(separator: ",") {
            let entry = part.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            guard let range = AddressRange(entry) else { return ([], entry) }
            ranges.append(range)
        }
        return (ranges, nil)
    }
}
