import Foundation
import AttendanceCore
import HTTPMessage

/// `GET/POST /api/holidays`, `DELETE /api/holidays/{date}`.
enum HolidayHandler {
    static let nameLimit = 200

    struct Body: Codable {
        var date: String
        var name: String
    }

    static func list(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let from = try request.dateParameter("from"), to = try request.dateParameter("to")
        if let from, let to { _ = try Input.range(from, to, maxDays: Int.max) }
        return .json(try app.database.holidays(from: from, to: to).map { Body(date: $0.date.description, name: $0.name) })
    }

    /// 201 for a new date, 200 when it renames an existing one.
    static func post(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let body = try request.decodeJSON(Body.self)
        let date = try Input.date(body.date, field: "date")
        let name = try validName(body.name)
        let created = try app.database.setHoliday(date, name: name)
        return .json(Body(date: date.description, name: name), status: created ? 201 : 200)
    }

    static func delete(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        let date = try Input.date(captured[0], field: "date")
        guard try app.database.deleteHoliday(date) else { throw HTTPError(404, "no holiday on \(date)") }
        return Response(status: 204)
    }

    static func validName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw HTTPError(422, "name must not be empty") }
        try Input.text(trimmed, field: "name", limit: nameLimit)
        return trimmed
    }
}
