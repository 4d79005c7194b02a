import ArgumentParser
import AttendanceCore
import FastCGI
import Foundation
import HTTPMessage
import Storage
import Web

/// The responder: serves the API and pages over FastCGI, and maintains its database.
@main
struct AttendanceFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attendance-fcgi",
        abstract: "Attendance FastCGI responder: stores heartbeats and serves the API and pages.",
        version: "0.2.0",
        subcommands: [Serve.self, Migrate.self, RebuildCache.self, Verify.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every subcommand that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "SQLite database file; created and migrated when missing.")
    var database: String = "var/attendance.sqlite"

    /// Opens the database; a fresh one starts its period today, in the server's zone
    /// (`TZ` or /etc/localtime; UTC when neither names a zone tzdata knows).
    func open() throws -> AppDatabase {
        let zone = Zone.resolving(TimeZone.current.identifier)
        let today = zone.localDate(ofMinute: Int64(Date().timeIntervalSince1970) / 60)
        return try AppDatabase.open(path: database, fresh: .fresh(today: today, timezone: zone))
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve FastCGI requests (the default).",
        discussion: """
            Without --listen the listening socket is expected on fd 0, as spawn-fcgi and systemd \
            socket activation hand it over. BEARER_TOKEN in the environment makes the responder \
            check the heartbeat token too.
            """)

    @Option(help: "unix:/path/to.sock or HOST:PORT (a host is required, e.g. 127.0.0.1:9000). Default: the socket on fd 0.")
    var listen: String?

    @Option(help: "Accept threads. Heartbeats are answered on them at once; heartbeats that arrive together are committed together, so more threads mean fewer commits under load.")
    var threads: Int = 16

    @Option(help: "Page threads: everything but heartbeats (pages, reports, the API) is answered on these, in order of arrival, at a lower CPU priority, so slow pages never hold up a heartbeat.")
    var pageThreads: Int = 2

    @Option(help: "Append log lines to this file instead of stderr.")
    var logFile: String?

    @Option(name: .customLong("allowed-host"),
            help: "A host name browsers may use to reach this server (repeatable; 127.0.0.1, localhost and ::1 always). Also ALLOWED_HOSTS, comma-separated.")
    var allowedHosts: [String] = []

    @Flag(help: "Serve pages and the API on an address beyond loopback even when the web server logged nobody in (by default such requests get 403 with what to do).")
    var allowWithoutLogin = false

    @Option(help: "Folder where large uploads (imports) are kept while they are read, as unlinked files. Default: the database's folder.")
    var uploadDir: String?

    @Option(help: "Folder of the page templates (*.mustache).")
    var templates: String = "templates"

    @OptionGroup var storage: DatabaseOptions

    func validate() throws {
        if let listen, ListenAddress(listen) == nil {
            throw ValidationError("--listen \(listen): expected unix:/path or HOST:PORT with a host, e.g. 127.0.0.1:9000")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1…64") }
        guard (1...64).contains(pageThreads) else { throw ValidationError("--page-threads must be 1…64") }
    }

    func run() throws {
        var log = Log.standardError
        if let logFile {
            guard let fileLog = Log(path: logFile) else { throw ValidationError("cannot open log file \(logFile)") }
            log = fileLog
        }
        do {
            let database = try storage.open()
            let token = ProcessInfo.processInfo.environment["BEARER_TOKEN"]
            let fromEnvironment = (ProcessInfo.processInfo.environment["ALLOWED_HOSTS"] ?? "").split(separator: ",").map(String.init)
            let hosts = AppConfig.localHosts.union(allowedHosts + fromEnvironment)
            let pages = try Pages(directory: templates)
            let app = App(database: database, config: AppConfig(bearerToken: token, allowedHosts: hosts, allowWithoutLogin: allowWithoutLogin), pages: pages, log: log)
            let address = listen.flatMap(ListenAddress.init) ?? .inherited
            let socket = try FastCGIServer.listen(on: address)
            if database.isReadOnly {
                log("the database \(storage.database) cannot be written: serving reads; writes answer 503 until it can be")
            }
            log("listening (\(listen ?? "fd 0")), \(threads) accept and \(pageThreads) page threads, database \(storage.database), token check \(token?.isEmpty == false ? "on" : "off")")
            let databaseFolder = (storage.database as NSString).deletingLastPathComponent
            let largeBodies = LargeBodies(claims: App.hasLargeBody, limit: App.largeBodyLimit, tooLarge: App.largeTooLarge,
                                          cannotKeep: App.uploadCannotKeep, directory: uploadDir ?? (databaseFolder.isEmpty ? "." : databaseFolder))
            FastCGIServer(socket: socket, threads: threads, pageThreads: pageThreads, bodyLimit: App.bodyLimit,
                          tooLarge: App.tooLarge, busy: App.busy, log: log, urgent: App.isUrgent, largeBodies: largeBodies,
                          handler: app.respond).run()
        } catch {
            log("cannot start: \(error)")
            throw ExitCode.failure
        }
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the database or bring it to this version's schema, then exit (serve does this too; package upgrades run it).")

    @OptionGroup var storage: DatabaseOptions

    func run() throws {
        let database = try storage.open()
        guard !database.isReadOnly else {
            throw ValidationError("the database \(storage.database) cannot be written, so it was not migrated")
        }
        print("database \(storage.database) is up to date")
    }
}

struct RebuildCache: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild-cache",
        abstract: "Recompute the per-day cache from the raw heartbeats (safe while serving).")

    @OptionGroup var storage: DatabaseOptions

    func run() throws {
        try storage.open().rebuildDailyCache()
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute every signed month's digest from its stored snapshot, in order; exit 1 naming the first month that fails.",
        discussion: """
            Each digest is the SHA-256 of the previous month's digest (64 zeros for the first) \
            followed by the snapshot's canonical JSON as stored. An edited snapshot, digest or \
            chain link, or days shown on the pages that differ from their snapshot, fail here.
            """)

    @OptionGroup var storage: DatabaseOptions

    func run() throws {
        let (checked, failure) = try storage.open().verify()
        if let failure {
            print("\(failure.month): FAILED — \(failure.why)")
            print("\(checked) signed month\(checked == 1 ? "" : "s") before it verified")
            throw ExitCode.failure
        }
        print("\(checked) signed month\(checked == 1 ? "" : "s") verified: every digest matches its snapshot")
    }
}
