import Foundation

/// The file producer's writes, safe when several workers write the same name at once and
/// durable before the message is marked done (Camel's `forceWrites`, on by default).
///
/// - `Override`: a temporary file in the same folder, then `rename` — a reader never sees
///   half a file, and the last writer wins.
/// - `Fail` and `Ignore`: a temporary file, then `link` to the name, which fails if the
///   name exists — checking first and writing after let two writers both "create" it.
/// - `Append`: one `write` to a descriptor opened with `O_APPEND`, so concurrent appends
///   land one after the other — seeking to the end and then writing let two writers
///   write at the same offset, one over the other.
///
/// Blocking system calls: run it on a thread pool, not on Swift concurrency's threads.
enum FileWriter {
    enum Mode: String {
        case override = "Override"
        case append = "Append"
        case fail = "Fail"
        case ignore = "Ignore"
    }

    enum Outcome {
        case written
        /// `Ignore`, and the file existed.
        case ignored
    }

    /// Why a write failed; `exists` is `Fail`'s answer to an existing file.
    enum Failure: Error {
        case exists
        case system(String)
    }

    static func write(_ bytes: [UInt8], to path: String, mode: Mode, sync: Bool) throws(Failure)
        -> Outcome
    {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .system("cannot create the folder \(folder): \(error.localizedDescription)")
        }
        switch mode {
        case .append:
            try append(bytes, to: path, sync: sync)
        case .override:
            try place(bytes, at: path, replacing: true, sync: sync)
        case .fail:
            try place(bytes, at: path, replacing: false, sync: sync)
        case .ignore:
            do {
                try place(bytes, at: path, replacing: false, sync: sync)
            } catch .exists {
                return .ignored
            }
        }
        return .written
    }

    /// One `write` at the end of the file, which is created if missing.
    private static func append(_ bytes: [UInt8], to path: String, sync: Bool) throws(Failure) {
        let existed = access(path, F_OK) == 0
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(reason("cannot open \(path)")) }
        defer { close(fd) }
        try writeAll(bytes, to: fd, path)
        guard sync else { return }
        guard fsync(fd) == 0 else { throw .system(reason("cannot sync \(path)")) }
        if !existed { try syncFolder((path as NSString).deletingLastPathComponent) }
    }

    /// A temporary file in the same folder, then renamed over the name (`replacing`) or
    /// linked to it, which fails with ``Failure/exists`` if the name is taken.
    private static func place(_ bytes: [UInt8], at path: String, replacing: Bool, sync: Bool)
        throws(Failure)
    {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = (folder as NSString).appendingPathComponent(
            ".\((path as NSString).lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(reason("cannot create \(temporary)")) }
        defer { unlink(temporary) }  // after a rename or a link: only a name goes
        do {
            defer { close(fd) }
            try writeAll(bytes, to: fd, temporary)
            if sync, fsync(fd) != 0 { throw Failure.system(reason("cannot sync \(temporary)")) }
        }
        let placed = replacing ? rename(temporary, path) : link(temporary, path)
        guard placed == 0 else {
            if !replacing, errno == EEXIST { throw .exists }
            throw .system(reason("cannot write \(path)"))
        }
        if sync { try syncFolder(folder) }
    }

    /// `write` until every byte is out (a regular file writes all at once unless the disk
    /// is full or a signal interrupts).
    private static func writeAll(_ bytes: [UInt8], to fd: Int32, _ path: String) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(reason("cannot write \(path)"))
            }
            offset += n
        }
    }

    /// Makes a new name in `folder` survive a crash of the machine.
    private static func syncFolder(_ folder: String) throws(Failure) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(reason("cannot open the folder \(folder)")) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .system(reason("cannot sync the folder \(folder)")) }
    }

    private static func reason(_ what: String) -> String {
        "\(what): \(String(cString: strerror(errno)))"
    }
}
