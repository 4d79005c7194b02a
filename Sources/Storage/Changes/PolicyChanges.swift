import AttendanceCore
import GRDB

/// From `date` on, as far as dates go: what a change that moves every later figure moves.
func onward(_ date: LocalDate) -> ClosedRange<LocalDate> { date...LocalDate(year: 9999, month: 12, day: 31)! }

/// A value the request gave that the stored state makes invalid (a 422), in words.
public struct InvalidValue: Error, Equatable, Sendable {
    public let field: String
    public let message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

extension WeekMinutes {
    /// "mon 8:00, tue 8:00, …, sun 0:00", for the history of changes.
    var described: String {
        Weekday.allCases.map { "\($0.rawValue) \(self[$0] / 60):\(self[$0] % 60 < 10 ? "0" : "")\(self[$0] % 60)" }
            .joined(separator: ", ")
    }
}

// MARK: Settings and schedule

/// Reads the settings and the schedule, lets `edit` change the settings and name a
/// schedule version to store (added, or replacing the version of its date), and writes
/// both. A new time zone re-buckets all history. A period that now starts before the
/// earliest schedule version moves that version's start back to it
/// (`Schedule.earliestStart`). The settings count as saved from then on. Refused when it
/// would move a frozen figure: a new period start, period end or opening balance that
/// reaches a signed month, or a simple-form version from a frozen date.
public struct UpdateSettings: Change {
    let edit: (inout Settings, Schedule) throws -> ScheduleVersion?
    private var planned: (old: Settings, new: Settings, version: ScheduleVersion?)?

    public init(_ edit: @escaping (inout Settings, Schedule) throws -> ScheduleVersion?) { self.edit = edit }

    public var what: String {
        guard let planned else { return "this change of the settings" }
        if planned.old.openingBalanceMinutes != planned.new.openingBalanceMinutes { return "a new opening balance" }
        if planned.old.periodStart != planned.new.periodStart { return "a new period start" }
        if planned.old.periodEnd != planned.new.periodEnd { return "a new period end" }
        return "a change of the schedule in force today"
    }

    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? {
        let old = try AppDatabase.settings(db)
        var new = old
        let version = try edit(&new, try AppDatabase.schedule(db))
        planned = (old, new, version)
        var from: [LocalDate] = []
        if old.openingBalanceMinutes != new.openingBalanceMinutes || old.periodStart != new.periodStart {
            from.append(min(old.periodStart, new.periodStart))
        }
        if old.periodEnd != new.periodEnd {
            let ends = [old.periodEnd, new.periodEnd].compactMap { $0 }
            if let end = ends.min() { from.append(end.adding(days: 1)) }
        }
        if let version { from.append(version.validFrom) }
        return from.min().map(onward)
    }

    public func write(_ db: Database, at now: Int64) throws -> (Settings, Schedule) {
        let (old, settings, version): (Settings, Settings, ScheduleVersion?)
        if let planned { (old, settings, version) = planned } else {
            old = try AppDatabase.settings(db)
            var edited = old
            version = try edit(&edited, try AppDatabase.schedule(db))
            settings = edited
        }
        var saved = settings
        saved.saved = true
        try db.execute(sql: """
            UPDATE settings SET period_start = ?, period_end = ?, working_days = ?, daily_required_minutes = ?,
                timezone = ?, opening_balance_minutes = ?, vacation_half_days = ?, saved = ?, name = ? WHERE id = 1
            """, arguments: AppDatabase.arguments(saved))
        if let version { try SaveScheduleVersion(version).write(db, at: now) }
        let schedule = try AppDatabase.schedule(db)
        if let start = schedule.earliestStart(toCover: saved.periodStart) {
            try db.execute(sql: "UPDATE schedule SET valid_from = ? WHERE valid_from = ?",
                           arguments: [start, schedule.versions[0].validFrom])
        }
        try AppDatabase.log(db, at: now, "time zone", from: old.timezone.identifier, to: saved.timezone.identifier)
        try AppDatabase.log(db, at: now, "period start", from: old.periodStart.description, to: saved.periodStart.description)
        try AppDatabase.log(db, at: now, "period end", from: old.periodEnd?.description ?? "open",
                            to: saved.periodEnd?.description ?? "open")
        try AppDatabase.log(db, at: now, "opening balance", from: "\(old.openingBalanceMinutes) min",
                            to: "\(saved.openingBalanceMinutes) min")
        if old.timezone != saved.timezone { try AppDatabase.rebuildDailyCache(db) }
        return (saved, try AppDatabase.schedule(db))
    }
}

/// Adds a schedule version, or replaces the one of the same date; true when it was new.
/// Refused from a frozen date on: it would move every later figure.
public struct SaveScheduleVersion: Change {
    public let version: ScheduleVersion
    public init(_ version: ScheduleVersion) { self.version = version }

