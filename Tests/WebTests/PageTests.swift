import AttendanceCore
import Foundation
import HTTPMessage
@testable import Storage
import Testing
@testable import Web
import Mustache

/// The repository's templates folder.
let templatesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../templates").standardized.path

/// An app with pages, "now" 2024-06-03T10:00Z (a Monday), period from Monday 27 May,
/// and 9 h recorded on each weekday of that week: +1:00 a day.
func makePageApp() throws -> App {
    let database = try AppDatabase.inMemory(fresh: .fresh(today: LocalDate("2024-06-03")!, timezone: .utc))
    _ = try database.apply(UpdateSettings { settings, _ in
        settings.periodStart = LocalDate("2024-05-27")!
        return nil
    }, at: 0)
    let monday = Timestamp.epochSeconds("2024-05-27T08:00:00Z")! / 60
    let beats = (0..<5).flatMap { day in (0..<540).map { HeartbeatMinute(minute: monday + Int64(day * 1440 + $0), host: "") } }
    _ = try database.recordHeartbeats(beats, receivedAt: 0)
    return App(database: database, config: AppConfig(bearerToken: nil, now: { fixedNow }),
               pages: try Pages(directory: templatesDirectory))
}

func html(_ response: Response) -> String { String(decoding: response.body, as: UTF8.self) }

func form(_ app: App, _ path: String, _ fields: [(String, String)], headers: [String: String] = [:]) -> Response {
    let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
    return send(app, "POST", path, body, headers: headers.merging(["content-type": "application/x-www-form-urlencoded"]) { a, _ in a })
}

func location(_ response: Response) -> String? { response.headers.first { $0.0 == "Location" }?.1 }

@Suite struct PageTests {
    @Test func rootRedirectsToTheDashboard() throws {
        let response = send(try makePageApp(), "GET", "/")
        #expect(response.status == 303)
        #expect(location(response) == "/dashboard")
    }

    @Test func dashboardShowsTheHandComputedFigures() throws {
        let page = html(send(try makePageApp(), "GET", "/dashboard"))
        #expect(page.contains(#"id="balance">+5:00<"#))           // 5 × (9:00 − 8:00) through Sunday
        #expect(page.contains(#"id="today-worked">0:00<"#))
        #expect(page.contains(#"id="today-delta">−8:00<"#))
        #expect(page.contains(#"id="today-note">8:00 to go<"#))  // no heartbeat for a while: no "reached at"
        // Week, month and the months' balance count complete days, like the balance card.
        #expect(page.contains(#"id="week-delta">0:00<"#))         // Monday: no day of this week is over yet
        #expect(page.contains("2024 by month <span class=\"through\">through 2024-06-02</span>"))
        #expect(page.contains(#"<td class="positive">+5:00</td>"#))  // June's balance through Sunday
        #expect(page.contains(#"<svg class="chart" id="daily-chart""#) && page.contains(#"<svg class="chart" id="balance-chart""#))
        #expect(!page.contains("style=\""))
        #expect(!page.contains("<script>"))
    }

    /// Working now (the last heartbeat a minute ago), 2:00 of 8:00 done at 10:00: the
    /// target is 6:00 away, at 16:00 on the local clock if the work goes on.
    @Test func todaySaysWhenTheTargetIsReached() throws {
        let app = try makePageApp()
        let eight = Timestamp.epochSeconds("2024-06-03T08:00:00Z")! / 60
        _ = try app.database.recordHeartbeats((0..<119).map { HeartbeatMinute(minute: eight + Int64($0), host: "") }, receivedAt: 0)
        var page = html(send(app, "GET", "/dashboard"))
        #expect(page.contains(#"id="today-worked">1:59<"#))
        #expect(page.contains(#"id="today-delta">−6:01<"#))
        #expect(page.contains(#"id="today-note">6:01 to go, reached at 16:01 if you keep working<"#))
        // Also 00:00–08:00: 9:59 in all, past the target.
        _ = try app.database.recordHeartbeats((0..<480).map { HeartbeatMinute(minute: eight - 480 + Int64($0), host: "") }, receivedAt: 0)
        page = html(send(app, "GET", "/dashboard"))
        #expect(page.contains(#"id="today-delta">+1:59<"#))
        #expect(page.contains(#"id="today-note">target reached<"#))
    }

