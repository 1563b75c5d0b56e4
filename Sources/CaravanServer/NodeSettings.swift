import Caravan
import CaravanAdapters
import CaravanStore
import Foundation
import Logging

/// How a Caravan node runs: where its database is, how many workers serve which routes,
/// and the store's timings. `caravan serve` fills it from its options and the
/// `caravan.*` properties of `application.properties`.
public struct NodeSettings: Sendable {
    /// Where the store lives.
    public enum Database: Sendable {
        /// A PostgreSQL server (`postgres://...`).
        case url(String)
        /// A private cluster from the local PostgreSQL binaries in `directory`, started and
        /// stopped with the node (local use).
        case embedded(directory: String)

        /// For messages and logs: the URL without its password, or the folder.
        public var redacted: String {
            switch self {
            case .url(let url): DatabaseURL.redacted(url)
            case .embedded(let directory): directory
            }
        }
    }

    public var database: Database
    public var schema: StoreSchema = .default
    /// Workers shared by the routes that ask for no concurrency of their own.
    public var workers = 4
    /// Routes with a concurrency of their own (`caravan.routes.<id>.workers`, or a
    /// `seda:` consumer's `concurrentConsumers`).
    public var routeWorkers: [String: Int] = [:]
    public var lease: Duration = .seconds(30)
    /// How many times a message's lease may expire (its node stopped or hung while it
    /// ran) before it is a dead letter.
    public var maxExpiredLeases = 5
    public var pollInterval: Duration = .seconds(1)
    /// How long a graceful stop waits for running messages before it gives their leases
    /// back unfinished.
    public var drainTimeout: Duration = .seconds(30)
    /// How long `done` messages are kept.
    public var retention: Duration = .seconds(7 * 24 * 3600)
    public var housekeepingInterval: Duration = .seconds(600)
    /// Where the HTTP server listens (`platform-http` and health); nil: no HTTP server.
    public var http: HTTP? = HTTP()
    /// Where the management listener (metrics, health, admin API, console) listens; nil:
    /// none. `caravan serve` always opens one.
    public var management: Management?
    /// The error handling of routes that configure none: Caravan's (redelivery with
    /// back-off, then a dead letter), or Camel's for `caravan run`.
    public var defaultErrorHandler: ErrorHandlerDefinition = .caravanDefault
    /// Reads the routes again for hot reload (`--watch`); nil: the routes are fixed.
    public var reload: RouteReload?

    public struct HTTP: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port (see ``Node/httpPort()``).
        public var port = 8080
        /// Larger request bodies get 413.
        public var bodyLimit = 10 * 1024 * 1024
        /// A body not received whole within this time gets 408 (`caravan.server.bodyTimeout`).
        public var bodyTimeout: Duration = .seconds(60)
        /// A connection with no request in progress — idle between requests, or sending a
        /// request head that never ends — is closed after this time; so is a request
        /// whose body stops arriving (`caravan.server.idleTimeout`).
        public var idleTimeout: Duration = .seconds(30)
        /// The header that makes a retried request the same message
        /// (`caravan.server.idempotencyHeader`).
        public var idempotencyHeader = "Idempotency-Key"
        /// Requests to routes in flight at once (`caravan.server.maxRequests`).
        public var maxRequests = 1024
        /// Body bytes requests in flight may hold together (`caravan.server.maxRequestBytes`).
        public var maxRequestBytes = 48 * 1024 * 1024
        /// Bytes a request's header fields may take together
        /// (`caravan.server.maxHeaderBytes`); beyond, 431.
        public var maxHeaderBytes = 32 * 1024
        /// Header fields a request may have (`caravan.server.maxHeaders`); beyond, 431.
        public var maxHeaders = 100
        /// TLS from PEM files (`caravan.server.tls.*`); nil serves plain HTTP.
        public var tls: TLSFiles?

