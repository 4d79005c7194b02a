/// Why a date expects less, or why nothing was worked on it (SPEC §2 rule 5a).
public enum AbsenceKind: String, CaseIterable, Sendable, Codable {
    case vacation, sick, leave, unpaid, comp

    /// `comp` (time off in lieu) is taken from the balance: it leaves the expected
    /// minutes as they are and only says why nothing was worked. The others lower them.
    public var lowersExpected: Bool { self != .comp }
}

/// One date's absence: a kind, a full or a half day, a note.
public struct Absence: Sendable, Equatable {
    public var date: LocalDate
    public var kind: AbsenceKind
    public var halfDay: Bool
    public var note: String

    public init(date: LocalDate, kind: AbsenceKind, halfDay: Bool = false, note: String = "") {
        self.date = date
        self.kind = kind
        self.halfDay = halfDay
        self.note = note
    }

    /// The minutes this absence takes off a date whose base is `base`: all of them for a
    /// full day, ⌊base/2⌋ for a half day (so a half day of 7:30 leaves 3:45 expected),
    /// none for `comp`.
    public func reduction(ofBase base: Int) -> Int {
        guard kind.lowersExpected else { return 0 }
        return halfDay ? base / 2 : base
    }

    /// In half days: 2 for a full day, 1 for a half day.
    public var halves: Int { halfDay ? 1 : 2 }
}

/// Rule 7a for one year: vacation days taken (up to today), planned (after today) and
/// remaining of the allowance, all in half days.
public struct VacationCount: Sendable, Equatable {
    public var year: Int
    public var allowanceHalves: Int
    public var takenHalves: Int
    public var plannedHalves: Int
    public var remainingHalves: Int { allowanceHalves - takenHalves - plannedHalves }

    /// `absences` may hold any dates; only the vacation absences of `year` count.
    public init(year: Int, allowanceHalves: Int, absences: [Absence], today: LocalDate) {
        self.year = year
        self.allowanceHalves = allowanceHalves
        takenHalves = 0
        plannedHalves = 0
        for absence in absences where absence.kind == .vacation && absence.date.year == year {
            if absence.date <= today { takenHalves += absence.halves } else { plannedHalves += absence.halves }
        }
    }
}
