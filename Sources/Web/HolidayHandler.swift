import AttendanceCore
import HTTPMessage

/// `GET/POST /api/holidays`, `DELETE /api/holidays/{date}`, `POST /api/holidays/import`.
enum HolidayHandler {
    struct Body: Codable {
        var date: String
        var name: String
    }

    static func list(_ context: RequestContext) throws -> Response {
        let from = try context.request.dateParameter(.from), to = try context.request.dateParameter(.to)
        if let from, let to { try Input.range(from, to, maxDays: Int.max) }
        return .json(try context.database.holidays(from: from, to: to).map { Body(date: $0.date.description, name: $0.name) })
    }

    /// 201 for a new date, 200 when it renames an existing one.
    static func post(_ context: RequestContext) throws -> Response {
        let body = try context.request.decodeJSON(Body.self)
        let saved = try Holidays.save(context, date: body.date, name: body.name)
        return .json(Body(date: saved.date.description, name: saved.name), status: saved.created ? 201 : 200)
    }

    /// The all-day events of an iCalendar file become holidays, in one transaction; what
    /// cannot be read is listed in `skipped`.
    static func importCalendar(_ context: RequestContext) throws -> Response {
        .json(try Holidays.importCalendar(context, bytes: context.request.body))
    }

    static func delete(_ context: RequestContext) throws -> Response {
        try Holidays.remove(context, date: try context.parameters.require("date", as: LocalDate.self))
        return Response(status: 204)
    }
}
