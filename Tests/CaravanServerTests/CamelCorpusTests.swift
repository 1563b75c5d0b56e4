import CaravanStore
import Foundation
import Testing
import Yams

/// Route files from Apache Camel's own repositories, unchanged (Tests/CamelCorpus): each one
/// inside the subset is validated, then run under `caravan run` in a folder of its own with
/// its inputs, and must log, answer and write what Camel does with it; each one outside the
/// subset must be refused with a file:line:column diagnostic.
@Suite struct CamelCorpusTests {
    @Test(arguments: CamelCorpus.entries)
    func aCamelFileLoadsAndBehavesAsInCamelOrIsRefusedWithItsPosition(_ entry: CamelCorpus.Entry)
        async throws
    {
        try await CamelCorpus.runs.withPermit {
            let run = try CamelCorpus.Run(entry)
            defer { run.remove() }
            if entry.subset {
                try await run.validates()
                if entry.runs { try await run.behaves() }
            } else {
                try await run.isRefused()
            }
        }
    }

    @Test func theManifestNamesEveryCorpusFileOnceAndEachWithItsSourceCommit() throws {
        let listed = try CamelCorpus.manifest.get().map(\.file)
        #expect(Set(listed).count == listed.count, "a file is listed twice")
        let root = CamelCorpus.folder.appendingPathComponent("files")
        let onDisk = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter {
            $0.hasSuffix(".yaml")
        }
        #expect(Set(onDisk) == Set(listed), "files/ and manifest.yaml disagree")
        for entry in CamelCorpus.entries {
            #expect(entry.commit.wholeMatch(of: /[0-9a-f]{40}/) != nil, "\(entry.file)")
            #expect(entry.subset == (entry.refused == nil), "\(entry.file): subset or refused")
        }
        #expect(CamelCorpus.entries.count >= 40)
    }
}

/// The corpus: its manifest, and how one file of it is run.
enum CamelCorpus {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("CamelCorpus")

    /// The manifest, or why it cannot be read (the manifest test reports it).
    static let manifest = Result { () throws -> [Entry] in
        let text = try String(
            contentsOf: folder.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        return try YAMLDecoder().decode([Entry].self, from: text)
    }

    static let entries: [Entry] = (try? manifest.get()) ?? []

    /// One run at a time: each is a `caravan` process with its own migrations and pool,
    /// and the suite shares two cores and one PostgreSQL with every other test (with three
    /// at a time, then two, fresh-clone CI runs saw other tests miss their deadlines).
    static let runs = Permits(1)

    /// A request, and the answer Camel gives: its status, and `answer` matching its body.
    struct Send: Decodable, Sendable {
        var method: String
        var path: String
        var data: String?
        var status: Int
        var answer: String?
    }

    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var commit: String
        var subset: Bool
        var with: [String]?
        var properties: [String: String]?
        var given: [String: String]?
        var logs: [String]?
        var send: [Send]?
        var files: [String: String]?
        var refused: String?
        var network: String?
        var behaviour: String?

        var testDescription: String { file }
        /// Load only: nothing to run, or it needs a network the tests may not reach.
        var runs: Bool {
            network == nil
                && (!(logs ?? []).isEmpty || !(send ?? []).isEmpty || !(files ?? [:]).isEmpty)
        }

        enum CodingKeys: String, CodingKey {
            case file, commit, subset, with, properties, given, logs, send, files, refused
            case network, behaviour
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            file = try c.decode(String.self, forKey: .file)
            commit = try c.decode(String.self, forKey: .commit)
            subset = try c.decode(Bool.self, forKey: .subset)
            with = try c.decodeIfPresent([String].self, forKey: .with)
            // Values as YAML writes them: numbers and text alike.
            properties = try c.decodeIfPresent([String: Scalar].self, forKey: .properties)?
                .mapValues(\.text)
            given = try c.decodeIfPresent([String: String].self, forKey: .given)
            logs = try c.decodeIfPresent([String].self, forKey: .logs)
            send = try c.decodeIfPresent([Send].self, forKey: .send)
            files = try c.decodeIfPresent([String: String].self, forKey: .files)
            refused = try c.decodeIfPresent(String.self, forKey: .refused)
            network = try c.decodeIfPresent(String.self, forKey: .network)
            behaviour = try c.decodeIfPresent(String.self, forKey: .behaviour)
        }
    }

