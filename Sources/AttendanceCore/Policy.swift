/// What the user's policy expects on each date (SPEC §2 rule 5). Callers ask only
/// `expected(on:)` and `isInPeriod`, so per-weekday hours or dated schedule changes can
/// grow here without touching them.
public struct Policy: Sendable, Equatable {
    public var settings: Settings
    /// Holiday names by date.
    public var holidays: [LocalDate: String]

    public init(settings: Settings, holidays: [LocalDate: String]) {
        self.settings = settings
        self.holidays = holidays
    }

    public func isInPeriod(_ date: LocalDate) -> Bool {
        date >= settings.periodStart && (settings.periodEnd.map { date <= $0 } ?? true)
    }

    public func isWorkingDay(_ date: LocalDate) -> Bool { settings.workingDays.contains(date.weekday) }

    /// `daily_required_minutes` on a working day inside the period that is not a holiday; else 0.
    public func expected(on date: LocalDate) -> Int {
        isInPeriod(date) && isWorkingDay(date) && holidays[date] == nil ? settings.dailyRequiredMinutes : 0
    }

    /// Σ expected over [from, to], counted without walking every day: whole weeks times the
    /// working days per week, the remainder day by day, less working-day holidays.
    public func expectedTotal(from: LocalDate, to: LocalDate) -> Int {
        let first = max(from, settings.periodStart)
        let last = settings.periodEnd.map { min(to, $0) } ?? to
        guard first <= last else { return 0 }
        let days = last.dayNumber - first.dayNumber + 1
        var workingDays = days / 7 * settings.workingDays.count
        for offset in 0..<(days % 7) where isWorkingDay(first.adding(days: days / 7 * 7 + offset)) {
            workingDays += 1
        }
        let holidaysOff = holidays.keys.filter { $0 >= first && $0 <= last && isWorkingDay($0) }.count
        return (workingDays - holidaysOff) * settings.dailyRequiredMinutes
    }
}
