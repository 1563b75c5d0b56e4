import AsyncHTTPClient
import Caravan
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// `http://` and `https://` producers on AsyncHTTPClient (pooled connections, TLS).
///
/// ```yaml
/// - to: "http://127.0.0.1:9001/approvals?httpMethod=PUT&okStatusCodeRange=200-204"
/// ```
/// As in Camel: the method is the endpoint's `httpMethod` (the endpoint's setting takes
/// precedence), else the `CamelHttpMethod` header, else POST with a body and GET without; a status outside `okStatusCodeRange` (200-299) fails with
/// `HttpOperationFailedException` unless `throwExceptionOnFailure=false`; the response
/// becomes the message (body, content type, headers) with `CamelHttpResponseCode` and
/// `CamelHttpResponseText`. Each request carries `Idempotency-Key` (the message id and
/// step position: the same on every redelivery). Options Camel does not consume are
/// passed on as the request's query, as Camel does.
public final class HTTPComponent: Component {
    public let scheme: String
    private let clients: Clients

    /// Endpoint options this component consumes (the rest go into the query string).
    static let options: Set<String> = [
        "httpMethod", "throwExceptionOnFailure", "okStatusCodeRange", "connectTimeout",
        "responseTimeout", "soTimeout", "connectionRequestTimeout", "bridgeEndpoint",
    ]

    /// `trustedCertificates`: a PEM file of certificate authorities trusted for `https:`
    /// besides the system's (an internal CA); `clientCertificate`: the chain and key
    /// presented to targets that ask for a client certificate (mutual TLS). `sharing`
    /// shares the clients (and their connection pools) of another component; shut them down
    /// with ``shutdown()``.
    public init(
        scheme: String, trustedCertificates: String? = nil,
        clientCertificate: ClientCertificate? = nil,
        sharing other: HTTPComponent? = nil
    ) {
        self.scheme = scheme
        self.clients =
            other?.clients
            ?? Clients(
                trustedCertificates: trustedCertificates, clientCertificate: clientCertificate)
    }

    public func endpoint(for uri: EndpointURI) throws(ProcessingError) -> any Endpoint {
        try HTTPEndpoint(uri: uri, clients: clients)
    }

    /// Closes the pooled connections.
    public func shutdown() async { await clients.shutdown() }

    /// One AsyncHTTPClient per connect timeout (AsyncHTTPClient sets it per client) and
    /// per use: exchanges a caller waits for (InOut) and durable deliveries have pools of
    /// their own, so that callers waiting on a slow target cannot take every connection
    /// to it from the durable deliveries (whose redelivery attempts would run out).
    final class Clients: Sendable {
        struct Key: Hashable {
            let connectTimeoutMillis: Int64
            let inOut: Bool
        }
        private let clients = Mutex<[Key: HTTPClient]>([:])
        let trustedCertificates: String?
        let clientCertificate: ClientCertificate?

        init(trustedCertificates: String?, clientCertificate: ClientCertificate?) {
            self.trustedCertificates = trustedCertificates
            self.clientCertificate = clientCertificate
        }

        func client(connectTimeoutMillis: Int64, inOut: Bool) -> HTTPClient {
            let key = Key(connectTimeoutMillis: connectTimeoutMillis, inOut: inOut)
            return clients.withLock { c in
                if let existing = c[key] { return existing }
                var configuration = HTTPClient.Configuration()
                configuration.timeout = .init(connect: .milliseconds(connectTimeoutMillis))
                configuration.redirectConfiguration = .disallow
                configuration.decompression = .disabled
                // A refused connection fails at once, as in Camel, and the route's
                // redelivery policy decides when to try again. AsyncHTTPClient's default
                // retries until the connect timeout: each message to a target that is down
                // held a worker for 10 s before its first redelivery was even scheduled.
                configuration.connectionPool.retryConnectionEstablishment = false
                if trustedCertificates != nil || clientCertificate != nil {
                    var tls = TLSConfiguration.makeClientConfiguration()
                    if let trustedCertificates {
                        tls.additionalTrustRoots = [.file(trustedCertificates)]
                    }
                    if let clientCertificate {
                        tls.certificateChain = clientCertificate.chain.map { .certificate($0) }
                        tls.privateKey = .privateKey(clientCertificate.key)
                    }
                    configuration.tlsConfiguration = tls
                }
                let made = HTTPClient(
                    eventLoopGroupProvider: .singleton, configuration: configuration)
                c[key] = made
                return made
            }
        }

        func shutdown() async {
            for client in clients.withLock({ c in
                defer { c = [:] }; return Array(c.values)
            }) {
                try? await client.shutdown()
            }
        }

        // Components dropped without ``HTTPComponent/shutdown()`` (a reload's old routes,
        // tests) still close their pools; AsyncHTTPClient insists on it.
        deinit {
            for client in clients.withLock({ Array($0.values) }) {
                _ = client.shutdown() as EventLoopFuture<Void>
            }
        }
    }
}

struct HTTPEndpoint: Endpoint {
    let uri: EndpointURI
    let clients: HTTPComponent.Clients
    let url: String
    let method: HTTPMethod?
    let throwOnFailure: Bool
    let okRange: ClosedRange<Int>
    let connectTimeoutMillis: Int64
    let responseTimeout: TimeAmount

