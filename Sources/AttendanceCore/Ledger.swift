/// One date's figures, as `/api/days` shows them.
public struct DayFigures: Sendable, Equatable {
    public var date: LocalDate
    public var recorded: Int
    /// The current correction's minutes, or nil when none applies.
    public var correction: Int?
    /// The current correction's note; nil without a correction or with an empty note.
    public var correctionNote: String?
    public var effective: Int
    public var expected: Int
    public var holiday: String?
    public var absence: Absence?
    /// When the recorded minutes lie: first start, last end, breaks; nil when none.
    public var span: DaySpan?
    public var workingDay: Bool
    public var inPeriod: Bool

    public var difference: Int { effective - expected }
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

/// What storage sums over a span of dates without handing over every day: the recorded
/// minutes of all of them, and of the dates with a current correction the corrections'
/// minutes and what was recorded on those dates. Facts only; `effective` applies rule 6.
public struct SpanSums: Sendable, Equatable {
    public var recorded: Int
    public var correctionMinutes: Int
    public var recordedOnCorrected: Int

    public init(recorded: Int, correctionMinutes: Int, recordedOnCorrected: Int) {
        self.recorded = recorded
        self.correctionMinutes = correctionMinutes
        self.recordedOnCorrected = recordedOnCorrected
    }

    public static let zero = SpanSums(recorded: 0, correctionMinutes: 0, recordedOnCorrected: 0)

    /// Rule 6 summed: a correction replaces what was recorded on its date.
    public var effective: Int { recorded - recordedOnCorrected + correctionMinutes }
}

/// One month of `/api/summary`.
public struct MonthSummary: Sendable, Equatable {
    /// The month's first date.
    public var first: LocalDate
    /// `YYYY-MM`.
    public var month: String { String(first.description.prefix(7)) }
    public var recorded: Int
    public var effective: Int
    public var expected: Int
    public var delta: Int { effective - expected }
    /// Rule 7 at the month's last day (or today, in the current month).
    public var balance: Int
    /// False for a month that ends before the period starts.
    public var reachesPeriod: Bool
}

/// The figures of SPEC §2 for a window of dates, from the policy, the window's recorded
/// minutes and current corrections, and the sums of the period's dates before it. Pure:
/// every input is handed in, so the same inputs give the same figures; the cost of a
/// figure follows the window, not the length of the history. The only home of rules 6–7.
public struct Ledger: Sendable {
    public var policy: Policy
    /// The window's first date: every date from here on is in the dictionaries.
    public let start: LocalDate
    /// Recorded minutes per date of the window; dates absent recorded nothing.
    public var recorded: [LocalDate: Int]
    /// First and last recorded minute per date of the window.
    public var spans: [LocalDate: DaySpan]
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
    public init(policy: Policy, start: LocalDate, spans: [LocalDate: DaySpan], corrections: [LocalDate: Int],
                correctionNotes: [LocalDate: String] = [:], before: SpanSums = .zero) {
        self.correctionNotes = correctionNotes
        self.policy = policy
        self.start = start
        self.spans = spans
        self.recorded = spans.mapValues(\.recorded)
        self.corrections = corrections
        let span = Self.carrySpan(policy.settings, before: start)
        carry = span.map { Totals(effective: before.effective, expected: policy.expectedTotal(from: $0.lowerBound, to: $0.upperBound)) } ?? .zero
    }

    public func effective(on date: LocalDate) -> Int { corrections[date] ?? recorded[date] ?? 0 }

    public func day(_ date: LocalDate) -> DayFigures {
        DayFigures(date: date, recorded: recorded[date] ?? 0, correction: corrections[date],
                   correctionNote: corrections[date] == nil ? nil : correctionNotes[date],
                   effective: effective(on: date), expected: policy.expected(on: date),
                   holiday: policy.holidays[date], absence: policy.absences[date], span: spans[date],
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
        // Walk whichever is shorter: the span's dates, or the window's recorded days.
        let recordedSum = span.upperBound.dayNumber - span.lowerBound.dayNumber < recorded.count
            ? (span.lowerBound.dayNumber...span.upperBound.dayNumber).reduce(0) { $0 + (recorded[LocalDate(dayNumber: $1)] ?? 0) }
            : recorded.reduce(0) { span.contains($1.key) ? $0 + $1.value : $0 }
        var sums = SpanSums(recorded: recordedSum, correctionMinutes: 0, recordedOnCorrected: 0)
        for (date, minutes) in corrections where span.contains(date) {
            sums.correctionMinutes += minutes
            sums.recordedOnCorrected += recorded[date] ?? 0
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
        // One pass over the window's recorded days, bucketed by month.
        var recordedByMonth = [Int](repeating: 0, count: 13)
        for (date, minutes) in recorded where date.year == year && date <= today {
            recordedByMonth[date.month] += minutes
        }
        var balance = balance(asOf: january.adding(days: -1)).balance
        return (1...lastMonth).map { month in
            let first = LocalDate(year: year, month: month, day: 1)!
            let monthEnd = LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))!
            let inPeriod = totals(from: first, to: min(today, monthEnd))
            balance += inPeriod.difference
            return MonthSummary(first: first, recorded: recordedByMonth[month], effective: inPeriod.effective,
                                expected: inPeriod.expected, balance: balance,
                                reachesPeriod: monthEnd >= policy.settings.periodStart)
        }
    }
}
