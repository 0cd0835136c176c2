// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "cairn",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .library(name: "EventPatterns", targets: ["EventPatterns"]),
        .library(name: "Policies", targets: ["Policies"]),
        .library(name: "CairnServer", targets: ["CairnServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // The EventBridge pattern language. No dependencies.
        .target(name: "EventPatterns", swiftSettings: swiftSettings),
        // EventBridge schedule expressions (rate, cron, at): parsing and next-fire evaluation. No dependencies.
        .target(name: "Schedules", swiftSettings: swiftSettings),
        // Shared domain: accounts, ARNs, principals, CloudTrail records, ids, clock, JSON.
        .target(
            name: "CairnCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // AWS protocols, SigV4, AWS-shaped errors.
        .target(
            name: "Wire",
            dependencies: [
                "CairnCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Store protocols, SQL implementations, migrations.
        .target(
            name: "Storage",
            dependencies: [
                "CairnCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // IAM's policy language: documents, conditions, evaluation. Pure.
        .target(name: "Policies", dependencies: ["CairnCore"], swiftSettings: swiftSettings),
        // IAM users, roles, access keys; STS.
        .target(
            name: "Identity",
            dependencies: [
                "CairnCore", "Wire", "Storage", "Policies", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("ManagedPolicies")],
            swiftSettings: swiftSettings
        ),
        // CloudTrail: the recorder, event history, retention.
        .target(
            name: "AuditTrail",
            dependencies: [
                "CairnCore", "Wire", "Storage", "TrailIntegrity",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQS queues and messages.
        .target(
            name: "Queues",
            dependencies: [
                "CairnCore", "Wire", "Storage", "Policies",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // SNS topics and subscriptions.
        .target(
            name: "Topics",
            dependencies: ["CairnCore", "Wire", "Storage", "EventPatterns", "Policies"],
            swiftSettings: swiftSettings
        ),
        // EventBridge: buses, rules, targets, matching, the delivery outbox and its workers.
        .target(
            name: "EventBus",
            dependencies: [
                "CairnCore", "Wire", "Storage", "AuditTrail", "EventPatterns", "Schedules",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // EventBridge Scheduler: schedule groups, schedules, and firing them as their roles through the outbox.
        .target(
            name: "Scheduler",
            dependencies: [
                "CairnCore", "Wire", "Storage", "Schedules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // S3: the built-in object store (metadata in the catalog, bytes as files).
        .target(
            name: "ObjectStore",
            dependencies: [
                "CairnCore", "Wire", "Storage", "Policies", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // S3 Batch Operations: S3 Control job calls and the job runner, over the object store.
        .target(
            name: "BatchOperations",
            dependencies: [
                "CairnCore", "Wire", "Storage", "AuditTrail", "ObjectStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // AWS Batch: compute environments, job queues, job definitions, jobs run as local processes.
        .target(
            name: "BatchCompute",
            dependencies: [
                "CairnCore", "Wire", "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Trail log files and signed digests: formats, keys, signatures, gzip. No server state.
        .target(
            name: "TrailIntegrity",
            dependencies: [
                "CairnCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web console under /console: sessions, event history pages, downloads. Acts through a port the server
        // implements, so it sees and does only what the signed-in person may.
        .target(
            name: "Console",
            dependencies: [
                "CairnCore", "Wire", "Storage", "TrailIntegrity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Builds the application: configuration, wiring, routing, health.
        .target(
            name: "CairnServer",
            dependencies: [
                "CairnCore", "Wire", "Storage", "Identity", "AuditTrail", "Queues", "Topics", "EventBus", "ObjectStore",
                "BatchOperations", "BatchCompute", "Console", "Scheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command line: serve, events.
        .executableTarget(
            name: "cairn",
            dependencies: [
                "CairnServer", "CairnCore", "Wire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrailIntegrityTests",
            dependencies: ["TrailIntegrity", "CairnCore", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        .testTarget(name: "BatchComputeTests", dependencies: ["BatchCompute", "Wire", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "BatchOperationsTests", dependencies: ["BatchOperations", "Storage", "Wire", "CairnCore"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ObjectStoreTests", dependencies: ["ObjectStore", "Wire", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "QueuesTests", dependencies: ["Queues", "Storage"], swiftSettings: swiftSettings),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Wire", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "PoliciesTests", dependencies: ["Policies", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "EventPatternsTests", dependencies: ["EventPatterns"], swiftSettings: swiftSettings),
        .testTarget(name: "SchedulesTests", dependencies: ["Schedules"], swiftSettings: swiftSettings),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "Storage", "Wire", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WireTests", dependencies: ["Wire", "CairnCore", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CairnServerTests",
            dependencies: [
                "CairnServer", "Storage", "AuditTrail", "Identity", "Queues", "Topics", "EventBus", "Wire", "CairnCore",
                "ObjectStore", "TrailIntegrity",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