    /// A property value, whatever YAML type it was written as.
    struct Scalar: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) {
                text = "\(i)"
            } else {
                text = try c.decode(String.self)
            }
        }
    }

    /// One entry's folder: its files side by side (as `camel run *` sees them), the
    /// example's properties, its inputs.
    struct Run {
        let entry: Entry
        let directory: URL
        let names: [String]

        init(_ entry: Entry) throws {
            self.entry = entry
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "caravan-corpus-\(UUID().uuidString.prefix(8))")
            let fm = FileManager.default
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            var names: [String] = []
            for file in [entry.file] + (entry.with ?? []) {
                let source = CamelCorpus.folder.appendingPathComponent("files/\(file)")
                let name = source.lastPathComponent
                try fm.copyItem(at: source, to: directory.appendingPathComponent(name))
                names.append(name)
            }
            self.names = names
            if let properties = entry.properties {
                try properties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }
                    .joined().write(
                        to: directory.appendingPathComponent("application.properties"),
                        atomically: true, encoding: .utf8)
            }
            for (path, content) in entry.given ?? [:] {
                let url = directory.appendingPathComponent(path)
                try fm.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try content.write(to: url, atomically: true, encoding: .utf8)
            }
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        func caravan(_ command: String, _ arguments: [String], log: String) throws
            -> ServeProcess
        {
            try ServeProcess(
                arguments, command: command, directory: directory.path,
                logPath: directory.appendingPathComponent(log).path)
        }

        func validates() async throws {
            let validate = try caravan("validate", names, log: "validate.log")
            let status = await validate.waitForExit()
            #expect(status == 0, "\(entry.file) does not load:\n\(validate.output)")
        }

        func isRefused() async throws {
            let validate = try caravan("validate", names, log: "validate.log")
            let status = await validate.waitForExit()
            let refused = try #require(entry.refused)
            let name = NSRegularExpression.escapedPattern(for: names[0])
            let expected = try Regex(
                "^\(name):\\d+:\\d+: \(NSRegularExpression.escapedPattern(for: refused))")
            #expect(status == 1, "\(entry.file): exit \(status)\n\(validate.output)")
            #expect(
                validate.output.split(separator: "\n").contains {
                    $0.firstMatch(of: expected) != nil
                },
                "\(entry.file) is not refused with its position and '\(refused)':\n\(validate.output)"
            )
        }

        /// Runs it until every expected log line, answer and file is there (or 45 s passed).
        func behaves() async throws {
            let cluster = try await ServerTestDatabase.cluster.value
            let run = try caravan(
                "run",
                names + [
                    "--port", "0", "--database", ServerTestDatabase.url(cluster), "--schema",
                    try ServerTestDatabase.newSchema().name,
                ], log: "run.log")
            defer { run.signal(SIGINT) }
            if let sends = entry.send, !sends.isEmpty {
                let port = try await run.listeningPort()
                for send in sends {
                    let answer = try await HTTP.send(
                        "http://127.0.0.1:\(port)\(send.path)", send.data ?? "",
                        method: send.method, contentType: send.data == nil ? nil : "text/plain")
                    #expect(
                        answer.status == send.status,
                        "\(entry.file): \(send.method) \(send.path) answered \(answer.status) \(answer.body)"
                    )
                    if let pattern = send.answer {
                        #expect(
                            answer.body.firstMatch(of: try Regex(pattern)) != nil,
                            "\(entry.file): \(send.method) \(send.path) answered \(answer.body)")
                    }
                }
            }
            let logs = try (entry.logs ?? []).map { ($0, try Regex($0)) }
            let files = try (entry.files ?? [:]).map { ($0.key, try Regex($0.value)) }
            var missing: [String] = []
            let deadline = ContinuousClock.now + .seconds(45)
            repeat {
                let lines = run.output.split(separator: "\n")
                missing =
                    logs.filter { _, regex in !lines.contains { $0.firstMatch(of: regex) != nil } }
                    .map { "log line /\($0.0)/" }
                    + files.filter { !fileMatches($0.0, $0.1) }.map { "file \($0.0)" }
                if missing.isEmpty || run.hasExited { break }
                // The log is a file: no event says a line was written.
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            #expect(
                missing.isEmpty,
                "\(entry.file): missing \(missing.joined(separator: ", "))\n\(run.output.suffix(4000))"
            )
            run.signal(SIGINT)
            _ = await run.waitForExit()
        }

        /// A file whose path matches `pattern` (a `*` stands for one folder or name) and whose
        /// content matches `content`.
        func fileMatches(_ pattern: String, _ content: Regex<AnyRegexOutput>) -> Bool {
            let parts = pattern.split(separator: "/").map {
                $0 == "*" ? "[^/]+" : NSRegularExpression.escapedPattern(for: String($0))
            }
            guard let path = try? Regex("^" + parts.joined(separator: "/") + "$"),
                let found = FileManager.default.subpaths(atPath: directory.path)
            else { return false }
            return found.contains { name in
                guard name.firstMatch(of: path) != nil,
                    let text = try? String(
                        contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                else { return false }
                return text.firstMatch(of: content) != nil
            }
        }
    }
}
