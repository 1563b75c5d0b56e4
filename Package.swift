// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Caravan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "caravan", targets: ["CaravanCLI"]),
        .library(name: "Caravan", targets: ["Caravan"]),
        .library(name: "CaravanStore", targets: ["CaravanStore"]),
        // The fuzz targets, for the libFuzzer driver of `Fuzz/Package.swift`.
        .library(name: "CaravanFuzzTargets", targets: ["CaravanFuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
    ],
    targets: [
        // libxml2 is used directly (not through FoundationXML) because Caravan needs its
        // XPath API for scalar results and control over the parser's hardening options.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // libjq for Camel's jq language (no pkg-config file on Debian: linked by name).
        .systemLibrary(
            name: "CLibJQ",
            providers: [.apt(["libjq-dev"])]
        ),
        // The pure core: messages, documents and codecs, expression languages, route
        // definitions and their loader, processors. No I/O.
        .target(
            name: "Caravan",
            dependencies: ["CLibXML2", "CLibJQ", .product(name: "Yams", package: "Yams")]
        ),
        // The PostgreSQL store: migrations, the journal, claims and leases, durable
        // redelivery, dead letters, replay; and a throwaway PostgreSQL for tests and local use.
        .target(
            name: "CaravanStore",
            dependencies: [
                "Caravan",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SHA-256 of API token secrets.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Components that do I/O: the platform-http consumer (Hummingbird), the http(s)
        // producer (AsyncHTTPClient), file and timer.
        .target(
            name: "CaravanAdapters",
            dependencies: [
                "Caravan",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The child channel that terminates TLS.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The file producer's blocking writes run on NIO's thread pool.
                .product(name: "NIOPosix", package: "swift-nio"),
                // The HTTP parts Hummingbird's pipeline carries (for `100 Continue`).
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // SHA-256 for message ids derived from a sender's idempotency key; HMAC for
                // signed webhooks.
                .product(name: "Crypto", package: "swift-crypto"),
                // bcrypt for the users files of `basic` policies.
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                // The names of client certificates (mtls policies).
                .product(name: "X509", package: "swift-certificates"),
                // Bearer tokens of jwt policies.
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The runtime: a node that opens the store, compiles the routes with the store's
        // components and runs the workers and housekeeping; lifecycle and logging; the
        // management listener (metrics, health, admin API, console).
        .target(
            name: "CaravanServer",
            dependencies: [
                "Caravan",
                "CaravanStore",
                "CaravanAdapters",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "CaravanCLI",
            dependencies: [
                "Caravan",
                "CaravanStore",
                "CaravanAdapters",
                "CaravanServer",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Shared by the test targets: where the built `caravan` executable is, and a log
        // handler that keeps what is logged.
        .target(
            name: "CaravanTestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/CaravanTestSupport"),
        // What hostile input reaches, one entry point per fuzz target; the tests replay the
        // inputs fuzzing found (`Fuzz/FailCases`).
        .target(
            name: "CaravanFuzzTargets", dependencies: ["Caravan", "CaravanAdapters"],
            path: "Fuzz/Targets"),
        // The test targets that run the `caravan` executable depend on its target, so that
        // `swift test` always builds the current one before running them.
        .testTarget(
            name: "CaravanTests",
            dependencies: ["Caravan", "CaravanCLI", "CaravanTestSupport", "CaravanFuzzTargets"]),
        .testTarget(
            name: "CaravanStoreTests",
            dependencies: ["CaravanStore", "CaravanCLI", "CaravanTestSupport"]),
        .testTarget(
            name: "CaravanAdaptersTests",
            dependencies: [
                "CaravanAdapters", "CaravanTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(
            name: "CaravanServerTests",
            dependencies: [
                "CaravanServer", "CaravanStore", "CaravanAdapters", "CaravanCLI",
                "CaravanTestSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // A TLS client over one connection (TLSSupport.swift).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                // Tokens signed as an issuer would (JWTAuthenticationTests.swift).
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
