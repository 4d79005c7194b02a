import Foundation
import AttendanceCore
import HTTPMessage
import Storage

/// `GET/POST /api/settings`.
enum SettingsHandler {
    static func get(_ context: RequestContext) throws -> Response {
        .json(SettingsBody(try context.settings(), schedule: try context.database.schedule(), today: try context.today()))
    }

    /// Applies any subset of the fields; the result is validated as a whole, and stored
    /// with the rewritten schedule version in one transaction.
    static func post(_ context: RequestContext) throws -> Response {
        let change = try context.request.decodeJSON(SettingsChange.self)
        let (settings, schedule) = try context.apply(UpdateSettings { settings, schedule in
            try change.apply(to: &settings, schedule: schedule, now: context.now)
        })
        context.settingsChanged()
        return .json(SettingsBody(settings, schedule: schedule, today: try context.today()))
    }
}

/// The settings as the API shows them; `working_days` and `daily_required_minutes` are
/// the simple form of the version in force today.
struct SettingsBody: Encodable {
    let settings: Settings
    let workingDays: Set<Weekday>
    let dailyRequiredMinutes: Int

    init(_ settings: Settings, schedule: Schedule, today: LocalDate) {
        self.settings = settings
        (workingDays, dailyRequiredMinutes) = settings.simpleForm(of: schedule.version(on: today).minutes)
    }

    enum CodingKeys: String, CodingKey {
        case periodStart = "period_start", periodEnd = "period_end", workingDays = "working_days"
        case dailyRequiredMinutes = "daily_required_minutes", timezone
        case openingBalance = "opening_balance_minutes", vacationDays = "vacation_days_per_year", name
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(settings.periodStart.description, forKey: .periodStart)
        try container.encode(settings.periodEnd?.description, forKey: .periodEnd)
        try container.encode(Weekday.allCases.filter(workingDays.contains).map(\.rawValue), forKey: .workingDays)
        try container.encode(dailyRequiredMinutes, forKey: .dailyRequiredMinutes)
        try container.encode(settings.timezone.identifier, forKey: .timezone)
        try container.encode(settings.openingBalanceMinutes, forKey: .openingBalance)
        // Whole days as integers (24), halves as 24.5.
        let halves = settings.vacationHalfDaysPerYear
        if halves % 2 == 0 {
            try container.encode(halves / 2, forKey: .vacationDays)
        } else {
            try container.encode(Double(halves) / 2, forKey: .vacationDays)
        }
        try container.encode(settings.name, forKey: .name)
    }
}

/// A settings change: absent fields stay as they are; `period_end: null` opens the end.
struct SettingsChange: Decodable {
    var periodStart: String?
    var periodEnd: String??
    var workingDays: [String]?
    var dailyRequiredMinutes: Int?
    var timezone: String?
    var openingBalanceMinutes: Int?
    var vacationDaysPerYear: Double?
    var name: String?

    static let openingLimit = 1_000_000
    static let nameLimit = 100

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: SettingsBody.CodingKeys.self)
        periodStart = try container.decodeIfPresent(String.self, forKey: .periodStart)
        if container.contains(.periodEnd) {
            periodEnd = .some(try container.decodeNil(forKey: .periodEnd) ? nil : container.decode(String.self, forKey: .periodEnd))
        }
        workingDays = try container.decodeIfPresent([String].self, forKey: .workingDays)
        dailyRequiredMinutes = try container.decodeIfPresent(Int.self, forKey: .dailyRequiredMinutes)
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
        openingBalanceMinutes = try container.decodeIfPresent(Int.self, forKey: .openingBalance)
        vacationDaysPerYear = try container.decodeIfPresent(Double.self, forKey: .vacationDays)
        name = try container.decodeIfPresent(String.self, forKey: .name)
    }

    init() {}

    /// Applies this change to `settings`, or throws a `ValidationError` naming the first
    /// invalid value. Returns the schedule version to store when the simple form changed:
    /// the version in force today, rewritten in place.
    func apply(to settings: inout Settings, schedule: Schedule, now: Int64) throws -> ScheduleVersion? {
        if let periodStart { settings.periodStart = try Input.date(periodStart, field: .periodStart) }
        if let periodEnd { settings.periodEnd = try periodEnd.map { try Input.date($0, field: .periodEnd) } }
        if let timezone { settings.timezone = try Input.zone(timezone) }
        if let openingBalanceMinutes {
            guard abs(openingBalanceMinutes) <= Self.openingLimit else {
                throw ValidationError(.openingBalance, "opening_balance_minutes must be between −\(Self.openingLimit) and \(Self.openingLimit), not \(openingBalanceMinutes)")
            }
            settings.openingBalanceMinutes = openingBalanceMinutes
        }
        if let vacationDaysPerYear {
            let halves = vacationDaysPerYear * 2
            guard (0...732).contains(halves), halves == halves.rounded() else {
                throw ValidationError(.vacationDays, "vacation_days_per_year must be between 0 and 366 in steps of 0.5, not \(vacationDaysPerYear)")
            }
            settings.vacationHalfDaysPerYear = Int(halves)
        }
        if let name {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= Self.nameLimit else {
                throw ValidationError(.name, "name must be at most \(Self.nameLimit) characters, not \(trimmed.count)")
            }
            guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw ValidationError(.name, "name must not contain line breaks or control characters")
            }
            settings.name = trimmed
        }
        if let end = settings.periodEnd, end < settings.periodStart {
            throw ValidationError(.periodEnd, "period_end \(end) is before period_start \(settings.periodStart)")
        }
        guard workingDays != nil || dailyRequiredMinutes != nil else { return nil }
        let days = try workingDays.map { names in
            Set(try names.map { name in
                guard let day = Weekday(rawValue: name) else {
                    throw ValidationError(.workingDays, "working_days: unknown weekday \"\(name)\"; use mon, tue, wed, thu, fri, sat, sun")
                }
                return day
            })
        }
        if let dailyRequiredMinutes {
            _ = try Input.weekdayMinutes(dailyRequiredMinutes, field: .dailyRequiredMinutes, label: "daily_required_minutes")
        }
        let today = settings.timezone.localDate(ofMinute: now / 60)
        return settings.setSimpleForm(workingDays: days, dailyRequiredMinutes: dailyRequiredMinutes, schedule: schedule, today: today)
    }
}
