/// One date's figures, as `/api/days` shows them.
public struct DayFigures: Sendable, Equatable {
    public var date: LocalDate
    public var recorded: Int
    /// The current correction's minutes, or nil when none applies.
    public var correction: Int?
    public var effective: Int
    public var expected: Int
    public var holiday: String?
    public var workingDay: Bool
    public var inPeriod: Bool

    public var difference: Int { effective - expected }
}

/// Totals of a span of dates inside the period.
public struct Totals: Sendable, Equatable {
    public var effective: Int
    public var expected: Int
    public var balance: Int { effective - expected }

    public init(effective: Int, expected: Int) {
        self.effective = effective
        self.expected = expected
    }
}

/// One month of `/api/summary`.
public struct MonthSummary: Sendable, Equatable {
    /// `YYYY-MM`.
    public var month: String
    public var recorded: Int
    public var effective: Int
    public var expected: Int
    public var delta: Int { effective - expected }
    /// Rule 7 at the month's last day (or today, in the current month).
    public var balance: Int
}

/// The figures of SPEC §2 from the policy, the recorded minutes per date and the current
/// corrections. Pure: every input is handed in, so the same inputs give the same figures.
public struct Ledger: Sendable {
    public var policy: Policy
    /// Recorded minutes per date; dates absent recorded nothing. Must cover every date asked about.
    public var recorded: [LocalDate: Int]
    /// Current corrections' minutes per date (superseded and removed ones left out).
    public var corrections: [LocalDate: Int]

    public init(policy: Policy, recorded: [LocalDate: Int], corrections: [LocalDate: Int]) {
        self.policy = policy
        self.recorded = recorded
        self.corrections = corrections
    }

    public func effective(on date: LocalDate) -> Int { corrections[date] ?? recorded[date] ?? 0 }

    public func day(_ date: LocalDate) -> DayFigures {
        DayFigures(date: date, recorded: recorded[date] ?? 0, correction: corrections[date],
                   effective: effective(on: date), expected: policy.expected(on: date),
                   holiday: policy.holidays[date], workingDay: policy.isWorkingDay(date),
                   inPeriod: policy.isInPeriod(date))
    }

    /// One entry per date of [from, to], in order.
    public func days(from: LocalDate, to: LocalDate) -> [DayFigures] {
        guard from <= to else { return [] }
        return (from.dayNumber...to.dayNumber).map { day(LocalDate(dayNumber: $0)) }
    }

    /// Effective and expected summed over the dates of [from, to] inside the period.
    /// Costs the number of dates with data, not the length of the span.
    public func totals(from: LocalDate, to: LocalDate) -> Totals {
        let first = max(from, policy.settings.periodStart)
        let last = policy.settings.periodEnd.map { min(to, $0) } ?? to
        guard first <= last else { return Totals(effective: 0, expected: 0) }
        var effective = 0
        for (date, minutes) in recorded where date >= first && date <= last && corrections[date] == nil {
            effective += minutes
        }
        for (date, minutes) in corrections where date >= first && date <= last {
            effective += minutes
        }
        return Totals(effective: effective, expected: policy.expectedTotal(from: first, to: last))
    }

    /// Rule 7: Σ effective − expected over [period_start, min(period_end, asOf)].
    public func balance(asOf: LocalDate) -> Totals {
        totals(from: policy.settings.periodStart, to: asOf)
    }

    /// One row per month of `year` up to `today` (none for a year after it). Each month
    /// covers its days up to today; `balance` is rule 7 at the month's last such day.
    public func summary(year: Int, today: LocalDate) -> [MonthSummary] {
        guard year <= today.year, let january = LocalDate(year: year, month: 1, day: 1) else { return [] }
        let lastMonth = year == today.year ? today.month : 12
        var balance = balance(asOf: january.adding(days: -1)).balance
        return (1...lastMonth).map { month in
            let first = LocalDate(year: year, month: month, day: 1)!
            let last = min(today, LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))!)
            let inPeriod = totals(from: first, to: last)
            let recordedSum = recorded.reduce(0) { $0 + ($1.key >= first && $1.key <= last ? $1.value : 0) }
            balance += inPeriod.balance
            return MonthSummary(month: String(first.description.prefix(7)), recorded: recordedSum,
                                effective: inPeriod.effective, expected: inPeriod.expected, balance: balance)
        }
    }
}
