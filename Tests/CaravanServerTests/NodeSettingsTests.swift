import Caravan
import CaravanAdapters
import CaravanServer
import CaravanStore
import Testing

@Suite struct NodeSettingsTests {
    static let routes = """
        - route: {id: orders, from: {uri: "seda:orders", steps: [{to: "direct:audit"}]}}
        - route: {id: audit, from: {uri: "direct:audit", steps: [{to: "log:audit"}]}}
        - route: {id: invoices, from: {uri: "seda:invoices?concurrentConsumers=8", steps: [{to: "log:i"}]}}
        - route: {id: ledger, from: {uri: "seda:ledger", steps: [{to: "log:l"}]}}
        """

    func routes() throws -> RouteSet {
        let loaded = RouteLoader().load([RouteFile(path: "r.yaml", text: Self.routes)])
        try #require(loaded.errors.isEmpty, "\(loaded.errors)")
        return loaded.routes
    }

    @Test func routesWithAConcurrencyOfTheirOwnGetTheirOwnLane() throws {
        var settings = NodeSettings(database: .url("postgres://u@h/d"))
        try settings.apply(properties: [
            "caravan.workers": "3", "caravan.routes.ledger.workers": "1",
        ])
        let lanes = Node.lanes(for: try routes(), settings: settings)
        // direct: sub-routes run inside their callers; they have no lane.
        #expect(lanes.map(\.routes) == [["orders"], ["invoices"], ["ledger"]])
        #expect(lanes.map(\.workers) == [3, 8, 1])
    }

    @Test func aMisspeltOrInvalidSettingIsRefusedWithTheKnownOnes() {
        var settings = NodeSettings(database: .url("postgres://u@h/d"))
        #expect(throws: NodeError.self) { try settings.apply(properties: ["caravan.worker": "3"]) }
        do {
            try settings.apply(properties: ["caravan.lease": "soon"])
            Issue.record("an invalid lease was accepted")
        } catch {
            #expect(error.description.contains("caravan.lease=soon"))
        }
        #expect(throws: NodeError.self) {
            try settings.apply(properties: ["caravan.maxExpiredLeases": "0"])
        }
        #expect(throws: Never.self) {
            try settings.apply(properties: ["caravan.maxExpiredLeases": "2"])
        }
        #expect(settings.maxExpiredLeases == 2)
        // Other properties are placeholders for the routes, not settings.
        #expect(throws: Never.self) { try settings.apply(properties: ["orders.target": "x"]) }
    }
}

@Suite struct TLSSettingsTests {
    func pki() throws -> TestPKI {
        let pki = try TestPKI()
        try pki.authority("ca")
        try pki.certificate("server", commonName: "caravan", by: "ca")
        try pki.certificate("other", commonName: "other", by: "ca")
        return pki
    }

    /// The error `properties` give, or nil when they are taken.
    func refusal(_ properties: [String: String]) -> String? {
        var settings = NodeSettings(database: .url("postgres://u@h/d"))
        do {
            try settings.apply(properties: properties)
            return nil
        } catch { return error.description }
    }

    @Test func bothListenersTakeTheServerFilesUnlessTheManagementHasItsOwn() throws {
        let pki = try pki()
        var settings = NodeSettings(database: .url("postgres://u@h/d"))
        settings.management = NodeSettings.Management()
        try settings.apply(properties: [
            "caravan.server.tls.certificateChain": pki.path("server.pem"),
            "caravan.server.tls.privateKey": pki.path("server.key"),
            "caravan.server.tls.clientCA": pki.path("ca.pem"),
            "caravan.server.tls.clientAuth": "require",
        ])
        #expect(settings.http?.tls?.clientAuth == .require)
        #expect(settings.management?.tls == settings.http?.tls)
        try settings.apply(properties: [
            "caravan.server.tls.certificateChain": pki.path("server.pem"),
            "caravan.server.tls.privateKey": pki.path("server.key"),
            "caravan.management.tls.certificateChain": pki.path("other.pem"),
            "caravan.management.tls.privateKey": pki.path("other.key"),
        ])
        #expect(settings.management?.tls?.certificateChain == pki.path("other.pem"))
        #expect(settings.management?.tls?.clientAuth == TLSFiles.ClientAuth.none)
    }

    @Test func unusableTLSSettingsStopTheStartNamingTheirKey() throws {
        let pki = try pki()
        let chain = pki.path("server.pem")
        let key = pki.path("server.key")
        let cases: [([String: String], String)] = [
            (
                ["caravan.server.tls.certificateChain": chain],
                "caravan.server.tls.privateKey: TLS needs a private key"
            ),
            (
                [
                    "caravan.server.tls.certificateChain": pki.path("missing.pem"),
                    "caravan.server.tls.privateKey": key,
                ],
                "caravan.server.tls.certificateChain: cannot read the certificate chain"
            ),
            (
                [
                    "caravan.server.tls.certificateChain": chain,
                    "caravan.server.tls.privateKey": pki.path("other.key"),
                ],
                "cannot be used together"
            ),
            (
                [
                    "caravan.server.tls.certificateChain": chain,
                    "caravan.server.tls.privateKey": chain,
                ],
                "holds no unencrypted PEM private key"
            ),
            (
                [
                    "caravan.server.tls.certificateChain": chain,
                    "caravan.server.tls.privateKey": key,
                    "caravan.server.tls.clientAuth": "require",
                ],
                "caravan.server.tls.clientCA: clientAuth=require needs"
            ),
            (
                [
                    "caravan.server.tls.certificateChain": chain,
                    "caravan.server.tls.privateKey": key,
                    "caravan.server.tls.clientCA": pki.path("ca.pem"),
                ],
                "set caravan.server.tls.clientAuth to optional or require"
            ),
            (
                [
                    "caravan.server.tls.certificateChain": chain,
                    "caravan.server.tls.privateKey": key, "caravan.server.tls.clientauth": "none",
                ],
                "caravan.server.tls.clientauth: unknown setting (did you mean 'clientAuth'?)"
            ),
            (
                ["caravan.auth.policies.b2b.type": "mtls"],
                "caravan.auth.policies.b2b.type: an mtls policy needs client certificates"
            ),
            (
                ["caravan.http.clientCertificate": chain],
                "caravan.http.clientCertificate is set without caravan.http.clientKey"
            ),
            (
                ["caravan.http.clientCertificate": key, "caravan.http.clientKey": key],
                "holds no PEM certificate"
            ),
        ]
        for (properties, expected) in cases {
            let error = refusal(properties)
            #expect(error?.contains(expected) == true, "\(properties): \(error ?? "taken")")
        }
        #expect(
            refusal(["caravan.http.clientCertificate": chain, "caravan.http.clientKey": key]) == nil
        )
    }
}
