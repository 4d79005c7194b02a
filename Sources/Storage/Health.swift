import AttendanceCore
import Foundation
import GRDB

/// The state of the database file as the responder sees it (SPEC §6): damaged (SQLite
/// reported corruption, or `quick_check` failed), and the storage troubles that would
/// lose data without a word: a file that cannot be written while serving (checkpoints
/// fail, the write-ahead log grows), a write-ahead log deleted under the running
/// responder, a file replaced under it (a restore).
public enum Health {
    /// Why the database at `path` is damaged, or nil when `PRAGMA quick_check` passes.
    public static func quickCheck(_ path: String) -> String? {
        do {
            let database = try openForReading(path)
            defer { try? database.close() }
            let lines = try database.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            return lines == ["ok"] ? nil : "quick_check failed: " + oneLine(lines)
        } catch {
            return "the file cannot be read as a database: \(error)"
        }
    }

    /// What `quick_check` or `integrity_check` said, on one line of at most 200 characters.
    static func oneLine(_ lines: [String]) -> String {
        let said = lines.flatMap { $0.split(separator: "\n") }.filter { !$0.hasPrefix("*** in database") }.prefix(3).joined(separator: "; ")
        return said.count > 200 ? String(said.prefix(199)) + "…" : said
    }

    /// A read-only connection to `path`, touching nothing in it.
    static func openForReading(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Whether SQLite's error says the file is damaged.
    public static func isCorruption(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }

    /// Moves the database file and its write-ahead log and index aside, as
    /// `PATH.damaged-YYYYMMDD-HHMMSSZ` (and `-wal`, `-shm`): kept, never deleted. Returns
    /// the new name of the file.
    static func setAside(_ path: String, now: Date) throws -> String {
        let stamp = Backup.fileName(now).dropFirst("attendance-".count).dropLast(".sqlite".count)
        let aside = "\(path).damaged-\(stamp)"
        for suffix in ["-wal", "-shm", ""] where FileManager.default.fileExists(atPath: path + suffix) {
            guard rename(path + suffix, aside + suffix) == 0 else {
                throw BackupFailure(.write, "cannot move \(path + suffix) aside: \(String(cString: strerror(errno)))")
            }
        }
        return aside
    }

    /// What `heal` did.
    public enum Healing: Sendable, Equatable {
        /// The damage was only in derived data (rule 8: the per-day cache, the current
        /// corrections, indexes): a new file has every fact of the old one and derived data
        /// recounted; the damaged file is kept at `keptAt`.
        case rebuilt(keptAt: String)
        /// A table of facts cannot be read whole: only a backup restores it.
        case factsDamaged(String)
    }

    /// Rebuilds the damaged database at `path` when only derived data is damaged: every
    /// fact table is read whole into a new file (schema by the migrations, so indexes and
    /// triggers are new too), the per-day cache recounted, the new file checked, then put
    /// in place of the damaged one. Nothing may have the file open (the responder calls it
    /// before opening, or after closing its connections).
    public static func heal(_ path: String, now: Date = Date()) throws -> Healing {
        let staged = path + ".heal.partial"
        Backup.removeCopy(staged)
        defer { Backup.removeCopy(staged) }
        let created = open(staged, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard created >= 0 else { throw BackupFailure(.write, "cannot create \(staged): \(String(cString: strerror(errno)))") }
        close(created)
        let queue = try DatabaseQueue(path: staged, configuration: AppDatabase.configuration())
        try Migrations.migrator.migrate(queue)
        let derived: Set<String> = ["daily_attendance", "current_correction"]
        var unreadable: String?
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS damaged", arguments: ["file:\(path)?mode=ro"])
            defer { try? db.execute(sql: "DETACH DATABASE damaged") }
            try db.inTransaction {
                for table in try Salvage.tables(db, schema: "main") where !derived.contains(table) {
                    let columns = try Salvage.columns(db, table, schema: "main")
                    // Corrections in the order they were made: their trigger keeps the current ones.
                    let order = table == "correction" ? " ORDER BY id" : ""
                    do {
                        try db.execute(sql: "DELETE FROM main.\(quoted(table))")
                        try db.execute(sql: "INSERT INTO main.\(quoted(table)) (\(columns)) SELECT \(columns) FROM damaged.\(quoted(table))\(order)")
                    } catch where isCorruption(error) {
                        unreadable = table
                        return .rollback
                    }
                }
                try AppDatabase.rebuildDailyCache(db)
                return .commit
            }
        }
        if let unreadable {
            try? queue.close()
            return .factsDamaged("the table \(unreadable) cannot be read whole")
        }
        let integrity = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        try queue.close()
        guard integrity == ["ok"] else { return .factsDamaged("the rebuilt copy failed its check: \(oneLine(integrity))") }
        let aside = try setAside(path, now: now)
        let folder = (path as NSString).deletingLastPathComponent
        try Backup.durableRename(staged, to: path, in: folder.isEmpty ? "." : folder)
        return .rebuilt(keptAt: aside)
    }
}

/// The identity of a file: which file a name stands for now.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init?(_ path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
