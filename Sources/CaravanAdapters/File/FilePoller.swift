import Caravan
import Foundation
import Logging
import Synchronization

/// The `file:` consumer: polls a folder and hands each file to the store, then moves it
/// (to `.done/` by default), deletes it or leaves it (`noop`).
///
/// A file is stored before it is moved, under an id made of the route, its path, size
/// and modification time. A crash between the two leaves the file in place; the next poll
/// stores it again under the same id — which the store ignores — and moves it. So no file
/// is lost and none is taken twice. Write files under a name starting with `.` (or in
/// another folder) and rename them into place: files starting with `.` are skipped, so a
/// half-written file is never taken.
///
/// With `noop=true` files stay where they are; a ``FileMemory`` (the store's, in the
/// server) remembers which were taken for as long as they stay, across restarts and after
/// their messages are pruned. A folder that cannot be created or read is logged once and
/// reported by ``problem`` (the server's readiness) until it can be read again.
public final class FilePoller: Sendable {
    public let routeId: String
    public let uri: EndpointURI
    let intake: any Intake
    let logger: Logger
    let directory: String
    let include: NSRegularExpression?
    let exclude: NSRegularExpression?
    let delay: Duration
    let initialDelay: Duration
    let sortBy: (key: String, reverse: Bool)?
    let recursive: Bool
    let move: String
    let moveFailed: String
    let delete: Bool
    let noop: Bool
    let maxFileSize: Int
    /// Where `noop` files are remembered (nil: in this process only).
    let memory: (any FileMemory)?
    private let folderProblem = Mutex<String?>(nil)

    /// Why the folder cannot be polled, while it cannot.
    public var problem: String? { folderProblem.withLock { $0 } }

    public init(
        routeId: String, uri: EndpointURI, intake: any Intake, memory: (any FileMemory)? = nil,
        logger: Logger
    ) throws(ProcessingError) {
        let options = try ConsumerOptions(
            routeId: routeId, uri: uri, known: FileComponent.consumerOptions)
        self.routeId = routeId
        self.uri = uri
        self.intake = intake
        self.memory = memory
        self.logger = logger
        directory = URL(fileURLWithPath: uri.path).standardized.path
        func regex(_ name: String) throws(ProcessingError) -> NSRegularExpression? {
            guard let text = uri[option: name] else { return nil }
            do { return try NSRegularExpression(pattern: "^(?:\(text))$") } catch {
                throw options.invalid("\(name) '\(text)' is not a regular expression")
            }
        }
        include = try regex("include")
        exclude = try regex("exclude")
        delay = .milliseconds(try options.milliseconds("delay", default: 500))
        initialDelay = .milliseconds(try options.milliseconds("initialDelay", default: 1000))
        if let text = uri[option: "sortBy"] {
            let reverse = text.hasPrefix("reverse:")
            let key = reverse ? String(text.dropFirst(8)) : text
            guard ["file:name", "file:modified", "file:size"].contains(key) else {
                throw options.invalid(
                    "sortBy '\(text)' is not file:name, file:modified or file:size")
            }
            sortBy = (key, reverse)
        } else {
            sortBy = nil
        }
        recursive = options.flag("recursive")
        move = uri[option: "move"] ?? ".done"
        moveFailed = uri[option: "moveFailed"] ?? ".error"
        delete = options.flag("delete")
        noop = options.flag("noop")
        maxFileSize = try options.count("maxFileSize", default: 100 * 1024 * 1024)
    }

    /// A file found by a poll.
    struct Found {
        let path: String
        let relative: String
        let size: Int
        let modified: Date
    }

