import AttendanceCore
import Foundation
import TestSupport
import Testing

/// Rule 12 against the spec's examples and an oracle that tries every d from 0 upward.
@Suite struct WorkRulesTests {
    @Test func theSpecsThreeExamples() {
        #expect(RuleOutcome.deduction(worked: 370, legalBreaks: 0) == 10)  // 6:10 without a break counts 6:00
        #expect(RuleOutcome.deduction(worked: 480, legalBreaks: 0) == 30)  // 8:00 without one counts 7:30
        // 10:00 with a 10-minute gap (not a legal break) and a 20-minute break counts 9:35.
        #expect(RuleOutcome.deduction(worked: 600, legalBreaks: 20) == 25)
        #expect(RuleOutcome.deduction(worked: 360, legalBreaks: 0) == 0)
        #expect(RuleOutcome.deduction(worked: 541, legalBreaks: 30) == 1)
        #expect(RuleOutcome.deduction(worked: 600, legalBreaks: 45) == 0)
    }

    /// The smallest d ≥ 0 with the §4 minimum for worked − d met by the breaks plus d,
    /// tried one by one, over every worked time of a day and breaks up to an hour.
    @Test func theDeductionIsTheSmallestThatMeetsTheMinimum() {
        func minimum(_ counted: Int) -> Int { counted <= 6 * 60 ? 0 : counted <= 9 * 60 ? 30 : 45 }
        for worked in 0...1500 {
            for breaks in stride(from: 0, through: 60, by: 5) {
                var d = 0
                while minimum(worked - d) > breaks + d { d += 1 }
                #expect(RuleOutcome.deduction(worked: worked, legalBreaks: breaks) == d, "\(worked) worked, \(breaks) break")
            }
        }
    }

