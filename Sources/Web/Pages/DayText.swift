import AttendanceCore

/// How a day's instants read on the pages and in the CSV: `HH:MM` on the local clock.
enum DayText {
    /// The local clock at `minute`, on `date`'s page: an end at the next midnight is
    /// `24:00`, not `00:00`.
    static func clock(_ minute: Int64, on date: LocalDate, in zone: Zone) -> String {
        let wall = zone.wallClock(ofMinute: minute)
        return wall.date > date && wall.minuteOfDay == 0 ? "24:00" : zone.clock(minute: minute)
    }

    /// First start and last end, or nil when nothing was recorded.
    static func startEnd(_ day: DayFigures, in zone: Zone) -> (start: String, end: String)? {
        day.span.map { (clock($0.firstStart, on: day.date, in: zone), clock($0.lastEnd, on: day.date, in: zone)) }
    }

    /// A moment (seconds since the epoch) in the user's zone: `2026-11-25 22:27`.
    static func moment(_ seconds: Int64, in zone: Zone) -> String {
        let minute = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
        return "\(zone.wallClock(ofMinute: minute).date) \(zone.clock(minute: minute))"
    }

    /// What a day's remark says: the absence, the holiday, the correction's note.
    static func remarks(_ day: DayFigures) -> [String] {
        [day.absence.map(AbsencesPage.describe), day.holiday.map { "Holiday: \($0)" },
         day.correction.map { minutes in "Corrected to \(Format.duration(minutes))" + (day.correctionNote.map { ": \($0)" } ?? "") }]
            .compactMap { $0 }
    }
}
