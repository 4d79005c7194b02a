import HTTPMessage

/// Every route in one place. A path that matches with another method is a 405;
/// a path that matches nothing is a 404. Paths match exactly, case-sensitively.
enum Router {
    typealias Handler = @Sendable (App, Request, [String]) throws -> Response

    struct Route: Sendable {
        let method: String
        /// Path segments; `*` matches any one segment, handed to the handler.
        let pattern: [Substring]
        let handler: Handler

        init(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
            self.method = method
            self.pattern = pattern.split(separator: "/", omittingEmptySubsequences: false)
            self.handler = handler
        }

        /// The wildcard segments when `segments` fits the pattern, else nil.
        func match(_ segments: [Substring]) -> [String]? {
            guard segments.count == pattern.count else { return nil }
            var captured: [String] = []
            for (want, got) in zip(pattern, segments) {
                if want == "*" {
                    guard !got.isEmpty else { return nil }
                    captured.append(String(got))
                } else if want != got {
                    return nil
                }
            }
            return captured
        }
    }

    static let routes: [Route] = [
        Route("POST", "/api/heartbeat", HeartbeatHandler.post),
        Route("GET", "/api/ping", { _, _, _ in .json(["ok": true]) }),
        Route("GET", "/api/settings", SettingsHandler.get),
        Route("POST", "/api/settings", SettingsHandler.post),
        Route("GET", "/api/schedules", ScheduleHandler.list),
        Route("POST", "/api/schedules", ScheduleHandler.post),
        Route("DELETE", "/api/schedules/*", ScheduleHandler.delete),
        Route("GET", "/api/absences", AbsenceHandler.list),
        Route("POST", "/api/absences", AbsenceHandler.post),
        Route("DELETE", "/api/absences/*", AbsenceHandler.delete),
        Route("GET", "/api/vacation", AbsenceHandler.vacation),
        Route("GET", "/api/holidays", HolidayHandler.list),
        Route("POST", "/api/holidays", HolidayHandler.post),
        Route("DELETE", "/api/holidays/*", HolidayHandler.delete),
        Route("POST", "/api/holidays/import", HolidayHandler.importCalendar),
        Route("GET", "/api/corrections", CorrectionHandler.list),
        Route("POST", "/api/corrections", CorrectionHandler.post),
        Route("DELETE", "/api/corrections/*", CorrectionHandler.delete),
        Route("GET", "/api/days", FiguresHandler.days),
        Route("GET", "/api/days/*", FiguresHandler.day),
        Route("GET", "/api/balance", FiguresHandler.balance),
        Route("GET", "/api/summary", FiguresHandler.summary),
        // Pages
        Route("GET", "/", { _, _, _ in .seeOther("/dashboard") }),
        Route("GET", "/dashboard", DashboardPage.get),
        Route("GET", "/days/*", DayPage.get),
        Route("GET", "/report", ReportPage.get),
        Route("GET", "/export/days.csv", ExportCSV.get),
        Route("GET", "/absences", AbsencesPage.get),
        Route("POST", "/absences", AbsencesPage.post),
        Route("POST", "/absences/delete", AbsencesPage.remove),
        Route("GET", "/settings", SettingsPage.get),
        Route("POST", "/settings", SettingsPage.post),
        Route("POST", "/settings/schedule/today", SettingsPage.postSimple),
        Route("POST", "/settings/schedule", SettingsPage.addVersion),
        Route("POST", "/settings/schedule/delete", SettingsPage.removeVersion),
        Route("POST", "/settings/holidays", SettingsPage.addHoliday),
        Route("POST", "/settings/holidays/delete", SettingsPage.removeHoliday),
        Route("POST", "/settings/holidays/import", SettingsPage.importHolidays),
        Route("GET", "/corrections", CorrectionsPage.get),
        Route("POST", "/corrections", CorrectionsPage.post),
        Route("POST", "/corrections/delete", CorrectionsPage.remove),
    ]

    static func route(_ request: Request, in app: App) throws -> Response {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false)
        var allowed: [String] = []
        for route in routes {
            guard let captured = route.match(segments) else { continue }
            if route.method == request.method || (route.method == "GET" && request.method == "HEAD") {
                return try route.handler(app, request, captured)
            }
            allowed.append(route.method)
        }
        guard allowed.isEmpty else {
            throw HTTPError(405, "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: ", "))",
                            headers: ["Allow": allowed.joined(separator: ", ")])
        }
        throw HTTPError(404, "no such path: \(request.path)")
    }
}
