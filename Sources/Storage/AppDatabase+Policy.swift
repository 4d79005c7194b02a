import AttendanceCore
import GRDB

/// What a removal of a schedule version did.
public enum ScheduleRemoval: Sendable, Equatable {
    case removed, notFound, onlyVersion
}

extension AppDatabase {
    // MARK: Settings and schedule

    /// Reads the settings and the schedule, lets `change` edit the settings and name a
    /// schedule version to store (added, or replacing the version of its date), and writes
    /// both: one transaction, so concurrent changes cannot interleave. A `change` that
    /// throws stores nothing. A new time zone re-buckets all history in the same
    /// transaction. A period that now starts before the earliest schedule version moves
    /// that version's start back to it (`Schedule.earliestStart`). The settings count as
    /// saved from then on.
    public func updateSettings(_ change: (inout Settings, Schedule) throws -> ScheduleVersion?) throws -> (Settings, Schedule) {
        try writer.write { db in
            let old = try Self.settings(db)
            var settings = old
            let version = try change(&settings, try Self.schedule(db))
            settings.saved = true
            try db.execute(sql: """
                UPDATE settings SET period_start = ?, period_end = ?, working_days = ?, daily_required_minutes = ?,
                    timezone = ?, opening_balance_minutes = ?, vacation_half_days = ?, saved = ? WHERE id = 1
                """, arguments: Self.arguments(settings))
            if let version { try Self.saveVersion(db, version) }
            let schedule = try Self.schedule(db)
            if let start = schedule.earliestStart(toCover: settings.periodStart) {
                try db.execute(sql: "UPDATE schedule SET valid_from = ? WHERE valid_from = ?",
                               arguments: [start, schedule.versions[0].validFrom])
            }
            if old.timezone != settings.timezone { try Self.rebuildDailyCache(db) }
            return (settings, try Self.schedule(db))
        }
    }

    /// Every version of the schedule.
    public func schedule() throws -> Schedule {
        try writer.read { db in try Self.schedule(db) }
    }

    static func schedule(_ db: Database) throws -> Schedule {
        let versions = try ScheduleRecord.fetchAll(db, sql: "SELECT * FROM schedule ORDER BY valid_from").map(\.version)
        guard let schedule = Schedule(versions) else { throw DatabaseError(message: "the schedule has no version") }
        return schedule
    }

    /// Adds a version, or replaces the one of the same date; true when it was new.
    public func saveScheduleVersion(_ version: ScheduleVersion) throws -> Bool {
        try writer.write { db in try Self.saveVersion(db, version) }
    }

