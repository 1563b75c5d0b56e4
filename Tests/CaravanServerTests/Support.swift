import AsyncHTTPClient
import Caravan
import CaravanServer
import CaravanStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

/// The PostgreSQL of the server tests: one throwaway cluster per test process.
enum ServerTestDatabase {
    static let cluster: Task<EmbeddedPostgres, any Error> = Task {
        try await EmbeddedPostgres.start(durable: false)
    }

    static var logger: Logger {
        var l = Logger(label: "caravan.test")
        l.logLevel = .warning
        return l
    }

    static func url(_ cluster: EmbeddedPostgres) -> String {
        "postgres://postgres@localhost:\(cluster.port)/postgres?host=\(cluster.directory)"
    }

    static func newSchema() throws -> StoreSchema {
        try StoreSchema(
            "s_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        )
    }

    /// Runs `body` with a client of `cluster` (the shared one by default).
    static func withClient<T: Sendable>(
        _ cluster: EmbeddedPostgres? = nil, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let shared = try await Self.cluster.value
        let c = cluster ?? shared
        let client = PostgresClient(configuration: c.configuration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    static func count(_ client: PostgresClient, _ schema: StoreSchema, _ condition: String = "true")
        async throws -> Int
    {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*)::int FROM \"\(schema.name)\".messages WHERE \(condition)"),
            logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    /// Waits (bounded) until `condition` holds for at least `expected` rows.
    static func waitFor(
        _ expected: Int, _ condition: String, _ client: PostgresClient, _ schema: StoreSchema,
        timeout: Duration = .seconds(60)
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await count(client, schema, condition)) ?? 0 >= expected { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// A node running in this process on a fresh schema, its HTTP server on a free port.
struct TestNode {
    let node: Node
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    /// The management listener's port (0 when the settings have none).
    let managementPort: Int
    let schema: StoreSchema
    /// Its database's cluster when not the shared one.
    let cluster: EmbeddedPostgres?

    static func start(
        _ yaml: String, cluster: EmbeddedPostgres? = nil, schema: StoreSchema? = nil,
        configure: (inout NodeSettings) -> Void = { _ in }
    ) async throws -> TestNode {
        let loaded = RouteLoader().load([RouteFile(path: "routes.yaml", text: yaml)])
        if !loaded.errors.isEmpty { throw LoadFailure(loaded.errors) }
        let shared = try await ServerTestDatabase.cluster.value
        let c = cluster ?? shared
        var settings = NodeSettings(database: .url(ServerTestDatabase.url(c)))
        settings.schema = try schema ?? ServerTestDatabase.newSchema()
        settings.http = NodeSettings.HTTP(host: "127.0.0.1", port: 0)
        settings.management = NodeSettings.Management(port: 0)
        settings.pollInterval = .milliseconds(100)
        // The tests start dozens of nodes at once on two cores: a start that is slow, not
        // stuck, must not fail them (tests of the start timeout set their own).
        settings.startTimeout = .seconds(60)
        configure(&settings)
        let node = Node(
            routes: loaded.routes, settings: settings, logger: ServerTestDatabase.logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: node)], logger: ServerTestDatabase.logger))
        let (stopped, ended) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            defer { ended.finish() }
            try await group.run()
        }
        // A node that fails to start never listens: fail with that, not wait for ever.
        let ports = try await withThrowingTaskGroup(of: (Int, Int)?.self) { waiting in
            waiting.addTask { [management = settings.management] in
                return (
                    try await node.httpPort(),
                    management == nil ? 0 : try await node.managementPort()
                )
            }
            waiting.addTask {
                for await _ in stopped {}  // ends when the node stops, or on cancellation
                if Task.isCancelled { return nil }
                try await task.value  // the node's own error, when it failed
                throw NodeError("the node stopped before it listened")
            }
            defer { waiting.cancelAll() }
            return try await waiting.next()!
        }
        guard let (port, managementPort) = ports else {
            throw NodeError("the node stopped before it listened")
        }
        return TestNode(
            node: node, group: group, task: task, port: port, managementPort: managementPort,
            schema: settings.schema, cluster: cluster)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        // A graceful stop that does not end is a failure of its own (and the process must
        // not wait for it for ever): cancel the node after 60 s and say so.
        let stopped = Completion()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            if !stopped.isDone {
                Issue.record("the node did not stop within 60 s of a graceful shutdown")
                task.cancel()
            }
        }
        defer {
            stopped.done()
            watchdog.cancel()
        }
        try await task.value
    }

    /// How many messages its schema holds.
    func storedCount() async throws -> Int {
        try await ServerTestDatabase.withClient(cluster) { client in
            try await ServerTestDatabase.count(client, schema)
        }
    }

    /// The stored messages' `CaravanPrincipal` headers, oldest first.
    func storedPrincipals() async throws -> [String?] {
        try await ServerTestDatabase.withClient(cluster) { client in
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT headers->>'CaravanPrincipal' FROM \"\(schema.name)\".messages ORDER BY seq"
                ))
            var found: [String?] = []
            for try await p in rows.decode(String?.self) { found.append(p) }
            return found
        }
    }

    /// POSTs (or sends `method`) to the node; status, headers and body.
    func send(
        _ path: String, _ body: String = "", method: String = "POST",
        contentType: String? = "application/json"
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        try await HTTP.send(
            "http://127.0.0.1:\(port)\(path)", body, method: method, contentType: contentType)
    }
}

