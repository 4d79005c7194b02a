import AttendanceCore
import Foundation
import HTTPMessage

/// An input the API and the forms validate, by its API name. A form places each one
/// beside its own input through an exhaustive `switch`, so a new field cannot go unshown.
enum Field: String, Sendable, CaseIterable {
    case periodStart = "period_start", periodEnd = "period_end", workingDays = "working_days"
    case dailyRequiredMinutes = "daily_required_minutes", timezone
    case openingBalance = "opening_balance_minutes", vacationDays = "vacation_days_per_year"
    case validFrom = "valid_from", minutes, date, name, note, from, to, timestamp, host, year, asOf = "as_of"
    case kind, halfDay = "half_day", calendar, start, end, month, reason, workRules = "work_rules"
    /// An uploaded file (an import).
    case file
}

/// A well-formed but invalid value: 422 in the API (mapped once, in `App`), a message
/// beside `field` on a form.
struct ValidationError: Error, Sendable, Equatable {
    let field: Field
    let message: String

    init(_ field: Field, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// Validation shared by the API and the forms: one rule, one message.
enum Input {
    static func date(_ text: String, field: Field) throws -> LocalDate {
        guard let date = LocalDate(text) else {
            throw ValidationError(field, "\(field.rawValue) \"\(text)\" is not a real date in the form YYYY-MM-DD")
        }
        return date
    }

    /// A `from`/`to` pair: 422 when inverted or longer than `maxDays`.
    static func range(_ from: LocalDate, _ to: LocalDate, maxDays: Int) throws {
        guard from <= to else { throw ValidationError(.to, "from \(from) is after to \(to)") }
        guard to.dayNumber - from.dayNumber + 1 <= maxDays else {
            throw ValidationError(.to, "the range from \(from) to \(to) is longer than \(maxDays) days")
        }
    }

    /// Free text (a host, a name, a note): at most `limit` characters and no NUL, which
    /// SQLite's C strings would silently cut the text at. `label` names it in the message.
    static func text(_ text: String, field: Field, label: String? = nil, limit: Int) throws {
        let label = label ?? field.rawValue
        guard !text.unicodeScalars.contains("\u{0}") else {
            throw ValidationError(field, "\(label) must not contain NUL characters")
        }
        guard text.unicodeScalars.count <= limit else {
            throw ValidationError(field, "\(label) is longer than \(limit) characters")
        }
    }

    /// Minutes of one weekday in a schedule: 0…1440.
    static func weekdayMinutes(_ minutes: Int, field: Field, label: String) throws -> Int {
        guard (0...WeekMinutes.limit).contains(minutes) else {
            throw ValidationError(field, "\(label) must be between 0 and \(WeekMinutes.limit) minutes, not \(minutes)")
        }
        return minutes
    }

    /// A week of minutes from `{"mon": 480, …}`; a weekday left out is 0.
    static func week(_ minutes: [String: Int], field: Field) throws -> WeekMinutes {
        for key in minutes.keys where Weekday(rawValue: key) == nil {
            throw ValidationError(field, "\(field.rawValue): unknown weekday \"\(key)\"; use mon, tue, wed, thu, fri, sat, sun")
        }
        var week = WeekMinutes { _ in 0 }
        for day in Weekday.allCases {
            week[day] = try weekdayMinutes(minutes[day.rawValue] ?? 0, field: field, label: "\(field.rawValue).\(day.rawValue)")
        }
        return week
    }

    /// A year parameter: absent is `current`, not a number is 400, outside 1…9999 is 422.
    static func year(_ text: String?, current: Int) throws -> Int {
        guard let text, !text.isEmpty else { return current }
        guard let number = Int(text) else { throw HTTPError(400, "year must be a number like \(current)") }
        guard (1...9999).contains(number) else { throw ValidationError(.year, "year must be between 1 and 9999") }
        return number
    }

    static func zone(_ name: String) throws -> Zone {
        guard let zone = Zone(identifier: name), name.contains("/") || name == "UTC" else {
            throw ValidationError(.timezone, "timezone \"\(name)\" is not a known IANA time zone such as Europe/Berlin")
        }
        return zone
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }
}
