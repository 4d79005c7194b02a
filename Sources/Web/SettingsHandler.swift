import AttendanceCore
import HTTPMessage

/// `GET/POST /api/settings`.
enum SettingsHandler {
    static func get(_ app: App, _: Request, _: [String]) throws -> Response {
        .json(SettingsBody(try app.database.settings()))
    }

    /// Applies any subset of the fields; the result is validated as a whole.
    static func post(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let change = try request.decodeJSON(SettingsChange.self)
        let settings = try change.applied(to: app.database.settings())
        try app.database.updateSettings(settings)
        return .json(SettingsBody(settings))
    }
}

/// The settings as the API shows them.
struct SettingsBody: Encodable {
    let settings: Settings

    init(_ settings: Settings) { self.settings = settings }

    enum CodingKeys: String, CodingKey {
        case periodStart = "period_start", periodEnd = "period_end", workingDays = "working_days"
        case dailyRequiredMinutes = "daily_required_minutes", timezone
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(settings.periodStart.description, forKey: .periodStart)
        try container.encode(settings.periodEnd?.description, forKey: .periodEnd)
        try container.encode(Weekday.allCases.filter(settings.workingDays.contains).map(\.rawValue), forKey: .workingDays)
        try container.encode(settings.dailyRequiredMinutes, forKey: .dailyRequiredMinutes)
        try container.encode(settings.timezone, forKey: .timezone)
    }
}

/// A settings change: absent fields stay as they are; `period_end: null` opens the end.
struct SettingsChange: Decodable {
    var periodStart: String?
    var periodEnd: String??
    var workingDays: [String]?
    var dailyRequiredMinutes: Int?
    var timezone: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: SettingsBody.CodingKeys.self)
        periodStart = try container.decodeIfPresent(String.self, forKey: .periodStart)
        if container.contains(.periodEnd) {
            periodEnd = .some(try container.decodeNil(forKey: .periodEnd) ? nil : container.decode(String.self, forKey: .periodEnd))
        }
        workingDays = try container.decodeIfPresent([String].self, forKey: .workingDays)
        dailyRequiredMinutes = try container.decodeIfPresent(Int.self, forKey: .dailyRequiredMinutes)
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
    }

    init(periodStart: String?, periodEnd: String??, workingDays: [String]?, dailyRequiredMinutes: Int?, timezone: String?) {
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.workingDays = workingDays
        self.dailyRequiredMinutes = dailyRequiredMinutes
        self.timezone = timezone
    }

    /// `current` with this change, or a 422 naming the first invalid value.
    func applied(to current: Settings) throws -> Settings {
        var settings = current
        if let periodStart { settings.periodStart = try Input.date(periodStart, field: "period_start") }
        if let periodEnd { settings.periodEnd = try periodEnd.map { try Input.date($0, field: "period_end") } }
        if let workingDays {
            settings.workingDays = Set(try workingDays.map { name in
                guard let day = Weekday(rawValue: name) else {
                    throw HTTPError(422, "working_days: unknown weekday \"\(name)\"; use mon, tue, wed, thu, fri, sat, sun",
                                    field: "working_days")
                }
                return day
            })
        }
        if let dailyRequiredMinutes {
            guard (0...1440).contains(dailyRequiredMinutes) else {
                throw HTTPError(422, "daily_required_minutes must be between 0 and 1440, not \(dailyRequiredMinutes)",
                                field: "daily_required_minutes")
            }
            settings.dailyRequiredMinutes = dailyRequiredMinutes
        }
        if let timezone {
            guard Zone(identifier: timezone) != nil, timezone.contains("/") || timezone == "UTC" else {
                throw HTTPError(422, "timezone \"\(timezone)\" is not a known IANA time zone such as Europe/Berlin",
                                field: "timezone")
            }
            settings.timezone = timezone
        }
        if let end = settings.periodEnd, end < settings.periodStart {
            throw HTTPError(422, "period_end \(end) is before period_start \(settings.periodStart)", field: "period_end")
        }
        return settings
    }
}