    /// Random days as minutes (gaps of 3–60 minutes, entries, over midnight and DST
    /// nights): the legal breaks are the gaps of 15 minutes or more between sessions, read
    /// by hand off the sorted minutes, and the deduction follows from them.
    @Test(arguments: ["Europe/Berlin", "America/New_York"])
    func randomDaysDeductFromTheirLegalBreaks(zoneName: String) {
        let zone = Zone(identifier: zoneName)!
        for seed in UInt64(0)..<200 {
            var random = SplitMix64(seed: seed &+ 101)
            let date = LocalDate(["2024-03-31", "2024-10-27", "2024-03-10", "2024-11-03", "2024-06-12"][Int(seed % 5)])!
            var minutes = DayMinutes(date: date, zone: zone)
            var minute = minutes.firstMinute + Int64.random(in: 0...600, using: &random)
            var worked = Set<Int64>()
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let length = Int64.random(in: 5...240, using: &random)
                if Int.random(in: 0..<3, using: &random) == 0 {
                    minutes.cover(MinuteSpan(start: minute, end: minute + length))
                } else {
                    for m in minute..<minute + length { minutes.record(m) }
                }
                for m in minute..<minute + length where m < minutes.endMinute { worked.insert(m) }
                minute += length + Int64.random(in: 3...60, using: &random)
            }
            guard let work = minutes.work else { continue }
            let sorted = worked.sorted()
            var legal = 0, run = 1, longest = 1
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                let gap = Int(b - a - 1)
                if gap >= 15 { legal += gap; run = 1 } else { run += 1 }
                longest = max(longest, run)
            }
            #expect(work.longBreaks == legal && work.longestRun == longest, "seed \(seed)")
            var d = 0
            while RuleOutcome.requiredBreak(forCounted: sorted.count - d) > legal + d { d += 1 }
            let outcome = RuleOutcome.evaluate(.de, work: work, corrected: false, previousEnd: nil, sunday: false, holiday: false)
            #expect(outcome.deduction == d)
            #expect(outcome.warnings.contains(.noBreak6h) == (longest > 360))
            #expect(outcome.warnings.contains(.over10h) == (sorted.count - d > 600))
        }
    }

    @Test func warningsOnHandBuiltDays() {
        let zone = Zone(identifier: "Europe/Berlin")!
        func day(_ date: String, from: String, minutes: Int, gapAt: Int? = nil, gap: Int = 0) -> DayWork {
            var day = DayMinutes(date: LocalDate(date)!, zone: zone)
            let start = Timestamp.epochSeconds(from)! / 60
            var offset: Int64 = 0
            for index in 0..<minutes {
                if index == gapAt { offset += Int64(gap) }
                day.record(start + Int64(index) + offset)
            }
            return day.work!
        }
        // 11 hours worked with a 45-minute break: over 10 hours after nothing is deducted.
        let long = day("2024-06-12", from: "2024-06-12T07:00:00+02:00", minutes: 660, gapAt: 300, gap: 45)
        #expect(RuleOutcome.evaluate(.de, work: long, corrected: false, previousEnd: nil, sunday: false, holiday: false)
            == RuleOutcome(deduction: 0, warnings: [.over10h]))
        // Seven hours straight: 30 deducted and six hours without a break.
        let straight = day("2024-06-12", from: "2024-06-12T08:00:00+02:00", minutes: 420)
        #expect(RuleOutcome.evaluate(.de, work: straight, corrected: false, previousEnd: nil, sunday: false, holiday: false)
            == RuleOutcome(deduction: 30, warnings: [.noBreak6h]))
        // A 14-minute gap is no break: still six hours without one.
        let nearly = day("2024-06-12", from: "2024-06-12T08:00:00+02:00", minutes: 420, gapAt: 200, gap: 14)
        #expect(nearly.longBreaks == 0 && nearly.longestRun == 420)
        // The rest across the spring-forward night: from 22:30 on Saturday to 09:00 on
        // Sunday is 10:30 on the clock but 9:30 of real time, a short rest; from Sunday's
        // end at 11:00 to 10:00 on Monday is 23 hours: none.
        let saturdayEnd = Timestamp.epochSeconds("2024-03-30T22:30:00+01:00")! / 60
        let sunday = day("2024-03-31", from: "2024-03-31T09:00:00+02:00", minutes: 120)
        #expect(sunday.firstStart - saturdayEnd == 9 * 60 + 30)
        #expect(RuleOutcome.evaluate(.de, work: sunday, corrected: false, previousEnd: saturdayEnd, sunday: true, holiday: false).warnings
            == [.shortRest, .sundayOrHoliday])
        let monday = day("2024-04-01", from: "2024-04-01T10:00:00+02:00", minutes: 120)
        #expect(RuleOutcome.evaluate(.de, work: monday, corrected: false, previousEnd: sunday.lastEnd, sunday: false, holiday: false).warnings == [])
        // Over the fall-back night 11:00 on the clock is 12 hours of rest.
        let fallEnd = Timestamp.epochSeconds("2024-10-26T21:00:00+02:00")! / 60
        let fallSunday = day("2024-10-27", from: "2024-10-27T08:00:00+01:00", minutes: 60)
        #expect(fallSunday.firstStart - fallEnd == 12 * 60)
        #expect(!RuleOutcome.evaluate(.de, work: fallSunday, corrected: false, previousEnd: fallEnd, sunday: true, holiday: false)
            .warnings.contains(.shortRest))
        // Under "none", and on a corrected day, nothing.
        #expect(RuleOutcome.evaluate(.none, work: straight, corrected: false, previousEnd: nil, sunday: true, holiday: true) == .none)
        #expect(RuleOutcome.evaluate(.de, work: straight, corrected: true, previousEnd: nil, sunday: true, holiday: true) == .none)
    }

    @Test func aBreakIsDueBeforeEachThreshold() {
        #expect(RuleOutcome.breakDue(worked: 340, legalBreaks: 0) == 20)
        #expect(RuleOutcome.breakDue(worked: 340, legalBreaks: 30) == 200)
        #expect(RuleOutcome.breakDue(worked: 500, legalBreaks: 30) == 40)
        #expect(RuleOutcome.breakDue(worked: 500, legalBreaks: 45) == nil)
        #expect(RuleOutcome.breakDue(worked: 600, legalBreaks: 0) == nil)
    }

    /// A version with "de" from a Monday: the Friday before keeps its figures, the Monday
    /// deducts, and a correction removes the deduction.
    @Test func rulesApplyFromTheirVersionOn() {
        let zone = Zone.utc
        let settings = Settings(periodStart: LocalDate("2024-06-03")!, timezone: zone, saved: true)
        let schedule = Schedule([ScheduleVersion(validFrom: settings.periodStart, minutes: settings.simpleWeek),
                                 ScheduleVersion(validFrom: LocalDate("2024-06-10")!, minutes: settings.simpleWeek, workRules: .de)])!
        var work: [LocalDate: DayWork] = [:]
        for date in ["2024-06-07", "2024-06-10", "2024-06-11"] {
            let first = zone.firstMinute(of: LocalDate(date)!) + 480
            work[LocalDate(date)!] = DayWork(recorded: 480, firstMinute: first, lastMinute: first + 479)
        }
        let ledger = Ledger(policy: Policy(settings: settings, schedule: schedule, holidays: [:]), start: settings.periodStart,
                            work: work, corrections: [LocalDate("2024-06-11")!: 480])
        #expect(ledger.day(LocalDate("2024-06-07")!).effective == 480)
        #expect(ledger.day(LocalDate("2024-06-10")!).effective == 450 && ledger.day(LocalDate("2024-06-10")!).ruleDeduction == 30)
        #expect(ledger.day(LocalDate("2024-06-10")!).warnings == [.noBreak6h])
        #expect(ledger.day(LocalDate("2024-06-11")!).effective == 480 && ledger.day(LocalDate("2024-06-11")!).warnings == [])
        #expect(ledger.totals(from: LocalDate("2024-06-03")!, to: LocalDate("2024-06-11")!).effective == 480 + 450 + 480)
    }
}
