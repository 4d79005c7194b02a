import AttendanceCore
import Foundation
import GRDB

/// One heartbeat to store: the UTC minute it marks and the host that sent it.
public struct HeartbeatMinute: Sendable, Equatable {
    public var minute: Int64
    public var host: String

    public init(minute: Int64, host: String) {
        self.minute = minute
        self.host = host
    }
}

/// The outcome of storing a set of heartbeats.
public struct IngestResult: Sendable, Equatable, Codable {
    /// Newly stored rows.
    public var accepted: Int
    /// Rows already stored for the same (minute, host).
    public var duplicates: Int
}

/// Owns the SQLite connection, migrates it on open, and offers named operations, each in
/// one transaction.
public struct AppDatabase: Sendable {
    /// The connection; replaced when a database opened read-only becomes writable.
    let store: Store
    var writer: any DatabaseWriter { store.writer }
    /// Heartbeat requests written together when they arrive together.
    let ingest: GroupCommit<([HeartbeatMinute], Int64), IngestResult>

    /// Opens (creating and migrating if needed) the database file at `path`. WAL mode;
    /// `synchronous = NORMAL`, so a committed transaction survives a crash of the process
    /// (not necessarily of the OS); writers wait up to 5 s for each other. Each connection
    /// caches at most 1 MiB of pages, and there are at most 4 readers (pages beyond
    /// that wait for one): memory stays small whatever the database's size. A new database gets
    /// `fresh`'s settings and a first schedule version from its period's start (rule 10).
    ///
    /// A database that cannot be written (a read-only mount, a restored file with the
    /// wrong owner) is opened read-only when it is already set up: every read works, every
    /// write throws `StorageFault.readOnly`, and `reopenIfWritable()` switches back.
    public static func open(path: String, fresh: Settings?) throws -> AppDatabase {
        let store = Store(path: path)
        do {
            // SQLite itself would open an unwritable file read-only without a word.
            guard store.isWritable || !FileManager.default.fileExists(atPath: path) else { throw StorageFault.readOnly }
            store.writer = try readWritePool(path)
            store.opened()
            return try AppDatabase(store: store, fresh: fresh)
        } catch where StorageFault(error) == .readOnly && FileManager.default.fileExists(atPath: path) {
            let pool = try readOnlyPool(path)
            guard try pool.read({ db in try Migrations.migrator.hasCompletedMigrations(db) }) else {
                throw StorageFault.readOnly  // an old schema that cannot be upgraded in place
            }
            store.writer = pool
            store.readOnly = true
            store.opened()
            return AppDatabase(store: store)
        }
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            try db.execute(sql: "PRAGMA cache_size = -1024")
            db.add(function: AppDatabase.ruleDeductionFunction)
        }
        return configuration
    }

    static func readWritePool(_ path: String) throws -> DatabasePool {
        try DatabasePool(path: path, configuration: configuration())
    }

    static func readOnlyPool(_ path: String) throws -> DatabasePool {
        var configuration = configuration()
        configuration.readonly = true
        return try DatabasePool(path: path, configuration: configuration)
    }

    /// A private in-memory database, for tests.
    public static func inMemory(fresh: Settings) throws -> AppDatabase {
        let store = Store(path: ":memory:")
        store.writer = try DatabaseQueue(configuration: configuration())
        return try AppDatabase(store: store, fresh: fresh)
    }

    /// Whether writes are refused because the file cannot be written.
    public var isReadOnly: Bool { store.readOnly }

    /// Why the database is damaged, while it is (SPEC §6); nil when it is not.
    public var damage: String? { store.damage }

    /// Marks the database damaged after SQLite reported corruption, then tries to heal it
    /// (`Health.heal`: only derived data damaged). Returns what to log, once per damage.
    public func damaged(_ why: String, now: Date = Date()) -> [String] {
        store.healing.lock()
        defer { store.healing.unlock() }
        guard store.markDamaged(why) else { return [] }
        let (healed, said) = Self.heal(store.path, now: now)
        if healed { _ = store.reopenHealthy() }
        return ["the database is damaged: \(why); pages and the API answer 503 until it is restored", said]
    }

    /// `Health.heal` of the file at `path`, and the line to log of it.
    public static func heal(_ path: String, now: Date = Date()) -> (healed: Bool, said: String) {
        switch (try? Health.heal(path, now: now)) {
        case let .rebuilt(keptAt):
            (true, "only derived data was damaged: rebuilt from the heartbeats and entries (the damaged file is kept as \(keptAt))")
        case let .factsDamaged(detail):
            (false, "the damage is beyond derived data (\(detail)): every answer is 503; restore the latest backup (attendance-fcgi restore)")
        case nil:
            (false, "rebuilding the derived data failed: every answer is 503; restore the latest backup (attendance-fcgi restore)")
        }
    }

    /// Looks at the file at most once every 10 seconds (see `Store.probe`).
    public func probe(now: Int64) -> StorageTrouble? { store.probe(now: now) }

    /// A database the responder serves only to say it is damaged (it could not be opened,
    /// or failed `quick_check` with more than derived data damaged): every answer is 503
    /// until a good file is in its place.
    public static func damaged(path: String, why: String) -> AppDatabase {
        let store = Store(path: path)
        store.writer = try! DatabaseQueue()
        store.opened()
        store.markDamaged(why)
        return AppDatabase(store: store)
    }

    /// Opens the database to serve it (SPEC §6): a file that fails `quick_check` is healed
    /// when only derived data is damaged, else served as damaged. Returns what to log;
    /// throws what keeps any database from opening (a folder that cannot be written).
    public static func openServing(path: String, fresh: Settings, now: Date = Date()) throws -> (AppDatabase, [String]) {
        var said: [String] = []
        if FileManager.default.fileExists(atPath: path), let why = Health.quickCheck(path) {
            let (healed, healing) = heal(path, now: now)
            said += ["the database \(path) is damaged: \(why)", healing]
            guard healed else { return (damaged(path: path, why: why), said) }
        }
        do {
            return (try open(path: path, fresh: fresh), said)
        } catch where Health.isCorruption(error) {
            said.append("the database \(path) is damaged: \(error)")
            return (damaged(path: path, why: "\(error)"), said)
        }
    }

    /// After a write was refused as read-only: when the file can be written again, opens it
    /// read-write and returns true (the write can then be tried again). Tries at most once
    /// every 5 seconds.
    public func reopenIfWritable(now: Int64) -> Bool {
        store.reopenIfWritable(now: now)
    }

    /// The connection, and what is known of its writability. `writer` is set once before
    /// use, then only replaced under the lock.
    final class Store: @unchecked Sendable {
        let path: String
        private let lock = NSLock()
        private var current: (any DatabaseWriter)?
        private var lastTry: Int64 = .min
        private var openedReadOnly = false
        /// Why the file is damaged, while it is; its connections are closed meanwhile.
        private var damaged: String?
        /// Which file the path named when it was opened, to tell when it was replaced.
        private var identity: FileIdentity?
        private var lastProbe: Int64 = .min
        /// One heal of a damaged file at a time.
        let healing = NSLock()

        init(path: String) { self.path = path }

        var writer: any DatabaseWriter {
            get { lock.withLock { current! } }
            set { lock.withLock { current = newValue } }
        }

        var readOnly: Bool {
            get { lock.withLock { openedReadOnly } }
            set { lock.withLock { openedReadOnly = newValue } }
        }

        var damage: String? { lock.withLock { damaged } }

        /// Notes which file the path names, after opening it.
        func opened() {
            lock.withLock { identity = FileIdentity(path) }
        }

        /// Marks the file damaged and closes its connections (once the requests using them
        /// are done), so nothing more is written into it and a restore may replace it.
        /// Requests meanwhile meet an empty in-memory database; the web layer answers them
        /// 503 before they do. True when it was not marked yet.
        @discardableResult
        func markDamaged(_ why: String) -> Bool {
            let old: (any DatabaseWriter)? = lock.withLock {
                guard damaged == nil else { return nil }
                damaged = why
                defer { current = try? DatabaseQueue() }
                return current
            }
            guard let old else { return false }
            try? old.close()
            return true
        }

        /// Opens the file anew after it passed `quick_check` (a restore put a good file
        /// there, or `heal` rebuilt it): serving again.
        func reopenHealthy() -> Bool {
            guard path != ":memory:", Health.quickCheck(path) == nil else { return false }
            lock.lock()
            defer { lock.unlock() }
            // The old connections go first: closing them later could remove the new file's
            // log, which has the same name.
            try? current?.close()
            guard let pool = try? AppDatabase.readWritePool(path), (try? Migrations.migrator.migrate(pool)) != nil else {
                current = try? DatabaseQueue()
                damaged = damaged ?? "the database file cannot be opened"
                return false
            }
            current = pool
            damaged = nil
            openedReadOnly = false
            identity = FileIdentity(path)
            return true
        }

        /// What is wrong with the file now, at most once every 10 seconds (a few `stat`
        /// calls): nil when nothing is, or nothing was looked at.
        func probe(now: Int64) -> StorageTrouble? {
            guard path != ":memory:" else { return nil }
            let (due, damage, known, readOnly): (Bool, String?, FileIdentity?, Bool) = lock.withLock {
                let due = now >= lastProbe + 10
                if due { lastProbe = now }
                return (due, damaged, self.identity, openedReadOnly)
            }
            guard due else { return nil }
            let found = FileIdentity(path)
            if damage != nil {
                // Damaged: a new file in its place (a restore) is opened once it passes.
                return found != known || now % 60 < 10 ? (reopenHealthy() ? .healthyAgain : nil) : nil
            }
            if found == nil || found != known {
                if reopenHealthy() { return .replaced }
                markDamaged("the database file was removed, or replaced by one that fails its check")
                return .missing
            }
            if !readOnly, FileIdentity(path + "-wal") == nil {
                return reopenAfterLostLog() ? .logDeleted : .missing
            }
            if !readOnly, !isWritable {
                lock.withLock { openedReadOnly = true }
                return .unwritable
            }
            return nil
        }

        /// The write-ahead log was deleted while open: its frames, still readable through
        /// the open file, are copied into the database file, and the connections are opened
        /// anew (with a new log). Nothing acknowledged is lost unless the process dies first.
        func reopenAfterLostLog() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard let old = current else { return false }
            _ = try? old.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try? old.close()
            guard let pool = try? AppDatabase.readWritePool(path) else {
                current = try? DatabaseQueue()
                damaged = "the database cannot be opened again after its write-ahead log was deleted"
                return false
            }
            current = pool
            identity = FileIdentity(path)
            return true
        }

        /// The file and its folder (for the WAL and its index) can be written.
        var isWritable: Bool {
            let folder = (path as NSString).deletingLastPathComponent
            return access(path, W_OK) == 0 && access(folder.isEmpty ? "." : folder, W_OK) == 0
        }

        func reopenIfWritable(now: Int64) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard openedReadOnly, now >= lastTry + 5 else { return false }
            lastTry = now
            guard isWritable else { return false }
            // The read-only connections go first: while they hold the file, a new writer
            // is still refused. (A read under way on another thread at this moment fails
            // once; it is the moment the administrator fixed the disk.)
            try? (current as? DatabasePool)?.close()
            if let pool = try? AppDatabase.readWritePool(path), (try? Migrations.migrator.migrate(pool)) != nil {
                current = pool
                openedReadOnly = false
                return true
            }
            if let pool = try? AppDatabase.readOnlyPool(path) { current = pool }
            return false
        }
    }

    /// Opens nothing new: a database already set up, read-only.
    private init(store: Store) {
        self.store = store
        ingest = GroupCommit { jobs in
            guard !store.readOnly else { throw StorageFault.readOnly }
            return try store.writer.write { db in try Self.recordHeartbeats(db, jobs) }
        }
    }

    /// Migrates, then seeds a new database. Writes only when something is missing, so
    /// opening a database that is set up changes nothing in it.
    init(store: Store, fresh: Settings?) throws {
        self.init(store: store)
        let writer = store.writer
        try Migrations.migrator.migrate(writer)
        // The cache gained its first and last minutes after databases were in use: a
        // cache without them is rebuilt from the raw heartbeats, once.
        if try writer.read({ db in try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM daily_attendance WHERE first_minute IS NULL OR longest_run IS NULL)
            """) }) == true {
            try writer.write { db in try Self.rebuildDailyCache(db) }
        }
        let seeded = try writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM settings) AND EXISTS (SELECT 1 FROM schedule)") ?? false
        }
        guard !seeded, let fresh else { return }
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO settings (id, period_start, period_end, working_days, daily_required_minutes, timezone,
                                      opening_balance_minutes, vacation_half_days, saved, name)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                """, arguments: Self.arguments(fresh))
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM schedule") == 0 {
                let settings = try Self.settings(db)
                try SaveScheduleVersion.store(db, ScheduleVersion(validFrom: settings.periodStart, minutes: settings.simpleWeek))
            }
        }
    }

    static func arguments(_ settings: Settings) -> StatementArguments {
        [settings.periodStart, settings.periodEnd, settings.workingDayBits, settings.dailyRequiredMinutes,
         settings.timezone.identifier, settings.openingBalanceMinutes, settings.vacationHalfDaysPerYear, settings.saved,
         settings.name]
    }

    // MARK: Heartbeats

    /// Stores heartbeats (a repeated (minute, host) is counted as a duplicate, not stored
    /// again) and updates the daily cache in the same transaction: all or nothing. Returns
    /// once that transaction is committed; requests arriving together share one
    /// (`GroupCommit`).
    public func recordHeartbeats(_ beats: [HeartbeatMinute], receivedAt: Int64) throws -> IngestResult {
        try ingest.run((beats, receivedAt))
    }

    /// The heartbeats of several requests (each with its time of arrival), in one
    /// transaction: one outcome per request, in order.
    static func recordHeartbeats(_ db: Database, _ requests: [([HeartbeatMinute], Int64)]) throws -> [IngestResult] {
        let buckets = try Self.buckets(db)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO heartbeat (minute, host, received_at) VALUES (?, ?, ?)
            ON CONFLICT (minute, host) DO NOTHING
            """)
        let hostsInMinute = try db.cachedStatement(sql: "SELECT COUNT(*) FROM heartbeat WHERE minute = ?")
        // A newly recorded minute after the last worked one of its date (the common case:
        // heartbeats come in order) adds to the cache in place: recorded + 1, and the gap
        // before it extends the long breaks or the run. Any other (an earlier minute, one
        // an entry covers) leaves the row alone and its date is recounted at the end.
        let append = try db.cachedStatement(sql: """
            INSERT INTO daily_attendance (date, minutes, manual, first_minute, last_minute, long_breaks, longest_run, trailing_run)
            VALUES (?1, 1, 0, ?2, ?2, 0, 1, 1)
            ON CONFLICT (date) DO UPDATE SET minutes = minutes + 1, last_minute = ?2,
                long_breaks = long_breaks + (CASE WHEN ?2 - last_minute - 1 >= ?3 THEN ?2 - last_minute - 1 ELSE 0 END),
                trailing_run = (CASE WHEN ?2 - last_minute - 1 >= ?3 THEN 1 ELSE trailing_run + 1 END),
                longest_run = max(longest_run, CASE WHEN ?2 - last_minute - 1 >= ?3 THEN 1 ELSE trailing_run + 1 END)
            WHERE ?2 > last_minute
            """)
        // The requests' minutes in order: requests that overtook each other on the way
        // (their agents' minutes, or one agent's retries) are written as if they had not,
        // so most of them still take the in-place append below.
        let beats = requests.indices.flatMap { index in requests[index].0.lazy.map { (index, $0) } }
            .sorted { ($0.1.minute, $0.0) < ($1.1.minute, $1.0) }
        var results = Array(repeating: IngestResult(accepted: 0, duplicates: 0), count: requests.count)
        var stale = Set<LocalDate>()
        for (index, beat) in beats {
            try insert.execute(arguments: [beat.minute, beat.host, requests[index].1])
            guard db.changesCount == 1 else {
                results[index].duplicates += 1
                continue
            }
            results[index].accepted += 1
            // A minute only a snapshot holds (rule 11) counts on no date.
            guard let date = buckets.date(ofMinute: beat.minute) else { continue }
            // After its date's last worked minute, no host had recorded the minute (the
            // cache equals a recount, so every recorded minute is at most the last).
            try append.execute(arguments: [date, beat.minute, RuleOutcome.shortestBreak])
            if db.changesCount == 1 { continue }
            // Any other: the first host in a minute makes it recorded; later hosts change nothing.
            guard try Int.fetchOne(hostsInMinute, arguments: [beat.minute]) == 1 else { continue }
            if try !insertLate(db, beat.minute, on: date, buckets: buckets) { stale.insert(date) }
        }
        for date in stale { try recache(db, dates: date...date) }
        return results
    }

    /// A newly recorded minute a little before its date's last worked one (requests that
    /// overtook each other), on a date no entry covers: the cache updated in place from
    /// the minute's two worked neighbours. False when it cannot be (the caller recounts
    /// the date): an earlier minute, entries on the date, or a long gap before it that it
    /// would shorten below a break.
    static func insertLate(_ db: Database, _ minute: Int64, on date: LocalDate, buckets: DateBuckets) throws -> Bool {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT minutes, manual, first_minute, last_minute, long_breaks, longest_run, trailing_run
            FROM daily_attendance WHERE date = ?
            """), arguments: [date]),
              row[1] as Int == 0, let last = row[3] as Int64?, minute < last, minute >= last - Int64(RuleOutcome.shortestBreak - 1),
              let longBreaks = row[4] as Int?, let longest = row[5] as Int?, let trailing = row[6] as Int?
        else { return false }
        let day = buckets.minutes(of: date)
        let previous = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(minute) FROM heartbeat WHERE minute >= ? AND minute < ?"),
                                          arguments: [day.lowerBound, minute])
        let next = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(minute) FROM heartbeat WHERE minute > ? AND minute <= ?"),
                                      arguments: [minute, last]) ?? last
        var breaks = longBreaks
        if let previous {
            let gap = Int(next - previous - 1), before = Int(minute - previous - 1)
            if gap >= RuleOutcome.shortestBreak {
                // The gap was the start of the trailing run; what is left before the minute
                // must still be a break, or two runs join (a recount knows their lengths).
                guard before >= RuleOutcome.shortestBreak else { return false }
                breaks += before - gap
            }
        }
        try db.execute(sql: """
            UPDATE daily_attendance SET minutes = minutes + 1, first_minute = min(first_minute, ?2), long_breaks = ?3,
                trailing_run = ?4, longest_run = ?5 WHERE date = ?1
            """, arguments: [date, minute, breaks, trailing + 1, max(longest, trailing + 1)])
        return true
    }

    /// Heartbeat rows stored, for tests and diagnostics.
    public func heartbeatCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM heartbeat") ?? 0 }
    }

    // MARK: Settings

    public func settings() throws -> Settings {
        try writer.read { db in try Self.settings(db) }
    }

    static func settings(_ db: Database) throws -> Settings {
        guard let settings = try SettingsRecord.fetchOne(db, sql: "SELECT * FROM settings WHERE id = 1") else {
            throw DatabaseError(message: "settings row missing")
        }
        return settings.settings
    }

    /// The zone alone, for the heartbeat path: one column instead of the whole row.
    static func zone(_ db: Database) throws -> Zone {
        Zone.resolving(try String.fetchOne(db.cachedStatement(sql: "SELECT timezone FROM settings WHERE id = 1")) ?? "UTC")
    }

    // MARK: Daily cache

    /// Recomputes `daily_attendance` from the raw heartbeats and the entries in the
    /// configured zone, cut at the frozen boundary (`DateBuckets`).
    public func rebuildDailyCache() throws {
        try writer.write { db in try Self.rebuildDailyCache(db) }
    }

    static func rebuildDailyCache(_ db: Database) throws {
        let work = try recount(db, dates: nil)
        try db.execute(sql: "DELETE FROM daily_attendance")
        try store(db, work)
    }

    /// Whether the cache equals a recomputation from the raw heartbeats and the stopped
    /// entries (rule 8).
    public func dailyCacheIsConsistent() throws -> Bool {
        try writer.read { db in try Self.work(db, nil) == Self.recount(db, dates: nil) }
    }
}

