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
    /// Rule 12: minutes of break deducted, and the working-time warnings.
    public var ruleDeduction: Int = 0
    public var warnings: [WorkWarning] = []
    public var effective: Int
    public var expected: Int
    public var holiday: String?
    public var absence: Absence?
    /// When the worked minutes lie: first start, last end, breaks; nil when none.
    public var work: DayWork?
    public var workingDay: Bool
    public var inPeriod: Bool
    /// The signed month whose snapshot these figures are (rule 11); nil on an open date.
    public var signedIn: Month?
    /// On a frozen date, its first start and last end as signed (RFC 3339 with the offset
    /// of the zone it was signed in), so the clock shown stays the signed one after a
    /// zone change.
    public var signedStart: String?
    public var signedEnd: String?

    public init(date: LocalDate, recorded: Int, manual: Int, correction: Int?, correctionNote: String?, effective: Int,
                expected: Int, holiday: String?, absence: Absence?, work: DayWork?, workingDay: Bool, inPeriod: Bool,
                signedIn: Month? = nil, signedStart: String? = nil, signedEnd: String? = nil) {
        self.date = date
        self.recorded = recorded
        self.manual = manual
        self.correction = correction
        self.correctionNote = correctionNote
        self.effective = effective
        self.expected = expected
        self.holiday = holiday
        self.absence = absence
        self.work = work
        self.workingDay = workingDay
        self.inPeriod = inPeriod
        self.signedIn = signedIn
        self.signedStart = signedStart
        self.signedEnd = signedEnd
    }

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

/// Rule 7 at a date: the opening balance plus the period's totals up to it plus the
/// bookings dated up to it.
public struct Balance: Sendable, Equatable {
    public var asOf: LocalDate
    public var opening: Int
    public var totals: Totals
    public var bookings: Int
    public var balance: Int { opening + totals.difference + bookings }
}

/// What storage sums over a span of dates without handing over every day: the worked
/// minutes of all of them, and of the dates with a current correction the corrections'
/// minutes and what was worked on those dates. Facts only; `effective` applies rule 6.
public struct SpanSums: Sendable, Equatable {
    public var worked: Int
    public var correctionMinutes: Int
    public var workedOnCorrected: Int
    /// Rule 12's deductions of the dates without a correction.
    public var deduction: Int

    public init(worked: Int, correctionMinutes: Int, workedOnCorrected: Int, deduction: Int = 0) {
        self.worked = worked
        self.correctionMinutes = correctionMinutes
        self.workedOnCorrected = workedOnCorrected
        self.deduction = deduction
    }

    public static let zero = SpanSums(worked: 0, correctionMinutes: 0, workedOnCorrected: 0)

    /// Rule 6 summed: a correction replaces what was worked on its date, less rule 12's
    /// deduction elsewhere.
    public var effective: Int { worked - workedOnCorrected + correctionMinutes - deduction }
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
    /// The minutes of the bookings dated in it (rule 7b).
    public var bookings: Int
    /// Rule 7 at the month's last day (or today, in the current month).
    public var balance: Int
    /// Whether it is signed (rule 11).
    public var signed: Bool
    /// False for a month that ends before the period starts.
    public var reachesPeriod: Bool
}

