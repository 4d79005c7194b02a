import AttendanceCore
import HTTPMessage
import Storage

/// Booking payouts and adjustments on the time account (rule 7b), for the API and the
/// settings page: one set of checks, one message each.
enum Bookings {
    /// Validates and stores a booking; 422 for a kind, sign, size or note out of bounds
    /// or a date outside the period, 409 on a frozen date.
    static func add(_ context: RequestContext, date text: String, kind kindText: String, minutes: Int, note: String) throws -> Booking {
        let date = try Input.date(text, field: .date)
        guard let kind = BookingKind(rawValue: kindText) else {
            throw ValidationError(.kind, "kind \"\(kindText)\" is not one of \(BookingKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let problem = Booking.problem(kind: kind, minutes: minutes) { throw ValidationError(.minutes, problem) }
        let note = note.trimmingWhitespace
        guard !note.isEmpty else { throw ValidationError(.note, "note is required: say why the balance changes (1 to \(Booking.noteLimit) characters)") }
        try Input.text(note, field: .note, limit: Booking.noteLimit)
        return try context.apply(AddBooking(date: date, kind: kind, minutes: minutes, note: note))
    }

    /// Removes a booking (kept in history); 404 when there is none.
    static func remove(_ context: RequestContext, id: Int64) throws {
        guard try context.apply(RemoveBooking(id)) else { throw HTTPError(404, "no booking \(id)") }
    }
}

/// Signing and unsigning months (rule 11), for the API and the report.
enum Months {
    static let reasonLimit = 500
    static let reasonMinimum = 10

    static func month(_ text: String) throws -> Month {
        guard let month = Month(text) else { throw ValidationError(.month, "month \"\(text)\" is not a month in the form YYYY-MM") }
        return month
    }

    static func sign(_ context: RequestContext, _ month: Month) throws -> MonthState {
        try context.apply(SignMonth(month, nowMinute: context.nowMinute))
    }

    static func unsign(_ context: RequestContext, _ month: Month, reason: String) throws -> MonthState {
        let reason = reason.trimmingWhitespace
        let length = reason.unicodeScalars.count
        guard (reasonMinimum...reasonLimit).contains(length) else {
            throw ValidationError(.reason, "reason must be \(reasonMinimum) to \(reasonLimit) characters: say why the signed month is reopened (\(length) given)")
        }
        try Input.text(reason, field: .reason, limit: reasonLimit)
        return try context.apply(UnsignMonth(month, reason: reason))
    }

    /// The period's months of `year` that have ended by today.
    static func ended(_ context: RequestContext, year: Int) throws -> [Month] {
        let settings = try context.settings(), today = try context.today()
        return (1...12).compactMap { Month(year: year, month: $0) }.filter { month in
            month.last < today && month.last >= settings.periodStart && (settings.periodEnd.map { month.first <= $0 } ?? true)
        }
    }
}

extension Month: PathParameter {
    init(pathSegment text: String, name: String) throws { self = try Months.month(text) }
}
