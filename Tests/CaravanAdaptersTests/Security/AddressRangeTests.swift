import Testing

@testable import CaravanAdapters

/// CIDR networks and who a request comes from behind proxies.
@Suite struct AddressRangeTests {
    @Test func networksContainTheirAddressesOnlyInEitherFamily() throws {
        let eight = try #require(AddressRange("10.0.0.0/8"))
        #expect(eight.contains(AddressRange.bytes("10.200.3.4")!))
        #expect(!eight.contains(AddressRange.bytes("11.0.0.1")!))
        let host = try #require(AddressRange("127.0.0.1"))
        #expect(host.contains(AddressRange.bytes("127.0.0.1")!))
        #expect(!host.contains(AddressRange.bytes("127.0.0.2")!))
        // An IPv4 peer on a dual-stack socket.
        #expect(host.contains(AddressRange.bytes("::ffff:127.0.0.1")!))
        let v6 = try #require(AddressRange("fd00::/8"))
        #expect(v6.contains(AddressRange.bytes("fd12:3456::1")!))
        #expect(!v6.contains(AddressRange.bytes("fe80::1")!))
        #expect(!v6.contains(AddressRange.bytes("10.0.0.1")!))
        #expect(AddressRange("0.0.0.0/0")!.contains(AddressRange.bytes("8.8.8.8")!))
        #expect(AddressRange("10.1.2.3/12")?.description == "10.0.0.0/12")
        for bad in ["10.0.0.0/33", "10.0.0", "example.com", "::1/129", "", "/8", "10.0.0.0/-1"] {
            #expect(AddressRange(bad) == nil, "\(bad)")
        }
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxiesReadFromTheRight() {
        let proxies = [AddressRange("10.0.0.0/8")!]
        func client(_ peer: String, _ xff: [String]) -> String? {
            ClientAddress.resolve(peer: peer, forwardedFor: xff, trustedProxies: proxies)
                .map { $0.map(String.init).joined(separator: ".") }
        }
        // Not a proxy: its header is the client's own word.
        #expect(client("203.0.113.9", ["10.9.9.9"]) == "203.0.113.9")
        // A proxy: the rightmost address that is not a proxy; what the client wrote to the
        // left of it is not believed.
        #expect(client("10.0.0.1", ["1.2.3.4, 198.51.100.7, 10.0.0.2"]) == "198.51.100.7")
        #expect(client("10.0.0.1", ["1.2.3.4", "198.51.100.7"]) == "198.51.100.7")
        #expect(client("10.0.0.1", ["198.51.100.7:5555"]) == "198.51.100.7")
        // Garbage ends the chain at the last address believed.
        #expect(client("10.0.0.1", ["1.2.3.4, unknown, 10.0.0.3"]) == "10.0.0.3")
        #expect(client("10.0.0.1", []) == "10.0.0.1")
        #expect(ClientAddress.resolve(peer: nil, forwardedFor: [], trustedProxies: proxies) == nil)
    }
}
