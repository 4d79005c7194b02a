import Foundation

/// Rows of a Toggl Track or Clockify "detailed" CSV export, read as time entries: the
/// columns each tool names (`Start date`, `Start time`, `End date`, `End time`,
/// `Description` in Toggl; `Start Date`, `Start Time`, `End Date`, `End Time`,
/// `Description` with `Duration (h)` in Clockify), local dates and times in the zone the
/// user names. Pure: the zone is handed in.
public enum Timesheet {
    public enum Tool: String, Sendable { case toggl = "Toggl", clockify = "Clockify" }

    /// Where the columns are in a header row.
    public struct Columns: Sendable, Equatable {
        public let tool: Tool
        public let startDate, startTime, endDate, endTime: Int
        public let description: Int?
        public let project: Int?
    }

    /// The columns of `header`, or nil when it is neither tool's detailed export.
    /// Names are matched without regard to case or surrounding spaces (a byte-order mark
    /// before the first is ignored); Clockify is told apart by its `Duration (h)` column
    /// or its capitalised names.
    public static func columns(header: [String]) -> Columns? {
        let names = header.map { $0.trimmingSpaces.replacingBOM }
        func index(_ name: String) -> Int? { names.firstIndex { $0.lowercased() == name.lowercased() } }
        guard let startDate = index("Start date"), let startTime = index("Start time"),
              let endDate = index("End date"), let endTime = index("End time") else { return nil }
        let clockify = index("Duration (h)") != nil || names[startDate] == "Start Date"
        return Columns(tool: clockify ? .clockify : .toggl, startDate: startDate, startTime: startTime, endDate: endDate,
                       endTime: endTime, description: index("Description"), project: index("Project"))
    }

    /// A date as the tools write it: `2026-03-29` (Toggl; Clockify's YYYY-MM-DD),
    /// `03/29/2026` (Clockify's default MM/DD/YYYY; read DD/MM/YYYY when the first number
    /// is over 12), `29.03.2026` (DD.MM.YYYY), `29-03-2026` (DD-MM-YYYY; MM-DD-YYYY when
    /// the second number is over 12).
    public static func date(_ text: String) -> LocalDate? {
        let text = text.trimmingSpaces
        if let date = LocalDate(text) { return date }
        for separator in ["/", ".", "-"] {
            let parts = text.split(separator: Character(separator), omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, parts[2].count == 4, let year = Int(parts[2]),
                  parts[0].count <= 2, parts[1].count <= 2, let a = Int(parts[0]), let b = Int(parts[1]) else { continue }
            switch separator {
            case "/": return a > 12 ? LocalDate(year: year, month: b, day: a) : LocalDate(year: year, month: a, day: b)
            case ".": return LocalDate(year: year, month: b, day: a)
            default: return b > 12 ? LocalDate(year: year, month: a, day: b) : LocalDate(year: year, month: b, day: a)
            }
        }
        return nil
    }

    /// A time of day in seconds from midnight: `13:05`, `13:05:09`, `1:05 PM`, `01:05:09 pm`
    /// (24-hour or 12-hour with AM/PM); nil for anything else.
    public static func time(_ text: String) -> Int? {
        var text = text.trimmingSpaces.uppercased()
        var meridiem: String?
        for suffix in ["AM", "PM"] where text.hasSuffix(suffix) {
            meridiem = suffix
            text = String(text.dropLast(2)).trimmingSpaces
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(\.isASCII) }),
              var hour = Int(parts[0]), let minute = Int(parts[1]), (0...59).contains(minute) else { return nil }
        let second = parts.count == 3 ? Int(parts[2]) : 0
        guard let second, (0...59).contains(second) else { return nil }
        if let meridiem {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (meridiem == "PM" ? 12 : 0)
        }
        guard (0...23).contains(hour) else { return nil }
        return hour * 3600 + minute * 60 + second
    }
}

/// How a local time maps to instants in a zone.
public enum LocalTimeKind: Sendable, Equatable {
    case unique
    /// It happens twice (a fall-back night); the earlier instant was taken.
    case ambiguous(later: Int64)
    /// It never happens (a spring-forward night); the instant it names with the offset in
    /// force before the change was taken, so 02:30 in a gap from 02:00 to 03:00 is 03:30.
    case skipped
}

extension Zone {
    /// The instant (seconds since the epoch) of the local `time` (seconds from midnight)
    /// on `date`, and how it was chosen (see `LocalTimeKind`).
    public func instant(_ date: LocalDate, _ time: Int) -> (seconds: Int64, kind: LocalTimeKind) {
        let local = Int64(date.dayNumber) * 86_400 + Int64(time)
        let before = offset(atSeconds: local - 86_400), after = offset(atSeconds: local + 86_400)
        let early = local - before, late = local - after
        let earlyFits = offset(atSeconds: early) == before, lateFits = offset(atSeconds: late) == after
        switch (earlyFits, lateFits) {
        case (true, true) where early != late: return (min(early, late), .ambiguous(later: max(early, late)))
        case (true, _): return (early, .unique)
        case (false, true): return (late, .unique)
        case (false, false): return (early, .skipped)
        }
    }
}

extension Zone {
    /// The zone's offset from UTC at an instant, in seconds.
    func offset(atSeconds seconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
    }
}

extension String {
    var replacingBOM: String { hasPrefix("\u{FEFF}") ? String(dropFirst()) : self }
}
