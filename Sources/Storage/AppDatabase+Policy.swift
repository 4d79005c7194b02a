import AttendanceCore
import GRDB

/// A correction as stored: `minutes` nil records a removal.
public struct CorrectionRecord: Sendable, Equatable {
    public var date: LocalDate
    public var minutes: Int?
    public var note: String
    /// Seconds since the epoch.
    public var createdAt: Int64
}

extension AppDatabase {
    // MARK: Settings

    /// Replaces the settings; a new time zone re-buckets all history in the same transaction.
    public func updateSettings(_ settings: Settings) throws {
        try writer.write { db in
            let old = try Self.settings(db)
            try db.execute(sql: """
                UPDATE settings SET period_start = ?, period_end = ?, working_days = ?,
                    daily_required_minutes = ?, timezone = ? WHERE id = 1
                """, arguments: Self.arguments(settings))
            if old.timezone != settings.timezone {
                try Self.rebuildDailyCache(db)
            }
        }
    }

    // MARK: Holidays

    /// Holidays by date in [from, to] (all when nil).
    public func holidays(from: LocalDate? = nil, to: LocalDate? = nil) throws -> [(date: LocalDate, name: String)] {
        try writer.read { db in try Self.holidays(db, from: from, to: to) }
    }

    static func holidays(_ db: Database, from: LocalDate?, to: LocalDate?) throws -> [(date: LocalDate, name: String)] {
        try Row.fetchAll(db, sql: "SELECT date, name FROM holiday WHERE date BETWEEN ? AND ? ORDER BY date",
                         arguments: [from?.description ?? "0000-00-00", to?.description ?? "9999-99-99"])
            .compactMap { row in LocalDate(row[0] as String).map { ($0, row[1] as String) } }
    }

