import AttendanceCore
import HTTPMessage
import Storage

/// `GET/POST /api/corrections`, `DELETE /api/corrections/{date}`.
enum CorrectionHandler {
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

    static func list(_ context: RequestContext) throws -> Response {
        let from = try context.request.dateParameter(.from), to = try context.request.dateParameter(.to)
        if let from, let to { try Web.Input.range(from, to, maxDays: Int.max) }
        return .json(try context.database.corrections(from: from, to: to).map(Body.init))
    }

    static func post(_ context: RequestContext) throws -> Response {
        let input = try context.request.decodeJSON(Input.self)
        let record = try Corrections.save(context, date: input.date, minutes: input.minutes, note: input.note ?? "")
        return .json(Body(record: record), status: 201)
    }

    static func delete(_ context: RequestContext) throws -> Response {
        try Corrections.remove(context, date: try context.parameters.require("date", as: LocalDate.self))
        return Response(status: 204)
    }
}
