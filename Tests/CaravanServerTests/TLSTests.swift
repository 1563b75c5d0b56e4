import CaravanAdapters
import CaravanServer
import Foundation
import PostgresNIO
import Testing

/// TLS on both listeners from PEM files: certificates rotated on disk serve the next
/// connections without dropping the open ones, client certificates are verified against
/// the client CA, and `mtls` policies map their names to the principal.
@Suite struct TLSTests {
    static let orders = """
        - route:
            id: orders
            from: {uri: "platform-http:/orders", steps: [{to: "log:orders"}]}
        """
    static let routes =
        orders + """

            - route:
                id: partners
                from: {uri: "platform-http:/partners?authPolicy=b2b", steps: [{to: "log:partners"}]}
            """

    /// A server CA, a server certificate for 127.0.0.1 named `caravan-1`, a client CA and
    /// client certificates for partner-a and partner-b, and one from an unknown CA.
    func pki() throws -> TestPKI {
        let pki = try TestPKI()
        try pki.authority("server-ca")
        try pki.certificate(
            "server", commonName: "caravan-1", alternativeNames: ["IP:127.0.0.1"], by: "server-ca")
        try pki.authority("client-ca")
        try pki.certificate(
            "partner-a", commonName: "partner-a", alternativeNames: ["DNS:a.partners.example"],
            by: "client-ca")
        try pki.certificate("partner-b", commonName: "partner-b", by: "client-ca")
        try pki.authority("rogue-ca")
        try pki.certificate("rogue", commonName: "partner-a", by: "rogue-ca")
        return pki
    }

    func serverFiles(_ pki: TestPKI, clientAuth: TLSFiles.ClientAuth = .none) -> TLSFiles {
        TLSFiles(
            certificateChain: pki.path("server.pem"), privateKey: pki.path("server.key"),
            clientCA: clientAuth == .none ? nil : pki.path("client-ca.pem"), clientAuth: clientAuth)
    }

    func client(_ pki: TestPKI, _ name: String) -> (chain: String, key: String) {
        (pki.path(name + ".pem"), pki.path(name + ".key"))
    }

    @Test func bothListenersServeTLSAndPlainHTTPIsNotAnswered() async throws {
        let pki = try pki()
        let node = try await TestNode.start(Self.orders) {
            $0.http?.tls = serverFiles(pki)
            $0.management?.tls = serverFiles(pki)
        }
        let main = try await TLSTestConnection(
            port: node.port, authority: pki.path("server-ca.pem"))
        let posted = await main.send(.POST, "/orders", "{}")
        let management = try await TLSTestConnection(
            port: node.managementPort, authority: pki.path("server-ca.pem"))
        let live = await management.send(.GET, "/health/live")
        let plain = try? await HTTP.send(
            "http://127.0.0.1:\(node.port)/orders", "{}", contentType: "application/json")
        let stored = try await node.storedCount()
        await main.close()
        await management.close()
        try await node.stop()
        #expect(main.serverName == "caravan-1")
        #expect(posted?.status == 202)
        #expect(live?.status == 200)
        #expect(plain == nil, "a plain request to the TLS port gets no HTTP answer")
        #expect(stored == 1)
    }

    @Test func aRotatedCertificateServesNewConnectionsAndTheOpenOneStays() async throws {
        let pki = try pki()
        try pki.certificate(
            "server-2", commonName: "caravan-2", alternativeNames: ["IP:127.0.0.1"],
            by: "server-ca")
        let node = try await TestNode.start(Self.orders) { $0.http?.tls = serverFiles(pki) }
        let authority = pki.path("server-ca.pem")
        let open = try await TLSTestConnection(port: node.port, authority: authority)
        let first = await open.send(.POST, "/orders", "{}")
        // As an operator copies them: the key first, so for a moment the two do not fit
        // (that state is refused and the current certificate stays).
        try FileManager.default.removeItem(atPath: pki.path("server.key"))
        try FileManager.default.copyItem(
            atPath: pki.path("server-2.key"), toPath: pki.path("server.key"))
        try FileManager.default.removeItem(atPath: pki.path("server.pem"))
        try FileManager.default.copyItem(
            atPath: pki.path("server-2.pem"), toPath: pki.path("server.pem"))
        // The files are looked at every second; new connections show when it happened.
        var seen: [String?] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let fresh = try await TLSTestConnection(port: node.port, authority: authority)
            seen.append(fresh.serverName)
            await fresh.close()
            if fresh.serverName == "caravan-2" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let second = await open.send(.POST, "/orders", "{}")
        let stored = try await node.storedCount()
        await open.close()
        try await node.stop()
        #expect(first?.status == 202)
        #expect(seen.last == "caravan-2", "new connections get the new certificate: \(seen)")
        #expect(seen.allSatisfy { $0 == "caravan-1" || $0 == "caravan-2" })
        #expect(open.serverName == "caravan-1")
        #expect(second?.status == 202, "the connection opened before the rotation still works")
        #expect(stored == 2)
    }

