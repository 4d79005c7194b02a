/// The user's period, opening balance, vacation allowance and zone, plus the simple form
/// of the schedule (SPEC §3), as stored and as the API shows them.
public struct Settings: Sendable, Equatable {
    public var periodStart: LocalDate
    /// The last day of the period, or nil for an open end.
    public var periodEnd: LocalDate?
    /// Resolved once, when the settings are read; every figure uses this value.
    public var timezone: Zone
    /// What was carried over from before the period (rule 7), in minutes; may be negative.
    public var openingBalanceMinutes: Int
    /// Vacation days per year in half days (`vacation_days_per_year` × 2), so 24.5 is exact.
    public var vacationHalfDaysPerYear: Int
    /// The simple form of the schedule as last saved: the working days, and the minutes
    /// each of them gets. Kept even when no day is checked or the minutes are 0, so
    /// clearing one never loses the other.
    public var workingDays: Set<Weekday>
    public var dailyRequiredMinutes: Int
    /// False until the settings were saved once (through the API or the page): a new
    /// install says what to set first.
    public var saved: Bool
    /// Whose time this is, as the timesheet names it (SPEC §3 `name`, ≤ 100 characters);
    /// "" when not given.
    public var name: String

    public init(periodStart: LocalDate, periodEnd: LocalDate? = nil, timezone: Zone, openingBalanceMinutes: Int = 0,
                vacationHalfDaysPerYear: Int = 0, workingDays: Set<Weekday> = Settings.mondayToFriday,
                dailyRequiredMinutes: Int = 480, saved: Bool = true, name: String = "") {
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.timezone = timezone
        self.openingBalanceMinutes = openingBalanceMinutes
        self.vacationHalfDaysPerYear = vacationHalfDaysPerYear
        self.workingDays = workingDays
        self.dailyRequiredMinutes = dailyRequiredMinutes
        self.saved = saved
        self.name = name
    }

    public static let mondayToFriday: Set<Weekday> = [.mon, .tue, .wed, .thu, .fri]

    /// Rule 10: a fresh database's settings. The period starts on the local date of the
    /// first start (`today`) with an open end, so the first day's balance is 0:00 and not
    /// a deficit for the months before the install; opening balance 0, no vacation days.
    public static func fresh(today: LocalDate, timezone: Zone) -> Settings {
        Settings(periodStart: today, timezone: timezone, saved: false)
    }

    /// The part of [from, to] inside the period, or nil when they do not meet. The one
    /// place the period clamps a span (rule 7).
    public func periodPart(from: LocalDate, to: LocalDate) -> ClosedRange<LocalDate>? {
        let first = max(from, periodStart)
        let last = periodEnd.map { min(to, $0) } ?? to
        return first <= last ? first...last : nil
    }

    public func isInPeriod(_ date: LocalDate) -> Bool { periodPart(from: date, to: date) != nil }

    /// The simple form as a week of minutes: each working day gets the daily minutes.
    public var simpleWeek: WeekMinutes {
        WeekMinutes { workingDays.contains($0) ? dailyRequiredMinutes : 0 }
    }

    /// Working days as a bit set, Monday = bit 0 (how the database stores them).
    public var workingDayBits: Int {
        Weekday.allCases.enumerated().reduce(0) { bits, entry in
            workingDays.contains(entry.element) ? bits | (1 << entry.offset) : bits
        }
    }

    public static func workingDays(bits: Int) -> Set<Weekday> {
        Set(Weekday.allCases.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element))
    }
}

// MARK: The simple form of the schedule

extension Settings {
    /// The simple form shown for `week`, the version in force today: the stored form when
    /// that version is exactly it; otherwise read off the version — its days with minutes,
    /// and the minutes most of them get (the larger on a tie), or the stored minutes when
    /// no day has any.
    public func simpleForm(of week: WeekMinutes) -> (workingDays: Set<Weekday>, dailyRequiredMinutes: Int) {
        guard week != simpleWeek else { return (workingDays, dailyRequiredMinutes) }
        var counts: [Int: Int] = [:]
        for day in Weekday.allCases where week[day] > 0 { counts[week[day], default: 0] += 1 }
        let daily = counts.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key ?? dailyRequiredMinutes
        return (week.workingDays, daily)
    }

    /// Sets the simple form (a nil part keeps what `simpleForm(of:)` shows for the version
    /// in force on `today`) and returns that version rewritten in place: each working day
    /// gets the daily minutes, the other days 0 (SPEC §3).
    public mutating func setSimpleForm(workingDays newDays: Set<Weekday>?, dailyRequiredMinutes newMinutes: Int?,
                                       schedule: Schedule, today: LocalDate) -> ScheduleVersion {
        var version = schedule.version(on: today)
        let shown = simpleForm(of: version.minutes)
        workingDays = newDays ?? shown.workingDays
        dailyRequiredMinutes = newMinutes ?? shown.dailyRequiredMinutes
        version.minutes = simpleWeek
        return version
    }
}
