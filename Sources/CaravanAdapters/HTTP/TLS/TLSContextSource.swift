import Foundation
import Logging
import NIOSSL
import Synchronization

/// The TLS context a listener gives each new connection, re-made when its files change
/// (as cert-manager or an operator rotates them). Connections already open keep the
/// context they started with, so a rotation drops none; files that do not make a usable
/// context (a key written before its certificate) leave the current one in place.
public final class TLSContextSource: Sendable {
    public let files: TLSFiles
    private struct Current {
        var context: NIOSSLContext
        var contents: TLSFiles.Contents
        /// The contents last refused, so a bad state is logged once, not every second.
        var refused: TLSFiles.Contents?
    }
    private let current: Mutex<Current>
    private let logger: Logger

    /// Reads the files; an error names the file and the key.
    public init(files: TLSFiles, logger: Logger) throws(SecurityError) {
        self.files = files
        self.logger = logger
        let (context, contents) = try files.context()
        current = Mutex(Current(context: context, contents: contents))
    }

    /// The context for a connection starting now.
    var context: NIOSSLContext { current.withLock { $0.context } }

    /// What re-reading the files did.
    public enum Reload: Equatable, Sendable {
        case unchanged
        case reloaded
        /// The files changed but do not make a context; the current one stays.
        case refused(String)
    }

    /// Re-reads the files and, when they changed and make a context, serves new
    /// connections with it.
    @discardableResult
    public func reload() -> Reload {
        let contents: TLSFiles.Contents
        do { contents = try files.read() } catch {
            return refuse(nil, error)
        }
        let seen = current.withLock { ($0.contents == contents, $0.refused == contents) }
        if seen.0 { return .unchanged }
        if seen.1 { return .refused("unchanged since refused") }
        do throws(SecurityError) {
            let context = try files.context(contents)
            current.withLock {
                $0.context = context
                $0.contents = contents
                $0.refused = nil
            }
            logger.info(
                "TLS certificate reloaded",
                metadata: ["certificateChain": "\(files.certificateChain)"])
            return .reloaded
        } catch {
            return refuse(contents, error)
        }
    }

    private func refuse(_ contents: TLSFiles.Contents?, _ error: SecurityError) -> Reload {
        let first = current.withLock { c -> Bool in
            defer { c.refused = contents }
            return contents == nil || c.refused != contents
        }
        if first {
            logger.error(
                "the changed TLS files cannot be used; connections keep the previous certificate",
                metadata: ["error": "\(error)"])
        }
        return .refused(error.description)
    }

    /// Re-reads the files every `interval` until cancelled.
    public func watch(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            reload()
        }
    }
}