    @Test func theChartsCarryTheDaysShown() throws {
        let page = html(send(try makePageApp(), "GET", "/dashboard"))
        let daily = try bars(page)
        #expect(daily.count == 28)
        #expect(daily.last?["date"] == "2024-06-03")
        #expect(daily.suffix(8).map { $0["effective"] } == ["540", "540", "540", "540", "540", "0", "0", "0"])  // Mon 27 May … Mon 3 June
        #expect(daily.suffix(8).map { $0["expected"] } == ["480", "480", "480", "480", "480", "0", "0", "480"])
        // Each bar is a link to its day, with its figures as a tooltip.
        #expect(page.contains(#"<a href="/days/2024-05-27"><g class="bar""#))
        #expect(page.contains("<title>2024-05-27: worked 9:00 · expected 8:00</title>"))
        // From the period's first day (Monday 27 May) to yesterday: +1:00 a weekday.
        #expect(page.contains(#"data-first="2024-05-27" data-values="60,120,180,240,300,300,300""#))
        #expect(page.contains("<title>Balance on 2024-05-31: +5:00</title>"))
        #expect(page.contains("<title>Balance on 2024-06-02: +5:00</title>"))
        // No chart library: nothing but the page's own script.
        #expect(!page.contains("chart.min.js") && !page.contains("chart-data"))
    }

    @Test func theChartScalesAreWholeHours() {
        #expect(DashboardCharts.hourStep(60) == 60)
        #expect(DashboardCharts.hourStep(300) == 60)
        #expect(DashboardCharts.hourStep(301) == 120)
        #expect(DashboardCharts.hourStep(600) == 120)
        #expect(DashboardCharts.hourStep(96 * 60) == 24 * 60)
        #expect(DashboardCharts.number(12.34) == "12.3" && DashboardCharts.number(7.0) == "7" && DashboardCharts.number(-0.04) == "0")
    }

    @Test func userTextIsEscapedEverywhere() throws {
        let app = try makePageApp()
        _ = try app.database.apply(SetHoliday(LocalDate("2024-05-29")!, name: "<script>alert(1)</script>"), at: 0)
        _ = try app.database.apply(SaveCorrection(LocalDate("2024-05-28")!, minutes: 60, note: "\"><img src=x onerror=alert(1)>"), at: 1)
        for path in ["/settings", "/corrections?from=2024-05-01&to=2024-05-31"] {
            let page = html(send(app, "GET", path))
            #expect(!page.contains("<script>alert(1)"), "\(path)")
            #expect(!page.contains("<img src=x"), "\(path)")
        }
        #expect(html(send(app, "GET", "/settings")).contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test func settingsFormSavesAndRedirects() throws {
        let app = try makePageApp()
        let response = form(app, "/settings", [("period_start", "2024-05-27"), ("period_end", ""), ("opening_balance", "-12:30"),
                                               ("vacation_days", "24,5"), ("timezone", "Europe/Berlin")])
        #expect(response.status == 303)
        #expect(location(response) == "/settings?saved=settings")
        let settings = try app.database.settings()
        #expect(settings.openingBalanceMinutes == -750)
        #expect(settings.vacationHalfDaysPerYear == 49)
        #expect(settings.timezone.identifier == "Europe/Berlin")
        #expect(settings.saved)
        // The schedule is not touched by this form.
        #expect(try app.database.schedule().versions.map(\.minutes.values) == [[480, 480, 480, 480, 480, 0, 0]])
        let page = html(send(app, "GET", "/settings"))
        #expect(page.contains(#"id="opening_balance" name="opening_balance" value="-12:30""#))
        #expect(page.contains(#"id="vacation_days" name="vacation_days" value="24.5""#))
    }

    @Test(arguments: [
        ([("period_start", "2024-02-30"), ("timezone", "UTC")], "period_start-error"),
        ([("period_start", "2024-05-27"), ("period_end", "2024-01-01"), ("timezone", "UTC")], "period_end-error"),
        ([("period_start", "2024-05-27"), ("opening_balance", "twelve"), ("timezone", "UTC")], "opening_balance-error"),
        ([("period_start", "2024-05-27"), ("opening_balance", "-20000:00"), ("timezone", "UTC")], "opening_balance-error"),
        ([("period_start", "2024-05-27"), ("vacation_days", "24.3"), ("timezone", "UTC")], "vacation_days-error"),
        ([("period_start", "2024-05-27"), ("vacation_days", "many"), ("timezone", "UTC")], "vacation_days-error"),
        ([("period_start", "2024-05-27"), ("timezone", "Mars/Base")], "timezone-error"),
    ])
    func settingsErrorsKeepTheInputAndNameTheField(fields: [(String, String)], errorID: String) throws {
        let app = try makePageApp()
        let before = try app.database.settings()
        let response = form(app, "/settings", fields)
        #expect(response.status == 422)
        let page = html(response)
        #expect(page.contains("id=\"\(errorID)\""))
        for (name, value) in fields where name != "timezone" && !value.isEmpty {
            #expect(page.contains("value=\"\(value)\""), "\(name) kept")
        }
        #expect(try app.database.settings() == before)
    }

