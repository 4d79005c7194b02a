/// What the user's policy expects on each date (SPEC §2 rule 5): the period, the dated
/// schedule and the holidays. The only home of rule 5; callers ask `expected(on:)`,
/// `isWorkingDay` and `expectedTotal`.
public struct Policy: Sendable, Equatable {
    public var settings: Settings
    public var schedule: Schedule
    /// Holiday names by date. Must hold every holiday of the dates asked about.
    public var holidays: [LocalDate: String]

    public init(settings: Settings, schedule: Schedule, holidays: [LocalDate: String]) {
        self.settings = settings
        self.schedule = schedule
        self.holidays = holidays
    }

    public func isInPeriod(_ date: LocalDate) -> Bool { settings.isInPeriod(date) }

    /// Rule 5: the weekday has minutes > 0 in the version in force on `date`.
    public func isWorkingDay(_ date: LocalDate) -> Bool { schedule.minutes(on: date) > 0 }

    /// `base(D)`: the schedule's minutes for `date` inside the period on a date that is
    /// not a holiday; else 0.
    public func expected(on date: LocalDate) -> Int {
        isInPeriod(date) && holidays[date] == nil ? schedule.minutes(on: date) : 0
    }

    /// Σ expected over [from, to], without walking every day: each schedule version's
    /// segment by whole weeks, less the minutes of the holidays in it.
    public func expectedTotal(from: LocalDate, to: LocalDate) -> Int {
        guard let span = settings.periodPart(from: from, to: to) else { return 0 }
        var total = schedule.total(from: span.lowerBound, to: span.upperBound)
        for date in holidays.keys where span.contains(date) { total -= schedule.minutes(on: date) }
        return total
    }
}
