import AttendanceCore

/// How a day's instants read on the pages and in the CSV: `HH:MM` on the local clock.
enum DayText {
    /// The local clock at `minute`, on `date`'s page: an end at the next midnight is
    /// `24:00`, not `00:00`.
    static func clock(_ minute: Int64, on date: LocalDate, in zone: Zone) -> String {
        let wall = zone.wallClock(ofMinute: minute)
        return wall.date > date && wall.minuteOfDay == 0 ? "24:00" : zone.clock(minute: minute)
    }

    /// An instant as seen from `date`'s page: `HH:MM` on that date, with the date in front
    /// when it lies on another (`2026-03-02 01:00`).
    static func instant(_ minute: Int64, on date: LocalDate, in zone: Zone) -> String {
        let wall = zone.wallClock(ofMinute: minute)
        if wall.date == date || (wall.date == date.adding(days: 1) && wall.minuteOfDay == 0) { return clock(minute, on: date, in: zone) }
        return "\(wall.date) \(zone.clock(minute: minute))"
    }

    /// First start and last end, or nil when nothing was recorded; on a frozen date the
    /// clock as signed.
    static func startEnd(_ day: DayFigures, in zone: Zone) -> (start: String, end: String)? {
        if let start = day.signedStart, let end = day.signedEnd { return (signedClock(start, on: day.date), signedClock(end, on: day.date)) }
        return day.work.map { (clock($0.firstStart, on: day.date, in: zone), clock($0.lastEnd, on: day.date, in: zone)) }
    }

    /// `HH:MM` of a signed RFC 3339 instant (`2025-10-14T09:00:00+02:00`), `24:00` for the
    /// next midnight.
    static func signedClock(_ instant: String, on date: LocalDate) -> String {
        let characters = Array(instant)
        guard characters.count >= 16 else { return instant }
        let clock = String(characters[11..<16])
        return clock == "00:00" && String(characters[0..<10]) > date.description ? "24:00" : clock
    }

    /// A moment (seconds since the epoch) in the user's zone: `2026-11-25 22:27`.
    static func moment(_ seconds: Int64, in zone: Zone) -> String {
        let minute = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
        return "\(zone.wallClock(ofMinute: minute).date) \(zone.clock(minute: minute))"
    }

    /// What a day's remark says: the absence, the holiday, the time of entries with their
    /// notes (`notes`: those of the entries covering the day), the correction's note.
    static func remarks(_ day: DayFigures, entryNotes notes: [String] = []) -> [String] {
        [day.absence.map(AbsencesPage.describe), day.holiday.map { "Holiday: \($0)" },
         day.manual > 0 ? "Away from the computer \(Format.duration(day.manual))" + (notes.isEmpty ? "" : ": " + notes.joined(separator: ", ")) : nil,
         day.correction.map { minutes in "Corrected to \(Format.duration(minutes))" + (day.correctionNote.map { ": \($0)" } ?? "") }]
            .compactMap { $0 } + rules(day)
    }

    /// Rule 12 in words: the break deducted and each warning, with its paragraph of the
    /// ArbZG. Empty when the rules are off or the day is corrected.
    static func rules(_ day: DayFigures) -> [String] {
        var lines: [String] = []
        if day.ruleDeduction > 0 {
            let breaks = day.work?.longBreaks ?? 0
            lines.append("\(day.ruleDeduction) min break deducted: \(Format.duration(day.worked)) worked "
                         + (breaks == 0 ? "without a break of 15 minutes" : "with \(Format.duration(breaks)) of breaks of 15 minutes or more")
                         + " (§4 ArbZG)")
        }
        for warning in day.warnings { lines.append(warningText[warning]!) }
        return lines
    }

    static let warningText: [WorkWarning: String] = [
        .over10h: "Over 10 hours counted (§3 ArbZG)",
        .shortRest: "Less than 11 hours of rest since the day before (§5 ArbZG)",
        .noBreak6h: "More than 6 hours worked without a break of 15 minutes (§4 ArbZG)",
        .sundayOrHoliday: "Worked on a Sunday or a holiday (§9 ArbZG)",
    ]

    /// The distinct non-empty notes of `entries` by each local date they touch.
    static func entryNotes(_ entries: [TimeEntry], zone: Zone, nowMinute: Int64) -> [LocalDate: [String]] {
        var notes: [LocalDate: [String]] = [:]
        for entry in entries where !entry.note.isEmpty {
            for date in zone.dates(of: entry.span(nowMinute: nowMinute)) where !(notes[date]?.contains(entry.note) ?? false) {
                notes[date, default: []].append(entry.note)
            }
        }
        return notes
    }
}
