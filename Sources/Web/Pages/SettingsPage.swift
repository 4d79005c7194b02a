import Storage
import AttendanceCore
import Foundation
import HTTPMessage

/// `/settings`: the period, opening balance, vacation allowance and zone; the schedule
/// (the version in force today in its simple form, every version, a change from a date);
/// the holidays. Each form posts to its own path and redirects back; an error shows the
/// page again with the input as typed and the message beside its field.
enum SettingsPage {
    static let weekdayNames: [Weekday: String] = [
        .mon: "Monday", .tue: "Tuesday", .wed: "Wednesday", .thu: "Thursday", .fri: "Friday", .sat: "Saturday", .sun: "Sunday",
    ]

    /// IANA zone names offered in the select.
    static let zoneNames: [String] = (["UTC"] + TimeZone.knownTimeZoneIdentifiers.filter { $0.contains("/") }).sorted()

    /// The zones by region, in order: `America/Argentina/Salta` is `Argentina/Salta` under
    /// `America`; `UTC` (and any name without a region) under `Other`.
    static func zoneGroups(_ zones: [String], selected: String) -> [[String: Any]] {
        var groups: [(region: String, options: [[String: Any]])] = []
        for zone in zones {
            let parts = zone.split(separator: "/", maxSplits: 1)
            let region = parts.count == 2 ? String(parts[0]) : "Other"
            let label = (parts.count == 2 ? String(parts[1]) : zone).replacingOccurrences(of: "_", with: " ")
            let option: [String: Any] = ["value": zone, "label": label, "checked": zone == selected]
            if let last = groups.indices.last, groups[last].region == region {
                groups[last].options.append(option)
            } else if let index = groups.firstIndex(where: { $0.region == region }) {
                groups[index].options.append(option)
            } else {
                groups.append((region, [option]))
            }
        }
        return groups.map { ["region": $0.region, "zones": $0.options] }
    }

    // MARK: The forms as typed

    /// A booking on the time account.
    struct BookingForm {
        enum Slot { case date, kind, minutes, note }
        var date = "", kind = BookingKind.payout.rawValue, hours = "", note = ""
        var errors = FormErrors<Slot> { field in
            switch field {
            case .date: .date
            case .kind: .kind
            case .minutes: .minutes
            default: .note
            }
        }
    }

    /// Name, period, opening balance, vacation days and zone.
    struct GeneralForm {
        enum Slot { case name, periodStart, periodEnd, opening, vacation, timezone, general }
        var name = "", periodStart = "", periodEnd = "", opening = "", vacation = "", timezone = ""
        var errors = FormErrors<Slot> { field in
            switch field {
            case .name: .name
            case .periodStart: .periodStart
            case .periodEnd: .periodEnd
            case .openingBalance: .opening
            case .vacationDays: .vacation
            case .timezone: .timezone
            default: .general
            }
        }
    }

    /// The version in force today as working days and daily hours.
    struct SimpleForm {
        enum Slot { case workingDays, hours }
        var workingDays: Set<Weekday> = [], hours = ""
        var errors = FormErrors<Slot> { field in
            switch field {
            case .workingDays: .workingDays
            default: .hours
            }
        }
    }

    /// A new version: a date and hours per weekday.
    struct ChangeForm {
        enum Slot { case validFrom, hours }
        var validFrom = ""
        var hours: [Weekday: String] = [:]
        var workRules = WorkRules.none.rawValue
        var errors = FormErrors<Slot> { field in
            switch field {
            case .validFrom: .validFrom
            default: .hours
            }
        }
    }

    struct HolidayForm {
        enum Slot { case date, name }
        var date = "", name = ""
        var errors = FormErrors<Slot> { field in
            switch field {
            case .date: .date
            default: .name
            }
        }
    }

    /// Every form of the page; the one that failed keeps what was typed.
    struct Forms {
        var general: GeneralForm
        var simple: SimpleForm
        var change: ChangeForm
        var holiday = HolidayForm()
        var booking = BookingForm()
        var importError: String?
        /// The outcome of a document import (`/settings/import`), or why it was refused.
        var documentImported: String?
        var documentError: String?
        /// The ActivityWatch and the Toggl/Clockify uploads: what they did, or why not.
        var activityWatch: Imported?, activityWatchError: String?
        var timesheet: Imported?, timesheetError: String?
        var timesheetZone = ""

