import AttendanceCore
import HTTPMessage

/// `GET/POST /api/entries`, `POST /api/entries/{id}/stop`, `DELETE /api/entries/{id}`:
/// time entries (SPEC §2 rule 1a).
enum EntryHandler {
    struct Input: Decodable {
        var start: String
        var end: String?
        var note: String?
    }

    struct Stop: Decodable {
        var end: String?
    }

    static func body(_ context: RequestContext, _ entry: TimeEntry) throws -> String {
        var out = ""
        FiguresJSON.entryJSON(entry, zone: try context.zone(), nowMinute: context.nowMinute, into: &out)
        return out
    }

    /// The entries covering any minute of the dates [from, to], by start.
    static func list(_ context: RequestContext) throws -> Response {
        let (from, to) = try context.request.requiredRange(maxDays: FiguresHandler.maxDays)
        let zone = try context.zone()
        var out = "["
        for (index, entry) in try context.database.entries(from: from, to: to, nowMinute: context.nowMinute).enumerated() {
            if index > 0 { out += "," }
            FiguresJSON.entryJSON(entry, zone: zone, nowMinute: context.nowMinute, into: &out)
        }
        return .jsonText(out + "]")
    }

    static func post(_ context: RequestContext) throws -> Response {
        let input = try context.request.decodeJSON(Input.self)
        let entry = try Entries.add(context, start: input.start, end: input.end, note: input.note)
        return .jsonText(try body(context, entry), status: 201)
    }

    /// `{"end"?}`; an empty body stops it now.
    static func stop(_ context: RequestContext) throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let isEmpty = context.request.body.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let end = try isEmpty ? nil : context.request.decodeJSON(Stop.self).end
        let entry = try Entries.stop(context, id: id, end: try end.map { try Entries.minute($0, field: .end, now: context.now) })
        return .jsonText(try body(context, entry))
    }

    static func delete(_ context: RequestContext) throws -> Response {
        try Entries.remove(context, id: try context.parameters.require("id", as: Int64.self))
        return Response(status: 204)
    }
}
