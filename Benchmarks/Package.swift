// swift-tools-version: 6.1
// Benchmarks live in their own package so `swift test` in the main package stays fast.
// Run: cd Benchmarks && swift package benchmark
import Foundation
import PackageDescription

// A package at a path is known by its folder's name (`main`, `caravan`, a CI clone's).
let caravan = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "CaravanBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(
            url: "https://github.com/ordo-one/benchmark", from: "1.38.1",
            traits: ["MallocInterposer"]),
        // Only to measure against Caravan's own CSV reader (see CSVReader.swift).
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // Only for the HTTP baseline (the same version as the main package's).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "CaravanBenchmarks",
            dependencies: [
                .product(name: "Caravan", package: caravan),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ],
            path: "Benchmarks/CaravanBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The store's throughput against a real PostgreSQL; run by scripts/bench-store,
        // which measures pgbench against the same server in the same run.
        .executableTarget(
            name: "StoreBench",
            dependencies: [
                .product(name: "Caravan", package: caravan),
                .product(name: "CaravanStore", package: caravan),
            ],
            path: "StoreBench"
        ),
        // Hummingbird alone, reading the body and answering 202: the ceiling of the HTTP
        // stack, run by scripts/bench-e2e beside nginx.
        .executableTarget(
            name: "HTTPBaseline",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "HTTPBaseline"
        ),
    ],
    swiftLanguageModes: [.v6]
)
