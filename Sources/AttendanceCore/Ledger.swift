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

    public static let zero = Totals(effective: 0, expected: 0)

    public static func + (lhs: Totals, rhs: Totals) -> Totals {
        Totals(effective: lhs.effective + rhs.effective, expected: lhs.expected + rhs.expected)
    }

    /// Rules 5–7 over the dates of [first, last], all inside the period, from aggregates:
    /// Σ recorded over the span, and the current corrections with what was recorded on
    /// their dates. (A correction replaces its date's recorded minutes.)
    public static func span(policy: Policy, first: LocalDate, last: LocalDate, recordedSum: Int,
                            corrections: [LocalDate: Int], recordedOnCorrected: [LocalDate: Int]) -> Totals {
        let replaced = corrections.reduce(0) { $0 + $1.value - (recordedOnCorrected[$1.key] ?? 0) }
        return Totals(effective: recordedSum + replaced, expected: policy.expectedTotal(from: first, to: last))
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

/// The figures of SPEC §2 from the policy, the recorded minutes and the current
/// corrections of a window of dates, plus the totals of the period before the window.
/// Pure: every input is handed in, so the same inputs give the same figures; and the
/// cost of a figure follows the window, not the length of the history.
public struct Ledger: Sendable {
    public var policy: Policy
    /// Recorded minutes per date of the window; dates absent recorded nothing.
    public var recorded: [LocalDate: Int]
    /// Current corrections' minutes per date of the window (superseded and removed ones left out).
    public var corrections: [LocalDate: Int]
    /// The window's first date; nil when the dictionaries hold the whole history.
    public var start: LocalDate?
    /// Totals of the period's dates before `start`.
    public var carry: Totals

    public init(policy: Policy, recorded: [LocalDate: Int], corrections: [LocalDate: Int],
                start: LocalDate? = nil, carry: Totals = .zero) {
        self.policy = policy
        self.recorded = recorded
        self.corrections = corrections
        self.start = start
        self.carry = carry
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

    /// Effective and expected summed over the dates of [from, to] inside the period and
    /// the window. Costs the number of dates with data in the window.
    public func totals(from: LocalDate, to: LocalDate) -> Totals {
        let first = max(from, policy.settings.periodStart, start ?? from)
        let last = policy.settings.periodEnd.map { min(to, $0) } ?? to
        guard first <= last else { return .zero }
        let inSpan = { (date: LocalDate) in date >= first && date <= last }
        // Walk whichever is shorter: the span's dates, or the window's recorded days.
        let recordedSum = last.dayNumber - first.dayNumber < recorded.count
            ? (first.dayNumber...last.dayNumber).reduce(0) { $0 + (recorded[LocalDate(dayNumber: $1)] ?? 0) }
            : recorded.reduce(0) { inSpan($1.key) ? $0 + $1.value : $0 }
        return Totals.span(policy: policy, first: first, last: last, recordedSum: recordedSum,
                           corrections: corrections.filter { inSpan($0.key) }, recordedOnCorrected: recorded)
    }

    /// Rule 7: Σ effective − expected over [period_start, min(period_end, asOf)]. `asOf`
    /// may be any date from the day before the window on.
    public func balance(asOf: LocalDate) -> Totals {
        carry + totals(from: policy.settings.periodStart, to: asOf)
    }

    /// One row per month of `year` up to `today` (none for a year after it). Each month
    /// covers its days up to today; `balance` is rule 7 at the month's last such day.
    /// The window must start on 1 January of `year` or earlier.
    public func summary(year: Int, today: LocalDate) -> [MonthSummary] {
        guard year <= today.year, let january = LocalDate(year: year, month: 1, day: 1) else { return [] }
        let lastMonth = year == today.year ? today.month : 12
        // One pass over the window's recorded days, bucketed by month.
        var recordedByMonth = [Int](repeating: 0, count: 13)
        for (date, minutes) in recorded where date.year == year && date <= today {
            recordedByMonth[date.month] += minutes
        }
        var balance = balance(asOf: january.adding(days: -1)).balance
        return (1...lastMonth).map { month in
            let first = LocalDate(year: year, month: month, day: 1)!
            let last = min(today, LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))!)
            let inPeriod = totals(from: first, to: last)
            balance += inPeriod.balance
            return MonthSummary(month: String(first.description.prefix(7)), recorded: recordedByMonth[month],
                                effective: inPeriod.effective, expected: inPeriod.expected, balance: balance)
        }
    }
}
