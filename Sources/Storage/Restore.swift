import AttendanceCore
import Foundation
import GRDB

/// `attendance-fcgi restore FILE` (SPEC §6): puts a backup back, with the responder
/// running or stopped. The file is checked first (as a backup is) on a copy beside the
/// live database; a file that fails changes nothing. Heartbeats are never lost: the
/// restored database has the backup's heartbeats and every heartbeat the live one holds
/// (merged by (minute, host)), since agents never send an acknowledged one again.
public enum Restore {
    public struct Result: Sendable {
        /// What the backup holds (checked).
        public var restored: CheckReport
        /// Heartbeats of the live database the backup did not have, kept.
        public var keptHeartbeats: Int
        /// Where the damaged live database was set aside, when it was damaged.
        public var damagedKeptAt: String?
    }

    public static func run(_ file: String, into database: String, now: () -> Date = Date.init) throws -> Result {
        guard FileManager.default.isReadableFile(atPath: file) else { throw BackupFailure(.check, "cannot read \(file)") }
        let folder = (database as NSString).deletingLastPathComponent.isEmpty ? "." : (database as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw BackupFailure(.write, "the database's folder \(folder) does not exist")
        }
        let lock = try FolderLock(folder, name: ".attendance-restore.lock")
        defer { lock.release() }
        let staged = database + ".restore.partial"
        Backup.removeCopy(staged)
        defer { Backup.removeCopy(staged) }
        // The file as given, copied so neither it nor the live database is touched until
        // it passed; brought to this version's schema on the copy.
        do {
            try Backup.snapshot(of: file, into: staged)
        } catch let failure as BackupFailure {
            throw failure
        } catch where Health.isCorruption(error) {
            throw BackupFailure(.check, "\(file) is damaged (\(error)), so nothing was changed")
        } catch {
            throw BackupFailure(.check, "\(file) cannot be read as a database (\(error)), so nothing was changed")
        }
        let copy: AppDatabase
        do {
            copy = try AppDatabase.openCopy(staged)
        } catch {
            throw BackupFailure(.check, "\(file) is not an Attendance database (\(error)), so nothing was changed")
        }
        let restored: CheckReport
        do {
            restored = try copy.check()
        } catch let failure as BackupFailure {
            try? copy.closeCopy()
            throw BackupFailure(.check, "\(file) failed its check, so nothing was changed: \(failure.description)")
        }
        guard FileManager.default.fileExists(atPath: database) else {
            try copy.closeCopy()
            try Backup.durableRename(staged, to: database, in: folder)
            return Result(restored: restored, keptHeartbeats: 0, damagedKeptAt: nil)
        }
        if Health.quickCheck(database) == nil {
            try copy.closeCopy()
            let live = try AppDatabase.open(path: database, fresh: nil)
            defer { try? live.writer.close() }
            guard !live.isReadOnly else {
                throw BackupFailure(.write, "the live database \(database) cannot be written, so nothing was changed")
            }
            let kept = try live.replaceContents(with: staged)
            return Result(restored: restored, keptHeartbeats: kept, damagedKeptAt: nil)
        }
        // The live database is damaged: what heartbeats can still be read from it go into
        // the copy, then the copy takes its place and the damaged file is kept beside it.
        let kept = try copy.writer.write { db in try Salvage.heartbeats(from: database, into: db) }
        try copy.writer.write { db in try AppDatabase.rebuildDailyCache(db) }
        try copy.closeCopy()
        let aside = try Health.setAside(database, now: now())
        try Backup.durableRename(staged, to: database, in: folder)
        return Result(restored: restored, keptHeartbeats: kept, damagedKeptAt: aside)
    }
}

