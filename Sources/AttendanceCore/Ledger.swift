/// One date's figures, as `/api/days` shows them.
public struct DayFigures: Sendable, Equatable {
    public var date: LocalDate
    /// Minutes a heartbeat recorded (rule 1).
    public var recorded: Int
    /// Worked minutes no heartbeat recorded: covered by an entry only (rule 1a).
    public var manual: Int
    /// The current correction's minutes, or nil when none applies.
    public var correction: Int?
    /// The current correction's note; nil without a correction or with an empty note.
    public var correctionNote: String?
    public var effective: Int
    public var expected: Int
    public var holiday: String?
    public var absence: Absence?
    /// When the worked minutes lie: first start, last end, breaks; nil when none.
    public var work: DayWork?
    public var workingDay: Bool
    public var inPeriod: Bool

    public var difference: Int { effective - expected }
    /// `worked(D)` = `recorded(D)` + `manual(D)`.
    public var worked: Int { recorded + manual }
}

/// Effective and expected minutes summed over dates inside the period.
public struct Totals: Sendable, Equatable {
    public var effective: Int
    public var expected: Int
    public var difference: Int { effective - expected }

    public init(effective: Int, expected: Int) {
        self.effective = effective
        self.expected = expected
    }

    public static let zero = Totals(effective: 0, expected: 0)

    public static func + (lhs: Totals, rhs: Totals) -> Totals {
        Totals(effective: lhs.effective + rhs.effective, expected: lhs.expected + rhs.expected)
    }
}

/// Rule 7 at a date: the opening balance plus the period's totals up to it.
public struct Balance: Sendable, Equatable {
    public var asOf: LocalDate
    public var opening: Int
    public var totals: Totals
    public var balance: Int { opening + totals.difference }
}

/// What storage sums over a span of dates without handing over every day: the worked
/// minutes of all of them, and of the dates with a current correction the corrections'
/// minutes and what was worked on those dates. Facts only; `effective` applies rule 6.
public struct SpanSums: Sendable, Equatable {
    public var worked: Int
    public var correctionMinutes: Int
    public var workedOnCorrected: Int

    public init(worked: Int, correctionMinutes: Int, workedOnCorrected: Int) {
        self.worked = worked
        self.correctionMinutes = correctionMinutes
        self.workedOnCorrected = workedOnCorrected
    }

    public static let zero = SpanSums(worked: 0, correctionMinutes: 0, workedOnCorrected: 0)

    /// Rule 6 summed: a correction replaces what was worked on its date.
    public var effective: Int { worked - workedOnCorrected + correctionMinutes }
}

/// One month of `/api/summary`.
public struct MonthSummary: Sendable, Equatable {
    /// The month's first date.
    public var first: LocalDate
    /// `YYYY-MM`.
    public var month: String { String(first.description.prefix(7)) }
    public var recorded: Int
    public var worked: Int
    public var effective: Int
    public var expected: Int
    public var delta: Int { effective - expected }
    /// Rule 7 at the month's last day (or today, in the current month).
    public var balance: Int
    /// False for a month that ends before the period starts.
    public var reachesPeriod: Bool
}

/// The figures of SPEC §2 for a window of dates, from the policy, the window's worked
/// minutes and current corrections, and the sums of the period's dates before it. Pure:
/// every input is handed in, so the same inputs give the same figures; the cost of a
/// figure follows the window, not the length of the history. The only home of rules 6–7.
public struct Ledger: Sendable {
    public var policy: Policy
    /// The window's first date: every date from here on is in the dictionaries.
    public let start: LocalDate
    /// Worked minutes per date of the window (recorded, manual, first and last); dates
    /// absent worked nothing.
    public var work: [LocalDate: DayWork]
    /// Current corrections' minutes per date of the window (superseded and removed ones left out).
    public var corrections: [LocalDate: Int]
    /// The notes of those corrections that have one.
    public var correctionNotes: [LocalDate: String]
    /// Totals of the period's dates before `start`.
    public let carry: Totals

