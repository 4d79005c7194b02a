import AttendanceCore
import Foundation
import GRDB

/// One person whose time a server keeps (SPEC rule 13): their name (the login), whether
/// they are an admin, their heartbeat token, and their own database file.
public struct Person: Sendable, Equatable {
    public var name: String
    public var admin: Bool
    public var token: String
    /// The person's database, relative to the registry's folder.
    public var file: String
    public var createdAt: Int64

    public init(name: String, admin: Bool, token: String, file: String, createdAt: Int64) {
        self.name = name
        self.admin = admin
        self.token = token
        self.file = file
        self.createdAt = createdAt
    }

    /// A login name: 1–32 of `a-z 0-9 . _ -`, so it is safe in a path, an htpasswd line
    /// and a generated web server file alike.
    public static func validName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        } && name != "." && name != ".."
    }

    /// A new heartbeat token: 24 random bytes (the system's cryptographic generator),
    /// base64url without padding, 32 characters.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Heartbeat tokens must be RFC 6750 token characters: nothing a web server's
    /// configuration would read as syntax.
    public static func validToken(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.count <= 200 && token.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._~+/=-".unicodeScalars.contains($0))
        }
    }
}

/// Why a change to the people was refused, in words for the command line.
public struct PeopleRefusal: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Who is kept on this server: the registry `NAME.people.sqlite` beside the first
/// person's database `NAME.sqlite`. Each person has a database file of their own — the
/// first person keeps the file the server was started with, others get
/// `NAME.people/PERSON.sqlite` — so one person's figures cannot reach another's pages by
/// construction, and each can be backed up, restored or removed alone.
///
/// The registry is the one owner of the heartbeat tokens: the web servers' token maps
/// are generated from it (`WebServerFiles`). It is a rollback-journal SQLite file, so
/// every change rewrites the file itself and a running responder notices it by a stat.
public struct PeopleRegistry: Sendable {
    /// The registry file.
    public let path: String
    /// The database the server is given (`--database`): the first person's.
    public let database: String

    /// The registry of the server whose first database is `database`.
    public init(database: String) {
        self.database = database
        let url = URL(fileURLWithPath: database)
        let stem = url.deletingPathExtension().lastPathComponent
        path = url.deletingLastPathComponent().appendingPathComponent(stem + ".people.sqlite").path
    }