/// A storage trouble the responder found by looking at the file (`AppDatabase.probe`).
public enum StorageTrouble: Sendable, Equatable {
    /// The damaged file passed its check again (a restore put a good one in its place).
    case healthyAgain
    /// The file was replaced under the running responder, and opened anew.
    case replaced
    /// The file is gone, or cannot be opened again.
    case missing
    /// The write-ahead log was deleted while open; its frames were copied into the file.
    case logDeleted
    /// The file cannot be written any more: writes are refused until it can be.
    case unwritable

    /// The log line.
    public var said: String {
        switch self {
        case .healthyAgain: "the database passed its check again (restored): serving"
        case .replaced: "the database file was replaced while serving: opened the new one"
        case .missing: "the database file is missing or cannot be opened: answers are 503 until it is back"
        case .logDeleted: "the database's write-ahead log (-wal) was deleted while open: its heartbeats were copied into the database file and the database opened anew"
        case .unwritable: "the database file cannot be written any more (checkpoints would fail and the log grow): writes answer 503 until it can be"
        }
    }
}

/// What a failed database operation says about the disk: something a client can be told
/// and act on, unlike other errors.
public enum StorageFault: Error, Hashable, Sendable {
    /// The database file or its folder cannot be written.
    case readOnly
    /// No space left on the device.
    case full
    /// Another connection held the database longer than the busy timeout (a restore).
    case busy