    /// The dates whose sums `init` needs as `before`: the period's dates before `start`.
    /// nil when the period has none.
    public static func carrySpan(_ settings: Settings, before start: LocalDate) -> ClosedRange<LocalDate>? {
        settings.periodPart(from: settings.periodStart, to: start.adding(days: -1))
    }

    /// `before` holds the sums over `carrySpan(policy.settings, before: start)`; the
    /// policy's holidays and absences must cover that span and the window.
    public init(policy: Policy, start: LocalDate, work: [LocalDate: DayWork], corrections: [LocalDate: Int],
                correctionNotes: [LocalDate: String] = [:], before: SpanSums = .zero) {
        self.correctionNotes = correctionNotes
        self.policy = policy
        self.start = start
        self.work = work
        self.corrections = corrections
        let span = Self.carrySpan(policy.settings, before: start)
        carry = span.map { Totals(effective: before.effective, expected: policy.expectedTotal(from: $0.lowerBound, to: $0.upperBound)) } ?? .zero
    }

    public func effective(on date: LocalDate) -> Int { corrections[date] ?? work[date]?.worked ?? 0 }

    public func day(_ date: LocalDate) -> DayFigures {
        let work = work[date]
        return DayFigures(date: date, recorded: work?.recorded ?? 0, manual: work?.manual ?? 0, correction: corrections[date],
                   correctionNote: corrections[date] == nil ? nil : correctionNotes[date],
                   effective: effective(on: date), expected: policy.expected(on: date),
                   holiday: policy.holidays[date], absence: policy.absences[date], work: work,
                   workingDay: policy.isWorkingDay(date),
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
        guard let span = policy.settings.periodPart(from: max(from, start), to: to) else { return .zero }
        // Walk whichever is shorter: the span's dates, or the window's worked days.
        let workedSum = span.upperBound.dayNumber - span.lowerBound.dayNumber < work.count
            ? (span.lowerBound.dayNumber...span.upperBound.dayNumber).reduce(0) { $0 + (work[LocalDate(dayNumber: $1)]?.worked ?? 0) }
            : work.reduce(0) { span.contains($1.key) ? $0 + $1.value.worked : $0 }
        var sums = SpanSums(worked: workedSum, correctionMinutes: 0, workedOnCorrected: 0)
        for (date, minutes) in corrections where span.contains(date) {
            sums.correctionMinutes += minutes
            sums.workedOnCorrected += work[date]?.worked ?? 0
        }
        return Totals(effective: sums.effective, expected: policy.expectedTotal(from: span.lowerBound, to: span.upperBound))
    }

    /// Rule 7: the opening balance + Σ effective − expected over [period_start,
    /// min(period_end, asOf)]. `asOf` may be any date from the day before the window on.
    public func balance(asOf: LocalDate) -> Balance {
        Balance(asOf: asOf, opening: policy.settings.openingBalanceMinutes,
                totals: carry + totals(from: policy.settings.periodStart, to: asOf))
    }

    /// One row per month of `year` up to `today` (none for a year after it). Each month
    /// covers its days up to today; `balance` is rule 7 at the month's last such day.
    /// The window must start on 1 January of `year` or earlier.
    public func summary(year: Int, today: LocalDate) -> [MonthSummary] {
        guard year <= today.year, let january = LocalDate(year: year, month: 1, day: 1) else { return [] }
        let lastMonth = year == today.year ? today.month : 12
        // One pass over the window's worked days, bucketed by month.
        var recordedByMonth = [Int](repeating: 0, count: 13), workedByMonth = recordedByMonth
        for (date, day) in work where date.year == year && date <= today {
            recordedByMonth[date.month] += day.recorded
            workedByMonth[date.month] += day.worked
        }
        var balance = balance(asOf: january.adding(days: -1)).balance
        return (1...lastMonth).map { month in
            let first = LocalDate(year: year, month: month, day: 1)!
            let monthEnd = LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))!
            let inPeriod = totals(from: first, to: min(today, monthEnd))
            balance += inPeriod.difference
            return MonthSummary(first: first, recorded: recordedByMonth[month], worked: workedByMonth[month], effective: inPeriod.effective,
                                expected: inPeriod.expected, balance: balance,
                                reachesPeriod: monthEnd >= policy.settings.periodStart)
        }
    }
}