    @Test func scheduleFormsAddShowAndRemoveVersions() throws {
        let app = try makePageApp()  // one version, from 2024-05-27 (the period's start), 8 h Mon–Fri
        var page = html(send(app, "GET", "/settings"))
        #expect(page.contains("In force today (since 2024-05-27)"))
        #expect(!page.contains("Remove the change from"))  // the only version cannot go
        #expect(!page.contains("simple-schedule-uneven"))
        let bad = form(app, "/settings/schedule", [("valid_from", "2024-06-01"), ("hours_mon", "9"), ("hours_fri", "four")])
        #expect(bad.status == 422)
        #expect(html(bad).contains(#"id="schedule-hours-error">Type the hours for Friday"#))
        #expect(html(bad).contains(#"value="four""#) && html(bad).contains(#"id="valid_from" name="valid_from" value="2024-06-01""#))
        let badDate = form(app, "/settings/schedule", [("valid_from", "2024-06-31"), ("hours_mon", "9")])
        #expect(html(badDate).contains(#"id="valid_from-error""#))
        #expect(try app.database.schedule().versions.count == 1)
        let added = form(app, "/settings/schedule", [("valid_from", "2024-06-01"), ("hours_mon", "9"), ("hours_tue", "9:00"),
                                                     ("hours_wed", "9.0"), ("hours_thu", "9"), ("hours_fri", "4"), ("hours_sat", ""), ("hours_sun", "0")])
        #expect(location(added) == "/settings?saved=schedule#schedule")
        #expect(try app.database.schedule().versions.map(\.minutes.values) == [[480, 480, 480, 480, 480, 0, 0], [540, 540, 540, 540, 240, 0, 0]])
        page = html(send(app, "GET", "/settings"))
        #expect(page.contains("In force today (since 2024-06-01)"))
        #expect(page.contains("simple-schedule-uneven"))
        #expect(page.contains(#"<tr class="in-force">"#))
        #expect(page.contains("Remove the change from 2024-05-27") && page.contains("Remove the change from 2024-06-01"))
        // Hand computation: Mon 27 May … Fri 31 May 9 h worked against 8 h = +5:00; Mon 3 June is today.
        #expect(html(send(app, "GET", "/dashboard")).contains(#"id="balance">+5:00<"#))
        #expect(location(form(app, "/settings/schedule/delete", [("valid_from", "2024-06-01")])) == "/settings?saved=version-removed#schedule")
        let only = form(app, "/settings/schedule/delete", [("valid_from", "2024-05-27")])
        #expect(only.status == 409)
        #expect(html(only).contains("the schedule always keeps one"))
    }

    @Test func workingHoursFormRewritesTheVersionInForceToday() throws {
        let app = try makePageApp()
        _ = try app.database.apply(SaveScheduleVersion(ScheduleVersion(validFrom: LocalDate("2024-06-01")!, minutes: WeekMinutes { _ in 60 })), at: 0)
        let saved = form(app, "/settings/schedule/today", [("working_days", "mon"), ("working_days", "sat"), ("daily_hours", "7.5")])
        #expect(location(saved) == "/settings?saved=schedule#schedule")
        #expect(try app.database.schedule().versions.map(\.minutes.values) == [[480, 480, 480, 480, 480, 0, 0], [450, 0, 0, 0, 0, 450, 0]])
        let bad = form(app, "/settings/schedule/today", [("working_days", "mon"), ("daily_hours", "25:00")])
        #expect(bad.status == 422)
        #expect(html(bad).contains(#"id="daily_hours-error""#) && html(bad).contains(#"value="25:00""#))
        #expect(try app.database.schedule().versions[1].minutes.values == [450, 0, 0, 0, 0, 450, 0])
    }