/// Requests from the tests, through AsyncHTTPClient's shared client.
enum HTTP {
    static func send(
        _ url: String, _ body: String = "", method: String = "POST", contentType: String? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if !body.isEmpty || method == "POST" { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 10_000_000)
        var headers: [String: String] = [:]
        for h in response.headers { headers[h.name.lowercased()] = h.value }
        return (Int(response.status.code), headers, String(buffer: bytes))
    }
}

/// An HTTP target that records what it receives and answers as the test says.
final class Sink: Sendable {
    struct Received: Sendable {
        let method: String
        let path: String
        let query: String?
        let headers: [String: String]
        let body: String
    }

    let received = Mutex<[Received]>([])
    /// The status for the nth request (0-based): 200 unless the test says otherwise.
    let status: @Sendable (Int) -> Int
    /// Paths the sink never answers (a target that hangs).
    let hangs: Set<String>
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    private let portBox = Mutex<Int?>(nil)
    private let waiters = Mutex<[CheckedContinuation<Int, Never>]>([])

    /// HTTP/1, over TLS for an HTTPS sink.
    let server: HTTPServerBuilder

    init(status: @escaping @Sendable (Int) -> Int = { _ in 200 }, hangs: Set<String> = []) {
        self.server = .http1()
        self.status = status
        self.hangs = hangs
    }

    /// An HTTPS sink.
    init(tls: TLSConfiguration, status: @escaping @Sendable (Int) -> Int = { _ in 200 }) throws {
        self.server = try .tls(.http1(), tlsConfiguration: tls)
        self.status = status
        self.hangs = []
    }

    var port: Int { portBox.withLock { $0 }! }
    var requests: [Received] { received.withLock { $0 } }

