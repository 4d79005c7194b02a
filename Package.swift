// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Attendance",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "attendance-fcgi", targets: ["attendance-fcgi"]),
        .executable(name: "attendance-agent", targets: ["attendance-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", exact: "2.5.2"),
    ],
    targets: [
        // MARK: The pure attendance core: dates, zones, policy, balance. No I/O.
        // SHA-256 for the signed months' digests comes from swift-crypto.
        .target(name: "AttendanceCore", dependencies: [
            "JSONText",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // MARK: JSON string literals written by hand, for the web layer and the agent.
        .target(name: "JSONText"),

        // MARK: Request and response values shared by the FastCGI layer and the web layer.
        .target(name: "HTTPMessage"),

        // MARK: libfcgi, and the only module that touches it.
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .target(name: "FastCGI", dependencies: ["CFastCGI", "HTTPMessage"]),

        // MARK: SQLite through GRDB: schema, migrations, named transactions.
        .target(name: "Storage", dependencies: [
            "AttendanceCore", "JSONText",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // MARK: Router and handlers; never sees libfcgi.
        .target(name: "Web", dependencies: [
            "AttendanceCore", "HTTPMessage", "Storage", "JSONText",
            .product(name: "Mustache", package: "swift-mustache"),
            // Toggl and Clockify CSV exports (imports).
            .product(name: "CSV", package: "CSV.swift"),
        ]),

        // MARK: The responder binary.
        .executableTarget(name: "attendance-fcgi", dependencies: [
            "FastCGI", "Web", "Storage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: The heartbeat agent: libcurl, a queue file, no Foundation.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // D-Bus through sd-bus (logind on the system bus; the desktop's idle monitor, screen
        // saver and notifications on the session bus), and the X screen-saver extension,
        // both loaded at run time.
        .systemLibrary(name: "CSDBus", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CXScreenSaver", providers: [.apt(["libxss-dev"])]),
        .target(name: "Agent", dependencies: ["CCurl", "CSDBus", "CXScreenSaver", "JSONText"]),
        .executableTarget(name: "attendance-agent", dependencies: [
            "Agent",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: What several test targets share.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "AttendanceCoreTests", dependencies: ["AttendanceCore", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(name: "WebTests", dependencies: [
            "Web", "Storage", "HTTPMessage", "FastCGI", "TestSupport",
            .product(name: "Mustache", package: "swift-mustache"),
        ]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI", "HTTPMessage"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent"]),
    ],
    swiftLanguageModes: [.v6]
)
