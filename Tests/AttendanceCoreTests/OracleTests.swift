import Testing
import TestSupport
@testable import AttendanceCore


/// Random policies and histories, and the figures recomputed the plain way: every date
/// on its own, straight from the words of SPEC §2 rules 5–7, with nothing shared with the
/// core but `LocalDate`.
struct Oracle {
    let periodStart: LocalDate
    let periodEnd: LocalDate?
    let opening: Int
    /// (valid from, minutes Monday … Sunday), in any order.
    let versions: [(LocalDate, [Int])]
    let holidays: [LocalDate: String]
    /// (kind, half day) by date; a kind other than "comp" takes time off (rule 5a).
    var absences: [LocalDate: (String, Bool)] = [:]
    let recorded: [LocalDate: Int]
    let corrections: [LocalDate: Int]

    func inPeriod(_ date: LocalDate) -> Bool {
        date >= periodStart && (periodEnd == nil || date <= periodEnd!)
    }

    /// Rule 5: the version with the latest valid_from ≤ D; the earliest covers every date before it.
    func scheduled(_ date: LocalDate) -> Int {
        let sorted = versions.sorted { $0.0 < $1.0 }
        var chosen = sorted[0]
        for version in sorted where version.0 <= date { chosen = version }
        let weekdayIndex = ((date.dayNumber + 3) % 7 + 7) % 7  // 1970-01-01 was a Thursday: index 3
        return chosen.1[weekdayIndex]
    }

    func base(_ date: LocalDate) -> Int { inPeriod(date) && holidays[date] == nil ? scheduled(date) : 0 }

    func expected(_ date: LocalDate) -> Int {
        let base = base(date)
        guard let (kind, half) = absences[date], kind != "comp" else { return base }
        return half ? base - base / 2 : 0
    }
    func effective(_ date: LocalDate) -> Int { corrections[date] ?? recorded[date] ?? 0 }

    /// Rule 7, walking every date from the period's start.
    func balance(asOf: LocalDate) -> Int {
        var sum = opening
        var date = periodStart
        while date <= asOf && inPeriod(date) {
            sum += effective(date) - expected(date)
            date = date.adding(days: 1)
        }
        return sum
    }

    func totals(from: LocalDate, to: LocalDate) -> (effective: Int, expected: Int) {
        var result = (effective: 0, expected: 0)
        guard from <= to else { return result }
        for day in from.dayNumber...to.dayNumber {
            let date = LocalDate(dayNumber: day)
            guard inPeriod(date) else { continue }
            result.effective += effective(date)
            result.expected += expected(date)
        }
        return result
    }

    /// What storage would sum over a span: facts, no rules.
    func sums(_ span: ClosedRange<LocalDate>?) -> SpanSums {
        guard let span else { return .zero }
        var sums = SpanSums.zero
        for (date, minutes) in recorded where span.contains(date) { sums.worked += minutes }
        for (date, minutes) in corrections where span.contains(date) {
            sums.correctionMinutes += minutes
            sums.workedOnCorrected += recorded[date] ?? 0
        }
        return sums
    }

    /// The core's ledger of the window [start, …): the window's facts and the sums before it.
    func ledger(start: LocalDate) -> Ledger {
        let settings = Settings(periodStart: periodStart, periodEnd: periodEnd, timezone: .utc, openingBalanceMinutes: opening)
        let schedule = Schedule(versions.map { version in
            ScheduleVersion(validFrom: version.0, minutes: WeekMinutes { day in version.1[day.index] })
        })!
        let absences = Dictionary(uniqueKeysWithValues: self.absences.map { date, absence in
            (date, Absence(date: date, kind: AbsenceKind(rawValue: absence.0)!, halfDay: absence.1))
        })
        return Ledger(policy: Policy(settings: settings, schedule: schedule, holidays: holidays, absences: absences), start: start,
                      recorded: recorded.filter { $0.key >= start }, corrections: corrections.filter { $0.key >= start },
                      before: sums(Ledger.carrySpan(settings, before: start)))
    }

