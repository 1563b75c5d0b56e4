import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A throwaway PostgreSQL cluster started from the local PostgreSQL binaries: `initdb`
/// into a folder of its own, listening only on a unix socket in that folder (no port to
/// clash with), run as the `postgres` user when the caller is root (PostgreSQL refuses
/// to run as root), and stopped and removed by ``stop()`` — or at process exit, so test
/// runs never leave a server behind.
///
/// ```swift
/// let postgres = try await EmbeddedPostgres.start()
/// let client = PostgresClient(configuration: postgres.configuration(), backgroundLogger: logger)
/// ...
/// try postgres.stop()
/// ```
public final class EmbeddedPostgres: Sendable {
    /// The folder that holds the cluster (`data/`), its socket and its log.
    public let directory: String
    /// The port number in the socket's name (`.s.PGSQL.<port>`); nothing listens on TCP.
    public let port: Int
    let binaries: String
    let runAsPostgres: Bool
    /// Whether the folder is removed on stop (a temporary cluster) or kept (`caravan serve`).
    let removeOnStop: Bool
    private let stopped = Mutex(false)

    /// What went wrong starting or stopping the cluster, with the tool's output.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public var dataDirectory: String { directory + "/data" }
    public var socketPath: String { directory + "/.s.PGSQL.\(port)" }

