import AttendanceCore
import GRDB

extension AppDatabase {
    // MARK: Settings and schedule

    /// Every version of the schedule.
    public func schedule() throws -> Schedule {
        try writer.read { db in try Self.schedule(db) }
    }

    static func schedule(_ db: Database) throws -> Schedule {
        let versions = try ScheduleRecord.fetchAll(db, sql: "SELECT * FROM schedule ORDER BY valid_from").map(\.version)
        guard let schedule = Schedule(versions) else { throw DatabaseError(message: "the schedule has no version") }
        return schedule
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

    // MARK: Figures

    /// The ledger of the window [from, to] (`to` may be `from` − 1: an empty window, all
    /// carry) when the current minute is `nowMinute`: the settings, the schedule, the
    /// holidays and absences of the period before the window and of the window, the
    /// window's worked minutes and current corrections, and sums over the period's dates
    /// before it, read in one transaction so the figures agree. A fixed number of
    /// queries, none per day or per correction; the core applies the rules. A running
    /// entry counts up to `nowMinute`.
    public func ledger(from: LocalDate, to: LocalDate, nowMinute: Int64) throws -> Ledger {
        try writer.read { db in try Self.ledger(db, from: from, to: to, nowMinute: nowMinute) }
    }

    static func ledger(_ db: Database, from: LocalDate, to: LocalDate, nowMinute: Int64) throws -> Ledger {
        let settings = try Self.settings(db)
        let frozenThrough = try frozenSpan(db)?.last.last
        let carrySpan = Ledger.carrySpan(settings, before: from, frozenThrough: frozenThrough)
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
        let schedule = try Self.schedule(db)
        var frozen: [LocalDate: SignedDay] = [:], frozenBefore = Totals.zero
        if let frozenThrough, from <= frozenThrough {
            for day in try signedDays(db, from: from, to: to) { frozen[day.figures.date] = day }
        }
        if frozenThrough != nil { frozenBefore = try frozenTotals(db, before: from) }
        let (bookings, bookingsBefore) = try bookingSums(db, settings, from: from, to: to)
        // The window's worked minutes and the day before it (for rule 12's rest), in one query.
        var work = try Self.work(db, DateBounds(from: from.adding(days: -1), to: to), live: live)
        let previousDay = work.removeValue(forKey: from.adding(days: -1))
        return Ledger(policy: Policy(settings: settings, schedule: schedule, holidays: holidays, absences: absences),
                      start: from, work: work, corrections: corrections,
                      correctionNotes: notes, before: try carrySpan.map { try Self.sums(db, $0, live: live, schedule: schedule) } ?? .zero,
                      frozenThrough: frozenThrough, frozen: frozen, frozenBefore: frozenBefore,
                      bookings: bookings, bookingsBefore: bookingsBefore, previousDay: previousDay)
    }

    /// The sums of a span the core needs for its carry: two aggregate queries over the
    /// cache, and the dates a running entry touches taken as they are now.
    static func sums(_ db: Database, _ span: ClosedRange<LocalDate>, live: LiveWork, schedule: Schedule) throws -> SpanSums {
        let arguments: StatementArguments = [span.lowerBound, span.upperBound]
        let worked = try Int.fetchOne(db, sql: """
            SELECT COALESCE(SUM(minutes + manual), 0) FROM daily_attendance WHERE date BETWEEN ? AND ?
            """, arguments: arguments) ?? 0
        let row = try Row.fetchOne(db, sql: """
            SELECT COALESCE(SUM(c.minutes), 0), COALESCE(SUM(d.minutes + d.manual), 0)
            FROM current_correction AS c LEFT JOIN daily_attendance AS d ON d.date = c.date
            WHERE c.date BETWEEN ? AND ?
            """, arguments: arguments)!
        var sums = SpanSums(worked: worked, correctionMinutes: try row.decode(atIndex: 0), workedOnCorrected: try row.decode(atIndex: 1),
                            deduction: try deductions(db, span, schedule: schedule))
        let liveDates = live.dates.filter(span.contains)
        guard let first = liveDates.first, let last = liveDates.last else { return sums }
        let bounds = DateBounds(from: first, to: last)
        let cached = try work(db, bounds)
        let corrected = Set(try currentCorrections(db, bounds).map(\.date))
        func deduction(_ day: DayWork?) -> Int { day.map { RuleOutcome.deduction(worked: $0.worked, legalBreaks: $0.longBreaks) } ?? 0 }
        for date in liveDates {
            let change = (live.work[date]?.worked ?? 0) - (cached[date]?.worked ?? 0)
            sums.worked += change
            if corrected.contains(date) {
                sums.workedOnCorrected += change
            } else if schedule.version(on: date).workRules == .de {
                sums.deduction += deduction(live.work[date]) - deduction(cached[date])
            }
        }
        return sums
    }

    /// Rule 12's deductions summed over the dates of `span` under `"de"` without a
    /// correction: one aggregate query, the core's rule as the SQL function
    /// `rule_deduction` (registered on every connection).
    static func deductions(_ db: Database, _ span: ClosedRange<LocalDate>, schedule: Schedule) throws -> Int {
        var ranges: [String] = [], arguments: StatementArguments = [span.lowerBound, span.upperBound]
        for (index, version) in schedule.versions.enumerated() where version.workRules == .de {
            let next = index + 1 < schedule.versions.count ? schedule.versions[index + 1].validFrom : nil
            var parts: [String] = []
            if index > 0 {
                parts.append("d.date >= ?")
                arguments += [version.validFrom]
            }
            if let next {
                parts.append("d.date < ?")
                arguments += [next]
            }
            ranges.append(parts.isEmpty ? "1" : "(" + parts.joined(separator: " AND ") + ")")
        }
        guard !ranges.isEmpty else { return 0 }
        return try Int.fetchOne(db, sql: """
            SELECT COALESCE(SUM(rule_deduction(d.minutes + d.manual, d.long_breaks)), 0) FROM daily_attendance AS d
            WHERE d.date BETWEEN ? AND ? AND (\(ranges.joined(separator: " OR ")))
              AND NOT EXISTS (SELECT 1 FROM current_correction AS c WHERE c.date = d.date)
            """, arguments: arguments) ?? 0
    }

    /// `rule_deduction(worked, legal_breaks)` in SQL: `RuleOutcome.deduction`.
    static let ruleDeductionFunction = DatabaseFunction("rule_deduction", argumentCount: 2, pure: true) { values in
        RuleOutcome.deduction(worked: Int.fromDatabaseValue(values[0]) ?? 0, legalBreaks: Int.fromDatabaseValue(values[1]) ?? 0)
    }
}
