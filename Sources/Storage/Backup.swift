import AttendanceCore
import Foundation
import GRDB

/// What a check of a database found: enough to say what a backup holds.
public struct CheckReport: Sendable, Equatable {
    public var heartbeats: Int
    public var entries: Int
    public var signedMonths: Int
}

/// A check that failed, or a copy that could not be made: one line saying why.
public struct BackupFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The database or the copy failed a check (SPEC §6).
        case check
        /// The copy could not be written (a full disk, a folder that cannot be written).
        case write
        /// Another backup or restore holds the folder.
        case busy
    }
    public var kind: Kind
    public var description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

extension AppDatabase {
    /// The checks a backup passes before it counts (SPEC §6): `PRAGMA integrity_check`,
    /// the per-day cache equal to a recount of its heartbeats and entries (rule 8), and
    /// every signed month's digest chain (`verify`).
    ///
    /// On a file, `integrity_check` runs on a connection of its own beside the other checks.
    public func check() throws -> CheckReport {
        let integrity = Outcome()
        if store.path != ":memory:" {
            let path = store.path
            Thread.detachNewThread {
                integrity.set(Result {
                    let reader = try Health.openForReading(path)
                    defer { try? reader.close() }
                    return try reader.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
                })
            }
        } else {
            integrity.set(Result { try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } })
        }
        let rest = Result { try checkFacts() }
        let lines = try integrity.wait().get()
        guard lines == ["ok"] else {
            throw BackupFailure(.check, "integrity_check failed, the database is damaged: \(Health.oneLine(lines))")
        }
        return try rest.get()
    }

    /// The cache against a recount, and the digests.
    private func checkFacts() throws -> CheckReport {
        try writer.read { db in
            guard try Self.work(db, nil) == Self.recount(db, dates: nil) else {
                throw BackupFailure(.check, "the per-day cache differs from a recount of the heartbeats and entries")
            }
            let (checked, failure) = try Self.verify(db)
            if let failure { throw BackupFailure(.check, "signed month \(failure.month): \(failure.why)") }
            return CheckReport(heartbeats: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM heartbeat") ?? 0,
                               entries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry WHERE removed_at IS NULL") ?? 0,
                               signedMonths: checked)
        }
    }

    /// Opens a copy (a backup, a file to restore) on its own connection, bringing it to this
    /// version's schema. Nothing else is added to it.
    static func openCopy(_ path: String) throws -> AppDatabase {
        let store = Store(path: path)
        store.writer = try DatabaseQueue(path: path, configuration: configuration())
        return try AppDatabase(store: store, fresh: nil)
    }

    /// Closes the connections, folding the write-ahead log into the file: a copy is then
    /// one self-contained file.
    func closeCopy() throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        try writer.close()
    }
}

/// The result of a check run on another thread, waited for.
private final class Outcome: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var result: Result<[String], any Error> = .success([])

    func set(_ result: Result<[String], any Error>) {
        self.result = result
        ready.signal()
    }

    func wait() -> Result<[String], any Error> {
        ready.wait()
        return result
    }
}

/// `attendance-fcgi backup` (SPEC §6): one snapshot of the live database (SQLite's online
/// backup in a single step, so it finishes in bounded time however busy the writers
/// are), checked, then kept as
/// `attendance-YYYYMMDD-HHMMSSZ.sqlite` (0600, in a folder of 0700) beside the newest
/// others; older ones beyond `keep` are removed only once the new one passed its checks.
public enum Backup {
    public struct Result: Sendable {
        public var file: String
        public var bytes: Int64
        public var report: CheckReport
        public var removed: [String]
    }

    /// Backups of a folder, oldest first.
    public static func backups(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter(isBackupName).sorted()
    }

    static func isBackupName(_ name: String) -> Bool {
        name.utf8.count == "attendance-20261203-094512Z.sqlite".utf8.count && name.hasPrefix("attendance-")
            && name.hasSuffix("Z.sqlite") && name.dropFirst(11).prefix(15).allSatisfy { $0.isNumber || $0 == "-" }
    }