/// The figures of SPEC §2 for a window of dates, from the policy, the window's worked
/// minutes, current corrections and bookings, the signed months' days in it, and the sums
/// of the period's dates before it (open ones from the cache, frozen ones from their
/// snapshots: the signed months are a checkpoint never recomputed). Pure: every input is
/// handed in, so the same inputs give the same figures; the cost of a figure follows the
/// window, not the length of the history. The only home of rules 6, 7 and 7b.
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
    /// The last frozen date (the last day of the latest signed month); nil when none is signed.
    public let frozenThrough: LocalDate?
    /// The window's frozen dates, from their snapshots.
    public var frozen: [LocalDate: SignedDay]
    /// The window's bookings: their minutes summed per date.
    public var bookings: [LocalDate: Int]
    /// Totals of the period's dates before `start`.
    public let carry: Totals
    /// The minutes of the bookings dated before `start`.
    public let carryBookings: Int
    /// The worked minutes of the day before `start`, for rule 12's rest between two days.
    public var previousDay: DayWork?

    /// The dates whose sums `init` needs as `before`: the period's open dates before
    /// `start` (those after `frozenThrough`). nil when there are none.
    public static func carrySpan(_ settings: Settings, before start: LocalDate, frozenThrough: LocalDate? = nil) -> ClosedRange<LocalDate>? {
        settings.periodPart(from: max(settings.periodStart, frozenThrough?.adding(days: 1) ?? settings.periodStart),
                            to: start.adding(days: -1))
    }

    /// `before` holds the sums over `carrySpan(policy.settings, before: start, frozenThrough:)`,
    /// `frozenBefore` the snapshots' totals of the frozen dates before `start` and
    /// `bookingsBefore` the minutes of the bookings dated before it; the policy's holidays
    /// and absences must cover that span and the window.
    public init(policy: Policy, start: LocalDate, work: [LocalDate: DayWork], corrections: [LocalDate: Int],
                correctionNotes: [LocalDate: String] = [:], before: SpanSums = .zero,
                frozenThrough: LocalDate? = nil, frozen: [LocalDate: SignedDay] = [:], frozenBefore: Totals = .zero,
                bookings: [LocalDate: Int] = [:], bookingsBefore: Int = 0, previousDay: DayWork? = nil) {
        self.correctionNotes = correctionNotes
        self.policy = policy
        self.start = start
        self.work = work
        self.corrections = corrections
        self.frozenThrough = frozenThrough
        self.frozen = frozen
        self.bookings = bookings
        carryBookings = bookingsBefore
        self.previousDay = previousDay
        let span = Self.carrySpan(policy.settings, before: start, frozenThrough: frozenThrough)
        carry = frozenBefore
            + (span.map { Totals(effective: before.effective, expected: policy.expectedTotal(from: $0.lowerBound, to: $0.upperBound)) } ?? .zero)
    }

    public func isFrozen(_ date: LocalDate) -> Bool { frozenThrough.map { date <= $0 } ?? false }

    /// Rule 12 for an open date of the window: its version's rules on its worked minutes,
    /// with the previous date's last end.
    public func rules(on date: LocalDate) -> RuleOutcome {
        let rules = policy.schedule.version(on: date).workRules
        guard rules != .none else { return .none }
        let previous = date.adding(days: -1)
        let previousWork = frozen[previous]?.figures.work ?? (previous < start ? previousDay : work[previous])
        return RuleOutcome.evaluate(rules, work: work[date], corrected: corrections[date] != nil, previousEnd: previousWork?.lastEnd,
                                    sunday: date.weekday == .sun, holiday: policy.holidays[date] != nil)
    }

    public func day(_ date: LocalDate) -> DayFigures {
        if let signed = frozen[date] { return signed.figures }
        let work = work[date]
        let outcome = rules(on: date)
        var figures = DayFigures(date: date, recorded: work?.recorded ?? 0, manual: work?.manual ?? 0, correction: corrections[date],
                   correctionNote: corrections[date] == nil ? nil : correctionNotes[date],
                   effective: corrections[date] ?? ((work?.worked ?? 0) - outcome.deduction), expected: policy.expected(on: date),
                   holiday: policy.holidays[date], absence: policy.absences[date], work: work,
                   workingDay: policy.isWorkingDay(date),
                   inPeriod: policy.isInPeriod(date))
        figures.ruleDeduction = outcome.deduction
        figures.warnings = outcome.warnings
        return figures
    }

    /// One entry per date of [from, to], in order.
    public func days(from: LocalDate, to: LocalDate) -> [DayFigures] {
        guard from <= to else { return [] }
        return (from.dayNumber...to.dayNumber).map { day(LocalDate(dayNumber: $0)) }
    }

    /// Effective and expected summed over the dates of [from, to] inside the period and
    /// the window: frozen dates from their snapshots, open ones counted. Costs the number
    /// of dates with data in the window.
    public func totals(from: LocalDate, to: LocalDate) -> Totals {
        guard let span = policy.settings.periodPart(from: max(from, start), to: to) else { return .zero }
        guard let frozenThrough, span.lowerBound <= frozenThrough else { return openTotals(span) }
        var frozenTotals = Totals.zero
        for (date, day) in frozen where span.contains(date) {
            frozenTotals = frozenTotals + Totals(effective: day.figures.effective, expected: day.figures.expected)
        }
        guard span.upperBound > frozenThrough else { return frozenTotals }
        return frozenTotals + openTotals(frozenThrough.adding(days: 1)...span.upperBound)
    }

    /// The minutes of the window's bookings dated in [from, to] inside the period.
    public func bookingTotal(from: LocalDate, to: LocalDate) -> Int {
        guard let span = policy.settings.periodPart(from: max(from, start), to: to) else { return 0 }
        return bookings.reduce(0) { span.contains($1.key) ? $0 + $1.value : $0 }
    }

    /// Rule 12's deductions over the window's dates of `span` without a correction.
    func deductions(_ span: ClosedRange<LocalDate>) -> Int {
        guard policy.schedule.versions.contains(where: { $0.workRules != .none }) else { return 0 }
        var total = 0
        for (date, day) in work where span.contains(date) && corrections[date] == nil
            && policy.schedule.version(on: date).workRules == .de {
            total += RuleOutcome.deduction(worked: day.worked, legalBreaks: day.longBreaks)
        }
        return total
    }

    private func openTotals(_ span: ClosedRange<LocalDate>) -> Totals {
        // Walk whichever is shorter: the span's dates, or the window's worked days.
        let workedSum = span.upperBound.dayNumber - span.lowerBound.dayNumber < work.count
            ? (span.lowerBound.dayNumber...span.upperBound.dayNumber).reduce(0) { $0 + (work[LocalDate(dayNumber: $1)]?.worked ?? 0) }
            : work.reduce(0) { span.contains($1.key) ? $0 + $1.value.worked : $0 }
        var sums = SpanSums(worked: workedSum, correctionMinutes: 0, workedOnCorrected: 0,
                            deduction: deductions(span))
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
                totals: carry + totals(from: policy.settings.periodStart, to: asOf),
                bookings: carryBookings + bookingTotal(from: policy.settings.periodStart, to: asOf))
    }

    /// One row per month of `year` up to `today` (none for a year after it). Each month
    /// covers its days up to today; `balance` is rule 7 at the month's last such day.
    /// The window must start on 1 January of `year` or earlier.
    public func summary(year: Int, today: LocalDate) -> [MonthSummary] {
        guard year <= today.year, let january = LocalDate(year: year, month: 1, day: 1) else { return [] }
        let lastMonth = year == today.year ? today.month : 12
        // One pass over the window's worked days, bucketed by month.
        var recordedByMonth = [Int](repeating: 0, count: 13), workedByMonth = recordedByMonth
        for (date, day) in work where date.year == year && date <= today && frozen[date] == nil {
            recordedByMonth[date.month] += day.recorded
            workedByMonth[date.month] += day.worked
        }
        for (date, day) in frozen where date.year == year {
            recordedByMonth[date.month] += day.figures.recorded
            workedByMonth[date.month] += day.figures.worked
        }
        var balance = balance(asOf: january.adding(days: -1)).balance
        return (1...lastMonth).map { month in
            let first = LocalDate(year: year, month: month, day: 1)!
            let monthEnd = LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))!
            let inPeriod = totals(from: first, to: min(today, monthEnd))
            let booked = bookingTotal(from: first, to: min(today, monthEnd))
            balance += inPeriod.difference + booked
            return MonthSummary(first: first, recorded: recordedByMonth[month], worked: workedByMonth[month], effective: inPeriod.effective,
                                expected: inPeriod.expected, bookings: booked, balance: balance,
                                signed: isFrozen(monthEnd) && monthEnd >= policy.settings.periodStart,
                                reachesPeriod: monthEnd >= policy.settings.periodStart)
        }
    }
}