        public init(host: String = "127.0.0.1", port: Int = 8080) {
            self.host = host
            self.port = port
        }
    }

    public struct Management: Sendable {
        public var host = "127.0.0.1"
        /// 9876, as Camel's management port; 0 picks a free port (see
        /// ``Node/managementPort()``).
        public var port = 9876
        /// Whether `/metrics` and `/health` need a token too
        /// (`caravan.management.metricsAuth`).
        public var metricsAuth = false
        /// How often at most the store is asked for the gauges' values (a scrape between
        /// two samples reads the last one; `caravan.management.sampleInterval`).
        public var sampleInterval: Duration = .seconds(5)
        /// TLS from PEM files (`caravan.management.tls.*`, else the main listener's).
        public var tls: TLSFiles?

        public init(host: String = "127.0.0.1", port: Int = 9876) {
            self.host = host
            self.port = port
        }
    }

    /// Who may post to the `platform-http` endpoints and how fast (`caravan.auth.*`,
    /// `caravan.rateLimit.*`, `caravan.server.trustedProxies`).
    public var security = HTTPSecurity()

    /// A PEM file of certificate authorities `https:` endpoints trust besides the
    /// system's (`caravan.http.trustedCertificates`).
    public var trustedCertificates: String?
    /// The certificate and key `https:` endpoints present to targets that ask for one
    /// (`caravan.http.clientCertificate`, `caravan.http.clientKey`).
    public var clientCertificate: ClientCertificate?

    /// How long start-up waits for the database before giving up.
    public var startTimeout: Duration = .seconds(15)

    public init(database: Database) { self.database = database }

    /// `http` changed by `change`; a setting of the HTTP server when there is none is an
    /// error.
    private func settingHTTP(
        _ key: String, _ change: (inout HTTP) -> Void
    ) throws(NodeError) -> HTTP {
        guard var http else {
            throw NodeError("\(key): this node runs no HTTP server", key: key)
        }
        change(&http)
        return http
    }

    /// `management` changed by `change`; a setting of the management listener when there
    /// is none is an error.
    private func settingManagement(
        _ key: String, _ change: (inout Management) -> Void
    ) throws(NodeError) -> Management {
        guard var management else {
            throw NodeError("\(key): this node runs no management listener", key: key)
        }
        change(&management)
        return management
    }

    /// Applies the `caravan.*` keys of `properties` (unknown `caravan.*` keys are errors,
    /// so a misspelt setting is not silently ignored). `security` is the security settings
    /// already read from the same properties, if they were.
    public mutating func apply(
        properties: [String: String], security: HTTPSecurity? = nil,
        logger: Logger = Logger(label: "caravan"),
        resolve: (String) throws(SecurityError) -> String = { $0 }
    ) throws(NodeError) {
        if let security {
            self.security = security
        } else {
            do {
                self.security = try HTTPSecurity(
                    properties: properties, logger: logger, resolve: resolve)
            } catch {
                throw NodeError(error)
            }
        }
        try applyTLS(properties, resolve: resolve)
        for (key, value) in properties.sorted(by: { $0.key < $1.key })
        where key.hasPrefix("caravan.") && !HTTPSecurity.reads(key) && !Self.isTLS(key) {
            let parts = key.split(separator: ".").map(String.init)
            if parts.count == 4, parts[1] == "routes", parts[3] == "workers" {
                guard let n = Int(value), n >= 1 else {
                    throw NodeError(
                        "\(key)=\(value): the number of workers must be a whole number of 1 or more",
                        key: key
                    )
                }
                routeWorkers[parts[2]] = n
                continue
            }
            func seconds() throws(NodeError) -> Duration {
                guard let s = Double(value), s > 0 else {
                    throw NodeError("\(key)=\(value): give a number of seconds above 0", key: key)
                }
                return .milliseconds(Int64(s * 1000))
            }
            func atLeastOne() throws(NodeError) -> Int {
                guard let n = Int(value), n >= 1 else {
                    throw NodeError("\(key)=\(value): give a whole number of 1 or more", key: key)
                }
                return n
            }
            switch key {
            case "caravan.workers": workers = try atLeastOne()
            case "caravan.lease": lease = try seconds()
            case "caravan.maxExpiredLeases": maxExpiredLeases = try atLeastOne()
            case "caravan.pollInterval": pollInterval = try seconds()
            case "caravan.drainTimeout": drainTimeout = try seconds()
            case "caravan.retention": retention = try seconds()
            case "caravan.housekeepingInterval": housekeepingInterval = try seconds()
            case "caravan.server.bodyTimeout":
                let timeout = try seconds()
                http = try settingHTTP(key) { $0.bodyTimeout = timeout }
            case "caravan.server.idleTimeout":
                let timeout = try seconds()
                http = try settingHTTP(key) { $0.idleTimeout = timeout }
            case "caravan.server.idempotencyHeader":
                guard !value.isEmpty,
                    value.utf8.allSatisfy({
                        $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                            || (0x61...0x7A).contains($0) || $0 == 0x5F
                    })
                else {
                    throw NodeError(
                        "\(key)=\(value): give a header name (letters, digits, '-' and '_')",
                        key: key)
                }
                http = try settingHTTP(key) { $0.idempotencyHeader = value }
            case "caravan.server.maxRequests":
                let n = try atLeastOne()
                http = try settingHTTP(key) { $0.maxRequests = n }
            case "caravan.server.maxRequestBytes":
                let n = try atLeastOne()
                http = try settingHTTP(key) { $0.maxRequestBytes = n }
            case "caravan.server.maxHeaderBytes":
                let n = try atLeastOne()
                http = try settingHTTP(key) { $0.maxHeaderBytes = n }
            case "caravan.server.maxHeaders":
                let n = try atLeastOne()
                http = try settingHTTP(key) { $0.maxHeaders = n }
            case "caravan.management.host":
                guard !value.isEmpty else {
                    throw NodeError("\(key): give an address to listen on", key: key)
                }
                management = try settingManagement(key) { $0.host = value }
            case "caravan.management.port":
                guard let port = Int(value), (0...65535).contains(port) else {
                    throw NodeError("\(key)=\(value): give a port number from 0 to 65535", key: key)
                }
                management = try settingManagement(key) { $0.port = port }
            case "caravan.management.sampleInterval":
                let interval = try seconds()
                management = try settingManagement(key) { $0.sampleInterval = interval }
            case "caravan.management.metricsAuth":
                guard let on = Bool(value) else {
                    throw NodeError("\(key)=\(value): give true or false", key: key)
                }
                management = try settingManagement(key) { $0.metricsAuth = on }
            case "caravan.secrets.directory":
                continue  // read with the properties, for {{secret:NAME}}
            case "caravan.http.trustedCertificates":
                guard FileManager.default.fileExists(atPath: value) else {
                    throw NodeError(
                        "\(key)=\(value): no such file — give a PEM file of CA certificates",
                        key: key)
                }
                trustedCertificates = value
            default:
                throw NodeError(
                    "unknown setting '\(key)' — the caravan.* settings are caravan.workers, caravan.routes.<route id>.workers, caravan.lease, caravan.maxExpiredLeases, caravan.pollInterval, caravan.drainTimeout, caravan.retention, caravan.housekeepingInterval (seconds), caravan.server.bodyTimeout, caravan.server.idleTimeout (seconds), caravan.server.idempotencyHeader, caravan.server.maxRequests, caravan.server.maxRequestBytes, caravan.server.maxHeaderBytes, caravan.server.maxHeaders, caravan.server.tls.*, caravan.management.host, caravan.management.port, caravan.management.metricsAuth, caravan.management.sampleInterval (seconds), caravan.management.tls.*, caravan.http.trustedCertificates, caravan.http.clientCertificate, caravan.http.clientKey (PEM files), and the security settings caravan.auth.*, caravan.rateLimit.*, caravan.server.trustedProxies",
                    key: key)
            }
        }
    }
}