    public var what: String { "a schedule version from \(version.validFrom)" }

    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { onward(version.validFrom) }

    @discardableResult
    public func write(_ db: Database, at now: Int64) throws -> Bool {
        let oldRow = try Row.fetchOne(db, sql: "SELECT mon, tue, wed, thu, fri, sat, sun, work_rules FROM schedule WHERE valid_from = ?",
                                      arguments: [version.validFrom])
        let old = oldRow.map { row in WeekMinutes { row[$0.index] as Int } }
        try Self.store(db, version)
        try AppDatabase.log(db, at: now, "schedule version from \(version.validFrom)",
                            from: old.map { $0.described + ", rules \(oldRow![7] as String)" } ?? "none",
                            to: version.minutes.described + ", rules \(version.workRules.rawValue)")
        return old == nil
    }

    /// The row itself, with no history: for a new database's first version.
    static func store(_ db: Database, _ version: ScheduleVersion) throws {
        var arguments: StatementArguments = [version.validFrom]
        arguments += StatementArguments(Weekday.allCases.map { version.minutes[$0] })
        arguments += [version.workRules.rawValue]
        try db.execute(sql: """
            INSERT INTO schedule (valid_from, mon, tue, wed, thu, fri, sat, sun, work_rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (valid_from) DO UPDATE SET mon = excluded.mon, tue = excluded.tue, wed = excluded.wed,
                thu = excluded.thu, fri = excluded.fri, sat = excluded.sat, sun = excluded.sun, work_rules = excluded.work_rules
            """, arguments: arguments)
    }
}

/// What a removal of a schedule version did.
public enum ScheduleRemoval: Sendable, Equatable {
    case removed, notFound
}

/// Removes the version valid from `date`, unless it is the only one (`ConflictRefusal`).
public struct RemoveScheduleVersion: Change {
    public let validFrom: LocalDate
    public init(_ validFrom: LocalDate) { self.validFrom = validFrom }

    public var what: String { "removing the schedule version from \(validFrom)" }

    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { onward(validFrom) }

    public func write(_ db: Database, at now: Int64) throws -> ScheduleRemoval {
        guard let old = try Row.fetchOne(db, sql: "SELECT mon, tue, wed, thu, fri, sat, sun FROM schedule WHERE valid_from = ?",
                                         arguments: [validFrom]).map({ row in WeekMinutes { row[$0.index] as Int } })
        else { return .notFound }
        guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM schedule") ?? 0 > 1 else {
            throw ConflictRefusal("the version from \(validFrom) is the only one; the schedule always keeps one (change its hours instead)")
        }
        try db.execute(sql: "DELETE FROM schedule WHERE valid_from = ?", arguments: [validFrom])
        try AppDatabase.log(db, at: now, "schedule version from \(validFrom)", from: old.described, to: "removed")
        return .removed
    }
}

// MARK: Holidays

/// Adds a holiday or renames an existing one; true when it was new.
public struct SetHoliday: Change {
    public let date: LocalDate
    public let name: String
    public init(_ date: LocalDate, name: String) {
        self.date = date
        self.name = name
    }

    public var what: String { "a holiday" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { date...date }

    public func write(_ db: Database, at now: Int64) throws -> Bool {
        let old = try String.fetchOne(db, sql: "SELECT name FROM holiday WHERE date = ?", arguments: [date])
        try db.execute(sql: "INSERT INTO holiday (date, name) VALUES (?, ?) ON CONFLICT (date) DO UPDATE SET name = excluded.name",
                       arguments: [date, name])
        try AppDatabase.log(db, at: now, "holiday on \(date)", from: old ?? "none", to: name)
        return old == nil
    }
}

/// Adds or renames the holidays of an import: all or nothing. A date given twice takes
/// its last name. The dates of signed months are left as they are and listed in `frozen`.
/// Counts how many dates were new and how many got another name (a date that keeps its
/// name counts as neither).
public struct ImportHolidays: Change {
    public let holidays: [(date: LocalDate, name: String)]
    public init(_ holidays: [(date: LocalDate, name: String)]) { self.holidays = holidays }

