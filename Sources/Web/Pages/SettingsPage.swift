import AttendanceCore
import Foundation
import HTTPMessage

/// `/settings`: the policy form and the holidays, each posting to itself.
enum SettingsPage {
    static let weekdayNames: [Weekday: String] = [
        .mon: "Monday", .tue: "Tuesday", .wed: "Wednesday", .thu: "Thursday", .fri: "Friday", .sat: "Saturday", .sun: "Sunday",
    ]

    /// IANA zone names offered in the select.
    static let zoneNames: [String] = (["UTC"] + TimeZone.knownTimeZoneIdentifiers.filter { $0.contains("/") }).sorted()

    struct Option { let value: String; let label: String; let checked: Bool }

    /// The settings form as the user last saw or typed it, with messages next to fields.
    struct SettingsForm {
        var periodStart = "", periodEnd = "", hours = "", timezone = ""
        var workingDays: Set<String> = []
        var errors: [String: String] = [:]
    }

    struct HolidayForm {
        var date = "", name = ""
        var errors: [String: String] = [:]
    }

    struct Model {
        let saved: String?
        let periodStart, periodEnd, hours: String
        let periodStartError, periodEndError, hoursError, timezoneError, workingDaysError: String?
        let weekdays: [Option]
        /// Some 420 zones: dictionaries, because swift-mustache reads a struct's fields by
        /// reflection, which made this list most of the page's cost.
        let timezones: [[String: Any]]
        let holidays: [HolidayRow]
        let hasHolidays: Bool
        let holidayDate, holidayName: String
        let holidayDateError, holidayNameError: String?
    }

    struct HolidayRow { let date: String; let weekday: String; let name: String }

    static func get(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let saved: String? = switch request.queryItems["saved"] {
        case "settings": "Settings saved."
        case "holiday": "Holiday saved."
        case "holiday-removed": "Holiday removed."
        default: nil
        }
        return try render(app, form(try app.database.settings()), HolidayForm(), saved: saved)
    }

    static func form(_ settings: Settings) -> SettingsForm {
        SettingsForm(periodStart: settings.periodStart.description, periodEnd: settings.periodEnd?.description ?? "",
                     hours: Format.duration(settings.dailyRequiredMinutes), timezone: settings.timezone,
                     workingDays: Set(settings.workingDays.map(\.rawValue)))
    }

    /// Saves the policy with the API's rules; on an error shows the form again as typed.
    static func post(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let fields = Form(request)
        var form = SettingsForm(periodStart: fields["period_start"].trimmingWhitespace, periodEnd: fields["period_end"].trimmingWhitespace,
                                hours: fields["daily_hours"].trimmingWhitespace, timezone: fields["timezone"],
                                workingDays: Set(fields.all("working_days")))
        do {
            guard let minutes = Format.minutes(fromHours: form.hours) else {
                throw HTTPError(422, "Type hours as 7:30 or 7.5.", field: "daily_required_minutes")
            }
            let change = SettingsChange(periodStart: form.periodStart, periodEnd: .some(form.periodEnd.isEmpty ? nil : form.periodEnd),
                                        workingDays: Weekday.allCases.map(\.rawValue).filter(form.workingDays.contains),
                                        dailyRequiredMinutes: minutes, timezone: form.timezone)
            try app.database.updateSettings(try change.applied(to: app.database.settings()))
            return .seeOther("/settings?saved=settings")
        } catch let error as HTTPError where error.status == 422 {
            form.errors[error.field ?? "general"] = error.message
            return try render(app, form, HolidayForm(), status: 422)
        }
    }

    static func addHoliday(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let fields = Form(request)
        var holiday = HolidayForm(date: fields["date"].trimmingWhitespace, name: fields["name"])
        do {
            _ = try HolidayHandler.save(app, date: holiday.date, name: holiday.name)
            return .seeOther("/settings?saved=holiday#holidays")
        } catch let error as HTTPError where error.status == 422 {
            holiday.errors[error.field ?? "name"] = error.message
            return try render(app, form(try app.database.settings()), holiday, status: 422)
        }
    }

    static func removeHoliday(_ app: App, _ request: Request, _: [String]) throws -> Response {
        try HolidayHandler.remove(app, date: Form(request)["date"])
        return .seeOther("/settings?saved=holiday-removed#holidays")
    }

    static func render(_ app: App, _ form: SettingsForm, _ holiday: HolidayForm, saved: String? = nil, status: Int = 200) throws -> Response {
        let pages = try app.requirePages()
        let holidays = try app.database.holidays().map {
            HolidayRow(date: $0.date.description, weekday: weekdayNames[$0.date.weekday]!, name: $0.name)
        }
        var zones = zoneNames
        if !form.timezone.isEmpty && !zones.contains(form.timezone) { zones.insert(form.timezone, at: 0) }
        let model = Model(
            saved: saved, periodStart: form.periodStart, periodEnd: form.periodEnd, hours: form.hours,
            periodStartError: form.errors["period_start"], periodEndError: form.errors["period_end"],
            hoursError: form.errors["daily_required_minutes"], timezoneError: form.errors["timezone"],
            workingDaysError: form.errors["working_days"],
            weekdays: Weekday.allCases.map { Option(value: $0.rawValue, label: weekdayNames[$0]!, checked: form.workingDays.contains($0.rawValue)) },
            timezones: zones.map { ["value": $0, "label": $0, "checked": $0 == form.timezone] },
            holidays: holidays, hasHolidays: !holidays.isEmpty, holidayDate: holiday.date, holidayName: holiday.name,
            holidayDateError: holiday.errors["date"], holidayNameError: holiday.errors["name"])
        return pages.render("settings", model, title: "Settings", path: "/settings", status: status)
    }
}
