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
        subcommands: [Serve.self, Migrate.self, RebuildCache.self, Verify.self, BackupCommand.self, RestoreCommand.self,
                      PersonCommand.self, WebConfig.self],
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
        try AppDatabase.open(path: database, fresh: fresh)
    }

    var fresh: Settings {
        let zone = Zone.resolving(TimeZone.current.identifier)
        let today = zone.localDate(ofMinute: Int64(Date().timeIntervalSince1970) / 60)
        return .fresh(today: today, timezone: zone)
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
            let (database, said) = try AppDatabase.openServing(path: storage.database, fresh: storage.fresh)
            said.forEach { log($0) }
            let token = ProcessInfo.processInfo.environment["BEARER_TOKEN"]
            let fromEnvironment = (ProcessInfo.processInfo.environment["ALLOWED_HOSTS"] ?? "").split(separator: ",").map(String.init)
            let hosts = AppConfig.localHosts.union(allowedHosts + fromEnvironment)
            let pages = try Pages(directory: templates)
            // The people registry beside the database (made by web-config or person add,
            // perhaps while serving): read again within a second of any change.
            let people = try PeopleDirectory(registry: PeopleRegistry(database: storage.database), fresh: storage.fresh, pinned: database)
            let app = App(database: database, people: people, config: AppConfig(bearerToken: token, allowedHosts: hosts, allowWithoutLogin: allowWithoutLogin), pages: pages, log: log)
            let address = listen.flatMap(ListenAddress.init) ?? .inherited
            let socket = try FastCGIServer.listen(on: address)
            if database.isReadOnly {
                log("the database \(storage.database) cannot be written: serving reads; writes answer 503 until it can be")
            }
            log("listening (\(listen ?? "fd 0")), \(threads) accept and \(pageThreads) page threads, database \(storage.database), token check \(people.count > 0 ? "on (\(people.count) \(people.count == 1 ? "person" : "people"))" : token?.isEmpty == false ? "on" : "off")")
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
        if FileManager.default.fileExists(atPath: storage.database), let why = Health.quickCheck(storage.database) {
            print("the database is damaged: \(why)")
            let (healed, said) = AppDatabase.heal(storage.database)
            print(said)
            guard healed else { throw ExitCode.failure }
            return
        }
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

    @Option(help: "On a server of several people: verify this person's months only (by default everyone's).")
    var person: String?

    @OptionGroup var storage: DatabaseOptions

    func run() throws {
        var failed = false
        for (name, database, _) in try storage.eachPerson(person, folder: "") {
            let prefix = name.map { "\($0): " } ?? ""
            let (checked, failure) = try AppDatabase.open(path: database, fresh: storage.fresh).verify()
            if let failure {
                print("\(prefix)\(failure.month): FAILED — \(failure.why)")
                print("\(prefix)\(checked) signed month\(checked == 1 ? "" : "s") before it verified")
                failed = true
            } else {
                print("\(prefix)\(checked) signed month\(checked == 1 ? "" : "s") verified: every digest matches its snapshot")
            }
        }
        if failed { throw ExitCode.failure }
    }
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database while it is served, check the copy, keep the newest N.",
        discussion: """
            One snapshot (SQLite's online backup in a single step), checked before it counts, at a lower \
            CPU priority (nice 10) than the responder: integrity_check, the per-day cache \
            equal to a recount of the heartbeats and entries, every signed month's digest. It is kept \
            as attendance-YYYYMMDD-HHMMSSZ.sqlite (0600) in the folder (0700); older backups beyond \
            --keep are removed only after the new one passed. Prints one line. Exit status: 0 saved, \
            1 a check failed (the database or the copy; previous backups untouched), 2 the copy could \
            not be written (full disk, permissions; the partial copy is removed), 3 another backup of \
            the folder is running.
            """)

    @Option(help: "Folder of the backups (made 0700 when missing).")
    var to: String = "var/backups"

    @Option(help: "How many backups to keep, newest first.")
    var keep: Int = 14

    @Option(help: "On a server of several people: back up this person only (by default everyone: the first person's database into --to, each other's into --to/NAME).")
    var person: String?

    @OptionGroup var storage: DatabaseOptions

    func validate() throws {
        guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
    }

    func run() throws {
        // Serving comes first: the copy and its checks take what CPU is left over.
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        var failure: ExitCode?
        for (name, database, folder) in try storage.eachPerson(person, folder: to) {
            let started = Date()
            do {
                let result = try Backup.run(database: database, to: folder, keep: keep)
                let size = ByteCountFormatter.string(fromByteCount: result.bytes, countStyle: .file)
                print("\(name.map { "\($0): " } ?? "")backup \(result.file): \(size), \(result.report.heartbeats) heartbeats, "
                      + "\(result.report.signedMonths) signed months verified, "
                      + "checked in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; "
                      + "\(Backup.backups(in: folder).count) kept\(result.removed.isEmpty ? "" : ", \(result.removed.count) older removed")")
            } catch {
                // The others are still backed up; the status says the first failure.
                if let name { print("\(name): ", terminator: "") }
                let status = failed("backup", error)
                failure = failure ?? status
            }
        }
        if let failure { throw failure }
    }
}