    /// The folder the registry and the databases live in.
    public var folder: String { (path as NSString).deletingLastPathComponent }
    /// Where the people after the first keep their databases.
    public var peopleFolder: String { (path as NSString).deletingPathExtension }  // NAME.people

    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// The absolute path of a person's database.
    public func databasePath(of person: Person) -> String {
        person.file.hasPrefix("/") ? person.file : folder + "/" + person.file
    }

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-people") { db in
            try db.execute(sql: """
                CREATE TABLE person (
                    name       TEXT    PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 32 AND name NOT GLOB '*[^a-z0-9._-]*'),
                    admin      INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
                    token      TEXT    NOT NULL UNIQUE CHECK (length(token) > 0),
                    file       TEXT    NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE registry_setting (
                    key   TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                """)
        }
        return migrator
    }()

    /// A connection to the registry (created with its schema when `create`), closed when
    /// the returned queue goes.
    func queue(create: Bool, reading: Bool = false) throws -> DatabaseQueue {
        guard create || exists else { throw PeopleRefusal("no people registry at \(path)") }
        // The tokens and the databases are the responder's alone.
        umask(0o077)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.readonly = reading || (!create && access(path, W_OK) != 0)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        if !configuration.readonly {
            // Every commit rewrites the file itself (no -wal beside it), so a stat tells a
            // running responder that the people changed.
            try queue.writeWithoutTransaction { db in
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
            }
            try Self.migrator.migrate(queue)
        }
        return queue
    }

    /// Everyone, by name.
    public func people() throws -> [Person] {
        guard exists else { return [] }
        return try queue(create: false, reading: true).read(Self.people)
    }

    static func people(_ db: Database) throws -> [Person] {
        try Row.fetchAll(db, sql: "SELECT name, admin, token, file, created_at FROM person ORDER BY name").map {
            Person(name: $0[0], admin: $0[1], token: $0[2], file: $0[3], createdAt: $0[4])
        }
    }

    /// The folder the web servers' token maps are written to, as set when the registry
    /// was made; nil before.
    public func webFolder() throws -> String? {
        guard exists else { return nil }
        return try queue(create: false, reading: true).read { db in
            try String.fetchOne(db, sql: "SELECT value FROM registry_setting WHERE key = 'web_folder'")
        }
    }

    /// Makes the registry when there is none: the database the server is given becomes
    /// the first person's, `owner`, an admin, with `token` (the heartbeat token it had).
    /// With a registry, sets its web folder; with one person, also that person's token
    /// to `token` (a one-person server keeps the token it is started with, as before).
    /// Returns everyone.
    @discardableResult
    public func setUp(token: String?, webFolder: String, now: Int64) throws -> [Person] {
        if let token, !Person.validToken(token) {
            throw PeopleRefusal("the heartbeat token may hold only A-Z a-z 0-9 . _ ~ + / = -")
        }
        let fresh = !exists
        let queue = try queue(create: true)
        if fresh { try Ownership.adopt(path, inFolder: folder) }
        return try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO registry_setting (key, value) VALUES ('web_folder', ?)", arguments: [webFolder])
            var everyone = try Self.people(db)
            if everyone.isEmpty {
                try db.execute(sql: "INSERT INTO person (name, admin, token, file, created_at) VALUES ('owner', 1, ?, ?, ?)",
                               arguments: [token ?? Person.newToken(), (database as NSString).lastPathComponent, now])
            } else if everyone.count == 1, let token, everyone[0].token != token {
                try db.execute(sql: "UPDATE person SET token = ? WHERE name = ?", arguments: [token, everyone[0].name])
            }
            everyone = try Self.people(db)
            return everyone
        }
    }

    /// Adds a person with a new token and a new database (`fresh`'s settings).
    public func add(_ name: String, admin: Bool, fresh: Settings, now: Int64) throws -> Person {
        guard Person.validName(name) else {
            throw PeopleRefusal("a name is 1–32 of a-z 0-9 . _ - (it is also the login): \(name.debugDescription) is not")
        }
        let person = Person(name: name, admin: admin, token: Person.newToken(),
                            file: (peopleFolder as NSString).lastPathComponent + "/" + name + ".sqlite", createdAt: now)
        let file = databasePath(of: person)
        try queue(create: false).write { db in
            if try Self.people(db).contains(where: { $0.name == name }) { throw PeopleRefusal("there is a person \(name) already") }
            guard !FileManager.default.fileExists(atPath: file) else {
                throw PeopleRefusal("\(file) exists already (a person of that name removed without --purge?); move it away first")
            }
            try db.execute(sql: "INSERT INTO person (name, admin, token, file, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [person.name, person.admin, person.token, person.file, person.createdAt])
            // Inside the registry's transaction: no person without a database.
            try Self.makeFolder(peopleFolder, inFolder: folder)
            try AppDatabase.open(path: file, fresh: fresh).close()
            try AppDatabase.checkpointAndClose(file)
            try Ownership.adopt(file, inFolder: folder)
        }
        return person
    }

    /// A new token for `name`; the old one stops working as soon as the web server and
    /// the responder have read the registry again.
    public func newToken(for name: String) throws -> Person {
        try queue(create: false).write { db in
            guard var person = try Self.people(db).first(where: { $0.name == name }) else { throw PeopleRefusal("there is no person \(name)") }
            person.token = Person.newToken()
            try db.execute(sql: "UPDATE person SET token = ? WHERE name = ?", arguments: [person.token, name])
            return person
        }
    }

    /// Gives a person another name (their login); their database stays where it is.
    public func rename(_ name: String, to newName: String) throws {
        guard Person.validName(newName) else { throw PeopleRefusal("a name is 1–32 of a-z 0-9 . _ -: \(newName.debugDescription) is not") }
        try queue(create: false).write { db in
            let everyone = try Self.people(db)
            guard everyone.contains(where: { $0.name == name }) else { throw PeopleRefusal("there is no person \(name)") }
            guard !everyone.contains(where: { $0.name == newName }) else { throw PeopleRefusal("there is a person \(newName) already") }
            try db.execute(sql: "UPDATE person SET name = ? WHERE name = ?", arguments: [newName, name])
        }
    }

    /// Removes a person: their token and login stop working; their database is kept
    /// aside in `NAME.people/removed/` (returned), or deleted with `purge`. The last
    /// person, and the last admin while others remain, cannot be removed.
    public func remove(_ name: String, purge: Bool, now: Date = Date()) throws -> String? {
        try queue(create: false).write { db in
            let everyone = try Self.people(db)
            guard let person = everyone.first(where: { $0.name == name }) else { throw PeopleRefusal("there is no person \(name)") }
            guard everyone.count > 1 else { throw PeopleRefusal("\(name) is the only person; a server keeps at least one") }
            if person.admin, !everyone.contains(where: { $0.admin && $0.name != name }) {
                throw PeopleRefusal("\(name) is the only admin; make another one first (person add NAME --admin)")
            }
            try db.execute(sql: "DELETE FROM person WHERE name = ?", arguments: [name])
            let file = databasePath(of: person)
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            // One file, its log folded in, before it moves.
            try? AppDatabase.checkpointAndClose(file)
            if purge {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
                return nil
            }
            let removed = peopleFolder + "/removed"
            try Self.makeFolder(peopleFolder, inFolder: folder)
            try Self.makeFolder(removed, inFolder: folder)
            let stamp = Backup.stamp(now)
            let target = removed + "/\(name)-\(stamp).sqlite"
            try FileManager.default.moveItem(atPath: file, toPath: target)
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
            return target
        }
    }

    /// A 0700 folder, owned like `inFolder` when made by root.
    static func makeFolder(_ path: String, inFolder parent: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try Ownership.adopt(path, inFolder: parent)
    }
}

/// Files made by the `person` commands when an administrator runs them as root belong
/// to whoever owns the data folder (the responder's user), so the responder can open them.
enum Ownership {
    static func adopt(_ path: String, inFolder folder: String) throws {
        guard geteuid() == 0 else { return }
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0 else { return }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            guard chown(path + suffix, folderInfo.st_uid, folderInfo.st_gid) == 0 else {
                throw PeopleRefusal("cannot give \(path + suffix) to the data folder's owner: \(String(cString: strerror(errno)))")
            }
        }
    }
}

extension AppDatabase {
    /// What the admin's overview shows of one person besides their figures: the latest
    /// signed month (`YYYY-MM`) and the minute of the latest heartbeat.
    public func lastActivity() throws -> (signedMonth: String?, heartbeatMinute: Int64?) {
        try writer.read { db in
            (try String.fetchOne(db, sql: "SELECT MAX(month) FROM signed_month"),
             try Int64.fetchOne(db, sql: "SELECT MAX(minute) FROM heartbeat"))
        }
    }
}