        /// The forms filled from what is stored.
        init(_ settings: Settings, schedule: Schedule, today: LocalDate) {
            general = GeneralForm(name: settings.name, periodStart: settings.periodStart.description, periodEnd: settings.periodEnd?.description ?? "",
                                  opening: Format.typedSigned(settings.openingBalanceMinutes),
                                  vacation: Format.halfDays(settings.vacationHalfDaysPerYear), timezone: settings.timezone.identifier)
            let inForce = schedule.version(on: today)
            let shown = settings.simpleForm(of: inForce.minutes)
            simple = SimpleForm(workingDays: shown.workingDays, hours: Format.duration(shown.dailyRequiredMinutes))
            change = ChangeForm(validFrom: "", hours: Dictionary(uniqueKeysWithValues: Weekday.allCases.map {
                ($0, Format.duration(inForce.minutes[$0]))
            }), workRules: inForce.workRules.rawValue)
        }
    }

    // MARK: View model

    struct Option { let value: String; let label: String; let checked: Bool }
    struct HoursInput { let day: String; let label: String; let value: String }
    struct VersionRow {
        let validFrom: String
        let hours: [String]
        let week: String
        /// "German ArbZG" or "none".
        let rules: String
        let inForce: Bool
        let removable: Bool
    }
    struct HolidayRow { let date: String; let weekday: String; let name: String; let removable: Bool }

    /// A year's holidays, folded unless it is this year, the next, or the year of a
    /// holiday just added: an imported feed's many years do not bury the forms below.
    struct HolidayYear {
        let year: Int
        let count: Int
        /// One holiday: "holiday", not "holidays".
        let one: Bool
        let open: Bool
        let rows: [HolidayRow]
    }
    struct BookingRow { let id: Int64; let date, kind, minutes, note: String; let removable: Bool }
    struct ChangeRow { let at, subject, before, after: String }
    struct Imported {
        let summary: String
        let skipped: [String]
        /// Stored, not computed: the templates read fields by reflection.
        let hasSkipped: Bool

        init(summary: String, skipped: [String]) {
            self.summary = summary
            self.skipped = skipped
            hasSkipped = !skipped.isEmpty
        }
    }

    struct Model {
        let saved: String?
        let name, periodStart, periodEnd, opening, vacation: String
        let nameError, periodStartError, periodEndError, openingError, vacationError, timezoneError, generalError: String?
        /// Some 420 zones grouped by region (`Europe`: `Berlin`, …): dictionaries, because
        /// swift-mustache reads a struct's fields by reflection, which made this list most
        /// of the page's cost.
        let timezoneGroups: [[String: Any]]
        /// Until the settings are saved once, the page suggests the browser's zone.
        let suggestZone: Bool
        let inForceFrom: String
        let inForceIsEarliest: Bool
        /// The version in force today gives its working days different minutes: the simple
        /// form can show it only approximately.
        let inForceIsUneven: Bool
        let weekdays: [Option]
        let hours: String
        let workingDaysError, hoursError: String?
        let weekdayHeads: [String]
        let versions: [VersionRow]
        let changeFrom: String
        let changeHours: [HoursInput]
        let changeFromError, changeHoursError: String?
        let ruleOptions: [Option]
        let holidays: [HolidayRow]
        let holidayYears: [HolidayYear]
        let hasHolidays: Bool
        let holidayDate, holidayName: String
        let holidayDateError, holidayNameError: String?
        let imported: Imported?
        let importError: String?
        let activityWatch: Imported?
        let activityWatchError: String?
        let timesheet: Imported?
        let timesheetError: String?
        let timesheetZone: String
        let bookings: [BookingRow]
        let hasBookings: Bool
        let bookingDate, bookingHours, bookingNote: String
        let bookingKinds: [Option]
        let bookingDateError, bookingKindError, bookingMinutesError, bookingNoteError: String?
        let changes: [ChangeRow]
        let hasChanges: Bool
        let documentImported, documentError: String?
    }

    // MARK: Routes