    init(uri: EndpointURI, clients: HTTPComponent.Clients) throws(ProcessingError) {
        self.uri = uri
        self.clients = clients
        func invalid(_ what: String) -> ProcessingError {
            ProcessingError(.illegalArgument, "\(uri.scheme): \(what)", endpoint: uri.description)
        }
        guard uri.path.hasPrefix("//"), uri.path.count > 2 else {
            throw invalid("'\(uri.description)' has no host — write \(uri.scheme)://host:port/path")
        }
        var query: [String] = []
        for o in uri.options where !HTTPComponent.options.contains(o.name) {
            query.append(
                "\(o.name)=\(o.value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? o.value)"
            )
        }
        url =
            "\(uri.scheme):\(uri.path)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        method = uri[option: "httpMethod"].map { HTTPMethod(rawValue: $0.uppercased()) }
        throwOnFailure = uri[option: "throwExceptionOnFailure"].map { $0 != "false" } ?? true
        if let range = uri[option: "okStatusCodeRange"] {
            let parts = range.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2 || parts.count == 1, let low = parts.first, low <= parts.last!
            else {
                throw invalid("okStatusCodeRange '\(range)' is not a range like 200-299")
            }
            okRange = low...parts.last!
        } else {
            okRange = 200...299
        }
        func millis(_ names: [String], _ fallback: Int64) throws(ProcessingError) -> Int64 {
            guard let text = names.lazy.compactMap({ uri[option: $0] }).first else {
                return fallback
            }
            guard let value = Int64(text), value > 0 else {
                throw invalid("\(names[0])=\(text) is not a number of milliseconds")
            }
            return value
        }
        connectTimeoutMillis = try millis(["connectTimeout"], 10_000)
        // 15 s: a target that hangs holds a worker (and, InOut, a caller) no longer than
        // a caller behind a typical 30 s gateway waits; redelivery tries again later.
        responseTimeout = .milliseconds(
            try millis(["responseTimeout", "soTimeout"], Self.defaultResponseTimeoutMillis))
    }

    static let defaultResponseTimeoutMillis: Int64 = 15_000

    func producer() throws(ProcessingError) -> any Producer { HTTPProducer(endpoint: self) }
}

struct HTTPProducer: Producer {
    let endpoint: HTTPEndpoint

    /// Headers that describe the inbound request or Caravan's own state, not the
    /// outbound one (Camel filters them the same way).
    static func isInternal(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("camel") || lower == "host" || lower == "content-length"
            || lower == "transfer-encoding" || lower == "connection" || lower == "content-type"
            || lower == "accept-encoding" || lower == "expect"
    }

    func send(_ exchange: inout Exchange, _ context: ProcessContext) async throws(ProcessingError) {
        let message = exchange.message
        let body = message.body.bytes
        var request = HTTPClientRequest(url: endpoint.url)
        if let method = endpoint.method {
            request.method = method
        } else if let header = message.headers["CamelHttpMethod"]?.scalarText, !header.isEmpty {
            request.method = HTTPMethod(rawValue: header.uppercased())
        } else {
            request.method = body.isEmpty ? .GET : .POST
        }
        for header in message.headers where !Self.isInternal(header.name) {
            if let text = header.value.scalarText {
                request.headers.add(name: header.name, value: text)
            }
        }
        request.headers.replaceOrAdd(name: "Idempotency-Key", value: context.deliveryKey)
        if let type = message.contentType {
            request.headers.replaceOrAdd(name: "Content-Type", value: type.description)
        }
        if !body.isEmpty, request.method != .GET, request.method != .HEAD {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let client = endpoint.clients.client(
            connectTimeoutMillis: endpoint.connectTimeoutMillis,
            inOut: exchange.pattern == .inOut)
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: endpoint.responseTimeout)
            bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch {
            throw Self.failure(error, endpoint: endpoint.uri.description)
        }
        let status = Int(response.status.code)
        let text = String(buffer: bytes)
        if endpoint.throwOnFailure, !endpoint.okRange.contains(status) {
            throw ProcessingError(
                .httpOperationFailed,
                "HTTP operation failed invoking \(endpoint.url) with statusCode: \(status)",
                endpoint: endpoint.uri.description, statusCode: status,
                responseExcerpt: String(text.prefix(1024)))
        }
        var headers = message.headers
        for header in response.headers where header.name.lowercased() != "content-length" {
            headers[header.name] = .string(header.value)
        }
        headers["CamelHttpResponseCode"] = .number(DecimalText(status))
        headers["CamelHttpResponseText"] = .string(response.status.reasonPhrase)
        exchange.message = Message(
            headers: headers,
            body: Body(
                bytes: Array(buffer: bytes),
                contentType: response.headers.first(name: "Content-Type").flatMap(MediaType.init)))
    }

    /// A transport failure as the Java exception Camel would raise.
    static func failure(_ error: any Error, endpoint: String) -> ProcessingError {
        if let e = error as? HTTPClientError,
            e == .connectTimeout || e == .readTimeout || e == .deadlineExceeded
        {
            return ProcessingError(.timeout, "\(endpoint): timed out (\(e))", endpoint: endpoint)
        }
        return ProcessingError(
            .connect, "\(endpoint): cannot connect or send: \(error)", endpoint: endpoint)
    }
}