    @Test func aNewInstallSaysWhatToSetFirst() throws {
        let database = try AppDatabase.inMemory(fresh: .fresh(today: LocalDate("2024-06-03")!, timezone: .utc))
        let app = App(database: database, config: AppConfig(bearerToken: nil, now: { fixedNow }),
                      pages: try Pages(directory: templatesDirectory))
        let page = html(send(app, "GET", "/dashboard"))
        #expect(page.contains(#"id="first-run""#))
        #expect(page.contains(#"id="balance">0:00<"#))
        #expect(page.components(separatedBy: #"<th scope="row">"#).count == 2)  // June only, the period's month
        _ = form(app, "/settings", [("period_start", "2024-06-03"), ("timezone", "UTC")])
        #expect(!html(send(app, "GET", "/dashboard")).contains(#"id="first-run""#))
    }

    @Test func holidaysAreAddedAndRemovedThroughForms() throws {
        let app = try makePageApp()
        #expect(location(form(app, "/settings/holidays", [("date", "2024-05-29"), ("name", "Feiertag")])) == "/settings?saved=holiday&year=2024#holidays")
        #expect(try app.database.holidays().map(\.name) == ["Feiertag"])
        #expect(html(send(app, "GET", "/dashboard")).contains(#"id="balance">+13:00<"#))  // Wednesday expects nothing now
        let bad = form(app, "/settings/holidays", [("date", "2024-05-30"), ("name", "  ")])
        #expect(bad.status == 422)
        #expect(html(bad).contains("id=\"holiday-name-error\""))
        #expect(form(app, "/settings/holidays/delete", [("date", "2024-05-29")]).status == 303)
        #expect(try app.database.holidays().isEmpty)
    }

    @Test func correctionsAreAddedChangedAndRemovedThroughForms() throws {
        let app = try makePageApp()
        let saved = form(app, "/corrections", [("date", "2024-05-28"), ("duration", "4:30"), ("note", "left early"),
                                               ("from", "2024-05-27"), ("to", "2024-06-02")])
        #expect(saved.status == 303)
        #expect(location(saved) == "/corrections?from=2024-05-27&to=2024-06-02&saved=2024-05-28")
        #expect(html(send(app, "GET", "/dashboard")).contains(#"id="balance">+0:30<"#))  // 4 × 1:00 − 3:30
        _ = form(app, "/corrections", [("date", "2024-05-28"), ("duration", "10"), ("from", ""), ("to", "")])
        #expect(html(send(app, "GET", "/dashboard")).contains(#"id="balance">+6:00<"#))
        let page = html(send(app, "GET", "/corrections?from=2024-05-27&to=2024-06-02"))
        #expect(page.contains("set to 10:00"))
        #expect(page.contains("set to 4:30"))
        #expect(page.contains("left early"))
        #expect(form(app, "/corrections/delete", [("date", "2024-05-28"), ("from", "2024-05-27"), ("to", "2024-06-02")]).status == 303)
        #expect(html(send(app, "GET", "/dashboard")).contains(#"id="balance">+5:00<"#))
        let tooLong = form(app, "/corrections", [("date", "2024-05-28"), ("duration", "24:01")])
        #expect(tooLong.status == 422)
        #expect(html(tooLong).contains("value=\"24:01\""))
        #expect(html(tooLong).contains("id=\"correction-duration-error\""))
    }

    @Test func pagesRefuseCrossSitePostsAndExplainErrorsKindly() throws {
        let app = try makePageApp()
        let refused = form(app, "/settings/holidays", [("date", "2024-05-29"), ("name", "x")],
                           headers: ["origin": "http://evil.example", "host": "127.0.0.1:8080"])
        #expect(refused.status == 403)
        #expect(html(refused).contains("<h1>403</h1>"))
        #expect(try app.database.holidays().isEmpty)
        let missing = send(app, "GET", "/nowhere")
        #expect(missing.status == 404)
        #expect(html(missing).contains("Back to the dashboard"))
        #expect(missing.headers.contains { $0.0 == "Content-Security-Policy" && $0.1.contains("script-src 'self'") })
        #expect(missing.headers.contains { $0.0 == "X-Frame-Options" && $0.1 == "DENY" })
    }

