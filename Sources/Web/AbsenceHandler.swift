import AttendanceCore
import HTTPMessage
import Storage

/// `GET/POST /api/absences`, `DELETE /api/absences/{date}`, `GET /api/vacation` (SPEC §2
/// rules 5a and 7a).
enum AbsenceHandler {
    static let maxDays = 366
    static let noteLimit = 1000

    /// An absence in `/api/days`: its kind and whether it is a half day.
    struct Kind: Encodable {
        let kind: String
        let halfDay: Bool

        enum CodingKeys: String, CodingKey { case kind, halfDay = "half_day" }

        init(_ absence: Absence) {
            kind = absence.kind.rawValue
            halfDay = absence.halfDay
        }
    }

    struct Body: Encodable {
        let date: String, kind: String, halfDay: Bool, note: String

        enum CodingKeys: String, CodingKey { case date, kind, halfDay = "half_day", note }

        init(_ absence: Absence) {
            date = absence.date.description
            kind = absence.kind.rawValue
            halfDay = absence.halfDay
            note = absence.note
        }
    }

    struct Booking: Decodable {
        var from: String
        var to: String?
        var kind: String
        var halfDay: Bool?
        var note: String?

        enum CodingKeys: String, CodingKey { case from, to, kind, halfDay = "half_day", note }
    }

    struct Booked: Encodable {
        let booked: [String], skipped: [String]
    }

    static func list(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let from = try request.dateParameter(.from), to = try request.dateParameter(.to)
        if let from, let to { try Input.range(from, to, maxDays: Int.max) }
        return .json(try app.database.absences(from: from, to: to).map(Body.init))
    }

    static func post(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let booking = try request.decodeJSON(Booking.self)
        return .json(try book(app, booking), status: 201)
    }

    /// Validates and books (API and absences page alike): every date of the range that
    /// expects something, replacing an absence there; the others are skipped. A 422 when
    /// no date can be booked, and then nothing is stored.
    static func book(_ app: App, _ booking: Booking) throws -> Booked {
        let from = try Input.date(booking.from, field: .from)
        let to = try booking.to.map { $0.isEmpty ? from : try Input.date($0, field: .to) } ?? from
        try Input.range(from, to, maxDays: maxDays)
        guard let kind = AbsenceKind(rawValue: booking.kind) else {
            throw ValidationError(.kind, "kind \"\(booking.kind)\" is not one of \(AbsenceKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let note = booking.note?.trimmingWhitespace ?? ""
        try Input.text(note, field: .note, limit: noteLimit)
        return try app.database.bookAbsences(from: from, to: to) { policy in
            let (booked, skipped) = policy.booking(from: from, to: to)
            guard !booked.isEmpty else {
                throw ValidationError(.from, from == to
                    ? "\(from) expects no working time (a day off, a holiday or outside the period): there is nothing to book"
                    : "no date from \(from) to \(to) expects working time (days off, holidays or outside the period): there is nothing to book")
            }
            let absences = booked.map { Absence(date: $0, kind: kind, halfDay: booking.halfDay ?? false, note: note) }
            return (absences, Booked(booked: booked.map(\.description), skipped: skipped.map(\.description)))
        }
    }

    static func delete(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        try remove(app, date: captured[0])
        return Response(status: 204)
    }

    static func remove(_ app: App, date text: String) throws {
        let date = try Input.date(text, field: .date)
        guard try app.database.deleteAbsence(date) else { throw HTTPError(404, "no absence on \(date)") }
    }

    // MARK: Vacation

    struct VacationBody: Encodable {
        let count: VacationCount

        enum CodingKeys: String, CodingKey { case year, allowance, taken, planned, remaining }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(count.year, forKey: .year)
            try container.encode(Days(halves: count.allowanceHalves), forKey: .allowance)
            try container.encode(Days(halves: count.takenHalves), forKey: .taken)
            try container.encode(Days(halves: count.plannedHalves), forKey: .planned)
            try container.encode(Days(halves: count.remainingHalves), forKey: .remaining)
        }
    }

    /// Days counted in halves, as JSON: an integer when whole (`12`), else `.5` (`12.5`).
    struct Days: Encodable {
        let halves: Int

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if halves % 2 == 0 { try container.encode(halves / 2) } else { try container.encode(Double(halves) / 2) }
        }
    }

    static func vacation(_ app: App, _ request: Request, _: [String]) throws -> Response {
        .json(VacationBody(count: try vacationCount(app, year: request.queryItems["year"])))
    }

    /// Rule 7a for `year` (this year when nil).
    static func vacationCount(_ app: App, year text: String?) throws -> VacationCount {
        let settings = try app.database.settings()
        let today = app.today(in: settings.timezone)
        return try vacationCount(app, settings: settings, year: Input.year(text, current: today.year), asOf: today)
    }

    /// Rule 7a for `year`, with `asOf` standing for today: the one place a count is made
    /// (the API, the absences page, the dashboard's card, the timesheet).
    static func vacationCount(_ app: App, settings: Settings, year: Int, asOf: LocalDate) throws -> VacationCount {
        let absences = try app.database.absences(from: LocalDate(year: year, month: 1, day: 1), to: LocalDate(year: year, month: 12, day: 31))
        return VacationCount(year: year, allowanceHalves: settings.vacationHalfDaysPerYear, absences: absences, today: asOf)
    }
}
