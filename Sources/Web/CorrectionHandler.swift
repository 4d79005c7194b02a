import AttendanceCore
import Foundation
import HTTPMessage
import Storage

/// `GET/POST /api/corrections`, `DELETE /api/corrections/{date}`.
enum CorrectionHandler {
    static let noteLimit = 1000

    struct Input: Decodable {
        var date: String
        var minutes: Int
        var note: String?
    }

    struct Body: Encodable {
        let record: CorrectionRecord

        enum CodingKeys: String, CodingKey { case date, minutes, note, createdAt = "created_at" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(record.date.description, forKey: .date)
            try container.encode(record.minutes, forKey: .minutes)
            try container.encode(record.note, forKey: .note)
            try container.encode(rfc3339(record.createdAt), forKey: .createdAt)
        }
    }

    static func list(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let from = try request.dateParameter(.from), to = try request.dateParameter(.to)
        if let from, let to { try Web.Input.range(from, to, maxDays: Int.max) }
        return .json(try app.database.corrections(from: from, to: to).map(Body.init))
    }

    static func post(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let input = try request.decodeJSON(Input.self)
        let record = try save(app, date: input.date, minutes: input.minutes, note: input.note ?? "")
        return .json(Body(record: record), status: 201)
    }

    /// Validates and stores a correction (API and corrections page alike): at most the
    /// length of that local day in the current zone.
    static func save(_ app: App, date text: String, minutes: Int, note: String) throws -> CorrectionRecord {
        let date = try Web.Input.date(text, field: .date)
        let dayLength = try app.zone().minutesIn(date)
        guard (0...dayLength).contains(minutes) else {
            throw ValidationError(.minutes, "minutes must be between 0 and \(dayLength) (the length of \(date)), not \(minutes)")
        }
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        try Web.Input.text(note, field: .note, limit: noteLimit)
        return try app.database.addCorrection(date, minutes: minutes, note: note, at: app.config.now())
    }

    static func delete(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        try remove(app, date: captured[0])
        return Response(status: 204)
    }

    static func remove(_ app: App, date text: String) throws {
        let date = try Web.Input.date(text, field: .date)
        guard try app.database.removeCorrection(date, at: app.config.now()) else {
            throw HTTPError(404, "no correction on \(date)")
        }
    }
}