    @discardableResult
    static func saveVersion(_ db: Database, _ version: ScheduleVersion) throws -> Bool {
        let existed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM schedule WHERE valid_from = ?)",
                                        arguments: [version.validFrom]) ?? false
        var arguments: StatementArguments = [version.validFrom]
        arguments += StatementArguments(Weekday.allCases.map { version.minutes[$0] })
        try db.execute(sql: """
            INSERT INTO schedule (valid_from, mon, tue, wed, thu, fri, sat, sun) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (valid_from) DO UPDATE SET mon = excluded.mon, tue = excluded.tue, wed = excluded.wed,
                thu = excluded.thu, fri = excluded.fri, sat = excluded.sat, sun = excluded.sun
            """, arguments: arguments)
        return !existed
    }

    /// Removes the version valid from `date`, unless it is the only one.
    public func removeScheduleVersion(_ date: LocalDate) throws -> ScheduleRemoval {
        try writer.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM schedule") ?? 0
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM schedule WHERE valid_from = ?)", arguments: [date]) == true
            else { return .notFound }
            guard count > 1 else { return .onlyVersion }
            try db.execute(sql: "DELETE FROM schedule WHERE valid_from = ?", arguments: [date])
            return .removed
        }
    }

    // MARK: Holidays

    /// Holidays by date in [from, to] (an end left nil is open).
    public func holidays(from: LocalDate? = nil, to: LocalDate? = nil) throws -> [HolidayRecord] {
        try writer.read { db in try Self.holidays(db, DateBounds(from: from, to: to)) }
    }

    static func holidays(_ db: Database, _ bounds: DateBounds) throws -> [HolidayRecord] {
        let condition = bounds.condition("date")
        return try HolidayRecord.fetchAll(db, sql: "SELECT date, name FROM holiday WHERE \(condition.sql) ORDER BY date",
                                          arguments: condition.arguments)
    }

    /// Adds a holiday or renames an existing one; true when it was new.
    public func setHoliday(_ date: LocalDate, name: String) throws -> Bool {
        try writer.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM holiday WHERE date = ?)", arguments: [date]) ?? false
            try db.execute(sql: "INSERT INTO holiday (date, name) VALUES (?, ?) ON CONFLICT (date) DO UPDATE SET name = excluded.name",
                           arguments: [date, name])
            return !existed
        }
    }

    /// Adds or renames the holidays of an import in one transaction: all or nothing. A
    /// date given twice takes its last name. Returns how many dates were new and how many
    /// got another name (a date that keeps its name counts as neither).
    public func importHolidays(_ holidays: [(date: LocalDate, name: String)]) throws -> (added: Int, renamed: Int) {
        try writer.write { db in
            var added = 0, renamed = 0
            var before: [LocalDate: String] = [:]
            for holiday in holidays where before[holiday.date] == nil {
                before[holiday.date] = try String.fetchOne(db, sql: "SELECT name FROM holiday WHERE date = ?", arguments: [holiday.date]) ?? ""
            }
            var last: [LocalDate: String] = [:]
            for holiday in holidays { last[holiday.date] = holiday.name }
            for (date, name) in last.sorted(by: { $0.key < $1.key }) {
                let old = before[date] ?? ""
                if old.isEmpty { added += 1 } else if old != name { renamed += 1 } else { continue }
                try db.execute(sql: "INSERT INTO holiday (date, name) VALUES (?, ?) ON CONFLICT (date) DO UPDATE SET name = excluded.name",
                               arguments: [date, name])
            }
            return (added, renamed)
        }
    }

    /// Removes a holiday; false when there was none.
    public func deleteHoliday(_ date: LocalDate) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM holiday WHERE date = ?", arguments: [date])
            return db.changesCount > 0
        }
    }

    // MARK: Corrections

    /// The current correction per date in [from, to]: the newest entry, unless it is a removal.
    public func corrections(from: LocalDate? = nil, to: LocalDate? = nil) throws -> [CorrectionRecord] {
        try writer.read { db in try Self.currentCorrections(db, DateBounds(from: from, to: to)) }
    }

    static func currentCorrections(_ db: Database, _ bounds: DateBounds) throws -> [CorrectionRecord] {
        let condition = bounds.condition("date")
        return try CorrectionRecord.fetchAll(db, sql: "SELECT * FROM current_correction WHERE \(condition.sql) ORDER BY date",
                                             arguments: condition.arguments)
    }

    /// Every entry ever made for the dates of [from, to], by date, newest first, removals included.
    public func correctionHistory(from: LocalDate, to: LocalDate) throws -> [CorrectionRecord] {
        try writer.read { db in
            try CorrectionRecord.fetchAll(db, sql: """
                SELECT date, minutes, note, created_at FROM correction WHERE date BETWEEN ? AND ? ORDER BY date, id DESC
                """, arguments: [from, to])
        }
    }

    /// Adds a correction; it becomes the current one for its date. Older ones stay in history.
    public func addCorrection(_ date: LocalDate, minutes: Int, note: String, at createdAt: Int64) throws -> CorrectionRecord {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO correction (date, minutes, note, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [date, minutes, note, createdAt])
        }
        return CorrectionRecord(date: date, minutes: minutes, note: note, createdAt: createdAt)
    }

    /// Records the removal of `date`'s current correction (the recorded value applies again);
    /// false when it has none.
    public func removeCorrection(_ date: LocalDate, at createdAt: Int64) throws -> Bool {
        try writer.write { db in
            guard try !Self.currentCorrections(db, DateBounds(date...date)).isEmpty else { return false }
            try db.execute(sql: "INSERT INTO correction (date, minutes, note, created_at) VALUES (?, NULL, '', ?)",
                           arguments: [date, createdAt])
            return true
        }
    }

    // MARK: Figures

    /// The ledger of the window [from, to] (`to` may be `from` − 1: an empty window, all
    /// carry) when the current minute is `nowMinute`: the settings, the schedule, the
    /// holidays and absences of the period before the window and of the window, the
    /// window's worked minutes and current corrections, and sums over the period's dates
    /// before it, read in one transaction so the figures agree. A fixed number of
    /// queries, none per day or per correction; the core applies the rules. A running
    /// entry counts up to `nowMinute`.
    public func ledger(from: LocalDate, to: LocalDate, nowMinute: Int64) throws -> Ledger {
        try writer.read { db in
            let settings = try Self.settings(db)
            let carrySpan = Ledger.carrySpan(settings, before: from)
            let covered = DateBounds(from: carrySpan.map { min($0.lowerBound, from) } ?? from, to: to)
            var holidays: [LocalDate: String] = [:], absences: [LocalDate: Absence] = [:]
            for holiday in try Self.holidays(db, covered) { holidays[holiday.date] = holiday.name }
            for absence in try Self.absences(db, covered) { absences[absence.date] = absence }
            let window = DateBounds(from: from, to: to)
            var corrections: [LocalDate: Int] = [:]
            var notes: [LocalDate: String] = [:]
            for correction in try Self.currentCorrections(db, window) {
                corrections[correction.date] = correction.minutes
                if !correction.note.isEmpty { notes[correction.date] = correction.note }
            }
            let live = try Self.liveWork(db, nowMinute: nowMinute)
            return Ledger(policy: Policy(settings: settings, schedule: try Self.schedule(db), holidays: holidays, absences: absences),
                          start: from, work: try Self.work(db, window, live: live), corrections: corrections,
                          correctionNotes: notes, before: try carrySpan.map { try Self.sums(db, $0, live: live) } ?? .zero)
        }
    }

    /// The sums of a span the core needs for its carry: two aggregate queries over the
    /// cache, and the dates a running entry touches taken as they are now.
    static func sums(_ db: Database, _ span: ClosedRange<LocalDate>, live: LiveWork) throws -> SpanSums {
        let arguments: StatementArguments = [span.lowerBound, span.upperBound]
        let worked = try Int.fetchOne(db, sql: """
            SELECT COALESCE(SUM(minutes + manual), 0) FROM daily_attendance WHERE date BETWEEN ? AND ?
            """, arguments: arguments) ?? 0
        let row = try Row.fetchOne(db, sql: """
            SELECT COALESCE(SUM(c.minutes), 0), COALESCE(SUM(d.minutes + d.manual), 0)
            FROM current_correction AS c LEFT JOIN daily_attendance AS d ON d.date = c.date
            WHERE c.date BETWEEN ? AND ?
            """, arguments: arguments)!
        var sums = SpanSums(worked: worked, correctionMinutes: try row.decode(atIndex: 0), workedOnCorrected: try row.decode(atIndex: 1))
        let liveDates = live.dates.filter(span.contains)
        guard let first = liveDates.first, let last = liveDates.last else { return sums }
        let bounds = DateBounds(from: first, to: last)
        let cached = try work(db, bounds)
        let corrected = Set(try currentCorrections(db, bounds).map(\.date))
        for date in liveDates {
            let change = (live.work[date]?.worked ?? 0) - (cached[date]?.worked ?? 0)
            sums.worked += change
            if corrected.contains(date) { sums.workedOnCorrected += change }
        }
        return sums
    }
}