extension NodeSettings {
    static func isTLS(_ key: String) -> Bool {
        key.hasPrefix("caravan.server.tls.") || key.hasPrefix("caravan.management.tls.")
            || key == "caravan.http.clientCertificate" || key == "caravan.http.clientKey"
    }

    /// The listeners' TLS files (the management listener takes the main one's unless it
    /// has its own) and the `https:` client certificate, read now so that a wrong path or a
    /// key that does not fit stops the start with its key.
    private mutating func applyTLS(
        _ properties: [String: String], resolve: (String) throws(SecurityError) -> String
    ) throws(NodeError) {
        var resolved: [String: String] = [:]
        for (key, value) in properties where Self.isTLS(key) {
            do { resolved[key] = try resolve(value) } catch {
                var e = error
                e.key = key
                throw NodeError(e)
            }
        }
        func files(_ prefix: String) throws(NodeError) -> TLSFiles? {
            do { return try TLSFiles.read(resolved, prefix: prefix) } catch {
                throw NodeError(error)
            }
        }
        let server = try files("caravan.server.tls")
        if let server { http = try settingHTTP("caravan.server.tls") { $0.tls = server } }
        let own = try files("caravan.management.tls")
        if own != nil || (server != nil && management != nil) {
            management = try settingManagement("caravan.management.tls") { $0.tls = own ?? server }
        }
        let chain = resolved["caravan.http.clientCertificate"]
        let key = resolved["caravan.http.clientKey"]
        switch (chain, key) {
        case (nil, nil): break
        case (let chain?, let key?):
            do { clientCertificate = try ClientCertificate(chain: chain, key: key) } catch {
                throw NodeError(
                    "caravan.http.clientCertificate: \(error)",
                    key: "caravan.http.clientCertificate")
            }
        case (nil, _):
            throw NodeError(
                "caravan.http.clientKey is set without caravan.http.clientCertificate — give both PEM files, or neither",
                key: "caravan.http.clientKey")
        case (_, nil):
            throw NodeError(
                "caravan.http.clientCertificate is set without caravan.http.clientKey — give both PEM files, or neither",
                key: "caravan.http.clientCertificate")
        }
        for name in security.certificatePolicies {
            guard let tls = http?.tls, tls.clientAuth != .none else {
                throw NodeError(
                    "caravan.auth.policies.\(name).type: an mtls policy needs client certificates — set caravan.server.tls.clientCA and caravan.server.tls.clientAuth=optional or require",
                    key: "caravan.auth.policies.\(name).type")
            }
        }
    }
}

/// A node cannot start: what is wrong and how to fix it.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The `caravan.*` setting it is about, when one (`validate` shows its line).
    public let key: String?

    public init(_ description: String, key: String? = nil) {
        self.description = description
        self.key = key
    }

    init(_ error: SecurityError) { self.init(error.description, key: error.key) }
}

/// Hot reload: what to watch and how to load.
public struct RouteReload: Sendable {
    /// A fingerprint of the route files (names, sizes, modification times): a change
    /// means reload.
    public var fingerprint: @Sendable () -> String
    /// The routes as the files now say, or their diagnostics.
    public var load: @Sendable () -> Result<RouteSet, LoadFailure>
    /// How often to look.
    public var interval: Duration = .seconds(1)

    public init(
        fingerprint: @escaping @Sendable () -> String,
        load: @escaping @Sendable () -> Result<RouteSet, LoadFailure>
    ) {
        self.fingerprint = fingerprint
        self.load = load
    }
}