    static func get(_ context: RequestContext) throws -> Response {
        let saved: String? = switch try context.request.queryItems["saved"] {
        case "settings": "Settings saved."
        case "schedule": "Schedule saved."
        case "version-removed": "Schedule change removed."
        case "holiday": "Holiday saved."
        case "holiday-removed": "Holiday removed."
        case "booking": "Booking saved."
        case "booking-removed": "Booking removed (it stays in the history)."
        default: nil
        }
        return try render(context, saved: saved) { _ in }
    }

    /// Period, opening balance, vacation days and zone, with the API's rules.
    static func post(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        var typed = GeneralForm(name: fields["name"].trimmingWhitespace, periodStart: fields["period_start"].trimmingWhitespace, periodEnd: fields["period_end"].trimmingWhitespace,
                                opening: fields["opening_balance"].trimmingWhitespace, vacation: fields["vacation_days"].trimmingWhitespace,
                                timezone: fields["timezone"])
        var change = SettingsChange()
        change.name = typed.name
        change.periodStart = typed.periodStart
        change.periodEnd = .some(typed.periodEnd.isEmpty ? nil : typed.periodEnd)
        change.timezone = typed.timezone
        if let opening = Format.signedMinutes(fromHours: typed.opening.isEmpty ? "0:00" : typed.opening) {
            change.openingBalanceMinutes = opening
        } else {
            typed.errors.add("Type the balance carried over as hours and minutes with a sign, like -12:30 or 3:15.", at: .opening)
        }
        if let days = Double(typed.vacation.isEmpty ? "0" : typed.vacation.replacingOccurrences(of: ",", with: ".")) {
            change.vacationDaysPerYear = days
        } else {
            typed.errors.add("Type the vacation days as a number, like 30 or 24.5.", at: .vacation)
        }
        if typed.errors.isEmpty {
            do {
                _ = try context.apply(UpdateSettings { settings, schedule in
                    try change.apply(to: &settings, schedule: schedule, now: context.now)
                })
                return .seeOther("/settings?saved=settings")
            } catch let error as ValidationError {
                typed.errors.add(error)
            }
        }
        return try render(context, status: 422) { $0.general = typed }
    }

    /// The version in force today, rewritten in place from working days and daily hours.
    static func postSimple(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        var typed = SimpleForm(workingDays: Set(fields.all("working_days").compactMap(Weekday.init)),
                               hours: fields["daily_hours"].trimmingWhitespace)
        do {
            guard let minutes = Format.minutes(fromHours: typed.hours) else {
                throw ValidationError(.dailyRequiredMinutes, "Type the hours as 7:30 or 7.5.")
            }
            var change = SettingsChange()
            change.workingDays = Weekday.allCases.filter(typed.workingDays.contains).map(\.rawValue)
            change.dailyRequiredMinutes = minutes
            _ = try context.apply(UpdateSettings { settings, schedule in
                try change.apply(to: &settings, schedule: schedule, now: context.now)
            })
            return .seeOther("/settings?saved=schedule#schedule")
        } catch let error as ValidationError {
            typed.errors.add(error)
        }
        return try render(context, status: 422) { $0.simple = typed }
    }