    /// The fault behind `error`, or nil for any other error.
    public init?(_ error: any Error) {
        if let fault = error as? StorageFault {
            self = fault
            return
        }
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_READONLY: self = .readOnly
        case .SQLITE_FULL: self = .full
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .busy
        case .SQLITE_CANTOPEN where errno == EROFS || errno == EACCES: self = .readOnly
        case .SQLITE_IOERR where errno == ENOSPC: self = .full
        case .SQLITE_IOERR where errno == EROFS: self = .readOnly
        default: return nil
        }
    }
}

/// Opening and closing beyond serving: a database made and closed by a command, and the
/// memory of one that is open but not in use.
extension AppDatabase {
    /// Closes the connections; the value is unusable afterwards.
    public func close() throws { try writer.close() }

    /// Closes the reader connections and their page caches once the requests using them
    /// are answered (they are made again when needed), and lets the writer's page cache
    /// go (`PRAGMA shrink_memory`: its prepared statements stay, so the next
    /// heartbeat costs a few page reads, not a new connection's setup).
    func releaseMemoryEventually() {
        guard let pool = writer as? DatabasePool else { return }
        pool.invalidateReadOnlyConnections()
        pool.asyncWriteWithoutTransaction { db in try? db.execute(sql: "PRAGMA shrink_memory") }
    }

    /// Folds the write-ahead log of the database file at `path` into it, then closes.
    static func checkpointAndClose(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
    }
}
