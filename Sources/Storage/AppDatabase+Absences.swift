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
}