    func start() async -> Int {
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { [self] request, _ in
                var request = request
                let bytes = try await request.collectBody(upTo: 10_000_000)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let index = received.withLock { r in
                    r.append(
                        Received(
                            method: request.method.rawValue, path: request.uri.path,
                            query: request.uri.query, headers: headers,
                            body: String(buffer: bytes)))
                    return r.count - 1
                }
                if hangs.contains(request.uri.path) {
                    try await Task.sleep(for: .seconds(600))  // until the sink stops
                }
                return Response(
                    status: .init(code: status(index)),
                    body: .init(byteBuffer: ByteBuffer(string: "sink \(index)")))
            },
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? 0
                portBox.withLock { $0 = port }
                for w in waiters.withLock({ w in
                    defer { w = [] }; return w
                }) {
                    w.resume(returning: port)
                }
            }, logger: ServerTestDatabase.logger)
        task.withLock { $0 = Task { try await app.run() } }
        return await withCheckedContinuation { c in
            let known = portBox.withLock { $0 }
            if let known {
                c.resume(returning: known)
            } else {
                waiters.withLock { $0.append(c) }
                if let late = portBox.withLock({ $0 }) {
                    for w in waiters.withLock({ w in
                        defer { w = [] }; return w
                    }) {
                        w.resume(returning: late)
                    }
                }
            }
        }
    }

    func stop() { task.withLock { $0?.cancel() } }

    /// Stops and returns once the server has closed its port.
    func stopAndWait() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = await running?.result
    }

    /// Waits (bounded) until `count` requests arrived.
    func waitFor(_ count: Int, timeout: Duration = .seconds(60)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if requests.count >= count { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// HTTP/1.1 spoken by hand over one connection, for what AsyncHTTPClient does not do
/// (`Expect: 100-continue`). Blocking socket calls, run off Swift concurrency's threads;
/// every read gives up after 10 s.
final class RawHTTPConnection: @unchecked Sendable {
    // Only used by one test at a time, one call after the other.
    private let fd: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(
            fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // No close here: an initialiser that throws once every property is set still runs
        // deinit, and a second close would close whatever descriptor got the number in
        // between (NIO's, which then crashed on EBADF).
        guard connected == 0 else { throw Failure(description: "connect: \(errno)") }
    }

    deinit { close(fd) }

    func send(_ text: String) async throws {
        try await offThread { [self] in
            let bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeBytes {
                    // MSG_NOSIGNAL: a server that closed the connection is an error here,
                    // not a SIGPIPE that ends the test process.
                    Foundation.send(
                        fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                }
                guard n > 0 else { throw Failure(description: "send: \(errno)") }
                sent += n
            }
        }
    }

    /// The next response: its status, and its body when it has a Content-Length.
    func response() async throws -> (status: Int, body: String) {
        try await offThread { [self] in
            let separator = Array("\r\n\r\n".utf8)
            var end: Int?
            while true {
                if let found = buffer.indices.first(where: {
                    buffer[$0...].starts(with: separator)
                }) {
                    end = found
                    break
                }
                try fill()
            }
            let headEnd = end! + separator.count
            let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
            buffer.removeFirst(headEnd)
            let status = Int(head.split(separator: " ")[1]) ?? 0
            let length =
                head.split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
                ?? 0
            while buffer.count < length { try fill() }
            let body = String(decoding: buffer[..<length], as: UTF8.self)
            buffer.removeFirst(length)
            return (status, body)
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 4096, 0) }
        guard n > 0 else { throw Failure(description: "no answer (recv: \(n), errno \(errno))") }
        buffer.append(contentsOf: chunk[..<n])
    }

    private func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws
        -> T
    {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}

extension RawHTTPConnection {
    /// True when the server closes the connection before answering anything more (within
    /// the connection's 10 s read timeout). A reset counts as a close: a server whose
    /// event loop is slow enough (a loaded CI machine) can reach the idle timeout before it
    /// has read the bytes already sent, and the kernel then closes with RST, not FIN.
    func closedByServer() async throws -> Bool {
        do {
            let answer = try await response()
            print("expected a close, got an answer: \(answer.status)")
            return false
        } catch let failure as Failure {
            if failure.description.hasPrefix("no answer (recv: 0")
                || failure.description.hasSuffix("errno \(ECONNRESET))")
            {
                return true
            }
            print("expected a close, got: \(failure.description)")
            return false
        }
    }
}

/// Set once something finished.
final class Completion: Sendable {
    private let flag = Mutex(false)
    func done() { flag.withLock { $0 = true } }
    var isDone: Bool { flag.withLock { $0 } }
}
