import AttendanceCore
import GRDB

/// Dates are stored as `YYYY-MM-DD` text; a stored text that is no real date fails the
/// read with an error instead of being dropped.
extension LocalDate: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> LocalDate? {
        String.fromDatabaseValue(dbValue).flatMap(LocalDate.init)
    }
}

/// A span of dates with optional ends: nil leaves that side open.
struct DateBounds {
    var from: LocalDate?
    var to: LocalDate?

    static let all = DateBounds()

    init(from: LocalDate? = nil, to: LocalDate? = nil) {
        self.from = from
        self.to = to
    }

    init(_ span: ClosedRange<LocalDate>) { self.init(from: span.lowerBound, to: span.upperBound) }

    /// A `WHERE` condition on `column` and its arguments.
    func condition(_ column: String) -> (sql: String, arguments: StatementArguments) {
        var clauses: [String] = [], arguments = StatementArguments()
        if let from {
            clauses.append("\(column) >= ?")
            arguments += [from]
        }
        if let to {
            clauses.append("\(column) <= ?")
            arguments += [to]
        }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), arguments)
    }
}

/// The settings row.
struct SettingsRecord: FetchableRecord {
    var settings: Settings

    init(row: Row) throws {
        settings = Settings(
            periodStart: try row.decode(forColumn: "period_start"), periodEnd: try row.decode(forColumn: "period_end"),
            timezone: Zone.resolving(try row.decode(forColumn: "timezone")),
            openingBalanceMinutes: try row.decode(forColumn: "opening_balance_minutes"),
            vacationHalfDaysPerYear: try row.decode(forColumn: "vacation_half_days"),
            workingDays: Settings.workingDays(bits: try row.decode(forColumn: "working_days")),
            dailyRequiredMinutes: try row.decode(forColumn: "daily_required_minutes"),
            saved: try row.decode(forColumn: "saved"), name: try row.decode(forColumn: "name"))
    }
}

/// A row of `schedule`.
struct ScheduleRecord: FetchableRecord {
    var version: ScheduleVersion

    init(row: Row) throws {
        var minutes = WeekMinutes { _ in 0 }
        for day in Weekday.allCases { minutes[day] = try row.decode(forColumn: day.rawValue) }
        version = ScheduleVersion(validFrom: try row.decode(forColumn: "valid_from"), minutes: minutes,
                                  workRules: WorkRules(rawValue: try row.decode(forColumn: "work_rules")) ?? .none)
    }
}

/// A correction as stored: `minutes` nil records a removal.
public struct CorrectionRecord: Sendable, Equatable, FetchableRecord {
    public var date: LocalDate
    public var minutes: Int?
    public var note: String
    /// Seconds since the epoch.
    public var createdAt: Int64

    public init(date: LocalDate, minutes: Int?, note: String, createdAt: Int64) {
        self.date = date
        self.minutes = minutes
        self.note = note
        self.createdAt = createdAt
    }

    public init(row: Row) throws {
        self.init(date: try row.decode(forColumn: "date"), minutes: try row.decode(forColumn: "minutes"),
                  note: try row.decode(forColumn: "note"), createdAt: try row.decode(forColumn: "created_at"))
    }
}

/// A holiday as stored.
public struct HolidayRecord: Sendable, Equatable, FetchableRecord {
    public var date: LocalDate
    public var name: String

    public init(row: Row) throws {
        date = try row.decode(forColumn: "date")
        name = try row.decode(forColumn: "name")
    }
}

/// An absence as stored.
struct AbsenceRecord: FetchableRecord {
    var absence: Absence

    init(row: Row) throws {
        let kindName: String = try row.decode(forColumn: "kind")
        guard let kind = AbsenceKind(rawValue: kindName) else {
            throw DatabaseError(message: "unknown absence kind \(kindName)")
        }
        absence = Absence(date: try row.decode(forColumn: "date"), kind: kind, halfDay: try row.decode(forColumn: "half_day"),
                          note: try row.decode(forColumn: "note"))
    }
}