    /// Polls until cancelled.
    public func run() async {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
        } catch {
            report("cannot create the folder: \(error.localizedDescription)")
        }
        try? await Task.sleep(for: initialDelay)
        var noop = NoopFiles()
        while !Task.isCancelled {
            await poll(&noop)
            try? await Task.sleep(for: delay)
        }
    }

    /// One poll: every file found, in order, stored then moved.
    func poll(_ state: inout NoopFiles) async {
        guard let files = scan() else { return }
        let ids = files.map(id(of:))
        if noop { await forgetGone(present: Set(ids), &state) }
        var taken = state.taken
        defer { state.taken = taken }
        for (file, id) in zip(files, ids) {
            if Task.isCancelled { return }
            if noop {
                if taken.contains(id) { continue }
                if let memory {
                    // Unknown while the memory cannot answer: the next poll asks again.
                    guard let known = try? await memory.contains(id, route: routeId) else {
                        continue
                    }
                    if known {  // taken before a restart, or by another node
                        taken.insert(id)
                        continue
                    }
                }
            }
            if file.size > maxFileSize {
                logger.warning(
                    "a file is too large to take; moved aside",
                    metadata: [
                        "file": "\(file.path)", "bytes": "\(file.size)", "route": "\(routeId)",
                    ])
                relocate(file, to: moveFailed)
                continue
            }
            guard let data = FileManager.default.contents(atPath: file.path) else {
                if !FileManager.default.fileExists(atPath: file.path) {
                    // Gone since the scan: another node polling the folder took it.
                    logger.debug(
                        "a file went before it was read", metadata: ["file": "\(file.path)"])
                    continue
                }
                logger.warning(
                    "cannot read a file; moved aside",
                    metadata: ["file": "\(file.path)", "route": "\(routeId)"])
                relocate(file, to: moveFailed)
                continue
            }
            var headers = Headers()
            headers["CamelFileName"] = .string(file.relative)
            headers["CamelFileNameOnly"] = .string((file.path as NSString).lastPathComponent)
            headers["CamelFileAbsolutePath"] = .string(file.path)
            headers["CamelFileParent"] = .string((file.path as NSString).deletingLastPathComponent)
            headers["CamelFileLength"] = .number(DecimalText(file.size))
            headers["CamelFileLastModified"] = .number(
                DecimalText(Int(file.modified.timeIntervalSince1970 * 1000)))
            let message = Message(
                headers: headers,
                body: Body(bytes: Array(data), contentType: Self.contentType(file.path)))
            do {
                _ = try await intake.acceptCounted(
                    message, route: routeId, consumer: uri.description, id: id)
            } catch {
                // Left in place: the next poll tries again.
                logger.warning(
                    "cannot store a file; it stays for the next poll",
                    metadata: ["file": "\(file.path)", "error": "\(error)"])
                return
            }
            if noop {
                do {
                    try await memory?.remember(id, route: routeId)
                } catch {
                    logger.warning(
                        "cannot remember a noop file; it is stored again after a restart",
                        metadata: ["file": "\(file.path)", "error": "\(error)"])
                }
                taken.insert(id)
            } else if delete {
                if unlink(file.path) != 0, errno != ENOENT {
                    logger.error("cannot delete a stored file", metadata: ["file": "\(file.path)"])
                }
            } else {
                relocate(file, to: move)
            }
        }
    }

    /// A file's identity: route, path, size and modification time.
    func id(of file: Found) -> UUID {
        StableID.uuid(
            for:
                "file|\(routeId)|\(file.path)|\(file.size)|\(file.modified.timeIntervalSince1970)")
    }

    /// What a `noop` poller knows between polls.
    struct NoopFiles {
        /// The files this process knows are taken.
        var taken = Set<UUID>()
        /// The memory was cleared of files gone while this process was not polling.
        var synced = false
    }

    /// `noop`: forgets the files taken that are no longer there (or changed), so that a
    /// file put back later is taken again — on the first poll, and when one went.
    func forgetGone(present: Set<UUID>, _ state: inout NoopFiles) async {
        guard !state.synced || !state.taken.isSubset(of: present) else { return }
        do {
            try await memory?.forget(route: routeId, except: Array(present))
            state.taken.formIntersection(present)
            state.synced = true
        } catch {
            logger.debug("cannot forget noop files yet", metadata: ["error": "\(error)"])
        }
    }

    /// Logs a folder problem once and keeps it for readiness; nil: the folder is fine.
    func report(_ problem: String?) {
        let previous = folderProblem.withLock { p in
            defer { p = problem }
            return p
        }
        // Once per outage of the folder, however its reason changes meanwhile.
        guard (previous == nil) != (problem == nil) else { return }
        if let problem {
            logger.error(
                "cannot poll a folder",
                metadata: ["folder": "\(directory)", "route": "\(routeId)", "error": "\(problem)"])
        } else {
            logger.info(
                "the folder can be polled again",
                metadata: ["folder": "\(directory)", "route": "\(routeId)"])
        }
    }

    /// The files to take, in order; nil when the folder itself cannot be read.
    func scan() -> [Found]? {
        var found: [Found] = []
        let fm = FileManager.default
        do {
            _ = try fm.contentsOfDirectory(atPath: directory)
            report(nil)
        } catch {
            report("cannot read the folder: \(error.localizedDescription)")
            return nil
        }
        func visit(_ folder: String, _ prefix: String) {
            guard let names = try? fm.contentsOfDirectory(atPath: folder) else { return }
            for name in names where !name.hasPrefix(".") {
                let path = (folder as NSString).appendingPathComponent(name)
                let relative = prefix.isEmpty ? name : prefix + "/" + name
                guard let attributes = try? fm.attributesOfItem(atPath: path),
                    let type = attributes[.type] as? FileAttributeType
                else { continue }
                if type == .typeDirectory {
                    if recursive { visit(path, relative) }
                    continue
                }
                guard type == .typeRegular else { continue }
                let range = NSRange(name.startIndex..., in: name)
                if let include, include.firstMatch(in: name, range: range) == nil { continue }
                if let exclude, exclude.firstMatch(in: name, range: range) != nil { continue }
                found.append(
                    Found(
                        path: path, relative: relative,
                        size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
                        modified: attributes[.modificationDate] as? Date
                            ?? Date(timeIntervalSince1970: 0)))
            }
        }
        visit(directory, "")
        guard let sortBy else { return found.sorted { $0.relative < $1.relative } }
        let sorted: [Found]
        switch sortBy.key {
        case "file:modified":
            sorted = found.sorted { ($0.modified, $0.relative) < ($1.modified, $1.relative) }
        case "file:size": sorted = found.sorted { ($0.size, $0.relative) < ($1.size, $1.relative) }
        default: sorted = found.sorted { $0.relative < $1.relative }
        }
        return sortBy.reverse ? sorted.reversed() : sorted
    }

    /// Moves a file into `folder` (relative to the polled folder), keeping its relative
    /// path; an existing file of that name is replaced.
    func relocate(_ file: Found, to folder: String) {
        let base =
            folder.hasPrefix("/") ? folder : (directory as NSString).appendingPathComponent(folder)
        let target = (base as NSString).appendingPathComponent(file.relative)
        try? FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        if rename(file.path, target) != 0 {
            if errno == ENOENT {
                // Another node polling the folder stored the same file (under the same id,
                // so once) and moved it first.
                logger.debug(
                    "a stored file was moved by another node", metadata: ["file": "\(file.path)"])
                return
            }
            logger.error(
                "cannot move a file",
                metadata: [
                    "file": "\(file.path)", "to": "\(target)",
                    "error": "\(String(cString: strerror(errno)))",
                ])
        }
    }

    static func contentType(_ path: String) -> MediaType? {
        switch (path as NSString).pathExtension.lowercased() {
        case "json": .json
        case "xml": .xml
        case "csv": .csv
        case "txt": .text
        default: nil
        }
    }
}
