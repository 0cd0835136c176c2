// swift-tools-version:6.1
import PackageDescription

// Benchmarks for Cairn, run with `swift package benchmark` from this folder (release build).
let package = Package(
    name: "cairn-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "cairn", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "EventPatternsBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventPatterns", package: "cairn"),
            ],
            path: "Benchmarks/EventPatternsBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PoliciesBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Policies", package: "cairn"),
            ],
            path: "Benchmarks/PoliciesBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
