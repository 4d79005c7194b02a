import HTTPMessage

/// Every route in one place, each with its attributes beside its path: who may call it
/// and whether it is answered at once on the accepting thread. A path that matches with
/// another method is a 405; a path that matches nothing is a 404. Paths match exactly,
/// case-sensitively; a `{name}` segment matches any one non-empty segment and reaches
/// the handler as `context.parameters.require("name")`.
enum Router {
    typealias Handler = @Sendable (RequestContext) throws -> Response

    /// Who may call a route.
    enum Access: Sendable {
        /// The heartbeat: its bearer token decides (nginx checks it; the responder too when
        /// it knows it), never a login.
        case token
        /// Pages and the API: served beyond loopback only to someone the web server logged in.
        case login
    }

    struct Route: Sendable {
        let method: String
        let pattern: [Substring]
        let access: Access
        /// Answered on the accepting thread, never queued behind pages.
        let urgent: Bool
        /// Its body may be up to `App.largeBodyLimit` (an import) instead of 2 MiB, and is
        /// kept in a spool file (`Request.upload`), never in memory.
        let largeBody: Bool
        let handler: Handler

        init(_ method: String, _ pattern: String, access: Access = .login, urgent: Bool = false, largeBody: Bool = false,
             _ handler: @escaping Handler) {
            self.method = method
            self.pattern = pattern.split(separator: "/", omittingEmptySubsequences: false)
            self.access = access
            self.urgent = urgent
            self.largeBody = largeBody
            self.handler = handler
        }

        /// The parameters when `segments` fits the pattern, else nil.
        func match(_ segments: [Substring]) -> [String: String]? {
            guard segments.count == pattern.count else { return nil }
            var captured: [String: String] = [:]
            for (want, got) in zip(pattern, segments) {
                if want.first == "{" && want.last == "}" {
                    guard !got.isEmpty else { return nil }
                    captured[String(want.dropFirst().dropLast())] = String(got)
                } else if want != got {
                    return nil
                }
            }
            return captured
        }
    }

    static let routes: [Route] = [
        Route("POST", "/api/heartbeat", access: .token, urgent: true, HeartbeatHandler.post),
        Route("GET", "/api/ping", urgent: true, { _ in .json(["ok": true]) }),
        Route("GET", "/api/settings", SettingsHandler.get),
        Route("POST", "/api/settings", SettingsHandler.post),
        Route("GET", "/api/schedules", ScheduleHandler.list),
        Route("POST", "/api/schedules", ScheduleHandler.post),
        Route("DELETE", "/api/schedules/{date}", ScheduleHandler.delete),
        Route("GET", "/api/absences", AbsenceHandler.list),
        Route("POST", "/api/absences", AbsenceHandler.post),
        Route("DELETE", "/api/absences/{date}", AbsenceHandler.delete),
        Route("GET", "/api/vacation", AbsenceHandler.vacation),
        Route("GET", "/api/holidays", HolidayHandler.list),
        Route("POST", "/api/holidays", HolidayHandler.post),
        Route("DELETE", "/api/holidays/{date}", HolidayHandler.delete),
        Route("POST", "/api/holidays/import", HolidayHandler.importCalendar),
        Route("POST", "/api/import/activitywatch", largeBody: true, ImportHandler.activityWatch),
        Route("POST", "/api/import/csv", largeBody: true, ImportHandler.csv),
        Route("GET", "/api/corrections", CorrectionHandler.list),
        Route("POST", "/api/corrections", CorrectionHandler.post),
        Route("DELETE", "/api/corrections/{date}", CorrectionHandler.delete),
        Route("GET", "/api/entries", EntryHandler.list),
        Route("POST", "/api/entries", EntryHandler.post),
        Route("POST", "/api/entries/{id}/stop", EntryHandler.stop),
        Route("DELETE", "/api/entries/{id}", EntryHandler.delete),
        Route("GET", "/api/days", FiguresHandler.days),
        Route("GET", "/api/days/{date}", FiguresHandler.day),
        Route("GET", "/api/balance", FiguresHandler.balance),
        Route("GET", "/api/summary", FiguresHandler.summary),
        Route("GET", "/api/export", DataHandler.export),
        Route("POST", "/api/import", largeBody: true, DataHandler.importDocument),
        Route("GET", "/api/bookings", BookingHandler.list),
        Route("POST", "/api/bookings", BookingHandler.post),
        Route("DELETE", "/api/bookings/{id}", BookingHandler.delete),
        Route("GET", "/api/months", MonthHandler.list),
        Route("GET", "/api/months/{month}", MonthHandler.get),
        Route("POST", "/api/months/{month}/sign", MonthHandler.sign),
        Route("POST", "/api/months/{month}/unsign", MonthHandler.unsign),
        // Pages
        Route("GET", "/", { _ in .seeOther("/dashboard") }),
        Route("GET", "/dashboard", DashboardPage.get),
        Route("POST", "/dashboard/away/start", DashboardPage.startAway),
        Route("POST", "/dashboard/away/stop", DashboardPage.stopAway),
        Route("GET", "/days/{date}", DayPage.get),
        Route("POST", "/days/{date}/entries", DayPage.addEntry),
        Route("POST", "/days/{date}/entries/delete", DayPage.removeEntry),
        Route("GET", "/report", ReportPage.get),
        Route("POST", "/report/sign", ReportPage.sign),
        Route("POST", "/report/unsign", ReportPage.unsign),
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
        Route("POST", "/settings/import", largeBody: true, SettingsPage.importDocument),
        Route("POST", "/settings/import/activitywatch", largeBody: true, SettingsPage.importActivityWatch),
        Route("POST", "/settings/import/csv", largeBody: true, SettingsPage.importCSV),
        Route("POST", "/settings/bookings", SettingsPage.addBooking),
        Route("POST", "/settings/bookings/delete", SettingsPage.removeBooking),
        Route("GET", "/people", PeoplePage.get),
        Route("GET", "/corrections", CorrectionsPage.get),
        Route("POST", "/corrections", CorrectionsPage.post),
        Route("POST", "/corrections/delete", CorrectionsPage.remove),
    ]

    /// What a request's path and method found.
    enum Match {
        case route(Route, Parameters)
        /// The path exists with other methods.
        case otherMethods([String])
        case none
    }

    static func match(_ request: Request) -> Match {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false)
        var allowed: [String] = []
        for route in routes {
            guard let captured = route.match(segments) else { continue }
            if route.method == request.method || (route.method == "GET" && request.method == "HEAD") {
                return .route(route, Parameters(captured))
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .none : .otherMethods(allowed)
    }

    /// The route's attribute `largeBody`, for the FastCGI layer's reading of the body.
    static func hasLargeBody(_ request: Request) -> Bool {
        if case let .route(route, _) = match(request) { return route.largeBody }
        return false
    }

    /// The route's attribute `urgent`, for the FastCGI layer's threads.
    static func isUrgent(_ request: Request) -> Bool {
        if case let .route(route, _) = match(request) { return route.urgent }
        return false
    }
}