    static func random(using generator: inout SplitMix64) -> Oracle {
        let first = LocalDate("2023-01-01")!.dayNumber, last = LocalDate("2025-12-31")!.dayNumber
        let day = { (generator: inout SplitMix64) in LocalDate(dayNumber: Int.random(in: first...last, using: &generator)) }
        let start = day(&generator)
        let end: LocalDate? = Bool.random(using: &generator) ? start.adding(days: Int.random(in: 0...500, using: &generator)) : nil
        let versions = (0..<Int.random(in: 1...6, using: &generator)).map { _ in
            (day(&generator), (0..<7).map { _ in [0, 0, 240, 420, 450, 480, 540, 1440].randomElement(using: &generator)! })
        }
        var holidays: [LocalDate: String] = [:], recorded: [LocalDate: Int] = [:], corrections: [LocalDate: Int] = [:]
        for _ in 0..<40 { holidays[day(&generator)] = "h" }
        for dayNumber in first...last where Int.random(in: 0..<4, using: &generator) > 0 {
            recorded[LocalDate(dayNumber: dayNumber)] = Int.random(in: 1...1500, using: &generator)
        }
        for _ in 0..<60 { corrections[day(&generator)] = Int.random(in: 0...1440, using: &generator) }
        // Versions may share a date: the last one given wins, as a POST of the same date replaces.
        var byDate: [LocalDate: [Int]] = [:]
        for version in versions { byDate[version.0] = version.1 }
        var absences: [LocalDate: (String, Bool)] = [:]
        for _ in 0..<80 {
            absences[day(&generator)] = (["vacation", "sick", "leave", "unpaid", "comp"].randomElement(using: &generator)!,
                                         Bool.random(using: &generator))
        }
        return Oracle(periodStart: start, periodEnd: end, opening: Int.random(in: -5000...5000, using: &generator),
                      versions: byDate.map { ($0.key, $0.value) }, holidays: holidays, absences: absences, recorded: recorded,
                      corrections: corrections)
    }
}