    /// Adds a holiday or renames an existing one; true when it was new.
    public func setHoliday(_ date: LocalDate, name: String) throws -> Bool {
        try writer.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM holiday WHERE date = ?", arguments: [date.description]) ?? false
            try db.execute(sql: "INSERT INTO holiday (date, name) VALUES (?, ?) ON CONFLICT (date) DO UPDATE SET name = excluded.name",
                           arguments: [date.description, name])
            return !existed
        }
    }

    /// Removes a holiday; false when there was none.
    public func deleteHoliday(_ date: LocalDate) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM holiday WHERE date = ?", arguments: [date.description])
            return db.changesCount > 0
        }
    }

    // MARK: Corrections

    /// The current correction per date in [from, to]: the newest entry, unless it is a removal.
    public func corrections(from: LocalDate? = nil, to: LocalDate? = nil) throws -> [CorrectionRecord] {
        try writer.read { db in try Self.currentCorrections(db, from: from, to: to) }
    }

    static func currentCorrections(_ db: Database, from: LocalDate?, to: LocalDate?) throws -> [CorrectionRecord] {
        try Row.fetchAll(db, sql: """
            SELECT date, minutes, note, created_at FROM correction AS c
            WHERE date BETWEEN ? AND ? AND minutes IS NOT NULL
              AND id = (SELECT MAX(id) FROM correction WHERE date = c.date)
            ORDER BY date
            """, arguments: [from?.description ?? "0000-00-00", to?.description ?? "9999-99-99"])
            .compactMap(record)
    }

    /// Every entry ever made for the dates of [from, to], by date, newest first, removals included.
    public func correctionHistory(from: LocalDate, to: LocalDate) throws -> [CorrectionRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT date, minutes, note, created_at FROM correction WHERE date BETWEEN ? AND ? ORDER BY date, id DESC
                """, arguments: [from.description, to.description]).compactMap(Self.record)
        }
    }

    static func record(_ row: Row) -> CorrectionRecord? {
        LocalDate(row[0] as String).map { CorrectionRecord(date: $0, minutes: row[1], note: row[2], createdAt: row[3]) }
    }

    /// Adds a correction; it becomes the current one for its date. Older ones stay in history.
    public func addCorrection(_ date: LocalDate, minutes: Int, note: String, at createdAt: Int64) throws -> CorrectionRecord {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO correction (date, minutes, note, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [date.description, minutes, note, createdAt])
        }
        return CorrectionRecord(date: date, minutes: minutes, note: note, createdAt: createdAt)
    }

    /// Records the removal of `date`'s current correction (the recorded value applies again);
    /// false when it has none.
    public func removeCorrection(_ date: LocalDate, at createdAt: Int64) throws -> Bool {
        try writer.write { db in
            guard try !Self.currentCorrections(db, from: date, to: date).isEmpty else { return false }
            try db.execute(sql: "INSERT INTO correction (date, minutes, note, created_at) VALUES (?, NULL, '', ?)",
                           arguments: [date.description, createdAt])
            return true
        }
    }

    // MARK: Figures

    /// The ledger of the window [from, to]: settings, holidays, recorded minutes and
    /// current corrections of the window, and the period's totals before it, read in one
    /// transaction so the figures are consistent. The totals before the window come from
    /// SQL sums, so the cost follows the window, not the length of the history.
    public func ledger(from: LocalDate, to: LocalDate) throws -> Ledger {
        try writer.read { db in
            let settings = try Self.settings(db)
            var ledger = Ledger(policy: Policy(settings: settings, holidays: try Self.holidayMap(db, from, to)),
                                recorded: try Self.recordedMap(db, from, to),
                                corrections: try Self.correctionMap(db, from, to), start: from)
            ledger.carry = try Self.totals(db, settings: settings, from: settings.periodStart, to: from.adding(days: -1))
            return ledger
        }
    }

    /// Rules 5–7 over the dates of [from, to] inside the period, from aggregates.
    static func totals(_ db: Database, settings: Settings, from: LocalDate, to: LocalDate) throws -> Totals {
        let first = max(from, settings.periodStart)
        let last = settings.periodEnd.map { min(to, $0) } ?? to
        guard first <= last else { return .zero }
        let recordedSum = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(minutes), 0) FROM daily_attendance WHERE date BETWEEN ? AND ?",
                                           arguments: [first.description, last.description]) ?? 0
        let corrections = try correctionMap(db, first, last)
        var recordedOnCorrected: [LocalDate: Int] = [:]
        for date in corrections.keys {
            recordedOnCorrected[date] = try Int.fetchOne(db, sql: "SELECT minutes FROM daily_attendance WHERE date = ?",
                                                         arguments: [date.description]) ?? 0
        }
        let policy = Policy(settings: settings, holidays: try holidayMap(db, first, last))
        return Totals.span(policy: policy, first: first, last: last, recordedSum: recordedSum,
                           corrections: corrections, recordedOnCorrected: recordedOnCorrected)
    }

    static func holidayMap(_ db: Database, _ from: LocalDate, _ to: LocalDate) throws -> [LocalDate: String] {
        var holidays: [LocalDate: String] = [:]
        for holiday in try Self.holidays(db, from: from, to: to) { holidays[holiday.date] = holiday.name }
        return holidays
    }

    static func recordedMap(_ db: Database, _ from: LocalDate, _ to: LocalDate) throws -> [LocalDate: Int] {
        var recorded: [LocalDate: Int] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT date, minutes FROM daily_attendance WHERE date BETWEEN ? AND ?",
                                       arguments: [from.description, to.description])
        while let row = try rows.next() {
            if let date = LocalDate(row[0] as String) { recorded[date] = row[1] }
        }
        return recorded
    }

    static func correctionMap(_ db: Database, _ from: LocalDate, _ to: LocalDate) throws -> [LocalDate: Int] {
        var corrections: [LocalDate: Int] = [:]
        for correction in try currentCorrections(db, from: from, to: to) { corrections[correction.date] = correction.minutes }
        return corrections
    }
}
