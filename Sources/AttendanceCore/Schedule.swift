/// Minutes expected on each weekday, Monday first (SPEC §2 rule 5).
public struct WeekMinutes: Sendable, Equatable, Hashable {
    /// Seven values, `mon` … `sun`, each 0…1440.
    public private(set) var values: [Int]

    public static let limit = 1440

    public init(_ minutes: (Weekday) -> Int) { values = Weekday.allCases.map(minutes) }

    public subscript(_ weekday: Weekday) -> Int {
        get { values[weekday.index] }
        set { values[weekday.index] = newValue }
    }

    public var weekTotal: Int { values.reduce(0, +) }

    /// The weekdays with minutes > 0.
    public var workingDays: Set<Weekday> { Set(Weekday.allCases.filter { self[$0] > 0 }) }

    /// Σ of the minutes of every date in [from, to], without walking them: whole weeks
    /// times the week's total, the rest day by day.
    public func total(from: LocalDate, to: LocalDate) -> Int {
        guard from <= to else { return 0 }
        let days = to.dayNumber - from.dayNumber + 1
        var total = days / 7 * weekTotal
        for offset in 0..<(days % 7) { total += self[from.adding(days: offset).weekday] }
        return total
    }
}

/// One dated version of the schedule: in force from `validFrom` until the next version.
public struct ScheduleVersion: Sendable, Equatable {
    public var validFrom: LocalDate
    public var minutes: WeekMinutes
    /// The working-time rules from `validFrom` on (rule 12).
    public var workRules: WorkRules

    public init(validFrom: LocalDate, minutes: WeekMinutes, workRules: WorkRules = .none) {
        self.validFrom = validFrom
        self.minutes = minutes
        self.workRules = workRules
    }
}

/// Every version of the schedule, by date; never empty (rule 5).
public struct Schedule: Sendable, Equatable {
    /// Sorted by `validFrom`, distinct dates, at least one.
    public let versions: [ScheduleVersion]

    /// nil when `versions` is empty: a schedule always has a version.
    public init?(_ versions: [ScheduleVersion]) {
        guard !versions.isEmpty else { return nil }
        var byDate: [LocalDate: ScheduleVersion] = [:]
        for version in versions { byDate[version.validFrom] = version }
        self.versions = byDate.values.sorted { $0.validFrom < $1.validFrom }
    }

    /// Where the version in force on `date` sits in `versions`: the latest with
    /// `validFrom ≤ date`, and the earliest for every date before it.
    public func index(on date: LocalDate) -> Int {
        var low = 0, high = versions.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if versions[mid].validFrom <= date { low = mid } else { high = mid - 1 }
        }
        return low
    }

    public func version(on date: LocalDate) -> ScheduleVersion { versions[index(on: date)] }

    /// When the period starts before the earliest version, the date that version should be
    /// valid from instead: the period's start. Moving it changes no figure (the earliest
    /// version covers every date before it anyway), but a change added later from a date
    /// inside the period then stays a change from that date, instead of becoming the new
    /// earliest version that would rewrite the dates before it. nil when nothing moves.
    public func earliestStart(toCover periodStart: LocalDate) -> LocalDate? {
        periodStart < versions[0].validFrom ? periodStart : nil
    }

    /// The minutes the schedule gives `date`'s weekday, period and holidays aside.
    public func minutes(on date: LocalDate) -> Int { version(on: date).minutes[date.weekday] }

    /// Σ of `minutes(on:)` over [from, to], one segment per version it crosses.
    public func total(from: LocalDate, to: LocalDate) -> Int {
        guard from <= to else { return 0 }
        var total = 0
        var index = index(on: from)
        var segmentStart = from
        while segmentStart <= to {
            let next = index + 1 < versions.count ? versions[index + 1].validFrom : nil
            let segmentEnd = next.map { min(to, $0.adding(days: -1)) } ?? to
            total += versions[index].minutes.total(from: segmentStart, to: segmentEnd)
            guard let next else { break }
            segmentStart = next
            index += 1
        }
        return total
    }
}

extension Weekday {
    /// Monday = 0 … Sunday = 6.
    public var index: Int {
        switch self {
        case .mon: 0
        case .tue: 1
        case .wed: 2
        case .thu: 3
        case .fri: 4
        case .sat: 5
        case .sun: 6
        }
    }
}
