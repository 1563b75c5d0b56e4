import CaravanFuzzTargets
import Foundation
import Testing

/// Every input fuzzing found to crash, hang or break a property (`Fuzz/FailCases/<target>/`)
/// and every seed (`Fuzz/Seeds/<target>/`) runs through its target again: a finding that
/// comes back fails here, not in production.
@Suite struct FuzzFailCasesTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ folder: String) -> [(target: String, file: URL)] {
        let root = fuzz.appendingPathComponent(folder)
        var found: [(String, URL)] = []
        for target in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        where !target.hasPrefix(".") {
            let directory = root.appendingPathComponent(target)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            where !name.hasPrefix(".") {
                found.append((target, directory.appendingPathComponent(name)))
            }
        }
        return found.sorted { $0.1.path < $1.1.path }
    }

    @Test func everyFailCaseAndSeedRunsThroughItsTargetWithoutCrashing() throws {
        let inputs = Self.inputs("FailCases") + Self.inputs("Seeds")
        #expect(Set(inputs.map(\.target)) == Set(FuzzTargets.names), "a seed for every target")
        for (target, file) in inputs {
            let data = try Data(contentsOf: file)
            #expect(FuzzTargets.run(target, Array(data)), "\(file.path): no target '\(target)'")
        }
    }
}
