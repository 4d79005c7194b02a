import Foundation
import AttendanceCore
import Testing
@testable import Storage

@Suite struct PolicyStorageTests {
    @Test func changingTheZoneRebucketsAllHistory() throws {
        let db = try freshDatabase(zone: "UTC")
        // 23:30 UTC on 31 Dec: still 2023 in UTC, already 2024 in Berlin.
        _ = try db.recordHeartbeats([HeartbeatMinute(minute: minute("2023-12-31T23:30:00Z"), host: ""),
                                     HeartbeatMinute(minute: minute("2023-12-31T22:30:00Z"), host: "")], receivedAt: 1)
        let range = (LocalDate("2023-12-31")!, LocalDate("2024-01-01")!)
        #expect(try db.recordedMinutes(from: range.0, to: range.1) == [range.0: 2])
        try db.change { $0.timezone = Zone(identifier: "Europe/Berlin")! }
        #expect(try db.recordedMinutes(from: range.0, to: range.1) == [range.0: 1, range.1: 1])
        #expect(try db.dailyCacheIsConsistent())
        #expect(try db.heartbeatCount() == 2)
    }

    @Test func newestCorrectionWinsAndRemovalRestoresRecorded() throws {
        let db = try freshDatabase()
        let day = LocalDate("2024-01-31")!
        _ = try db.apply(SaveCorrection(day, minutes: 300, note: "first"), at: 10)
        _ = try db.apply(SaveCorrection(day, minutes: 420, note: "second"), at: 20)
        #expect(try db.corrections().map(\.minutes) == [420])
        #expect(try db.apply(RemoveCorrection(day), at: 30))
        #expect(try db.corrections().isEmpty)
        #expect(try db.ledger(from: day, to: day).corrections.isEmpty)
        #expect(try !db.apply(RemoveCorrection(day), at: 40))
        _ = try db.apply(SaveCorrection(day.adding(days: 1), minutes: 1, note: "next day"), at: 50)
        #expect(try db.correctionHistory(from: day, to: day).map(\.minutes) == [nil, 420, 300])
        #expect(try db.correctionHistory(from: day, to: day).map(\.note) == ["", "second", "first"])
        #expect(try db.correctionHistory(from: day, to: day.adding(days: 1)).map(\.note) == ["", "second", "first", "next day"])
    }

    @Test func holidaysAreAddedRenamedAndRemoved() throws {
        let db = try freshDatabase()
        let day = LocalDate("2024-12-25")!
        #expect(try db.apply(SetHoliday(day, name: "Xmas"), at: 0))
        #expect(try !db.apply(SetHoliday(day, name: "Christmas"), at: 0))
        #expect(try db.holidays().map(\.name) == ["Christmas"])
        #expect(try db.holidays(from: LocalDate("2025-01-01")!, to: nil).isEmpty)
        #expect(try db.apply(RemoveHoliday(day), at: 0))
        #expect(try !db.apply(RemoveHoliday(day), at: 0))
    }

    @Test func schemaRefusesWhatTheRulesForbid() throws {
        let db = try freshDatabase()
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "UPDATE settings SET period_end = '2000-01-01'") }
        }
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "UPDATE settings SET daily_required_minutes = 1441") }
        }
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "INSERT INTO correction (date, minutes, created_at) VALUES ('2024-01-01', -1, 0)") }
        }
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "INSERT INTO holiday (date, name) VALUES ('tomorrow', 'x')") }
        }
        _ = try db.apply(SaveCorrection(LocalDate("2024-01-02")!, minutes: 60, note: ""), at: 0)
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "UPDATE correction SET minutes = 1") }
        }
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "DELETE FROM correction") }
        }
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "INSERT INTO schedule (valid_from, mon, tue, wed, thu, fri, sat, sun) VALUES ('2024-01-01', 1441, 0, 0, 0, 0, 0, 0)") }
        }
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "DELETE FROM schedule") }  // the last version stays
        }
    }

    @Test func cacheStaysTrueAcrossRandomIngestsZoneChangesAndBackfills() throws {
        let db = try freshDatabase(zone: "America/New_York")
        var generator = SystemRandomNumberGenerator()
        let zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC"]
        let base = minute("2024-03-08T00:00:00Z")
        for round in 0..<12 {
            let beats = (0..<300).map { _ in
                HeartbeatMinute(minute: base + Int64.random(in: 0..<(round.isMultiple(of: 3) ? 300_000 : 20_000), using: &generator),
                                host: ["", "laptop", "desktop"].randomElement(using: &generator)!)
            }
            _ = try db.recordHeartbeats(beats, receivedAt: Int64(round))
            if round.isMultiple(of: 4) {
                let zone = Zone(identifier: zones.randomElement(using: &generator)!)!
                try db.change { $0.timezone = zone }
            }
            #expect(try db.dailyCacheIsConsistent())
        }
    }
}