    /// Client settings for this cluster (trust authentication over the socket).
    public func configuration(database: String = "postgres") -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            unixSocketPath: socketPath, username: "postgres", password: nil, database: database)
    }

    private init(
        directory: String, port: Int, binaries: String, runAsPostgres: Bool, removeOnStop: Bool
    ) {
        self.directory = directory
        self.port = port
        self.binaries = binaries
        self.runAsPostgres = runAsPostgres
        self.removeOnStop = removeOnStop
    }

    /// Starts a cluster in `directory` (created and initialised when it holds none), or in
    /// a new temporary folder that is removed on stop. `durable: false` turns `fsync` off,
    /// for tests only.
    public static func start(
        in directory: String? = nil, durable: Bool = true,
        logger: Logger = Logger(label: "caravan.postgres")
    )
        async throws -> EmbeddedPostgres
    {
        let binaries = try findBinaries()
        let runAsPostgres = geteuid() == 0
        let folder: String
        if let directory {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
            folder = (directory as NSString).standardizingPath
        } else {
            var template = Array((NSTemporaryDirectory() + "caravan-pg-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw Failure(description: "cannot create a temporary folder for PostgreSQL")
            }
            folder = String(cString: made)
        }
        if runAsPostgres { try giveToPostgresUser(folder) }
        // A port number only names the socket file (no TCP): a folder of its own keeps
        // the standard one, so its URL stays the same across restarts; a temporary one
        // takes any.
        let port = directory == nil ? Int.random(in: 20_000..<60_000) : 5432
        let cluster = EmbeddedPostgres(
            directory: folder, port: port, binaries: binaries, runAsPostgres: runAsPostgres,
            removeOnStop: directory == nil)
        if !FileManager.default.fileExists(atPath: cluster.dataDirectory + "/PG_VERSION") {
            logger.info(
                "initialising a PostgreSQL cluster",
                metadata: ["directory": "\(cluster.dataDirectory)"])
            try await cluster.runOffPool(
                "initdb",
                [
                    "-D", cluster.dataDirectory, "-U", "postgres", "--auth=trust",
                    "--encoding=UTF8", "--locale=C", "--no-sync",
                ])
        }
        // A throwaway cluster serves test processes that run many nodes at once, each with
        // a pool of up to 20 connections.
        let connections = durable ? 200 : 1000
        var options =
            "-k \(folder) -c listen_addresses='' -p \(port) -c max_connections=\(connections)"
        if !durable { options += " -c fsync=off -c full_page_writes=off" }
        if directory != nil, FileManager.default.fileExists(atPath: cluster.socketPath),
            cluster.serverIsAlive
        {
            // Already running: another `caravan serve` in this folder, or one left behind
            // by a node that was killed. Share it (nodes may share a database) and leave
            // stopping it to whoever started it.
            logger.info(
                "PostgreSQL is already running here; using it",
                metadata: ["socket": "\(cluster.socketPath)"])
            cluster.stopped.withLock { $0 = true }
            return cluster
        }
        try await cluster.runOffPool(
            "pg_ctl",
            [
                "-D", cluster.dataDirectory, "-l", folder + "/postgres.log", "-w", "-t", "60", "-o",
                options, "start",
            ])
        registerForExit(cluster)
        // pg_trgm (the dead letters' text index), created once here rather than by the
        // first of many schemas migrating at once: `CREATE EXTENSION IF NOT EXISTS` in
        // concurrent migrations makes each wait for the first one's transaction. Where
        // contrib is missing the migration does without it.
        _ = try? await cluster.runOffPool(
            "psql",
            [
                "-h", folder, "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-q", "-c",
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            ])
        logger.info("PostgreSQL is running", metadata: ["socket": "\(cluster.socketPath)"])
        return cluster
    }

    /// Whether the server recorded in `postmaster.pid` is running (a socket file alone
    /// can outlive a server that was killed).
    var serverIsAlive: Bool {
        guard
            let text = try? String(
                contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let pid = text.split(separator: "\n").first.flatMap({ pid_t($0) })
        else { return false }
        return Glibc.kill(pid, 0) == 0 || errno == EPERM
    }

    /// Stops the server (fast shutdown) and removes a temporary cluster's folder.
    public func stop() throws {
        guard
            stopped.withLock({ s in
                defer { s = true }; return !s
            })
        else { return }
        defer { if removeOnStop { try? FileManager.default.removeItem(atPath: directory) } }
        try run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Stops abruptly (as a crash would), keeping the folder: for restart tests.
    public func kill() async throws {
        try await runOffPool("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// Starts a stopped cluster again in the same folder and socket. Off the task pool:
    /// `pg_ctl -w` waits for the server to accept connections, about a second, and two
    /// tests restarting at once held both of a 2-core machine's pool threads — every other
    /// test's statements then timed out.
    public func restart() async throws {
        try await runOffPool(
            "pg_ctl",
            [
                "-D", dataDirectory, "-l", directory + "/postgres.log", "-w", "-t", "60", "-o",
                "-k \(directory) -c listen_addresses='' -p \(port)", "start",
            ])
    }

    /// ``run(_:_:)`` on a thread of its own: `initdb` takes seconds, and blocking one of
    /// the few threads that run Swift's tasks stalls everything else meanwhile (lease
    /// renewals, other tests).
    @discardableResult
    func runOffPool(_ tool: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<String, any Error>) in
            Thread.detachNewThread { c.resume(with: Result { try self.run(tool, arguments) }) }
        }
    }

    /// Runs a PostgreSQL tool (as `postgres` when we are root) and returns its output.
    ///
    /// posix_spawn and waitpid rather than Foundation's `Process`: its exit detection
    /// needs a thread of its own, and `pg_ctl start` leaves a server behind that inherits
    /// the tool's descriptors — output therefore goes to a file, never a pipe.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let argv =
            runAsPostgres
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", binaries + "/" + tool] + arguments
            : [binaries + "/" + tool] + arguments
        let outputPath = NSTemporaryDirectory() + "caravan-pg-tool-\(UUID().uuidString).txt"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else is inherited: the server `pg_ctl start` leaves running would
        // otherwise hold the write ends of other pipes open forever (a test reading a
        // child's output to EOF would hang).
        closeInheritedDescriptors(&actions)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let spawned = directory.withCString { _ in
            posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        }
        guard spawned == 0 else {
            throw Failure(description: "cannot start \(tool): error \(spawned)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let log =
                (try? String(contentsOfFile: directory + "/postgres.log", encoding: .utf8)).map {
                    "\nserver log:\n" + $0.suffix(2000)
                } ?? ""
            throw Failure(
                description: "\(tool) failed (status \(status)): \(text.suffix(2000))\(log)")
        }
        return text
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` (Debian's layout), or
    /// `CARAVAN_POSTGRES_BIN`, or the folder `pg_ctl` is found in on PATH.
    static func findBinaries() throws -> String {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["CARAVAN_POSTGRES_BIN"] {
            return explicit
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
            .sorted(by: >)
        for v in versions where fm.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") {
            return "\(root)/\(v)/bin"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where fm.isExecutableFile(atPath: "\(dir)/initdb") {
            return String(dir)
        }
        throw Failure(
            description:
                "no PostgreSQL server binaries found (initdb, pg_ctl) — install the PostgreSQL server package (Debian: apt-get install postgresql) or set CARAVAN_POSTGRES_BIN"
        )
    }

    static func giveToPostgresUser(_ folder: String) throws {
        guard let user = getpwnam("postgres") else {
            throw Failure(
                description:
                    "running as root needs a 'postgres' user to run PostgreSQL as — install the PostgreSQL server package"
            )
        }
        guard chown(folder, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw Failure(
                description: "cannot give \(folder) to the postgres user (errno \(errno))")
        }
        // The temporary folder's parents must be traversable by postgres.
        chmod(folder, 0o700)
    }
}

/// Clusters to stop when the process exits (test runs have no global tear-down).
private let runningClusters = Mutex<[EmbeddedPostgres]>([])
private let exitHook: Void = {
    atexit {
        for cluster in runningClusters.withLock({ $0 }) { try? cluster.stop() }
    }
}()

private func registerForExit(_ cluster: EmbeddedPostgres) {
    _ = exitHook
    runningClusters.withLock { $0.append(cluster) }
}

/// Adds "close every descriptor from 3 up" to spawn actions: glibc's
/// `posix_spawn_file_actions_addclosefrom_np` (2.34+, not visible to Swift's Glibc
/// module, so found with dlsym), else one close per descriptor open now.
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    {
        let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
        _ = closeFrom(&actions, 3)
        return
    }
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
        if let fd = Int32(name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }
}
