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
        var settings = try db.settings()
        settings.timezone = "Europe/Berlin"
        try db.updateSettings(settings)
        #expect(try db.recordedMinutes(from: range.0, to: range.1) == [range.0: 1, range.1: 1])
        #expect(try db.dailyCacheIsConsistent())
        #expect(try db.heartbeatCount() == 2)
    }

    @Test func newestCorrectionWinsAndRemovalRestoresRecorded() throws {
        let db = try freshDatabase()
        let day = LocalDate("2024-01-31")!
        _ = try db.addCorrection(day, minutes: 300, note: "first", at: 10)
        _ = try db.addCorrection(day, minutes: 420, note: "second", at: 20)
        #expect(try db.corrections().map(\.minutes) == [420])
        #expect(try db.removeCorrection(day, at: 30))
        #expect(try db.corrections().isEmpty)
        #expect(try db.ledger(from: day, to: day).corrections.isEmpty)
        #expect(try !db.removeCorrection(day, at: 40))
        _ = try db.addCorrection(day.adding(days: 1), minutes: 1, note: "next day", at: 50)
        #expect(try db.correctionHistory(from: day, to: day).map(\.minutes) == [nil, 420, 300])
        #expect(try db.correctionHistory(from: day, to: day).map(\.note) == ["", "second", "first"])
        #expect(try db.correctionHistory(from: day, to: day.adding(days: 1)).map(\.note) == ["", "second", "first", "next day"])
    }

    @Test func holidaysAreAddedRenamedAndRemoved() throws {
        let db = try freshDatabase()
        let day = LocalDate("2024-12-25")!
        #expect(try db.setHoliday(day, name: "Xmas"))
        #expect(try !db.setHoliday(day, name: "Christmas"))
        #expect(try db.holidays().map(\.name) == ["Christmas"])
        #expect(try db.holidays(from: LocalDate("2025-01-01")!, to: nil).isEmpty)
        #expect(try db.deleteHoliday(day))
        #expect(try !db.deleteHoliday(day))
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
                var settings = try db.settings()
                settings.timezone = zones.randomElement(using: &generator)!
                try db.updateSettings(settings)
            }
            #expect(try db.dailyCacheIsConsistent())
        }
    }
}

@Suite struct WindowedLedgerTests {
    /// A window's carry (SQL sums) plus its own days must give what the whole history gives.
    @Test func windowsAgreeWithTheWholeHistory() throws {
        let db = try freshDatabase(zone: "Europe/Berlin")
        var settings = try db.settings()
        settings.periodStart = LocalDate("2022-03-15")!
        settings.periodEnd = LocalDate("2024-10-31")!
        try db.updateSettings(settings)
        var generator = SystemRandomNumberGenerator()
        let first = LocalDate("2022-01-01")!.dayNumber, last = LocalDate("2024-12-31")!.dayNumber
        var beats: [HeartbeatMinute] = []
        for day in stride(from: first, through: last, by: 1) where Int.random(in: 0..<3, using: &generator) > 0 {
            let start = Int64(day) * 1440 + Int64.random(in: 0..<600, using: &generator)
            beats += (0..<Int64.random(in: 1..<600, using: &generator)).map { HeartbeatMinute(minute: start + $0, host: "") }
        }
        _ = try db.recordHeartbeats(beats, receivedAt: 0)
        for _ in 0..<40 {
            let date = LocalDate(dayNumber: Int.random(in: first...last, using: &generator))
            if Bool.random(using: &generator) {
                _ = try db.addCorrection(date, minutes: Int.random(in: 0...900, using: &generator), note: "", at: 0)
            } else {
                _ = try db.setHoliday(date, name: "h")
            }
        }
        let whole = try db.ledger(from: LocalDate("2000-01-01")!, to: LocalDate("2025-01-01")!)
        for _ in 0..<30 {
            let windowStart = LocalDate(dayNumber: Int.random(in: first...last, using: &generator))
            let window = try db.ledger(from: windowStart, to: LocalDate("2025-01-01")!)
            let asOf = windowStart.adding(days: Int.random(in: -1...400, using: &generator))
            #expect(window.balance(asOf: asOf) == whole.balance(asOf: asOf), "window \(windowStart), as of \(asOf)")
        }
        let january = LocalDate("2024-01-01")!
        let today = LocalDate("2024-12-31")!
        #expect(try db.ledger(from: january, to: today).summary(year: 2024, today: today) == whole.summary(year: 2024, today: today))
    }
}
