import AttendanceCore
import Foundation
import Testing
@testable import Storage

/// Rule 11 against an oracle written here minute by minute: random histories, two signed
/// months, then random later changes — corrections, entries, absences, holidays, schedule
/// versions, bookings, late heartbeats and zone changes east and west. After every change
/// each frozen figure equals what was signed, and each open one equals a recount in the
/// test that gives every minute after the frozen boundary its date (never one before the
/// first open date) and counts the frozen days from their snapshot.
@Suite struct SigningOracleTests {
    /// The oracle's own record of what went in.
    struct History {
        var minutes = Set<Int64>()
        var corrections: [LocalDate: Int] = [:]
        var holidays = Set<LocalDate>()
        var vacations = Set<LocalDate>()
        var versions: [LocalDate: Int] = [LocalDate("2024-01-01")!: 480]  // valid_from: minutes Monday–Friday
        var bookings: [LocalDate: Int] = [:]
        var zone = Zone(identifier: "Europe/Berlin")!
        /// At signing: the last frozen date, the boundary, each frozen date's figures, the balance after.
        var lastFrozen: LocalDate?
        var endMinute: Int64 = .min
        var signed: [LocalDate: DayFigures] = [:]
        var balanceAfter = 0

        func base(_ date: LocalDate) -> Int {
            guard date >= LocalDate("2024-01-01")!, !holidays.contains(date), date.weekday != .sat, date.weekday != .sun else { return 0 }
            let from = versions.keys.filter { $0 <= date }.max() ?? versions.keys.min()!
            return versions[from]!
        }

        func expected(_ date: LocalDate) -> Int { vacations.contains(date) ? 0 : base(date) }

        /// Worked minutes per open date: each minute from the boundary on, on its local date
        /// or the first open date, whichever is later.
        func openWorked() -> [LocalDate: Int] {
            var worked: [LocalDate: Int] = [:]
            let firstOpen = lastFrozen.map { $0.adding(days: 1) }
            for minute in minutes where minute >= endMinute {
                var date = zone.localDate(ofMinute: minute)
                if let firstOpen { date = max(date, firstOpen) }
                worked[date, default: 0] += 1
            }
            return worked
        }
    }

    static let first = LocalDate("2024-01-01")!, last = LocalDate("2024-04-30")!

    func randomMinute(_ random: inout SplitMix64, _ zone: Zone, from: LocalDate = first, to: LocalDate = last) -> Int64 {
        Int64.random(in: zone.firstMinute(of: from)..<zone.firstMinute(of: to.adding(days: 1)), using: &random)
    }

    @Test(arguments: 0..<6)
    func frozenFiguresHoldAndOpenOnesRecount(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &+ 11)
        let db = try AppDatabase.inMemory(fresh: .fresh(today: Self.first, timezone: Zone(identifier: "Europe/Berlin")!))
        var history = History()
        // Working days of 4–9 hours from 7–10 local, some with a gap; an evening now and then.
        var beats: [HeartbeatMinute] = []
        for day in Self.first.dayNumber...Self.last.dayNumber {
            let date = LocalDate(dayNumber: day)
            guard Int.random(in: 0..<7, using: &random) < 5 else { continue }
            let start = history.zone.firstMinute(of: date) + Int64.random(in: 420...600, using: &random)
            for offset in 0..<Int64.random(in: 240...540, using: &random) where offset % 97 > 3 {
                beats.append(HeartbeatMinute(minute: start + offset, host: "laptop"))
            }
            if Int.random(in: 0..<5, using: &random) == 0 {
                let late = history.zone.firstMinute(of: date) + 22 * 60 + 30
                beats += (0..<Int64.random(in: 30...180, using: &random)).map { HeartbeatMinute(minute: late + $0, host: "laptop") }
            }
        }
        _ = try db.recordHeartbeats(beats, receivedAt: 0)
        history.minutes = Set(beats.map(\.minute))

        // Sign January and February, as of a day in May.
        let now = history.zone.firstMinute(of: LocalDate("2024-05-10")!) + 600
        for month in ["2024-01", "2024-02"] {
            let month = Month(month)!
            _ = try db.apply(SignMonth(month, nowMinute: now), at: now * 60)
            let ledger = try db.ledger(from: month.first, to: month.last, nowMinute: now)
            for date in ledger.days(from: month.first, to: month.last) { history.signed[date.date] = date }
            history.balanceAfter = ledger.balance(asOf: month.last).balance
            history.lastFrozen = month.last
            history.endMinute = max(history.endMinute, history.zone.firstMinute(of: month.last.adding(days: 1)))
        }
        let lastFrozen = history.lastFrozen!