    public static func run(database: String, to folder: String, keep: Int, now: () -> Date = Date.init) throws -> Result {
        guard FileManager.default.fileExists(atPath: database) else {
            throw BackupFailure(.write, "there is no database at \(database)")
        }
        try makeFolder(folder)
        let lock = try FolderLock(folder)
        defer { lock.release() }
        // What a backup killed midway left behind.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".partial") {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
        var name = fileName(now())
        while FileManager.default.fileExists(atPath: folder + "/" + name) {
            Thread.sleep(forTimeInterval: 0.2)  // a second backup within the same second
            name = fileName(now())
        }
        let final = folder + "/" + name, partial = final + ".partial"
        do {
            try snapshot(of: database, into: partial)
            let copy = try AppDatabase.openCopy(partial)
            let report: CheckReport
            do {
                report = try copy.check()
            } catch {
                try? copy.closeCopy()
                throw error
            }
            try copy.closeCopy()
            try durableRename(partial, to: final, in: folder)
            let removed = rotate(folder, keep: keep)
            var status = stat()
            let bytes = stat(final, &status) == 0 ? Int64(status.st_size) : 0
            return Result(file: final, bytes: bytes, report: report, removed: removed)
        } catch {
            removeCopy(partial)
            throw describe(error, writing: partial)
        }
    }

    /// Removes a copy in the making and whatever SQLite kept beside it.
    static func removeCopy(_ path: String) {
        for leftover in [path, path + "-journal", path + "-wal", path + "-shm"] { try? FileManager.default.removeItem(atPath: leftover) }
    }

    static func fileName(_ date: Date) -> String { "attendance-\(stamp(date)).sqlite" }

    /// `YYYYMMDD-HHMMSSZ` of `date` in UTC.
    static func stamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// One consistent copy of `database` as it was when the copy began, 0600: SQLite's
    /// online backup in a single step, inside one read transaction of the source, so
    /// writers never make it start over and it finishes in bounded time.
    static func snapshot(of database: String, into path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let source = try DatabaseQueue(path: database, configuration: configuration)
        defer { try? source.close() }
        let created = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard created >= 0 else { throw BackupFailure(.write, "cannot create \(path): \(String(cString: strerror(errno)))") }
        close(created)
        let mask = umask(0o077)
        defer { umask(mask) }
        var destination = Configuration()
        destination.busyMode = .timeout(5)
        let copy = try DatabaseQueue(path: path, configuration: destination)
        defer { try? copy.close() }
        try source.backup(to: copy)
    }

    /// The folder, made 0700 when missing (and set so when it is ours but wider).
    static func makeFolder(_ folder: String) throws {
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw BackupFailure(.write, "cannot make the backup folder \(folder): \(error.localizedDescription)")
            }
        } else if !isFolder.boolValue {
            throw BackupFailure(.write, "\(folder) is not a folder")
        }
        var status = stat()
        if stat(folder, &status) == 0, status.st_uid == geteuid(), status.st_mode & 0o777 != 0o700 { chmod(folder, 0o700) }
        guard access(folder, W_OK) == 0 else { throw BackupFailure(.write, "the backup folder \(folder) cannot be written") }
    }

    /// Renames `from` to `to` once its bytes are on the disk, and syncs the folder, so a
    /// crash leaves either no backup or a whole one under the final name.
    static func durableRename(_ from: String, to: String, in folder: String) throws {
        let file = open(from, O_RDONLY)
        if file >= 0 {
            fsync(file)
            close(file)
        }
        guard rename(from, to) == 0 else { throw BackupFailure(.write, "cannot rename \(from): \(String(cString: strerror(errno)))") }
        let directory = open(folder, O_RDONLY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Removes all but the newest `keep` backups; returns the names removed.
    static func rotate(_ folder: String, keep: Int) -> [String] {
        let all = backups(in: folder)
        let old = all.dropLast(max(keep, 1))
        for name in old { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        return Array(old)
    }

    /// An error as the one line a timer's log and a person understand.
    static func describe(_ error: any Error, writing path: String) -> BackupFailure {
        if let failure = error as? BackupFailure { return failure }
        if Health.isCorruption(error) {
            return BackupFailure(.check, "the database is damaged (\(error)): no copy was made and the previous backups are kept; restore the latest one")
        }
        switch StorageFault(error) {
        case .full: return BackupFailure(.write, "the disk is full: the copy was removed and the previous backups are kept")
        case .readOnly: return BackupFailure(.write, "\(path) cannot be written: the previous backups are kept")
        case .busy: return BackupFailure(.busy, "the database stayed busy: no copy was made; try again")
        default: return BackupFailure(.write, "the copy failed (\(error)): the previous backups are kept")
        }
    }
}

/// An exclusive hold on a folder (or a database) for one backup or restore at a time.
struct FolderLock {
    let descriptor: Int32

    init(_ folder: String, name: String = ".attendance-backup.lock") throws {
        descriptor = open(folder + "/" + name, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw BackupFailure(.write, "cannot open \(folder)/\(name): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw BackupFailure(.busy, "another backup or restore of \(folder) is running")
        }
    }

    func release() { close(descriptor) }
}
