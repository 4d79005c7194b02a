import AttendanceCore
import HTTPMessage
import Storage

/// Adding and removing dated versions of the schedule (rule 5), for the API and the forms.
enum Schedules {
    /// Validates and stores a version; true when it was new.
    static func save(_ context: RequestContext, validFrom text: String, minutes: [String: Int],
                     workRules rulesText: String) throws -> (ScheduleVersion, Bool) {
        guard let rules = WorkRules(rawValue: rulesText) else {
            throw ValidationError(.workRules, "work_rules \"\(rulesText)\" is not one of \(WorkRules.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let version = ScheduleVersion(validFrom: try Input.date(text, field: .validFrom), minutes: try Input.week(minutes, field: .minutes),
                                      workRules: rules)
        return (version, try context.apply(SaveScheduleVersion(version)))
    }

    static func remove(_ context: RequestContext, validFrom text: String) throws {
        try remove(context, validFrom: try Input.date(text, field: .validFrom))
    }

    static func remove(_ context: RequestContext, validFrom date: LocalDate) throws {
        switch try context.apply(RemoveScheduleVersion(date)) {
        case .removed: return
        case .notFound: throw HTTPError(404, "no schedule version from \(date)")
        }
    }
}
