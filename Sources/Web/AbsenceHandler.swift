import AttendanceCore
import HTTPMessage
import Storage

/// `GET/POST /api/absences`, `DELETE /api/absences/{date}`, `GET /api/vacation` (SPEC §2
/// rules 5a and 7a).
enum AbsenceHandler {
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

    static func list(_ context: RequestContext) throws -> Response {
        let from = try context.request.dateParameter(.from), to = try context.request.dateParameter(.to)
        if let from, let to { try Input.range(from, to, maxDays: Int.max) }
        return .json(try context.database.absences(from: from, to: to).map(Body.init))
    }

    static func post(_ context: RequestContext) throws -> Response {
        let booking = try context.request.decodeJSON(Booking.self)
        return .json(try Absences.book(context, .init(from: booking.from, to: booking.to, kind: booking.kind,
                                                      halfDay: booking.halfDay, note: booking.note)), status: 201)
    }

    static func delete(_ context: RequestContext) throws -> Response {
        try Absences.remove(context, date: try context.parameters.require("date", as: LocalDate.self))
        return Response(status: 204)
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

    static func vacation(_ context: RequestContext) throws -> Response {
        .json(VacationBody(count: try Absences.vacationCount(context, year: context.request.queryItems["year"])))
    }
}