    @Test func requiredClientCertificatesAreVerifiedAndMtlsPoliciesNameThePrincipal()
        async throws
    {
        let pki = try pki()
        let security = try HTTPSecurity(
            properties: [
                "caravan.auth.policies.b2b.type": "mtls",
                "caravan.auth.policies.b2b.allowedSubjects": "a.partners.example, partner-c",
            ], logger: ServerTestDatabase.logger)
        let node = try await TestNode.start(Self.routes) {
            $0.http?.tls = serverFiles(pki, clientAuth: .require)
            $0.security = security
        }
        let authority = pki.path("server-ca.pem")
        let a = try await TLSTestConnection(
            port: node.port, authority: authority, certificate: client(pki, "partner-a"))
        let allowed = await a.send(.POST, "/partners", "{}")
        let b = try await TLSTestConnection(
            port: node.port, authority: authority, certificate: client(pki, "partner-b"))
        let notAllowed = await b.send(.POST, "/partners", "{}")
        let anyCertificateForOrders = await b.send(.POST, "/orders", "{}")
        let withoutCertificate = await refused(port: node.port, authority: authority)
        let rogue = await refused(
            port: node.port, authority: authority, certificate: client(pki, "rogue"))
        let principals = try await node.storedPrincipals()
        await a.close()
        await b.close()
        try await node.stop()
        #expect(allowed?.status == 202)
        #expect(notAllowed?.status == 403)
        #expect(notAllowed?.body.contains("not allowed") == true)
        #expect(anyCertificateForOrders?.status == 202)
        #expect(withoutCertificate, "no certificate: the handshake is refused")
        #expect(rogue, "a certificate from another CA: the handshake is refused")
        #expect(principals == ["a.partners.example", nil])
    }

    @Test func optionalClientCertificatesLeaveTheDecisionToThePolicy() async throws {
        let pki = try pki()
        let security = try HTTPSecurity(
            properties: ["caravan.auth.policies.b2b.type": "mtls"],
            logger: ServerTestDatabase.logger)
        let node = try await TestNode.start(Self.routes) {
            $0.http?.tls = serverFiles(pki, clientAuth: .optional)
            $0.security = security
        }
        let authority = pki.path("server-ca.pem")
        let anonymous = try await TLSTestConnection(port: node.port, authority: authority)
        let open = await anonymous.send(.POST, "/orders", "{}")
        let needsCertificate = await anonymous.send(.POST, "/partners", "{}")
        let b = try await TLSTestConnection(
            port: node.port, authority: authority, certificate: client(pki, "partner-b"))
        let withCertificate = await b.send(.POST, "/partners", "{}")
        let rogue = await refused(
            port: node.port, authority: authority, certificate: client(pki, "rogue"))
        let principals = try await node.storedPrincipals()
        await anonymous.close()
        await b.close()
        try await node.stop()
        #expect(open?.status == 202)
        #expect(needsCertificate?.status == 403)
        #expect(needsCertificate?.body.contains("needs a client certificate") == true)
        #expect(withCertificate?.status == 202)
        #expect(rogue, "a presented certificate must verify even when optional")
        #expect(principals == [nil, "partner-b"], "the common name without allowedSubjects")
    }

    /// Whether a connection with this certificate is refused: at the handshake, or (TLS
    /// 1.3, where the client finishes first) closed instead of answering.
    func refused(
        port: Int, authority: String, certificate: (chain: String, key: String)? = nil
    ) async -> Bool {
        guard
            let connection = try? await TLSTestConnection(
                port: port, authority: authority, certificate: certificate)
        else { return true }
        let answer = await connection.send(.POST, "/orders", "{}")
        await connection.close()
        return answer == nil
    }

}