    /// A change of the schedule from a date: hours per weekday.
    static func addVersion(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        var typed = ChangeForm(validFrom: fields["valid_from"].trimmingWhitespace,
                               hours: Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, fields["hours_\($0.rawValue)"].trimmingWhitespace) }),
                               workRules: fields["work_rules"])
        do {
            var minutes: [String: Int] = [:]
            for day in Weekday.allCases {
                let text = typed.hours[day] ?? ""
                guard let value = Format.minutes(fromHours: text.isEmpty ? "0" : text) else {
                    throw ValidationError(.minutes, "Type the hours for \(weekdayNames[day]!) as 7:30 or 7.5 (0 for a day off).")
                }
                minutes[day.rawValue] = value
            }
            _ = try Schedules.save(context, validFrom: typed.validFrom, minutes: minutes,
                                   workRules: typed.workRules.isEmpty ? WorkRules.none.rawValue : typed.workRules)
            return .seeOther("/settings?saved=schedule#schedule")
        } catch let error as ValidationError {
            typed.errors.add(error)
        }
        return try render(context, status: 422) { $0.change = typed }
    }

    static func removeVersion(_ context: RequestContext) throws -> Response {
        try Schedules.remove(context, validFrom: (try Form(context.request))["valid_from"])
        return .seeOther("/settings?saved=version-removed#schedule")
    }

    static func addHoliday(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        var typed = HolidayForm(date: fields["date"].trimmingWhitespace, name: fields["name"])
        do {
            _ = try Holidays.save(context, date: typed.date, name: typed.name)
            let year = LocalDate(typed.date).map { "&year=\($0.year)" } ?? ""
            return .seeOther("/settings?saved=holiday\(year)#holidays")
        } catch let error as ValidationError {
            typed.errors.add(error)
        }
        return try render(context, status: 422) { $0.holiday = typed }
    }

    /// An iCalendar file chosen in the form (multipart) or its text pasted (either
    /// encoding); the page is shown again with what was added, renamed and skipped.
    static func importHolidays(_ context: RequestContext) throws -> Response {
        var calendar: [UInt8] = []
        if let fields = Multipart.fields(context.request.body, contentType: context.request.header("content-type") ?? "") {
            calendar = fields["calendar"] ?? []
            if calendar.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { calendar = fields["calendar_text"] ?? [] }
        } else {
            calendar = Array((try Form(context.request))["calendar_text"].utf8)
        }
        do {
            let result = try Holidays.importCalendar(context, bytes: calendar)
            let added = "\(result.added) \(result.added == 1 ? "holiday" : "holidays") added, \(result.renamed) renamed"
            var skipped = result.skipped.map { "\($0.summary.isEmpty ? "(no name)" : $0.summary): \($0.why)" }
            if result.skippedMore > 0 { skipped.append("… and \(result.skippedMore) more") }
            let count = result.skipped.count + result.skippedMore
            return try render(context, imported: Imported(summary: added + (count == 0 ? "." : "; \(count) skipped:"), skipped: skipped)) { _ in }
        } catch let error as ValidationError {
            return try render(context, status: 422) { $0.importError = error.message }
        }
    }

    /// An export document (`/api/export`) uploaded into this empty database.
    static func importDocument(_ context: RequestContext) throws -> Response {
        let upload = try context.request.uploadedFile()
        guard let fields = try MultipartFile.fields(upload, contentType: context.request.header("content-type") ?? ""),
              let document = fields["document"], !document.isEmpty else {
            return try render(context, status: 422) { $0.documentError = "Choose the file a download of everything gave (attendance-YYYY-MM-DD.json)." }
        }
        do {
            let summary = try DataHandler.importing(context, UploadSource(upload, range: document))
            return try render(context) {
                $0.documentImported = "Imported: " + [(summary.heartbeats, "heartbeat"), (summary.entries, "entry"), (summary.corrections, "correction"),
                                                      (summary.absences, "absence"), (summary.holidays, "holiday"), (summary.bookings, "booking"),
                                                      (summary.signedMonths, "signed month")].map { Format.count($0.0, $0.1) }.joined(separator: ", ") + "."
            }
        } catch let error as InvalidValue {
            return try render(context, status: 422) { $0.documentError = "Nothing was imported: \(error.message)" }
        } catch let refusal as ConflictRefusal {
            return try render(context, status: 409) { $0.documentError = "Nothing was imported: \(refusal.message)" }
        } catch let error as HTTPError {
            return try render(context, status: error.status) { $0.documentError = "Nothing was imported: \(error.message)" }
        }
    }

    /// An ActivityWatch export chosen in the form (multipart, field `export`), read from
    /// the spooled upload as a stream; the page is shown again with what it did.
    static func importActivityWatch(_ context: RequestContext) throws -> Response {
        let upload = try context.request.uploadedFile()
        guard let fields = try MultipartFile.fields(upload, contentType: context.request.header("content-type") ?? ""),
              let file = fields["export"], !file.isEmpty else {
            return try render(context, status: 422) { $0.activityWatchError = "Choose the ActivityWatch export file (JSON) to import." }
        }
        do {
            let summary = try Imports.activityWatch(context, UploadSource(upload, range: file))
            return try render(context) { $0.activityWatch = Imported(summary: summary.sentence, skipped: summary.lines) }
        } catch let error as ValidationError {
            return try render(context, status: 422) { $0.activityWatchError = error.message }
        } catch let error as HTTPError where error.status == 400 {
            return try render(context, status: 400) { $0.activityWatchError = error.message }
        }
    }

    /// A Toggl or Clockify CSV chosen in the form (field `csv`) with the zone of its times
    /// (field `timezone`, empty: the settings' zone).
    static func importCSV(_ context: RequestContext) throws -> Response {
        let upload = try context.request.uploadedFile()
        guard let fields = try MultipartFile.fields(upload, contentType: context.request.header("content-type") ?? "") else {
            return try render(context, status: 422) { $0.timesheetError = "Choose the CSV file to import." }
        }
        let zoneName = try fields["timezone"].map { String(decoding: try UploadSource.bytes(upload, $0, limit: 200), as: UTF8.self) } ?? ""
        guard let file = fields["csv"], !file.isEmpty else {
            return try render(context, status: 422) { $0.timesheetError = "Choose the CSV file to import."; $0.timesheetZone = zoneName }
        }
        do {
            let zone = try Imports.zone(context, named: zoneName)
            let summary = try Imports.csv(context, UploadSource(upload, range: file), zone: zone)
            return try render(context) { $0.timesheet = Imported(summary: summary.sentence, skipped: summary.lines); $0.timesheetZone = zoneName }
        } catch let error as ValidationError {
            return try render(context, status: 422) { $0.timesheetError = error.message; $0.timesheetZone = zoneName }
        }
    }

    static func addBooking(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        var typed = BookingForm(date: fields["date"].trimmingWhitespace, kind: fields["kind"], hours: fields["hours"].trimmingWhitespace,
                                note: fields["note"])
        do {
            guard let minutes = Format.signedMinutes(fromHours: typed.hours) else {
                throw ValidationError(.minutes, "Type the hours with a sign, like -10:00 for a payout of ten hours or 2:30.")
            }
            _ = try Bookings.add(context, date: typed.date, kind: typed.kind, minutes: minutes, note: typed.note)
            return .seeOther("/settings?saved=booking#bookings")
        } catch let error as ValidationError {
            typed.errors.add(error)
        } catch let error as InvalidValue {
            typed.errors.add(error.message, at: .date)
        }
        return try render(context, status: 422) { $0.booking = typed }
    }

    static func removeBooking(_ context: RequestContext) throws -> Response {
        guard let id = Int64((try Form(context.request))["id"]) else { throw HTTPError(404, "no such booking") }
        try Bookings.remove(context, id: id)
        return .seeOther("/settings?saved=booking-removed#bookings")
    }

    static func removeHoliday(_ context: RequestContext) throws -> Response {
        try Holidays.remove(context, date: (try Form(context.request))["date"])
        return .seeOther("/settings?saved=holiday-removed#holidays")
    }

    // MARK: Rendering

    /// The page from what is stored, with `typed` putting back what a failed form held.
    static func render(_ context: RequestContext, saved: String? = nil, imported: Imported? = nil, status: Int = 200,
                       typed: (inout Forms) -> Void) throws -> Response {
        let pages = try context.requirePages()
        let settings = try context.database.settings()
        let schedule = try context.database.schedule()
        let today = try context.today()
        var forms = Forms(settings, schedule: schedule, today: today)
        typed(&forms)
        let signedThrough = try context.database.latestSignedMonth()?.last
        let stored = try context.database.holidays()
        let holidays = stored.map { holiday in
            HolidayRow(date: holiday.date.description, weekday: weekdayNames[holiday.date.weekday]!, name: holiday.name,
                       removable: signedThrough.map { holiday.date > $0 } ?? true)
        }
        let added = try context.request.queryItems["year"].flatMap { Int($0) }
        let holidayYears = Dictionary(grouping: zip(stored, holidays), by: { $0.0.date.year }).sorted { $0.key < $1.key }.map {
            HolidayYear(year: $0.key, count: $0.value.count, one: $0.value.count == 1,
                        open: $0.key == today.year || $0.key == today.year + 1 || $0.key == added, rows: $0.value.map(\.1))
        }
        let general = forms.general, simple = forms.simple, change = forms.change, holiday = forms.holiday, booking = forms.booking
        let bookings = try context.database.bookings().map { booking in
            BookingRow(id: booking.id, date: booking.date.description, kind: booking.kind == .payout ? "Payout" : "Adjustment",
                       minutes: Format.signed(booking.minutes), note: booking.note,
                       removable: signedThrough.map { booking.date > $0 } ?? true)
        }
        let zone = settings.timezone
        let changes = try context.database.changeLog().map {
            ChangeRow(at: DayText.moment($0.at, in: zone), subject: $0.subject, before: $0.before, after: $0.after)
        }
        var zones = zoneNames
        if !general.timezone.isEmpty && !zones.contains(general.timezone) { zones.insert(general.timezone, at: 0) }
        let inForce = schedule.index(on: today)
        let versions = schedule.versions.enumerated().map { index, version in
            VersionRow(validFrom: version.validFrom.description,
                       hours: Weekday.allCases.map { Format.duration(version.minutes[$0]) },
                       week: Format.duration(version.minutes.weekTotal),
                       rules: version.workRules == .de ? "German ArbZG" : "none", inForce: index == inForce,
                       removable: schedule.versions.count > 1)
        }
        let model = Model(
            saved: saved, name: general.name, periodStart: general.periodStart, periodEnd: general.periodEnd, opening: general.opening,
            vacation: general.vacation, nameError: general.errors[.name], periodStartError: general.errors[.periodStart], periodEndError: general.errors[.periodEnd],
            openingError: general.errors[.opening], vacationError: general.errors[.vacation],
            timezoneError: general.errors[.timezone], generalError: general.errors[.general],
            timezoneGroups: zoneGroups(zones, selected: general.timezone), suggestZone: !settings.saved,
            inForceFrom: schedule.versions[inForce].validFrom.description, inForceIsEarliest: inForce == 0,
            inForceIsUneven: Set(schedule.versions[inForce].minutes.values.filter { $0 > 0 }).count > 1,
            weekdays: Weekday.allCases.map { Option(value: $0.rawValue, label: weekdayNames[$0]!, checked: simple.workingDays.contains($0)) },
            hours: simple.hours, workingDaysError: simple.errors[.workingDays], hoursError: simple.errors[.hours],
            weekdayHeads: Weekday.allCases.map { String(weekdayNames[$0]!.prefix(3)) },
            versions: versions, changeFrom: change.validFrom,
            changeHours: Weekday.allCases.map { HoursInput(day: $0.rawValue, label: weekdayNames[$0]!, value: change.hours[$0] ?? "") },
            changeFromError: change.errors[.validFrom], changeHoursError: change.errors[.hours],
            ruleOptions: WorkRules.allCases.map {
                Option(value: $0.rawValue, label: $0 == .de ? "German working-time law (ArbZG)" : "None", checked: change.workRules == $0.rawValue)
            },
            holidays: holidays, holidayYears: holidayYears, hasHolidays: !holidays.isEmpty, holidayDate: holiday.date, holidayName: holiday.name,
            holidayDateError: holiday.errors[.date], holidayNameError: holiday.errors[.name],
            imported: imported, importError: forms.importError,
            activityWatch: forms.activityWatch, activityWatchError: forms.activityWatchError,
            timesheet: forms.timesheet, timesheetError: forms.timesheetError, timesheetZone: forms.timesheetZone,
            bookings: bookings, hasBookings: !bookings.isEmpty, bookingDate: booking.date, bookingHours: booking.hours,
            bookingNote: booking.note,
            bookingKinds: BookingKind.allCases.map {
                Option(value: $0.rawValue, label: $0 == .payout ? "Payout (overtime paid out)" : "Adjustment", checked: booking.kind == $0.rawValue)
            },
            bookingDateError: booking.errors[.date], bookingKindError: booking.errors[.kind],
            bookingMinutesError: booking.errors[.minutes], bookingNoteError: booking.errors[.note],
            changes: changes, hasChanges: !changes.isEmpty,
            documentImported: forms.documentImported, documentError: forms.documentError)
        return pages.render("settings", model, title: "Settings", path: "/settings", status: status, script: true)
    }
}