extension AppDatabase {
    /// Replaces every fact of this (healthy, live) database by those of the database file
    /// at `path`, in one transaction the responder sees as one change: the tables' rows
    /// are the file's, the heartbeats the union of both, and the per-day cache recounted.
    /// Returns the live heartbeats the file did not have.
    func replaceContents(with path: String) throws -> Int {
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS restored", arguments: [path])
            defer { try? db.execute(sql: "DETACH DATABASE restored") }
            var kept = 0
            try db.inTransaction(.immediate) {
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                kept = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM main.heartbeat AS h
                    WHERE NOT EXISTS (SELECT 1 FROM restored.heartbeat AS r WHERE r.minute = h.minute AND r.host = h.host)
                    """) ?? 0
                // The history tables refuse deletes by trigger; a restore is the one writer
                // that replaces them, so their triggers step aside for this transaction.
                let triggers = try Row.fetchAll(db, sql: "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'")
                for trigger in triggers { try db.execute(sql: "DROP TRIGGER main.\(quoted(trigger["name"]))") }
                for table in try Salvage.tables(db, schema: "main") where table != "heartbeat" {
                    let columns = try Salvage.columns(db, table, schema: "main")
                    try db.execute(sql: "DELETE FROM main.\(quoted(table))")
                    try db.execute(sql: "INSERT INTO main.\(quoted(table)) (\(columns)) SELECT \(columns) FROM restored.\(quoted(table))")
                }
                try db.execute(sql: """
                    INSERT INTO main.heartbeat (minute, host, received_at)
                    SELECT minute, host, received_at FROM restored.heartbeat WHERE true
                    ON CONFLICT (minute, host) DO NOTHING
                    """)
                for trigger in triggers { try db.execute(sql: trigger["sql"]) }
                try Self.rebuildDailyCache(db)
                return .commit
            }
            return kept
        }
    }
}

func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

/// A column of a table as SQLite declares it: what a restore, a heal, an export and an
/// import copy row by row.
struct TableColumn {
    let name: String
    /// The declared type, upper case (`INTEGER`, `TEXT`, `BLOB`).
    let type: String

    static func all(_ db: Database, _ table: String, schema: String = "main") throws -> [TableColumn] {
        try Row.fetchAll(db, sql: "PRAGMA \(schema).table_info(\(quoted(table)))").map {
            TableColumn(name: $0["name"], type: ($0["type"] as String).uppercased())
        }
    }
}

/// Reading what can still be read out of a damaged database file.
enum Salvage {
    /// Tables holding facts, in the order they are filled (rows referred to come first):
    /// every table but SQLite's and the migrations' own.
    static func tables(_ db: Database, schema: String) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT name FROM \(schema).sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
            ORDER BY name IN ('signed_snapshot', 'signed_day'), name
            """)
    }

    /// A table's columns, quoted and comma-separated.
    static func columns(_ db: Database, _ table: String, schema: String) throws -> String {
        try TableColumn.all(db, table, schema: schema).map { quoted($0.name) }.joined(separator: ", ")
    }

    /// The heartbeats of the damaged file at `path` that can be read, into `db`; one day
    /// of minutes at a time, so a damaged page loses only what it held. Returns how many
    /// `db` did not have.
    static func heartbeats(from path: String, into db: Database) throws -> Int {
        guard let damaged = try? Health.openForReading(path) else { return 0 }
        defer { try? damaged.close() }
        let insert = try db.makeStatement(sql: """
            INSERT INTO heartbeat (minute, host, received_at) VALUES (?, ?, ?) ON CONFLICT (minute, host) DO NOTHING
            """)
        var added = 0
        let bounds = (try? damaged.read { db in try Row.fetchOne(db, sql: "SELECT MIN(minute), MAX(minute) FROM heartbeat") }) ?? nil
        guard let first = bounds?[0] as Int64?, let last = bounds?[1] as Int64? else { return 0 }
        var day = first - first % 1440
        while day <= last {
            let rows = (try? damaged.read { db in
                try Row.fetchAll(db, sql: "SELECT minute, host, received_at FROM heartbeat WHERE minute >= ? AND minute < ?",
                                 arguments: [day, day + 1440])
            }) ?? []
            for row in rows {
                try insert.execute(arguments: [row[0], row[1], row[2]])
                added += db.changesCount
            }
            day += 1440
        }
        return added
    }
}
