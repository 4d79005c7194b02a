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
        let from = try request.dateParameter(.from), to = try request.dateParameter(.to)
        if let from, let to { try Input.range(from, to, maxDays: Int.max) }
        return .json(try app.database.holidays(from: from, to: to).map { Body(date: $0.date.description, name: $0.name) })
    }

    /// 201 for a new date, 200 when it renames an existing one.
    static func post(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let body = try request.decodeJSON(Body.self)
        let (saved, created) = try save(app, date: body.date, name: body.name)
        return .json(saved, status: created ? 201 : 200)
    }

    /// Validates and stores a holiday (API and settings page alike); true when it was new.
    static func save(_ app: App, date text: String, name: String) throws -> (Body, Bool) {
        let date = try Input.date(text, field: .date)
        let name = try validName(name)
        let created = try app.database.setHoliday(date, name: name)
        return (Body(date: date.description, name: name), created)
    }

    struct Imported: Encodable {
        struct Skipped: Encodable { let summary: String, why: String }
        let added: Int, renamed: Int
        let skipped: [Skipped]
    }

    /// `POST /api/holidays/import`: the all-day events of an iCalendar file become
    /// holidays, in one transaction; what cannot be read is listed in `skipped`.
    static func importCalendar(_ app: App, _ request: Request, _: [String]) throws -> Response {
        .json(try importCalendar(app, bytes: request.body))
    }

    /// The import (API and settings page alike): 422 for a body that is not an
    /// iCalendar file, and then nothing is stored.
    static func importCalendar(_ app: App, bytes: [UInt8]) throws -> Imported {
        guard let text = String(validating: bytes, as: UTF8.self),
              let entries = HolidayCalendar.entries(text) else {
            throw ValidationError(.calendar, "this is not an iCalendar file: it must be UTF-8 text that begins with BEGIN:VCALENDAR")
        }
        var holidays: [(date: LocalDate, name: String)] = [], skipped: [Imported.Skipped] = []
        for entry in entries {
            switch entry {
            case let .holiday(date, name):
                do {
                    holidays.append((date, try validName(name)))
                } catch let error as ValidationError {
                    skipped.append(.init(summary: name, why: error.message))
                }
            case let .skipped(summary, why):
                skipped.append(.init(summary: summary, why: why))
            }
        }
        let counts = try app.database.importHolidays(holidays)
        return Imported(added: counts.added, renamed: counts.renamed, skipped: skipped)
    }

    static func delete(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        try remove(app, date: captured[0])
        return Response(status: 204)
    }

    static func remove(_ app: App, date text: String) throws {
        let date = try Input.date(text, field: .date)
        guard try app.database.deleteHoliday(date) else { throw HTTPError(404, "no holiday on \(date)") }
    }

    static func validName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ValidationError(.name, "name must not be empty") }
        try Input.text(trimmed, field: .name, limit: nameLimit)
        return trimmed
    }
}
