import AttendanceCore
import HTTPMessage
import JSONText
import Storage

/// `GET/POST /api/bookings`, `DELETE /api/bookings/{id}` (rule 7b).
enum BookingHandler {
    struct Input: Decodable {
        var date: String
        var kind: String
        var minutes: Int
        var note: String?
    }

    static func list(_ context: RequestContext) throws -> Response {
        let from = try context.request.dateParameter(.from), to = try context.request.dateParameter(.to)
        if let from, let to { try Web.Input.range(from, to, maxDays: Int.max) }
        return .jsonText("[" + (try context.database.bookings(from: from, to: to)).map(\.json).joined(separator: ",") + "]")
    }

    static func post(_ context: RequestContext) throws -> Response {
        let input = try context.request.decodeJSON(Input.self)
        let booking = try Bookings.add(context, date: input.date, kind: input.kind, minutes: input.minutes, note: input.note ?? "")
        return .jsonText(booking.json, status: 201)
    }

    static func delete(_ context: RequestContext) throws -> Response {
        try Bookings.remove(context, id: try context.parameters.require("id", as: Int64.self))
        return Response(status: 204)
    }
}

/// `GET /api/months`, `GET /api/months/{month}`, `POST …/sign`, `POST …/unsign` (rule 11).
enum MonthHandler {
    struct Unsign: Decodable {
        var reason: String
    }

    /// A month's row: `{"digest","late_minutes","month","signed","signed_at"}`.
    static func row(_ state: MonthState) -> String {
        #"{"digest":\#(state.digest.map(JSONText.quoted) ?? "null"),"late_minutes":\#(state.lateMinutes),"#
            + #""month":"\#(state.month)","signed":\#(state.signed),"signed_at":\#(state.signedAt.map { "\"" + rfc3339($0) + "\"" } ?? "null")"#
    }

    static func list(_ context: RequestContext) throws -> Response {
        let year = try Input.year(context.request.queryItems["year"], current: try context.today().year)
        let states = try context.database.monthStates(try Months.ended(context, year: year))
        return .jsonText("[" + states.map { row($0) + "}" }.joined(separator: ",") + "]")
    }

    /// The row, `previous_digest`, `snapshot` (the stored canonical text itself, so its
    /// bytes are the ones the digest was made of) and `history`.
    static func detail(_ context: RequestContext, _ month: Month, status: Int = 200) throws -> Response {
        let (state, snapshot, history) = try context.database.monthDetail(month)
        var out = row(state)
        out += #","previous_digest":\#(state.previousDigest.map(JSONText.quoted) ?? "null"),"snapshot":\#(snapshot ?? "null"),"history":["#
        out += history.map { event in
            #"{"at":"\#(rfc3339(event.at))","digest":"\#(event.digest)","event":"\#(event.event)","reason":\#(event.reason.map(JSONText.quoted) ?? "null")}"#
        }.joined(separator: ",")
        return .jsonText(out + "]}", status: status)
    }

    static func get(_ context: RequestContext) throws -> Response {
        try detail(context, try context.parameters.require("month", as: Month.self))
    }

    static func sign(_ context: RequestContext) throws -> Response {
        let month = try context.parameters.require("month", as: Month.self)
        _ = try Months.sign(context, month)
        return try detail(context, month, status: 201)
    }

    static func unsign(_ context: RequestContext) throws -> Response {
        let month = try context.parameters.require("month", as: Month.self)
        let input = try context.request.decodeJSON(Unsign.self)
        _ = try Months.unsign(context, month, reason: input.reason)
        return try detail(context, month)
    }
}
