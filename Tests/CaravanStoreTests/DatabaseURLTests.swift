import CaravanStore
import Testing

@Suite struct DatabaseURLTests {
    @Test func aTCPURLGivesHostPortUserPasswordDatabaseAndTLSMode() throws {
        let url = try DatabaseURL(
            "postgresql://app:s%40cret@db.example:6432/orders?sslmode=require")
        #expect(url.endpoint == .tcp(host: "db.example", port: 6432))
        #expect(url.user == "app" && url.password == "s@cret" && url.database == "orders")
        #expect(url.tls == .require)
        #expect(url.redacted == "postgresql://app:***@db.example:6432/orders?sslmode=require")
    }

    @Test func aSocketDirectoryMakesAUnixSocketURLWithoutTLS() throws {
        let url = try DatabaseURL("postgres://postgres@localhost:5433/?host=/run/pg")
        #expect(url.endpoint == .unixSocket(path: "/run/pg/.s.PGSQL.5433"))
        #expect(url.database == nil && url.tls == .disable)
    }

    @Test func defaultsArePortFiveFourThreeTwoUserPostgresAndPreferredTLS() throws {
        let url = try DatabaseURL("postgres://db.example")
        #expect(url.endpoint == .tcp(host: "db.example", port: 5432))
        #expect(url.user == "postgres" && url.password == nil && url.tls == .prefer)
    }

    @Test func otherSchemesAndMissingHostsAreRefusedWithTheFix() {
        #expect(throws: StoreError.self) { try DatabaseURL("mysql://x/y") }
        do {
            _ = try DatabaseURL("postgres:///orders")
            Issue.record("a URL without a host was accepted")
        } catch {
            #expect(error.description.contains("has no host"))
        }
    }
}
