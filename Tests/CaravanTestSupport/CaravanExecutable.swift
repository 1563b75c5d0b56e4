import Foundation

/// The built `caravan` executable that tests run as a child process, as users and other
/// tools do.
public enum CaravanExecutable {
    /// Where it is: next to the test bundle (`swift test` builds it there), else in the
    /// package's debug build; nil when it has not been built.
    public static let url: URL? = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: #filePath).appendingPathComponent("../../../.build/debug")
                .standardized,
        ]
        return candidates.map { $0.appendingPathComponent("caravan") }.first {
            FileManager.default.isExecutableFile(atPath: $0.path)
        }
    }()

    /// Its path, for a test that needs it.
    public static var path: String? { url?.path }
}