        let zones = ["Asia/Tokyo", "America/New_York", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles"]
        for step in 0..<40 {
            let date = LocalDate(dayNumber: Int.random(in: Self.first.dayNumber...Self.last.dayNumber, using: &random))
            let frozen = date <= lastFrozen
            func expectRefusal<C: Change>(_ change: C, when refused: Bool) throws -> C.Outcome? {
                do {
                    let outcome = try db.apply(change, at: Int64(step))
                    #expect(!refused, "step \(step): \(change.what) on \(date) went through")
                    return outcome
                } catch let refusal as FrozenRefusal {
                    #expect(refused, "step \(step): \(refusal.message)")
                    #expect(refusal.month <= Month(of: lastFrozen) && refusal.firstOpen == lastFrozen.adding(days: 1))
                    return nil
                }
            }
            switch Int.random(in: 0..<8, using: &random) {
            case 0:
                let minutes = Int.random(in: 0...600, using: &random)
                if try expectRefusal(SaveCorrection(date, minutes: minutes, note: ""), when: frozen) != nil { history.corrections[date] = minutes }
            case 1:
                let start = randomMinute(&random, history.zone, from: lastFrozen.adding(days: -3))
                let end = start + Int64.random(in: 1...600, using: &random)
                if try expectRefusal(AddEntry(start: start, end: end, note: "", source: .manual), when: start < history.endMinute) != nil {
                    for minute in start..<end { history.minutes.insert(minute) }
                }
            case 2:
                let booked = try expectRefusal(BookAbsences(from: date, to: date) { policy in
                    (policy.canBook(date) ? [Absence(date: date, kind: .vacation)] : [], ())
                }, when: frozen)
                if booked != nil, history.base(date) > 0 { history.vacations.insert(date) }
            case 3:
                if try expectRefusal(SetHoliday(date, name: "H\(step)"), when: frozen) != nil {
                    history.holidays.insert(date)
                }
            case 4:
                let minutes = [240, 360, 420, 480][Int.random(in: 0..<4, using: &random)]
                let version = ScheduleVersion(validFrom: date, minutes: WeekMinutes { $0 == .sat || $0 == .sun ? 0 : minutes })
                if try expectRefusal(SaveScheduleVersion(version), when: frozen) != nil {
                    history.versions[date] = minutes
                }
            case 5:
                let minutes = Int.random(in: -900...(-1), using: &random)
                if try expectRefusal(AddBooking(date: date, kind: .payout, minutes: minutes, note: "paid"), when: frozen) != nil {
                    history.bookings[date, default: 0] += minutes
                }
            case 6:
                // Late heartbeats anywhere: stored and acknowledged, counted only on open dates.
                let minute = randomMinute(&random, history.zone)
                let batch = (0..<Int64.random(in: 1...90, using: &random)).map { HeartbeatMinute(minute: minute + $0, host: "desk") }
                _ = try db.recordHeartbeats(batch, receivedAt: Int64(step))
                history.minutes.formUnion(batch.map(\.minute))
            default:
                let zone = Zone(identifier: zones[Int.random(in: 0..<zones.count, using: &random)])!
                try db.change { $0.timezone = zone }
                history.zone = zone
            }

            let ledger = try db.ledger(from: Self.first, to: Self.last.adding(days: 5), nowMinute: now)
            for (date, signed) in history.signed {
                #expect(ledger.day(date) == signed, "step \(step): frozen \(date) moved")
            }
            let worked = history.openWorked()
            var balance = history.balanceAfter
            for day in lastFrozen.adding(days: 1).dayNumber...Self.last.adding(days: 5).dayNumber {
                let date = LocalDate(dayNumber: day)
                let figures = ledger.day(date)
                let expectedWorked = worked[date] ?? 0
                #expect(figures.worked == expectedWorked, "step \(step): \(date) worked \(figures.worked), by hand \(expectedWorked)")
                #expect(figures.effective == history.corrections[date] ?? expectedWorked, "step \(step): \(date) effective")
                #expect(figures.expected == history.expected(date), "step \(step): \(date) expected")
                balance += (history.corrections[date] ?? expectedWorked) - history.expected(date) + (history.bookings[date] ?? 0)
                #expect(ledger.balance(asOf: date).balance == balance, "step \(step): balance on \(date)")
            }
            // Every worked minute after the boundary counts once on an open date.
            #expect(worked.values.reduce(0, +) == history.minutes.filter { $0 >= history.endMinute }.count)
            #expect(try db.dailyCacheIsConsistent())
            #expect(try db.verify().failure == nil)
        }
    }
}

