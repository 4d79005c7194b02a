/// Rule 12: the working-time rules a schedule version may set, from its `valid_from` on.
public enum WorkRules: String, Sendable, CaseIterable {
    /// No deduction, no warning.
    case none
    /// The German Arbeitszeitgesetz: breaks by §4, at most 10 hours a day by §3, 11 hours
    /// of rest by §5, Sundays and holidays by §9.
    case de
}

/// A working-time warning (rule 12); nothing is deducted for one.
public enum WorkWarning: String, Sendable, CaseIterable {
    /// More than 600 minutes counted.
    case over10h = "over_10h"
    /// Fewer than 11 hours from the previous date's last end to this first start.
    case shortRest = "short_rest"
    /// More than 360 minutes worked with no gap of 15 minutes or more between them.
    case noBreak6h = "no_break_6h"
    /// Worked on a Sunday or a holiday.
    case sundayOrHoliday = "sunday_or_holiday"
}

/// What rule 12 makes of one date: the minutes deducted and the warnings.
public struct RuleOutcome: Sendable, Equatable {
    public var deduction: Int
    public var warnings: [WorkWarning]

    public init(deduction: Int, warnings: [WorkWarning]) {
        self.deduction = deduction
        self.warnings = warnings
    }

    public static let none = RuleOutcome(deduction: 0, warnings: [])

    /// A gap between two sessions counts as a legal break from this length on.
    public static let shortestBreak = 15
    /// Rest between two days, §5 ArbZG.
    public static let rest: Int64 = 11 * 60
    /// Counted minutes a day, §3 ArbZG.
    public static let longestDay = 600

    /// The §4 minimum of break for `counted` minutes of work: none up to 6 hours, 30
    /// minutes up to 9, 45 above.
    public static func requiredBreak(forCounted counted: Int) -> Int {
        counted <= 360 ? 0 : counted <= 540 ? 30 : 45
    }

    /// `rule_deduction`: the smallest d ≥ 0 such that, counting `worked − d`, the legal
    /// breaks plus d meet the §4 minimum for it. 6:10 without a break counts 6:00, 8:00
    /// without one 7:30, 10:00 with a 20-minute break 9:35.
    public static func deduction(worked: Int, legalBreaks: Int) -> Int {
        var d = 0
        while d < worked && requiredBreak(forCounted: worked - d) > legalBreaks + d { d += 1 }
        return d
    }

    /// Rule 12 for a date under `rules`: nothing under `.none` or on a corrected date (a
    /// correction is the user's own statement of the day); otherwise the deduction from
    /// `work`'s legal breaks and the four warnings, `previousEnd` being the previous
    /// date's last end (nil when it worked nothing).
    public static func evaluate(_ rules: WorkRules, work: DayWork?, corrected: Bool, previousEnd: Int64?,
                                sunday: Bool, holiday: Bool) -> RuleOutcome {
        guard rules == .de, !corrected, let work, work.worked > 0 else { return .none }
        let deduction = deduction(worked: work.worked, legalBreaks: work.longBreaks)
        var warnings: [WorkWarning] = []
        if work.worked - deduction > longestDay { warnings.append(.over10h) }
        if let previousEnd, work.firstStart - previousEnd < rest { warnings.append(.shortRest) }
        if work.longestRun > 360 { warnings.append(.noBreak6h) }
        if sunday || holiday { warnings.append(.sundayOrHoliday) }
        return RuleOutcome(deduction: deduction, warnings: warnings)
    }

    /// How far from the next §4 threshold a day still being worked is, when a break is
    /// due: the minutes of work left before `worked` (with `legalBreaks` taken) would need
    /// more break than it has. nil when no threshold is ahead or the break is taken.
    public static func breakDue(worked: Int, legalBreaks: Int) -> Int? {
        for threshold in [360, 540] where worked <= threshold && legalBreaks < requiredBreak(forCounted: threshold + 1) {
            return threshold - worked
        }
        return nil
    }
}