    @Test func hoursAreReadAsHoursAndMinutesOrDecimalHours() {
        #expect(Format.minutes(fromHours: "7:30") == 450)
        #expect(Format.minutes(fromHours: "7.5") == 450)
        #expect(Format.minutes(fromHours: "7,5") == 450)
        #expect(Format.minutes(fromHours: " 8 ") == 480)
        #expect(Format.minutes(fromHours: "0:05") == 5)
        for bad in ["", "7:5", "7:60", "-1", "abc", "1e3", "7..5", ":30", "."] {
            #expect(Format.minutes(fromHours: bad) == nil, "\(bad)")
        }
        #expect(Format.signed(750) == "+12:30")
        #expect(Format.signed(-65) == "\u{2212}1:05")
        #expect(Format.signed(0) == "0:00")
    }
}

@Suite struct ServerErrorTests {
    /// Anything that is not an HTTPError is logged and becomes a 500 that says nothing of the inside.
    @Test func aBrokenDatabaseGivesAFriendly500ThatLeaksNothing() throws {
        let app = try makePageApp()
        try app.database.writer.write { try $0.execute(sql: "DROP TABLE holiday") }
        let page = send(app, "GET", "/settings")
        #expect(page.status == 500)
        #expect(html(page).contains("<h1>500</h1>"))
        #expect(!html(page).contains("holiday"))
        #expect(!html(page).lowercased().contains("sqlite"))
        let api = send(app, "GET", "/api/holidays")
        #expect(api.status == 500)
        #expect(json(api)["error"] as? String == "Something went wrong on the server. The server log has the details.")
    }
}

/// The absences page, the vacation card, absences in the days table and chart data, and
/// the holiday import form. "Now" is Monday 2024-06-03; the period starts Monday 27 May.
@Suite struct AbsencePageTests {
    @Test func bookingThroughTheFormChangesTheFigures() throws {
        let app = try makePageApp()
        _ = form(app, "/settings", [("period_start", "2024-05-27"), ("vacation_days", "30"), ("timezone", "UTC")])
        // Tue 28 and Wed 29 May off (9 h were recorded on each), Thu 30 a half day.
        let booked = form(app, "/absences", [("from", "2024-05-28"), ("to", "2024-05-29"), ("kind", "vacation"), ("note", "<b>trip</b>")])
        #expect(location(booked) == "/absences?booked=2&skipped=0")
        #expect(location(form(app, "/absences", [("from", "2024-05-30"), ("kind", "vacation"), ("half_day", "1")])) == "/absences?booked=1&skipped=0")
        let weekend = form(app, "/absences", [("from", "2024-06-01"), ("to", "2024-06-02"), ("kind", "sick")])
        #expect(weekend.status == 422)
        #expect(html(weekend).contains(#"id="absence-from-error""#) && html(weekend).contains(#"value="2024-06-01""#))
        let page = html(send(app, "GET", "/absences?booked=1&skipped=0"))
        #expect(page.contains("Booked 1 day."))
        #expect(page.contains(#"<span id="vacation-remaining">27.5</span>"#))  // 30 − 2.5 taken
        #expect(page.contains("&lt;b&gt;trip&lt;/b&gt;"))
        #expect(page.contains(#"id="absence-2024-05-30""#) && page.contains("half day"))
        // Hand computation through yesterday (Sun 2 June): Mon +1:00, Tue +9:00, Wed +9:00, Thu 9:00 − 4:00 = +5:00, Fri +1:00.
        let dashboard = html(send(app, "GET", "/dashboard"))
        #expect(dashboard.contains(#"id="balance">+25:00<"#))
        #expect(dashboard.contains(#"<span id="vacation-taken">2.5</span>"#))
        let absences = try bars(dashboard).filter { $0["absent"] != "0" }.map { [$0["date"]!, $0["absent"]!] }
        #expect(absences == [["2024-05-28", "480"], ["2024-05-29", "480"], ["2024-05-30", "240"]])
        #expect(dashboard.contains("2024-05-30: worked 9:00 · expected 4:00 · Vacation (half day)</title>"))
        let days = html(send(app, "GET", "/corrections?from=2024-05-27&to=2024-06-02"))
        #expect(days.contains(#"<span class="badge absence">Vacation (half day)</span>"#))
        #expect(location(form(app, "/absences/delete", [("date", "2024-05-29")])) == "/absences?removed=2024-05-29")
        #expect(html(send(app, "GET", "/dashboard")).contains(#"id="balance">+17:00<"#))
    }

