import AttendanceCore
import GRDB

extension AppDatabase {
    // MARK: Absences

    /// Absences by date in [from, to] (an end left nil is open).
    public func absences(from: LocalDate? = nil, to: LocalDate? = nil) throws -> [Absence] {
        try writer.read { db in try Self.absences(db, DateBounds(from: from, to: to)) }
    }

    static func absences(_ db: Database, _ bounds: DateBounds) throws -> [Absence] {
        let condition = bounds.condition("date")
        return try AbsenceRecord.fetchAll(db, sql: "SELECT * FROM absence WHERE \(condition.sql) ORDER BY date",
                                          arguments: condition.arguments).map(\.absence)
    }

    /// Books absences in one transaction: `choose` sees the policy of [from, to] as stored
    /// at that moment (rule 5a: only dates that expect something can be booked) and
    /// returns the absences to store, each replacing one already on its date. A `choose`
    /// that throws stores nothing.
    public func bookAbsences<Result>(from: LocalDate, to: LocalDate,
                                     _ choose: (Policy) throws -> (absences: [Absence], result: Result)) throws -> Result {
        try writer.write { db in
            var holidays: [LocalDate: String] = [:]
            for holiday in try Self.holidays(db, DateBounds(from: from, to: to)) { holidays[holiday.date] = holiday.name }
            let policy = Policy(settings: try Self.settings(db), schedule: try Self.schedule(db), holidays: holidays)
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
    public func deleteAbsence(_ date: LocalDate) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM absence WHERE date = ?", arguments: [date])
            return db.changesCount > 0
        }
    }
}
