import Foundation

/// The built `caravan` executable that tests run as a child process, as users and other
/// tools do.
public enum CaravanExecutable {
    /// Where it is: next to the test bundle, where the same `swift test` built it (the
    /// test targets depend on the executable's target, so it is always built first and
    /// current); nil when it is not there. Never another build's copy, which may be stale.
    public static let url: URL? = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ]
        return candidates.map { $0.appendingPathComponent("caravan") }.first {
            FileManager.default.isExecutableFile(atPath: $0.path)
        }
    }()

    /// Its path, for a test that needs it.
    public static var path: String? { url?.path }
}
