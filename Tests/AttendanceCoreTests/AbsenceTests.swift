import Testing
import TestSupport
@testable import AttendanceCore

/// Rule 5a and 7a with figures counted by hand.
@Suite struct AbsenceTests {
    func absences(_ entries: [(String, AbsenceKind, Bool)]) -> [LocalDate: Absence] {
        Dictionary(uniqueKeysWithValues: entries.map { (date($0.0), Absence(date: date($0.0), kind: $0.1, halfDay: $0.2)) })
    }

    /// A vacation week of Monday 2024-05-27 … Sunday 2024-06-02 with Thursday 30 May a
    /// holiday: booked only on Mon, Tue, Wed and Fri; the weekend and the holiday are skipped.
    @Test func aVacationWeekBooksOnlyItsWorkingDays() {
        let p = policy(start: "2024-01-01", holidays: ["2024-05-30": "Corpus Christi"])
        let (booked, skipped) = p.booking(from: date("2024-05-27"), to: date("2024-06-02"))
        #expect(booked.map(\.description) == ["2024-05-27", "2024-05-28", "2024-05-29", "2024-05-31"])
        #expect(skipped.map(\.description) == ["2024-05-30", "2024-06-01", "2024-06-02"])
        var withVacation = p
        withVacation.absences = Dictionary(uniqueKeysWithValues: booked.map { ($0, Absence(date: $0, kind: .vacation)) })
        // Nothing expected all week; 1:00 worked on Tuesday still counts.
        let ledger = wholeLedger(withVacation, recorded: [date("2024-05-28"): 60], corrections: [:])
        #expect(ledger.days(from: date("2024-05-27"), to: date("2024-06-02")).map(\.expected) == [0, 0, 0, 0, 0, 0, 0])
        #expect(ledger.totals(from: date("2024-05-27"), to: date("2024-06-02")) == Totals(effective: 60, expected: 0))
        #expect(ledger.day(date("2024-05-28")).absence?.kind == .vacation)
        // Outside the period nothing can be booked.
        #expect(p.booking(from: date("2023-12-25"), to: date("2023-12-29")).booked.isEmpty)
    }

    /// A half day on a 7:30 day leaves 3:45 expected: 450 − 225.
    @Test func aHalfDayOnSevenThirtyExpectsThreeFortyFive() {
        var p = policy(start: "2024-01-01", minutes: 450)
        p.absences = absences([("2024-03-05", .vacation, true)])
        #expect(p.expected(on: date("2024-03-05")) == 225)
        #expect(p.expectedTotal(from: date("2024-03-04"), to: date("2024-03-08")) == 4 * 450 + 225)
        // An odd base keeps the larger half expected: 451 − ⌊451/2⌋ = 226.
        p = policy(start: "2024-01-01", minutes: 451)
        p.absences = absences([("2024-03-05", .sick, true)])
        #expect(p.expected(on: date("2024-03-05")) == 226)
    }

    /// Sick, leave and unpaid lower the expected time; comp (time off in lieu) does not:
    /// it is taken from the balance. Minutes worked on a sick day count.
    @Test func sickCompLeaveAndUnpaid() {
        var p = policy(start: "2024-01-01")
        p.absences = absences([("2024-03-04", .sick, false), ("2024-03-05", .comp, false), ("2024-03-06", .leave, false),
                               ("2024-03-07", .unpaid, false), ("2024-03-08", .comp, true)])
        let ledger = wholeLedger(p, recorded: [date("2024-03-04"): 90], corrections: [:])
        let week = ledger.days(from: date("2024-03-04"), to: date("2024-03-08"))
        #expect(week.map(\.expected) == [0, 480, 0, 0, 480])
        // Hand sum: effective 90; expected 480 + 480 = 960; difference −870.
        #expect(ledger.totals(from: date("2024-03-04"), to: date("2024-03-08")).difference == -870)
        #expect(ledger.balance(asOf: date("2024-03-08")).balance
                == ledger.balance(asOf: date("2024-03-03")).balance - 870)
    }

    /// An absence follows the version in force on its date: a change of hours later on
    /// keeps a vacation day at 0 expected instead of turning it into overtime.
    @Test func absencesUnderTwoScheduleVersions() {
        var p = policy(start: "2024-01-01")
        p.schedule = Schedule(p.schedule.versions + [ScheduleVersion(validFrom: date("2024-07-01"),
                                                                     minutes: WeekMinutes { $0.index < 4 ? 600 : 0 })])!
        p.absences = absences([("2024-06-28", .vacation, true), ("2024-07-01", .vacation, true), ("2024-07-02", .vacation, false),
                               ("2024-07-05", .vacation, false)])
        #expect(p.expected(on: date("2024-06-28")) == 240)  // Friday, 8 h: half
        #expect(p.expected(on: date("2024-07-01")) == 300)  // Monday, 10 h: half
        #expect(p.expected(on: date("2024-07-02")) == 0)
        #expect(p.expected(on: date("2024-07-05")) == 0)  // a Friday off under the new version: nothing to take off
        #expect(!p.canBook(date("2024-07-05")))
        #expect(p.expectedTotal(from: date("2024-06-24"), to: date("2024-07-07")) == 4 * 480 + 240 + 300 + 0 + 2 * 600)
    }

    /// Vacation days counted in halves; taken up to today, planned after it, each year on its own.
    @Test func vacationCountsHalvesAcrossAYearBoundary() {
        let list = [("2024-12-23", false), ("2024-12-24", true), ("2024-12-30", false), ("2024-12-31", true),
                    ("2025-01-02", false), ("2025-01-03", true)].map { Absence(date: date($0.0), kind: .vacation, halfDay: $0.1) }
            + [Absence(date: date("2024-12-27"), kind: .sick)]
        let today = date("2024-12-30")
        let y2024 = VacationCount(year: 2024, allowanceHalves: 60, absences: list, today: today)
        #expect(y2024.takenHalves == 2 + 1 + 2)  // 23, 24 (half), 30: 2.5 days
        #expect(y2024.plannedHalves == 1)  // 31 (half)
        #expect(y2024.remainingHalves == 60 - 6)  // 30 − 3 = 27 days
        let y2025 = VacationCount(year: 2025, allowanceHalves: 49, absences: list, today: today)
        #expect(y2025.takenHalves == 0 && y2025.plannedHalves == 3 && y2025.remainingHalves == 46)
    }
}

