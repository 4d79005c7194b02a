import AttendanceCore
import HTTPMessage
import Storage

/// `GET/POST /api/schedules`, `DELETE /api/schedules/{date}`: the dated versions of the
/// schedule (SPEC §2 rule 5).
enum ScheduleHandler {
    struct Body: Codable {
        var validFrom: String
        var minutes: [String: Int]

        enum CodingKeys: String, CodingKey { case validFrom = "valid_from", minutes }

        init(_ version: ScheduleVersion) {
            validFrom = version.validFrom.description
            minutes = Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0.rawValue, version.minutes[$0]) })
        }
    }

    static func list(_ app: App, _: Request, _: [String]) throws -> Response {
        .json(try app.database.schedule().versions.map(Body.init))
    }

    /// 201 for a new date, 200 when it replaces the version of that date.
    static func post(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let body = try request.decodeJSON(Body.self)
        let (version, created) = try save(app, validFrom: body.validFrom, minutes: body.minutes)
        return .json(Body(version), status: created ? 201 : 200)
    }

    /// Validates and stores a version (API and settings page alike); true when it was new.
    static func save(_ app: App, validFrom text: String, minutes: [String: Int]) throws -> (ScheduleVersion, Bool) {
        let version = ScheduleVersion(validFrom: try Input.date(text, field: .validFrom), minutes: try Input.week(minutes, field: .minutes))
        return (version, try app.database.saveScheduleVersion(version))
    }

    static func delete(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        try remove(app, validFrom: captured[0])
        return Response(status: 204)
    }

    static func remove(_ app: App, validFrom text: String) throws {
        let date = try Input.date(text, field: .validFrom)
        switch try app.database.removeScheduleVersion(date) {
        case .removed: return
        case .notFound: throw HTTPError(404, "no schedule version from \(date)")
        case .onlyVersion:
            throw HTTPError(409, "the version from \(date) is the only one; the schedule always keeps one (change its hours instead)")
        }
    }
}
