import AttendanceCore
import HTTPMessage
import Storage

/// `GET/POST /api/schedules`, `DELETE /api/schedules/{date}`: the dated versions of the
/// schedule (SPEC §2 rule 5).
enum ScheduleHandler {
    struct Body: Codable {
        var validFrom: String
        var minutes: [String: Int]
        /// Rule 12; `"none"` when left out.
        var workRules: String?

        enum CodingKeys: String, CodingKey { case validFrom = "valid_from", minutes, workRules = "work_rules" }

        init(_ version: ScheduleVersion) {
            validFrom = version.validFrom.description
            minutes = Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0.rawValue, version.minutes[$0]) })
            workRules = version.workRules.rawValue
        }
    }

    static func list(_ context: RequestContext) throws -> Response {
        .json(try context.database.schedule().versions.map(Body.init))
    }

    /// 201 for a new date, 200 when it replaces the version of that date.
    static func post(_ context: RequestContext) throws -> Response {
        let body = try context.request.decodeJSON(Body.self)
        let (version, created) = try Schedules.save(context, validFrom: body.validFrom, minutes: body.minutes,
                                                    workRules: body.workRules ?? WorkRules.none.rawValue)
        return .json(Body(version), status: created ? 201 : 200)
    }

    static func delete(_ context: RequestContext) throws -> Response {
        try Schedules.remove(context, validFrom: try context.parameters.require("date"))
        return Response(status: 204)
    }
}
