/// What the user's policy expects on each date (SPEC §2 rules 5 and 5a): the period,
/// the dated schedule, the holidays and the absences. The only home of those rules;
/// callers ask `expected(on:)`, `isWorkingDay`, `expectedTotal` and `canBook`.
public struct Policy: Sendable, Equatable {
    public var settings: Settings
    public var schedule: Schedule
    /// Holiday names by date. Must hold every holiday of the dates asked about.
    public var holidays: [LocalDate: String]
    /// Absences by date. Must hold every absence of the dates asked about.
    public var absences: [LocalDate: Absence]

    public init(settings: Settings, schedule: Schedule, holidays: [LocalDate: String], absences: [LocalDate: Absence] = [:]) {
        self.settings = settings
        self.schedule = schedule
        self.holidays = holidays
        self.absences = absences
    }

    public func isInPeriod(_ date: LocalDate) -> Bool { settings.isInPeriod(date) }

    /// Rule 5: the weekday has minutes > 0 in the version in force on `date`.
    public func isWorkingDay(_ date: LocalDate) -> Bool { schedule.minutes(on: date) > 0 }

    /// `base(D)`: the schedule's minutes for `date` inside the period on a date that is
    /// not a holiday; else 0.
    public func base(on date: LocalDate) -> Int {
        isInPeriod(date) && holidays[date] == nil ? schedule.minutes(on: date) : 0
    }

    /// Rule 5a: the base less what the date's absence takes off.
    public func expected(on date: LocalDate) -> Int {
        let base = base(on: date)
        return base - (absences[date]?.reduction(ofBase: base) ?? 0)
    }

    /// An absence can be booked only on a date that expects something (`base > 0`).
    public func canBook(_ date: LocalDate) -> Bool { base(on: date) > 0 }

    /// Σ expected over [from, to], without walking every day: each schedule version's
    /// segment by whole weeks, less the minutes of the holidays and absences in it.
    public func expectedTotal(from: LocalDate, to: LocalDate) -> Int {
        guard let span = settings.periodPart(from: from, to: to) else { return 0 }
        var total = schedule.total(from: span.lowerBound, to: span.upperBound)
        for date in holidays.keys where span.contains(date) { total -= schedule.minutes(on: date) }
        for (date, absence) in absences where span.contains(date) { total -= absence.reduction(ofBase: base(on: date)) }
        return total
    }
}

extension Policy {
    /// The dates of [from, to] an absence is booked on (those with `base > 0`) and those
    /// skipped (days off, holidays, dates outside the period), each in date order.
    public func booking(from: LocalDate, to: LocalDate) -> (booked: [LocalDate], skipped: [LocalDate]) {
        guard from <= to else { return ([], []) }
        var booked: [LocalDate] = [], skipped: [LocalDate] = []
        for day in from.dayNumber...to.dayNumber {
            let date = LocalDate(dayNumber: day)
            if canBook(date) { booked.append(date) } else { skipped.append(date) }
        }
        return (booked, skipped)
    }
}
