import Testing
@testable import AttendanceCore

func date(_ text: String) -> LocalDate { LocalDate(text)! }

/// Mon–Fri, 8 h, period from `start` (open end), in `zone`, with these holidays.
func policy(start: String = "2024-01-01", end: String? = nil, holidays: [String: String] = [:],
            days: Set<Weekday> = [.mon, .tue, .wed, .thu, .fri], minutes: Int = 480) -> Policy {
    Policy(settings: Settings(periodStart: date(start), periodEnd: end.map(date), timezone: Zone(identifier: "Europe/Berlin")!),
           schedule: Schedule([ScheduleVersion(validFrom: date(start), minutes: WeekMinutes { days.contains($0) ? minutes : 0 })])!,
           holidays: Dictionary(uniqueKeysWithValues: holidays.map { (date($0.key), $0.value) }))
}

/// A ledger whose window holds the whole history.
func wholeLedger(_ policy: Policy, recorded: [LocalDate: Int], corrections: [LocalDate: Int]) -> Ledger {
    Ledger(policy: policy, start: date("1990-01-01"), recorded: recorded, corrections: corrections)
}

@Suite struct PolicyTests {
    @Test func expectedFollowsPeriodWeekdaysAndHolidays() {
        let p = policy(start: "2024-03-13", end: "2024-12-31", holidays: ["2024-05-01": "Labour Day", "2024-06-01": "Saturday holiday"])
        #expect(p.expected(on: date("2024-03-12")) == 0)  // Tuesday before the period
        #expect(p.expected(on: date("2024-03-13")) == 480)  // Wednesday, first day
        #expect(p.expected(on: date("2024-03-16")) == 0)  // Saturday
        #expect(p.expected(on: date("2024-05-01")) == 0)  // holiday on a Wednesday
        #expect(p.expected(on: date("2024-06-01")) == 0)  // holiday on a Saturday
        #expect(p.expected(on: date("2024-12-31")) == 480)  // last day
        #expect(p.expected(on: date("2025-01-01")) == 0)  // after the period
    }

    @Test func expectedTotalEqualsTheSumOfDays() {
        let p = policy(start: "2024-02-07", end: "2025-03-02", holidays: ["2024-02-29": "x", "2024-12-25": "y", "2024-12-28": "Sat"],
                       days: [.mon, .wed, .sat])
        for (from, to) in [("2024-01-01", "2025-12-31"), ("2024-02-26", "2024-03-03"), ("2024-02-29", "2024-02-29"), ("2024-06-01", "2024-05-01")] {
            let (a, b) = (date(from), date(to))
            let walked = a <= b ? (a.dayNumber...b.dayNumber).reduce(0) { $0 + p.expected(on: LocalDate(dayNumber: $1)) } : 0
            #expect(p.expectedTotal(from: a, to: b) == walked, "\(from)…\(to)")
        }
    }
}

@Suite struct LedgerTests {
    @Test func correctionsOverrideRecordedAndHolidaysExpectNothing() {
        // Week of Mon 2024-02-26 … Sun 2024-03-03; Thursday 29 Feb is a holiday.
        let ledger = wholeLedger(policy(holidays: ["2024-02-29": "Leap Day"]),
                            recorded: [date("2024-02-26"): 500, date("2024-02-27"): 470, date("2024-02-29"): 60,
                                       date("2024-03-02"): 90],
                            corrections: [date("2024-02-27"): 480, date("2024-02-29"): 0, date("2024-03-01"): 240])
        let days = ledger.days(from: date("2024-02-26"), to: date("2024-03-03"))
        #expect(days.map(\.effective) == [500, 480, 0, 0, 240, 90, 0])
        #expect(days.map(\.expected) == [480, 480, 480, 0, 480, 0, 0])
        #expect(days[3].holiday == "Leap Day")
        #expect(days[3].correction == 0 && days[3].recorded == 60)
        #expect(days[5].workingDay == false)
        // Hand sum: effective 500+480+0+0+240+90 = 1310; expected 4 × 480 = 1920.
        let week = ledger.totals(from: date("2024-02-26"), to: date("2024-03-03"))
        #expect(week == Totals(effective: 1310, expected: 1920))
        #expect(week.difference == -610)
    }

    @Test func balanceCountsOnlyThePeriod() {
        let ledger = wholeLedger(policy(start: "2024-01-15", end: "2024-01-19"),
                            recorded: [date("2024-01-12"): 600, date("2024-01-15"): 480, date("2024-01-16"): 540,
                                       date("2024-01-20"): 300],
                            corrections: [:])
        #expect(ledger.balance(asOf: date("2024-01-14")).totals == Totals(effective: 0, expected: 0))
        #expect(ledger.balance(asOf: date("2024-01-16")).totals == Totals(effective: 1020, expected: 960))
        #expect(ledger.balance(asOf: date("2024-01-31")).balance == 1020 - 5 * 480)
    }

    @Test func summaryCarriesTheBalanceAcrossYearEnd() {
        let ledger = wholeLedger(policy(start: "2023-12-28"),
                            recorded: [date("2023-12-28"): 540, date("2023-12-29"): 480, date("2023-12-31"): 60,
                                       date("2024-01-01"): 0, date("2024-01-02"): 420],
                            corrections: [date("2024-01-01"): 30])
        let summary = ledger.summary(year: 2024, today: date("2024-02-05"))
        #expect(summary.map(\.month) == ["2024-01", "2024-02"])
        // 2023 carries +60 +0 +60 (Sunday work) = +120.
        // January 2024: 23 weekdays; effective 30 + 420 = 450.
        #expect(summary[0].expected == 23 * 480)
        #expect(summary[0].effective == 450)
        #expect(summary[0].balance == 120 + 450 - 23 * 480)
        // February up to Monday the 5th: 3 weekdays.
        #expect(summary[1].expected == 3 * 480)
        #expect(summary[1].balance == summary[0].balance - 3 * 480)
        #expect(summary[1].balance == ledger.balance(asOf: date("2024-02-05")).balance)
        #expect(ledger.summary(year: 2025, today: date("2024-02-05")).isEmpty)
        #expect(ledger.summary(year: 2023, today: date("2024-02-05")).count == 12)
    }

    @Test func weekendWorkCountsAsOvertime() {
        let ledger = wholeLedger(policy(), recorded: [date("2024-03-09"): 120], corrections: [:])
        #expect(ledger.day(date("2024-03-09")).difference == 120)
        #expect(ledger.totals(from: date("2024-03-09"), to: date("2024-03-10")).difference == 120)
    }

    @Test func monthEndCorrectionStaysInItsMonth() {
        let ledger = wholeLedger(policy(start: "2024-01-01"), recorded: [date("2024-01-31"): 100],
                            corrections: [date("2024-01-31"): 600, date("2024-02-01"): 0])
        let summary = ledger.summary(year: 2024, today: date("2024-02-01"))
        #expect(summary[0].effective == 600)
        #expect(summary[0].recorded == 100)
        #expect(summary[1].effective == 0)
        #expect(summary[1].delta == -480)
    }
}

extension Ledger {
    /// A ledger from recorded counts alone (these tests are about the balance, not about
    /// when the minutes lie): each day's span is made up around 08:00 UTC.
    init(policy: Policy, start: LocalDate, recorded: [LocalDate: Int], corrections: [LocalDate: Int], before: SpanSums = .zero) {
        let spans = recorded.mapValues { minutes in
            DayWork(recorded: minutes, firstMinute: 0, lastMinute: Int64(minutes - 1))
        }
        self.init(policy: policy, start: start, work: spans, corrections: corrections, before: before)
    }
}