    @Test func holidaysImportFromAFileOrPastedText() throws {
        let app = try makePageApp()
        let file = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240529\r\nSUMMARY:Feiertag\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nDTSTART:20240530T100000Z\r\nSUMMARY:Meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"calendar\"; filename=\"h.ics\"\r\nContent-Type: text/calendar\r\n\r\n"
            + file + "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"calendar_text\"\r\n\r\n\r\n--XyZ--\r\n"
        let response = send(app, "POST", "/settings/holidays/import", body, headers: ["content-type": "multipart/form-data; boundary=XyZ"])
        #expect(response.status == 200)
        #expect(html(response).contains("1 holiday added, 0 renamed; 1 skipped:"))
        #expect(html(response).contains("Meeting: it is a timed event"))
        #expect(try app.database.holidays().map(\.name) == ["Feiertag"])
        let pasted = form(app, "/settings/holidays/import", [("calendar_text", file.replacingOccurrences(of: "Feiertag", with: "Holiday"))])
        #expect(html(pasted).contains("0 holidays added, 1 renamed"))
        let bad = form(app, "/settings/holidays/import", [("calendar_text", "not a calendar")])
        #expect(bad.status == 422)
        #expect(html(bad).contains(#"id="calendar-error""#))
        #expect(try app.database.holidays().map(\.name) == ["Holiday"])
    }
}

/// The days view's totals, the day page, the report and the CSV, in-process.
@Suite struct DayPagesTests {
    /// "Now" is Monday 2024-06-03: June's totals count its complete days (the weekend of
    /// 1–2 June, nothing expected), as the dashboard does: neither today, in progress, nor
    /// the 19 weekdays still to come.
    @Test func theDaysViewCountsThroughYesterday() throws {
        let page = html(send(try makePageApp(), "GET", "/corrections"))
        #expect(page.contains(#"id="range-total">0:00<"#))
        #expect(page.contains(#"<span class="through" id="range-through">through 2024-06-02</span>"#))
        #expect(page.contains("Through 2024-06-02, as on the dashboard"))
        #expect(page.contains(#"<tr id="day-2024-06-03" class="in-progress">"#))
        #expect(page.contains(#"<span class="badge muted in-progress">in progress</span>"#))
        #expect(page.contains("Week from 2024-06-03 (in progress)"))
        // A range of complete days: every one counted.
        let may = html(send(try makePageApp(), "GET", "/corrections?from=2024-05-27&to=2024-06-02"))
        #expect(may.contains(#"id="range-total">+5:00<"#) && may.contains("through 2024-06-02"))
        #expect(page.contains(#"href="/export/days.csv?from=2024-06-01&amp;to=2024-06-30""#) || page.contains("/export/days.csv?from=2024-06-01&to=2024-06-30"))
        #expect(may.contains(#"<td class="start">08:00</td>"#) && may.contains(#"<td class="end">17:00</td>"#))
        #expect(may.contains(#"<a href="/days/2024-05-27">"#))
    }

    /// The first and the last day and month there are: no link to a date that cannot be.
    @Test func theCalendarsEdgesOfferNoLinkBeyond() throws {
        let app = try makePageApp()
        let last = html(send(app, "GET", "/report?month=9999-12"))
        #expect(last.contains(#"id="previous-month">← 9999-11<"#) && !last.contains(#"id="next-month""#))
        let first = html(send(app, "GET", "/report?month=0001-01"))
        #expect(first.contains(#"id="next-month">0001-02 →<"#) && !first.contains(#"id="previous-month""#))
        let lastDay = send(app, "GET", "/days/9999-12-31")
        #expect(lastDay.status == 200 && !html(lastDay).contains(#"id="next-day""#) && html(lastDay).contains("9999-12-30"))
        let firstDay = send(app, "GET", "/days/0001-01-01")
        #expect(firstDay.status == 200 && !html(firstDay).contains(#"id="previous-day""#) && html(firstDay).contains("0001-01-02"))
        #expect(send(app, "GET", "/days/10000-01-01").status == 404)
    }