/// `verify` against a database file edited behind the product's back: a snapshot, a day
/// the pages read, a month's checkpoint. The schema refuses the plain edit; with its
/// guard dropped, verify names the month.
@Suite struct VerifyTests {
    func signedDatabase() throws -> AppDatabase {
        let zone = Zone(identifier: "Europe/Berlin")!
        let db = try AppDatabase.inMemory(fresh: .fresh(today: LocalDate("2024-01-01")!, timezone: zone))
        var beats: [HeartbeatMinute] = []
        for day in LocalDate("2024-01-01")!.dayNumber...LocalDate("2024-02-29")!.dayNumber {
            let start = zone.firstMinute(of: LocalDate(dayNumber: day)) + 540
            beats += (0..<300).map { HeartbeatMinute(minute: start + Int64($0), host: "") }
        }
        _ = try db.recordHeartbeats(beats, receivedAt: 0)
        let now = zone.firstMinute(of: LocalDate("2024-03-05")!)
        _ = try db.apply(SignMonth(Month("2024-01")!, nowMinute: now), at: now * 60)
        _ = try db.apply(SignMonth(Month("2024-02")!, nowMinute: now), at: now * 60)
        #expect(try db.verify().checked == 2 && db.verify().failure == nil)
        return db
    }

    @Test(arguments: [
        ("signed_snapshot", "UPDATE signed_snapshot SET snapshot = CAST(replace(CAST(snapshot AS TEXT), '\"worked\":', '\"worked\":1') AS BLOB) WHERE month = '2024-02'", "2024-02"),
        ("signed_day", "UPDATE signed_day SET effective = effective + 60 WHERE date = '2024-01-15'", "2024-01"),
        ("signed_month", "UPDATE signed_month SET balance_after = balance_after + 60 WHERE month = '2024-01'", "2024-01"),
        ("signed_month", "UPDATE signed_month SET previous_digest = digest WHERE month = '2024-02'", "2024-02"),
    ])
    func anEditedFileIsFound(table: String, edit: String, month: String) throws {
        let db = try signedDatabase()
        #expect(throws: (any Error).self) { try db.writer.write { try $0.execute(sql: edit) } }
        try db.writer.write { db in
            try db.execute(sql: "DROP TRIGGER \(table)_no_update")
            try db.execute(sql: edit)
        }
        #expect(try db.verify().failure?.month == month)
    }
}

/// The cache kept in place as heartbeats arrive in any order — in order, a few minutes
/// late (requests that overtook each other), long after, on dates with entries — always
/// equals a recount (rule 8), rule 12's breaks and runs included.
@Suite struct OutOfOrderIngestTests {
    @Test(arguments: 0..<8)
    func theCacheEqualsARecountWhateverTheOrder(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &+ 5)
        let zone = Zone(identifier: "Europe/Berlin")!
        let db = try AppDatabase.inMemory(fresh: .fresh(today: LocalDate("2024-06-03")!, timezone: zone))
        let start = zone.firstMinute(of: LocalDate("2024-06-03")!) + 420
        var minutes: [Int64] = []
        var minute = start
        for _ in 0..<12 {
            for _ in 0..<Int.random(in: 10...120, using: &random) { minutes.append(minute); minute += 1 }
            minute += Int64.random(in: 3...40, using: &random)
        }
        // Nearly in order: swap neighbours up to 10 apart, and move a few far back.
        for index in minutes.indices.dropLast(10) where Int.random(in: 0..<4, using: &random) == 0 {
            minutes.swapAt(index, index + Int.random(in: 1...10, using: &random))
        }
        for _ in 0..<5 { minutes.append(minutes.remove(at: Int.random(in: 0..<minutes.count / 2, using: &random))) }
        if seed % 2 == 0 {
            _ = try db.apply(AddEntry(start: start + 200, end: start + 260, note: "", source: .manual), at: 0)
        }
        var index = 0
        while index < minutes.count {
            let size = Int.random(in: 1...5, using: &random)
            let batch = minutes[index..<min(minutes.count, index + size)].map { HeartbeatMinute(minute: $0, host: "laptop") }
            _ = try db.recordHeartbeats(Array(batch), receivedAt: 0)
            index += size
        }
        #expect(try db.dailyCacheIsConsistent())
    }
}
