import AttendanceCore
import JSONText
import Testing

/// The pieces of rule 11 the core owns: the digest, the canonical text, which date a
/// minute counts on around the frozen boundary, and the ledger's use of snapshots and
/// bookings.
@Suite struct SigningTests {
    /// Known answers, computed with Python's hashlib and json.dumps(sort_keys=True,
    /// separators=(",", ":"), ensure_ascii=False).
    @Test func theDigestIsSHA256OfThePreviousDigestAndTheCanonicalText() {
        #expect(Snapshot.digest(previous: Snapshot.firstPrevious, text: "{}")
            == "5508d2b710e64bc470079e1b211d9c58e21011e59d0559e422345dc19d659a75")
        let text = #"{"a":"# + JSONText.quoted("\"\\\u{08}\u{0C}\n\r\t\u{01}\u{1F}\u{7F} é 🇩🇪") + "}"
        #expect(text == "{\"a\":\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u{7F} é 🇩🇪\"}")
        #expect(Snapshot.digest(previous: Snapshot.firstPrevious, text: text)
            == "36099a0c4853582cfec528b4f56df67b142f6f40c3352a483269f3fa0da4f753")
    }

    @Test func monthsReadAndCount() {
        #expect(Month("2026-10")?.description == "2026-10")
        #expect(Month("2026-13") == nil && Month("2026-1") == nil && Month("26-10") == nil && Month("2026-10-01") == nil)
        #expect(Month("2026-12")!.next == Month("2027-01")!)
        #expect(Month("2027-01")!.previous == Month("2026-12")!)
        #expect(Month("2024-02")!.last == LocalDate("2024-02-29")!)
        #expect(Month("2026-10")!.name == "October 2026")
    }

    @Test func bookingsHaveASignAndASize() {
        #expect(Booking.problem(kind: .payout, minutes: -60) == nil)
        #expect(Booking.problem(kind: .payout, minutes: 60) != nil)
        #expect(Booking.problem(kind: .adjustment, minutes: 60) == nil)
        #expect(Booking.problem(kind: .adjustment, minutes: 0) != nil)
        #expect(Booking.problem(kind: .adjustment, minutes: -1_000_000) == nil)
        #expect(Booking.problem(kind: .adjustment, minutes: 1_000_001) != nil)
        #expect(Booking(id: 3, date: LocalDate("2026-10-31")!, kind: .payout, minutes: -90, note: "paid \"out\"").json
            == #"{"date":"2026-10-31","id":3,"kind":"payout","minutes":-90,"note":"paid \"out\""}"#)
    }

    /// Every minute around the boundary, in zones east and west of the one signed in: it
    /// lies in the minutes of the date it counts on, dates' minutes never overlap, and only
    /// minutes before the boundary whose local date is open are held by the snapshot alone.
    @Test(arguments: ["Europe/Berlin", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
    func everyMinuteCountsOnOneDateAroundTheBoundary(zoneName: String) {
        let signedIn = Zone(identifier: "Europe/Berlin")!, zone = Zone(identifier: zoneName)!
        let last = LocalDate("2026-10-31")!
        let boundary = FrozenBoundary(lastDate: last, endMinute: signedIn.firstMinute(of: last.adding(days: 1)))
        let buckets = DateBuckets(zone: zone, frozen: boundary)
        let dates = (last.dayNumber - 3...last.dayNumber + 4).map(LocalDate.init(dayNumber:))
        var owner: [Int64: LocalDate] = [:]
        for date in dates {
            for minute in buckets.minutes(of: date) {
                #expect(owner[minute] == nil, "\(minute) in \(owner[minute]!) and \(date)")
                owner[minute] = date
            }
        }
        for minute in boundary.endMinute - 2 * 1440..<boundary.endMinute + 2 * 1440 {
            let date = buckets.date(ofMinute: minute)
            if minute >= boundary.endMinute {
                #expect(date != nil && date! > last)
            } else if zone.localDate(ofMinute: minute) > last {
                #expect(date == nil)  // counted only in its snapshot
            }
            if let date { #expect(owner[minute] == date, "\(minute) counts on \(date) but lies in \(String(describing: owner[minute]))") }
        }
        // In the zone it was signed in, the boundary is the zone's own midnight.
        let same = DateBuckets(zone: signedIn, frozen: boundary)
        for date in dates { #expect(same.minutes(of: date) == signedIn.firstMinute(of: date)..<signedIn.firstMinute(of: date.adding(days: 1))) }
    }

    /// A ledger over frozen and open dates: frozen figures and totals from the snapshot,
    /// bookings in the balance from their date on and in no day.
    @Test func theLedgerCountsSnapshotsAndBookings() {
        let zone = Zone.utc
        let settings = Settings(periodStart: LocalDate("2026-10-01")!, timezone: zone, saved: true)
        let schedule = Schedule([ScheduleVersion(validFrom: settings.periodStart, minutes: settings.simpleWeek)])!
        let policy = Policy(settings: settings, schedule: schedule, holidays: [:])
        let frozenDay = LocalDate("2026-10-30")!
        let signedFigures = DayFigures(date: frozenDay, recorded: 100, manual: 0, correction: nil, correctionNote: nil, effective: 100,
                                       expected: 480, holiday: nil, absence: nil, work: nil, workingDay: true, inPeriod: true)
        let open = LocalDate("2026-11-02")!
        let work = [frozenDay: DayWork(recorded: 999, firstMinute: zone.firstMinute(of: frozenDay), lastMinute: zone.firstMinute(of: frozenDay) + 998),
                    open: DayWork(recorded: 500, firstMinute: zone.firstMinute(of: open), lastMinute: zone.firstMinute(of: open) + 499)]
        let ledger = Ledger(policy: policy, start: frozenDay, work: work, corrections: [:],
                            frozenThrough: LocalDate("2026-10-31")!,
                            frozen: [frozenDay: SignedDay(month: Month("2026-10")!, row: "{}", figures: signedFigures)],
                            frozenBefore: Totals(effective: 1000, expected: 2000), bookings: [open: -60], bookingsBefore: 30)
        #expect(ledger.day(frozenDay).effective == 100 && ledger.day(frozenDay).signedIn == Month("2026-10"))
        #expect(ledger.day(open).effective == 500 && ledger.day(open).signedIn == nil)
        // 30 booked before + (1000 − 2000) before + (100 − 480) on the 30th; the 31st is a Saturday.
        #expect(ledger.balance(asOf: LocalDate("2026-10-31")!).balance == 30 + 1000 - 2000 + 100 - 480)
        let november = ledger.balance(asOf: open)
        #expect(november.bookings == 30 - 60)
        #expect(november.balance == 30 + 1000 - 2000 + 100 - 480 + (500 - 480) - 60)  // Monday 2 Nov; the 1st is a Sunday
    }
}
