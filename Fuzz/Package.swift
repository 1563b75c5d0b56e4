// swift-tools-version: 6.1
// The fuzz driver: built with `-sanitize=fuzzer,address` by `scripts/fuzz`, apart from the
// main package so that its instrumented build never mixes with the normal one.
import Foundation
import PackageDescription

// A package at a path is known by its folder's name (`main`, `caravan`, a CI clone's).
let caravan = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "CaravanFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "CaravanFuzz",
            dependencies: [.product(name: "CaravanFuzzTargets", package: caravan)],
            path: "Driver",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    ]
)