    public func write(_ db: Database, at now: Int64) throws -> (added: Int, renamed: Int, frozen: [(date: LocalDate, name: String)]) {
        let span = try AppDatabase.frozenSpan(db)
        var added = 0, renamed = 0
        var last: [LocalDate: String] = [:]
        for holiday in holidays { last[holiday.date] = holiday.name }
        var frozen: [(date: LocalDate, name: String)] = []
        for (date, name) in last.sorted(by: { $0.key < $1.key }) {
            let old = try String.fetchOne(db, sql: "SELECT name FROM holiday WHERE date = ?", arguments: [date])
            if old == name { continue }
            if let span, span.dates.contains(date) {
                frozen.append((date, name))
                continue
            }
            if old == nil { added += 1 } else { renamed += 1 }
            _ = try SetHoliday(date, name: name).write(db, at: now)
        }
        return (added, renamed, frozen)
    }
}

/// Removes a holiday; false when there was none.
public struct RemoveHoliday: Change {
    public let date: LocalDate
    public init(_ date: LocalDate) { self.date = date }

    public var what: String { "removing a holiday" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { date...date }

    public func write(_ db: Database, at now: Int64) throws -> Bool {
        guard let old = try String.fetchOne(db, sql: "SELECT name FROM holiday WHERE date = ?", arguments: [date]) else { return false }
        try db.execute(sql: "DELETE FROM holiday WHERE date = ?", arguments: [date])
        try AppDatabase.log(db, at: now, "holiday on \(date)", from: old, to: "none")
        return true
    }
}

// MARK: Corrections

/// Adds a correction; it becomes the current one for its date. Older ones stay in history.
public struct SaveCorrection: Change {
    public let date: LocalDate
    public let minutes: Int
    public let note: String
    public init(_ date: LocalDate, minutes: Int, note: String) {
        self.date = date
        self.minutes = minutes
        self.note = note
    }

    public var what: String { "a correction" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { date...date }

    public func write(_ db: Database, at now: Int64) throws -> CorrectionRecord {
        try db.execute(sql: "INSERT INTO correction (date, minutes, note, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [date, minutes, note, now])
        return CorrectionRecord(date: date, minutes: minutes, note: note, createdAt: now)
    }
}

/// Records the removal of `date`'s current correction (the recorded value applies again);
/// false when it has none.
public struct RemoveCorrection: Change {
    public let date: LocalDate
    public init(_ date: LocalDate) { self.date = date }

    public var what: String { "removing a correction" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { date...date }

    public func write(_ db: Database, at now: Int64) throws -> Bool {
        guard try !AppDatabase.currentCorrections(db, DateBounds(date...date)).isEmpty else { return false }
        try db.execute(sql: "INSERT INTO correction (date, minutes, note, created_at) VALUES (?, NULL, '', ?)",
                       arguments: [date, now])
        return true
    }
}

// MARK: Absences

/// Books absences on [from, to]: `choose` sees the policy of those dates as stored at
/// that moment (rule 5a: only dates that expect something can be booked) and returns the
/// absences to store, each replacing one already on its date, and what to answer.
public struct BookAbsences<Result>: Change {
    public let dates: ClosedRange<LocalDate>
    let choose: (Policy) throws -> (absences: [Absence], result: Result)

    public init(from: LocalDate, to: LocalDate, _ choose: @escaping (Policy) throws -> (absences: [Absence], result: Result)) {
        dates = from...to
        self.choose = choose
    }

    public var what: String { "an absence" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { dates }

    public func write(_ db: Database, at now: Int64) throws -> Result {
        var holidays: [LocalDate: String] = [:]
        for holiday in try AppDatabase.holidays(db, DateBounds(dates)) { holidays[holiday.date] = holiday.name }
        let policy = Policy(settings: try AppDatabase.settings(db), schedule: try AppDatabase.schedule(db), holidays: holidays)
        let chosen = try choose(policy)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO absence (date, kind, half_day, note) VALUES (?, ?, ?, ?)
            ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, half_day = excluded.half_day, note = excluded.note
            """)
        for absence in chosen.absences {
            try insert.execute(arguments: [absence.date, absence.kind.rawValue, absence.halfDay, absence.note])
        }
        return chosen.result
    }
}

/// Removes a date's absence; false when there was none.
public struct RemoveAbsence: Change {
    public let date: LocalDate
    public init(_ date: LocalDate) { self.date = date }

    public var what: String { "removing an absence" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { date...date }

    public func write(_ db: Database, at now: Int64) throws -> Bool {
        try db.execute(sql: "DELETE FROM absence WHERE date = ?", arguments: [date])
        return db.changesCount > 0
    }
}