@Suite struct WindowedLedgerTests {
    /// Random heartbeats (DST nights included), schedule versions, holidays, corrections
    /// (changed and removed), a period and an opening balance, stored for real; every
    /// figure of random windows read back from storage equals a day-by-day recomputation
    /// from the raw minutes, bucketed here with Foundation's calendar instead of `Zone`.
    @Test(arguments: ["Europe/Berlin", "America/New_York"])
    func windowsAgreeWithADayByDayRecomputation(zoneName: String) throws {
        let db = try freshDatabase(zone: zoneName)
        var generator = SystemRandomNumberGenerator()
        let first = LocalDate("2022-01-01")!.dayNumber, last = LocalDate("2024-12-31")!.dayNumber
        let randomDate = { (generator: inout SystemRandomNumberGenerator) in LocalDate(dayNumber: Int.random(in: first...last, using: &generator)) }
        // Heartbeats: most days one run of minutes, and every DST night of 2022–2024 around 01:00–04:00 local.
        var minutes: Set<Int64> = []
        for day in stride(from: first, through: last, by: 1) where Int.random(in: 0..<3, using: &generator) > 0 {
            let start = Int64(day) * 1440 + Int64.random(in: 0..<1200, using: &generator)
            for offset in 0..<Int64.random(in: 1..<600, using: &generator) { minutes.insert(start + offset) }
        }
        for night in ["2022-03-27", "2022-10-30", "2023-03-26", "2023-10-29", "2024-03-31", "2024-10-27",
                      "2022-03-13", "2022-11-06", "2023-03-12", "2023-11-05", "2024-03-10", "2024-11-03"] {
            let midnightUTC = Int64(LocalDate(night)!.dayNumber) * 1440
            for offset in Int64(-180)..<Int64(600) { minutes.insert(midnightUTC + offset) }
        }
        _ = try db.recordHeartbeats(minutes.map { HeartbeatMinute(minute: $0, host: Bool.random() ? "a" : "b") }, receivedAt: 0)

        // Policy: a period, an opening balance, 1–5 versions, holidays, corrections with history.
        let periodStart = randomDate(&generator)
        let periodEnd: LocalDate? = Bool.random(using: &generator) ? periodStart.adding(days: Int.random(in: 0...700, using: &generator)) : nil
        let opening = Int.random(in: -3000...3000, using: &generator)
        try db.change {
            $0.periodStart = periodStart
            $0.periodEnd = periodEnd
            $0.openingBalanceMinutes = opening
        }
        var versions: [LocalDate: [Int]] = [try db.schedule().versions[0].validFrom: [480, 480, 480, 480, 480, 0, 0]]
        for _ in 0..<Int.random(in: 0...4, using: &generator) {
            let minutesPerDay = (0..<7).map { _ in [0, 240, 450, 480, 600].randomElement(using: &generator)! }
            let version = ScheduleVersion(validFrom: randomDate(&generator), minutes: WeekMinutes { minutesPerDay[$0.index] })
            _ = try db.apply(SaveScheduleVersion(version), at: 0)
            versions[version.validFrom] = minutesPerDay
        }
        var holidays: Set<LocalDate> = [], corrections: [LocalDate: Int] = [:]
        for _ in 0..<30 {
            let date = randomDate(&generator)
            _ = try db.apply(SetHoliday(date, name: "h"), at: 0)
            holidays.insert(date)
        }
        for index in 0..<60 {
            let date = randomDate(&generator)
            if index % 7 == 6, corrections[date] != nil || Bool.random(using: &generator) {
                if try db.apply(RemoveCorrection(date), at: Int64(index)) { corrections[date] = nil }
            } else {
                let value = Int.random(in: 0...1380, using: &generator)
                _ = try db.apply(SaveCorrection(date, minutes: value, note: ""), at: Int64(index))
                corrections[date] = value
            }
        }

        // The plain recomputation.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zoneName)!
        var recorded: [LocalDate: Int] = [:]
        for minute in minutes {
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(minute) * 60))
            recorded[LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!, default: 0] += 1
        }
        let sortedVersions = versions.sorted { $0.key < $1.key }
        func inPeriod(_ date: LocalDate) -> Bool { date >= periodStart && (periodEnd.map { date <= $0 } ?? true) }
        func expected(_ date: LocalDate) -> Int {
            guard inPeriod(date), !holidays.contains(date) else { return 0 }
            let version = sortedVersions.last { $0.key <= date } ?? sortedVersions[0]
            return version.value[((date.dayNumber + 3) % 7 + 7) % 7]
        }
        func effective(_ date: LocalDate) -> Int { corrections[date] ?? recorded[date] ?? 0 }
        func balance(_ asOf: LocalDate) -> Int {
            var sum = opening, date = periodStart
            while date <= asOf && inPeriod(date) {
                sum += effective(date) - expected(date)
                date = date.adding(days: 1)
            }
            return sum
        }

        #expect(try db.dailyCacheIsConsistent())
        // The derived table of current corrections holds the newest entry of each date, removals left out.
        #expect(try db.corrections().map { "\($0.date)=\($0.minutes!)" } == corrections.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        for _ in 0..<25 {
            let from = randomDate(&generator), to = from.adding(days: Int.random(in: 0...400, using: &generator))
            let ledger = try db.ledger(from: from, to: to)
            for day in ledger.days(from: from, to: to) {
                #expect(day.recorded == (recorded[day.date] ?? 0), "\(zoneName) recorded \(day.date)")
                #expect(day.effective == effective(day.date), "\(zoneName) effective \(day.date)")
                #expect(day.expected == expected(day.date), "\(zoneName) expected \(day.date)")
            }
            let asOf = from.adding(days: Int.random(in: -1...400, using: &generator))
            #expect(ledger.balance(asOf: min(asOf, to)).balance == balance(min(asOf, to)), "\(zoneName) window \(from) as of \(asOf)")
        }
        let today = LocalDate("2024-12-31")!
        let months = try db.ledger(from: LocalDate("2024-01-01")!, to: today).summary(year: 2024, today: today)
        for row in months {
            let monthEnd = LocalDate(year: 2024, month: row.first.month, day: LocalDate.daysIn(month: row.first.month, year: 2024))!
            #expect(row.balance == balance(monthEnd), "\(zoneName) \(row.month)")
        }
    }
}