/// The iCalendar reader: unfolding, unescaping, all-day events, and what it skips.
@Suite struct HolidayCalendarTests {
    @Test func readsAllDayEventsAndSkipsWhatItCannotTake() throws {
        let text = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example//Holidays//EN",
            "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20250101", "DTEND;VALUE=DATE:20250102", "SUMMARY:New Year", "END:VEVENT",
            "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20250418", "SUMMARY;LANGUAGE=de:Karfreitag\\, Good Friday\\; a long", " er name",
            "BEGIN:VALARM", "TRIGGER:-PT15M", "SUMMARY:not the event's name", "END:VALARM", "END:VEVENT",
            "BEGIN:VEVENT", "DTSTART:20250501T090000Z", "SUMMARY:Meeting", "END:VEVENT",
            "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20251225", "RRULE:FREQ=YEARLY", "SUMMARY:Christmas", "END:VEVENT",
            "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20251224", "DTEND;VALUE=DATE:20251227", "SUMMARY:Break\\nthree days", "END:VEVENT",
            "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20250230", "SUMMARY:Impossible", "END:VEVENT",
            "BEGIN:VEVENT", "DTSTART;VALUE=DATE:20250601", "END:VEVENT",
            "END:VCALENDAR", "",
        ].joined(separator: "\r\n")
        let entries = try #require(HolidayCalendar.entries(text))
        #expect(entries.count == 9)
        #expect(entries[0] == .holiday(date("2025-01-01"), "New Year"))
        #expect(entries[1] == .holiday(date("2025-04-18"), "Karfreitag, Good Friday; a longer name"))
        guard case .skipped("Meeting", let timed) = entries[2] else { Issue.record("\(entries[2])"); return }
        #expect(timed.contains("timed"))
        guard case .skipped("Christmas", let repeating) = entries[3] else { Issue.record("\(entries[3])"); return }
        #expect(repeating.contains("RRULE"))
        #expect(Array(entries[4...6]) == ["2025-12-24", "2025-12-25", "2025-12-26"].map { .holiday(date($0), "Break three days") })
        guard case .skipped("Impossible", _) = entries[7], case .skipped("", let unnamed) = entries[8] else {
            Issue.record("\(entries[7...])")
            return
        }
        #expect(unnamed.contains("SUMMARY"))
    }

    @Test func linesMayEndInLFOrCRAndBeFoldedWithTabs() throws {
        let text = "\u{FEFF}BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20251003\nSUMMARY:Tag der\n\t Deutschen Einheit\rEND:VEVENT\nEND:VCALENDAR"
        #expect(HolidayCalendar.entries(text) == [.holiday(date("2025-10-03"), "Tag der Deutschen Einheit")])
    }

    @Test func textThatIsNoCalendarIsRefused() {
        for text in ["", "hello", "{\"date\":\"2025-01-01\"}", "BEGIN:VCARD\r\nEND:VCARD", "\n\nBEGIN:VEVENT"] {
            #expect(HolidayCalendar.entries(text) == nil, "\(text)")
        }
        #expect(HolidayCalendar.entries("begin:vcalendar\r\nend:vcalendar") == [])
    }

    /// Random bytes and random cuts of a real file: never a crash, and whatever comes
    /// out is dates and names or reasons.
    @Test func fuzzedInputNeverTrapsTheReader() {
        var generator = SplitMix64(seed: 99)
        let sample = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250101\r\nDTEND;VALUE=DATE:20250102\r\nSUMMARY;X=\"a:b;c\":A\\,B\r\n c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let alphabet = Array("BEGIN:VCALENDAREVTDSRUMY;=\"\\,\r\n \t0123456789T-é\u{0}".unicodeScalars)
        for round in 0..<3000 {
            var scalars = Array(sample.unicodeScalars)
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                let index = Int.random(in: 0...scalars.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: scalars.insert(alphabet.randomElement(using: &generator)!, at: index)
                case 1 where index < scalars.count: scalars.remove(at: index)
                default: scalars = Array(scalars.prefix(index))
                }
            }
            let text = round % 10 == 0 ? String(String.UnicodeScalarView((0..<200).map { _ in alphabet.randomElement(using: &generator)! }))
                                       : String(String.UnicodeScalarView(scalars))
            for entry in HolidayCalendar.entries(text) ?? [] {
                if case let .holiday(_, name) = entry { #expect(!name.isEmpty) }
            }
        }
    }
}