@Suite struct OracleTests {
    /// Every figure of a windowed ledger equals the plain recomputation, for random
    /// policies and windows that cross version changes, holidays and period ends.
    @Test(arguments: 0..<24)
    func windowedFiguresEqualThePlainRecomputation(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) * 7919 + 17)
        let oracle = Oracle.random(using: &generator)
        let first = LocalDate("2022-12-01")!.dayNumber, last = LocalDate("2026-01-31")!.dayNumber
        for _ in 0..<6 {
            let start = LocalDate(dayNumber: Int.random(in: first...last, using: &generator))
            let ledger = oracle.ledger(start: start)
            let to = start.adding(days: Int.random(in: 0...400, using: &generator))
            for day in ledger.days(from: start, to: to) {
                #expect(day.expected == oracle.expected(day.date), "seed \(seed) expected \(day.date)")
                #expect(day.effective == oracle.effective(day.date), "seed \(seed) effective \(day.date)")
                #expect(day.workingDay == (oracle.scheduled(day.date) > 0), "seed \(seed) working day \(day.date)")
                #expect(day.absence?.kind.rawValue == oracle.absences[day.date]?.0)
                #expect(day.inPeriod == oracle.inPeriod(day.date))
            }
            for _ in 0..<8 {
                let asOf = start.adding(days: Int.random(in: -1...420, using: &generator))
                #expect(ledger.balance(asOf: asOf).balance == oracle.balance(asOf: asOf), "seed \(seed) window \(start) as of \(asOf)")
                let a = start.adding(days: Int.random(in: 0...300, using: &generator))
                let b = a.adding(days: Int.random(in: -3...200, using: &generator))
                let totals = ledger.totals(from: a, to: b), plain = oracle.totals(from: a, to: b)
                #expect(totals.effective == plain.effective && totals.expected == plain.expected, "seed \(seed) \(a)…\(b)")
            }
            // The months of the window's year, each balance at the month's last day up to today.
            let year = start.month == 1 && start.day == 1 ? start.year : start.year + 1
            guard let january = LocalDate(year: year, month: 1, day: 1) else { continue }
            let today = january.adding(days: Int.random(in: 0...364, using: &generator))
            let months = oracle.ledger(start: january).summary(year: year, today: today)
            #expect(months.count == today.month)
            for row in months {
                let monthEnd = min(today, LocalDate(year: year, month: row.first.month,
                                                    day: LocalDate.daysIn(month: row.first.month, year: year))!)
                #expect(row.balance == oracle.balance(asOf: monthEnd), "seed \(seed) month \(row.month)")
                let plain = oracle.totals(from: row.first, to: monthEnd)
                #expect(row.effective == plain.effective && row.expected == plain.expected, "seed \(seed) month \(row.month)")
            }
        }
    }

    /// Rule 5's promise: a version from D changes no figure before D, unless it is the
    /// new earliest version.
    @Test(arguments: 0..<12)
    func aNewVersionLeavesEarlierDatesAlone(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) + 1000)
        let oracle = Oracle.random(using: &generator)
        let earliest = oracle.versions.map(\.0).min()!
        let from = earliest.adding(days: Int.random(in: 1...400, using: &generator))
        let changed = Oracle(periodStart: oracle.periodStart, periodEnd: oracle.periodEnd, opening: oracle.opening,
                             versions: oracle.versions.filter { $0.0 != from } + [(from, [60, 60, 60, 60, 60, 60, 60])],
                             holidays: oracle.holidays, absences: oracle.absences, recorded: oracle.recorded,
                             corrections: oracle.corrections)
        let before = oracle.ledger(start: LocalDate("2022-12-01")!), after = changed.ledger(start: LocalDate("2022-12-01")!)
        let dayBefore = from.adding(days: -1)
        #expect(before.balance(asOf: dayBefore) == after.balance(asOf: dayBefore))
        #expect(before.days(from: LocalDate("2022-12-01")!, to: dayBefore) == after.days(from: LocalDate("2022-12-01")!, to: dayBefore))
        #expect(after.day(from).expected == changed.expected(from))
        #expect(changed.base(from) == (changed.inPeriod(from) && changed.holidays[from] == nil ? 60 : 0))
    }

    @Test func scheduleFindsTheVersionInForce() {
        let versions = [("2024-07-01", 420), ("2024-01-01", 480), ("2025-01-06", 240)].map { entry in
            ScheduleVersion(validFrom: date(entry.0), minutes: WeekMinutes { day in day == .sat || day == .sun ? 0 : entry.1 })
        }
        let schedule = Schedule(versions)!
        #expect(schedule.versions.map { $0.validFrom.description } == ["2024-01-01", "2024-07-01", "2025-01-06"])
        #expect(schedule.minutes(on: date("2023-06-05")) == 480)  // before the earliest: the earliest
        #expect(schedule.minutes(on: date("2024-06-28")) == 480)  // Friday before the change
        #expect(schedule.minutes(on: date("2024-07-01")) == 420)  // Monday of the change
        #expect(schedule.minutes(on: date("2025-01-06")) == 240)
        #expect(schedule.minutes(on: date("2025-01-05")) == 0)  // Sunday
        // 2024-06-24 … 2024-07-07: five days at 8 h, five at 7 h.
        #expect(schedule.total(from: date("2024-06-24"), to: date("2024-07-07")) == 5 * 480 + 5 * 420)
        #expect(Schedule([]) == nil)
    }

    /// Friday 4 h, Monday to Thursday 9 h: expected follows the weekday.
    @Test func hoursPerWeekday() {
        let week = WeekMinutes { [.mon: 540, .tue: 540, .wed: 540, .thu: 540, .fri: 240][$0] ?? 0 }
        let p = Policy(settings: Settings(periodStart: date("2024-01-01"), timezone: .utc),
                       schedule: Schedule([ScheduleVersion(validFrom: date("2024-01-01"), minutes: week)])!, holidays: [:])
        // Week of Monday 2024-03-04.
        #expect((0..<7).map { p.expected(on: date("2024-03-04").adding(days: $0)) } == [540, 540, 540, 540, 240, 0, 0])
        #expect(p.expectedTotal(from: date("2024-03-04"), to: date("2024-03-10")) == 4 * 540 + 240)
    }

    /// The simple form of SPEC §3: rewriting the version in force today, never losing the
    /// minutes when no day is checked, nor the days when the minutes are 0.
    @Test func simpleFormRewritesTheVersionInForceToday() {
        var schedule = Schedule([
            ScheduleVersion(validFrom: date("2024-01-01"), minutes: WeekMinutes { $0.index < 5 ? 480 : 0 }),
            ScheduleVersion(validFrom: date("2024-07-01"), minutes: WeekMinutes { [.mon: 540, .tue: 540, .wed: 540, .thu: 540, .fri: 240][$0] ?? 0 }),
        ])!
        var settings = Settings(periodStart: date("2024-01-01"), timezone: .utc)
        // Today's version is not simple: shown as its days and the minutes most of them get.
        let shown = settings.simpleForm(of: schedule.version(on: date("2024-09-02")).minutes)
        #expect(shown.workingDays == [.mon, .tue, .wed, .thu, .fri] && shown.dailyRequiredMinutes == 540)
        var version = settings.setSimpleForm(workingDays: nil, dailyRequiredMinutes: 420, schedule: schedule, today: date("2024-09-02"))
        #expect(version.validFrom == date("2024-07-01"))
        #expect(version.minutes.values == [420, 420, 420, 420, 420, 0, 0])
        schedule = Schedule(schedule.versions + [version])!  // the same date: replaces
        #expect(schedule.versions.count == 2)
        version = settings.setSimpleForm(workingDays: [], dailyRequiredMinutes: nil, schedule: schedule, today: date("2024-09-02"))
        #expect(version.minutes.values == [0, 0, 0, 0, 0, 0, 0])
        #expect(settings.simpleForm(of: version.minutes).dailyRequiredMinutes == 420)  // kept
        version = settings.setSimpleForm(workingDays: [.mon, .sat], dailyRequiredMinutes: 0, schedule: schedule, today: date("2024-09-02"))
        #expect(settings.simpleForm(of: version.minutes).workingDays == [.mon, .sat])  // kept with 0:00
    }

    @Test func openingBalanceIsPartOfEveryBalance() {
        var p = policy(start: "2024-01-01")
        p.settings.openingBalanceMinutes = -750
        let ledger = wholeLedger(p, recorded: [date("2024-01-01"): 540], corrections: [:])
        #expect(ledger.balance(asOf: date("2023-12-31")).balance == -750)
        #expect(ledger.balance(asOf: date("2024-01-01")).balance == -750 + 60)
        #expect(ledger.summary(year: 2024, today: date("2024-01-01"))[0].balance == -690)
        #expect(ledger.summary(year: 2023, today: date("2024-01-01")).last!.balance == -750)
    }
}
