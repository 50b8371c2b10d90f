// swift-tools-version: 6.0
// faast: a shell for calling the functions of a deployed module.
//
// Dependencies are chosen, not collected; each costs build time on a 2-core machine:
// - swift-argument-parser: the command line and the bash/zsh/fish completion scripts generated from
//   one command table (hand-written option parsing and completion scripts drift apart).
// - hdrhistogram-swift: latency percentiles in constant memory per function, whatever the number of
//   calls (a 100,000-call fan-out must not keep every sample). Pulls swift-numerics, small.
// - swift-crypto: SHA-256 and HMAC for AWS SigV4 signing (never hand-rolled).
// - ZIPFoundation: the Lambda code package, written with fixed timestamps so the same input gives the same bytes.
// libedit and libcurl are system libraries wrapped by the C targets below.
//
// Linux only: workers are forked with a parent-death signal (prctl), bound to CPUs (sched_setaffinity) and
// waited for on process descriptors (pidfd_open), which other systems lack; so no `platforms` are claimed.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "faast",
    products: [
        .executable(name: "faast", targets: ["faast"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // fork/exec of workers with a parent-death signal, pipes on fixed descriptors, pseudo-terminals:
        // what Foundation's Process cannot express.
        .target(name: "CFaastSys"),
        // libcurl's variadic curl_easy_setopt/curl_multi_setopt made typed for Swift.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // libedit (readline interface) with setters for its globals, which Swift 6 cannot assign.
        .target(name: "CEditLine", linkerSettings: [.linkedLibrary("edit")]),
        .target(
            name: "FaastCore",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strict
        ),
        .target(name: "FaastRuntimes", swiftSettings: strict),
        // The command language: lexer, parser, AST. Knows nothing of sessions or terminals.
        .target(name: "FaastLanguage", dependencies: ["FaastCore"], swiftSettings: strict),
        // What a module loads and what it declares (dependencies=): traced, installed, zipped. Both providers use
        // it: AWS for code packages and layers, local for the installed-dependencies cache on the module path.
        .target(
            name: "FaastPackaging",
            dependencies: [
                "FaastCore", "FaastRuntimes",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "FaastLocal",
            dependencies: ["FaastCore", "FaastRuntimes", "FaastPackaging", "CFaastSys"],
            swiftSettings: strict
        ),
        .target(
            name: "FaastAWS",
            dependencies: [
                "FaastCore", "FaastRuntimes", "FaastPackaging", "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "FaastShell",
            // Not FaastLocal nor FaastAWS: the executable registers the providers; the shell knows the protocol.
            dependencies: ["FaastCore", "FaastLanguage", "CFaastSys", "CEditLine"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "faast",
            dependencies: [
                "FaastShell", "FaastLanguage", "FaastLocal", "FaastAWS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Drivers for scripts/bench that measure pieces the faast binary cannot show alone (the AWS client).
        .executableTarget(
            name: "faast-bench",
            dependencies: ["FaastAWS", "FaastCore"],
            swiftSettings: strict
        ),
        .testTarget(name: "FaastCoreTests", dependencies: ["FaastCore"], swiftSettings: strict),
        .testTarget(name: "FaastLocalTests", dependencies: ["FaastLocal", "FaastCore"], swiftSettings: strict),
        .testTarget(name: "FaastLanguageTests", dependencies: ["FaastLanguage", "FaastCore"], swiftSettings: strict),
        .testTarget(name: "FaastAWSTests", dependencies: ["FaastAWS", "FaastCore"], swiftSettings: strict),
        .testTarget(
            name: "FaastPackagingTests",
            dependencies: ["FaastPackaging", "FaastCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strict),
        .testTarget(
            name: "FaastShellTests", dependencies: ["FaastShell", "FaastLanguage", "FaastCore", "FaastLocal"], swiftSettings: strict),
        // Checks that Sources/FaastRuntimes/Runtimes.swift was regenerated from runtimes/ (scripts/embed-runtimes).
        .testTarget(name: "FaastRuntimesTests", dependencies: ["FaastRuntimes"], swiftSettings: strict),
    ]
)
