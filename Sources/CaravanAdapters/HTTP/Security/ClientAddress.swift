/// Who sent a request: the peer of the connection, or — only when that peer is a trusted
/// proxy — the address the proxies recorded in `X-Forwarded-For`.
///
/// The header is read from the right: each proxy appends the address it received from,
/// so the rightmost entry not itself a trusted proxy is the client. Entries left of it
/// were written by the client and are never believed.
public enum ClientAddress {
    /// The client's address bytes (see ``AddressRange/bytes(_:)``); nil when the peer is
    /// not an IP address (a Unix socket).
    public static func resolve(
        peer: String?, forwardedFor: [String], trustedProxies: [AddressRange]
    ) -> [UInt8]? {
        guard let peer, var address = AddressRange.bytes(peer) else { return nil }
        guard isTrusted(address, trustedProxies) else { return address }
        let entries = forwardedFor.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for entry in entries.reversed() {
            // An entry that is not an address (a proxy's "unknown", garbage) ends the chain
            // of trust: the last address believed stands.
            guard let hop = AddressRange.bytes(strippingPort(entry)) else { return address }
            address = hop
            if !isTrusted(hop, trustedProxies) { return hop }
        }
        return address
    }

    static func isTrusted(_ address: [UInt8], _ proxies: [AddressRange]) -> Bool {
        proxies.contains { $0.contains(address) }
    }

    /// `[::1]:443` → `::1`, `10.0.0.1:80` → `10.0.0.1` (some proxies add the port).
    static func strippingPort(_ entry: String) -> String {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            return String(entry[entry.index(after: entry.startIndex)..<close])
        }
        if entry.filter({ $0 == ":" }).count == 1, let colon = entry.firstIndex(of: ":") {
            return String(entry[..<colon])
        }
        return entry
    }
}