    @Test func theDayPageAndTheReport() throws {
        let app = try makePageApp()
        let day = html(send(app, "GET", "/days/2024-05-28"))
        #expect(day.contains(#"<rect class="session" x="480" y="6" width="540""#))  // 08:00–17:00 UTC
        #expect(day.contains(#"id="first-start">08:00<"#) && day.contains(#"id="last-end">17:00<"#))
        #expect(!day.contains("style="))
        #expect(send(app, "GET", "/days/2024-02-30").status == 404)
        let report = html(send(app, "GET", "/report?month=2024-05"))
        #expect(report.contains("Timesheet May 2024"))
        #expect(report.components(separatedBy: "<tr id=\"report-2024-").count == 32)
        // 27–31 May, 9:00 worked against 8:00 each: +5:00.
        #expect(report.contains(#"id="total-worked">45:00<"#) && report.contains(#"id="total-difference" class="positive">+5:00<"#))
        #expect(report.contains(#"id="balance-after" class="positive">+5:00<"#))
        #expect(send(app, "GET", "/report?month=2024-13").status == 422)
    }

    @Test func csvFieldsAreQuotedAndNeverFormulas() {
        #expect(ExportCSV.field("plain") == "plain")
        #expect(ExportCSV.field("a,b") == "\"a,b\"")
        #expect(ExportCSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(ExportCSV.field("two\r\nlines") == "\"two\r\nlines\"")
        #expect(ExportCSV.field("=1+2") == "'=1+2")
        #expect(ExportCSV.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(ExportCSV.field("+49 30") == "'+49 30")
        #expect(ExportCSV.field("-x") == "'-x")
        #expect(ExportCSV.field("-14") == "-14")  // a negative number stays a number
        #expect(ExportCSV.field("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
    }
}

/// The page models that name their fields for the template engine (instead of leaving it
/// to reflection) answer every field exactly as reflection would, and nothing else.
@Suite struct NamedFieldTests {
    /// Field names whose named answer differs from reflection's.
    func disagreements(_ value: some MustacheParent) -> [String] {
        // the engine unwraps an Optional before it uses a value; compare what it would use
        func unwrapped(_ value: Any?) -> String {
            guard let value else { return "nil" }
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .optional else { return String(reflecting: value) }
            return mirror.children.first.map { String(reflecting: $0.value) } ?? "nil"
        }
        return Mirror(reflecting: value).children.compactMap { child -> String? in
            guard let label = child.label else { return nil }
            return unwrapped(child.value) == unwrapped(value.child(named: label)) ? nil : label
        } + (value.child(named: "noSuchField") == nil ? [] : ["noSuchField"])
    }

    @Test func correctionsRowsAndModelAnswerAsReflectionWould() throws {
        let entry = CorrectionsPage.HistoryEntry(when: "w", what: "x", note: "n")
        let row = CorrectionsPage.Row(date: "1", weekday: "2", start: "3", end: "4", recorded: "5", expected: "6", effective: "7",
                                      difference: "8", differenceTone: "9", manual: "9a", note: "10", correction: nil, holiday: "12",
                                      absence: "13", off: true, outside: false, corrected: true, signed: "2024-03", rules: "r", history: [entry],
                                      hasHistory: true, editLink: "14", rowClass: "15",
                                      week: CorrectionsPage.WeekTotal(label: "w", worked: "1", expected: "2", counted: "3",
                                                                      difference: "4", tone: "5"), inProgress: true)
        let model = CorrectionsPage.Model(from: "a", to: "b", fromError: nil, toError: "c", saved: "d", rows: [row], total: "e",
                                          totalTone: "f", worked: "g", expected: "h", through: "i", csvLink: "j", formDate: "k",
                                          formDuration: "l", formNote: "m", dateError: nil, durationError: "o", noteError: "p")
        #expect(disagreements(entry).isEmpty)
        #expect(disagreements(row).isEmpty)
        #expect(disagreements(model).isEmpty)
    }
}

/// The `data-` attributes of each `<g class="bar">` of the daily chart.
func bars(_ page: String) throws -> [[String: String]] {
    let pattern = try NSRegularExpression(pattern: #"<g class="bar"([^>]*)>"#)
    let attribute = try NSRegularExpression(pattern: #"data-([a-z]+)="([^"]*)""#)
    return pattern.matches(in: page, range: NSRange(page.startIndex..., in: page)).map { match in
        let tag = String(page[Range(match.range(at: 1), in: page)!])
        var values: [String: String] = [:]
        for pair in attribute.matches(in: tag, range: NSRange(tag.startIndex..., in: tag)) {
            values[String(tag[Range(pair.range(at: 1), in: tag)!])] = String(tag[Range(pair.range(at: 2), in: tag)!])
        }
        return values
    }
}
