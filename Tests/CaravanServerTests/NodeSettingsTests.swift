import Caravan
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
