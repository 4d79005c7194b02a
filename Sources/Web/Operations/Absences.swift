import AttendanceCore
import HTTPMessage
import Storage

/// Booking and removing absences (rule 5a) and counting vacation (rule 7a), for the API,
/// the forms, the dashboard and the timesheet.
enum Absences {
    static let maxDays = 366
    static let noteLimit = 1000

    /// A booking as asked for.
    struct Booking {
        var from: String
        var to: String?
        var kind: String
        var halfDay: Bool?
        var note: String?
    }

    struct Booked: Encodable {
        let booked: [String], skipped: [String]
    }

    /// Validates and books every date of the range that expects something, replacing an
    /// absence there; the others are skipped. A 422 when no date can be booked, and then
    /// nothing is stored.
    static func book(_ context: RequestContext, _ booking: Booking) throws -> Booked {
        let from = try Input.date(booking.from, field: .from)
        let to = try booking.to.map { $0.isEmpty ? from : try Input.date($0, field: .to) } ?? from
        try Input.range(from, to, maxDays: maxDays)
        guard let kind = AbsenceKind(rawValue: booking.kind) else {
            throw ValidationError(.kind, "kind \"\(booking.kind)\" is not one of \(AbsenceKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let note = booking.note?.trimmingWhitespace ?? ""
        try Input.text(note, field: .note, limit: noteLimit)
        return try context.apply(BookAbsences(from: from, to: to) { policy in
            let (booked, skipped) = policy.booking(from: from, to: to)
            guard !booked.isEmpty else {
                throw ValidationError(.from, from == to
                    ? "\(from) expects no working time (a day off, a holiday or outside the period): there is nothing to book"
                    : "no date from \(from) to \(to) expects working time (days off, holidays or outside the period): there is nothing to book")
            }
            let absences = booked.map { Absence(date: $0, kind: kind, halfDay: booking.halfDay ?? false, note: note) }
            return (absences, Booked(booked: booked.map(\.description), skipped: skipped.map(\.description)))
        })
    }

    static func remove(_ context: RequestContext, date text: String) throws {
        try remove(context, date: try Input.date(text, field: .date))
    }

    static func remove(_ context: RequestContext, date: LocalDate) throws {
        guard try context.apply(RemoveAbsence(date)) else { throw HTTPError(404, "no absence on \(date)") }
    }

    /// Rule 7a for `year` (this year when nil), as of today.
    static func vacationCount(_ context: RequestContext, year text: String?) throws -> VacationCount {
        let today = try context.today()
        return try vacationCount(context, year: Input.year(text, current: today.year), asOf: today)
    }

    /// Rule 7a for `year`, with `asOf` standing for today: the one place a count is made.
    static func vacationCount(_ context: RequestContext, year: Int, asOf: LocalDate) throws -> VacationCount {
        let absences = try context.database.absences(from: LocalDate(year: year, month: 1, day: 1), to: LocalDate(year: year, month: 12, day: 31))
        return VacationCount(year: year, allowanceHalves: try context.settings().vacationHalfDaysPerYear, absences: absences, today: asOf)
    }
}