extension DatabaseOptions {
    /// The databases a command works on, each with the person's name (nil on a server of
    /// one person) and `folder`, or `folder/NAME` for everyone but the first person.
    func eachPerson(_ only: String?, folder: String) throws -> [(name: String?, database: String, folder: String)] {
        let registry = PeopleRegistry(database: database)
        let people = try registry.people()
        guard people.count > 1 || only != nil else { return [(nil, database, folder)] }
        let first = URL(fileURLWithPath: database).standardizedFileURL.path
        let chosen = people.filter { only == nil || $0.name == only }
        guard !chosen.isEmpty else { throw ValidationError("there is no person \(only ?? "") (attendance-fcgi person list)") }
        return chosen.map { person in
            let path = registry.databasePath(of: person)
            let isFirst = URL(fileURLWithPath: path).standardizedFileURL.path == first
            return (person.name, path, isFirst ? folder : folder + "/" + person.name)
        }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup back, keeping every heartbeat the live database has; the responder may be running.",
        discussion: """
            The file is checked first as a backup is (on a copy); one that fails changes nothing. \
            The restored database has the backup's facts and the union of both heartbeat sets (an \
            agent never sends an acknowledged heartbeat again). A running responder sees the restored \
            data at once. A damaged live database is kept beside it as DATABASE.damaged-STAMP. \
            Exit status: 0 restored, 1 the file failed its check, 2 it could not be written, 3 another \
            restore is running.
            """)

    @Argument(help: "The backup to restore.")
    var file: String

    @Option(help: "On a server of several people: whose database it goes back into (default: the first person's, --database).")
    var person: String?

    @OptionGroup var storage: DatabaseOptions

    func run() throws {
        let into = try person.map { try storage.eachPerson($0, folder: "")[0].database } ?? storage.database
        do {
            let result = try Restore.run(file, into: into)
            print("restored \(file) into \(into): \(result.restored.heartbeats) heartbeats, \(result.restored.entries) entries, "
                  + "\(result.restored.signedMonths) signed months verified; kept \(result.keptHeartbeats) heartbeats the live database "
                  + "received after the backup\(result.damagedKeptAt.map { "; the damaged database is kept as \($0)" } ?? "")")
        } catch {
            throw failed("restore", error)
        }
    }
}

/// How `backup` and `restore` end when they fail: one line saying why, and the exit
/// status 1 a check failed, 2 nothing could be written (any other error too), 3 another
/// backup or restore holds the folder.
func failed(_ verb: String, _ error: any Error) -> ExitCode {
    guard let failure = error as? BackupFailure else {
        print("\(verb) failed: \(error)")
        return ExitCode(2)
    }
    print("\(verb) failed: \(failure.description)")
    switch failure.kind {
    case .check: return ExitCode(1)
    case .write: return ExitCode(2)
    case .busy: return ExitCode(3)
    }
}
