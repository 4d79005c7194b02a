import AttendanceCore
import Testing
@testable import Storage

func freshDatabase(zone: String = "Europe/Berlin") throws -> AppDatabase {
    try AppDatabase.inMemory(fresh: .fresh(today: LocalDate("2024-06-01")!, timezone: Zone(identifier: zone)!))
}

extension AppDatabase {
    /// Edits the settings alone, as a settings change without the schedule does.
    func change(_ edit: @escaping (inout Settings) -> Void) throws {
        _ = try apply(UpdateSettings { settings, _ in
            edit(&settings)
            return nil
        }, at: 0)
    }
}

func minute(_ text: String) -> Int64 { Timestamp.epochSeconds(text)! / 60 }

@Suite struct HeartbeatStorageTests {
    @Test func repeatedHeartbeatsAreAcknowledgedNotStoredTwice() throws {
        let db = try freshDatabase()
        let beat = HeartbeatMinute(minute: minute("2024-06-03T09:00:00+02:00"), host: "laptop")
        #expect(try db.recordHeartbeats([beat], receivedAt: 1) == IngestResult(accepted: 1, duplicates: 0))
        #expect(try db.recordHeartbeats([beat, beat], receivedAt: 2) == IngestResult(accepted: 0, duplicates: 2))
        #expect(try db.heartbeatCount() == 1)
    }

    @Test func twoHostsInOneMinuteCountOnce() throws {
        let db = try freshDatabase()
        let m = minute("2024-06-03T09:00:00+02:00")
        let result = try db.recordHeartbeats([HeartbeatMinute(minute: m, host: "laptop"),
                                              HeartbeatMinute(minute: m, host: "desktop"),
                                              HeartbeatMinute(minute: m + 1, host: "")], receivedAt: 1)
        #expect(result.accepted == 3)
        let day = LocalDate("2024-06-03")!
        #expect(try db.recordedMinutes(from: day, to: day) == [day: 2])
        #expect(try db.dailyCacheIsConsistent())
    }

    /// Requests written in groups (as group commit writes them): out of order, two
    /// hosts in a minute, late minutes, repeats and entries on some days — each request's
    /// counts are its own, and the cache equals a recount from the heartbeats.
    @Test func requestsWrittenTogetherKeepTheCacheEqualToARecount() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let db = try freshDatabase()
            let start = minute("2024-06-03T06:00:00+02:00")
            // An entry on the third day only: the first two take the in-place updates.
            _ = try db.apply(AddEntry(start: start + 2 * 1440 + 200, end: start + 2 * 1440 + 260, note: "meeting", source: .manual), at: start)
            var stored = Set<String>()
            var requests: [([HeartbeatMinute], Int64)] = []
            var expected: [IngestResult] = []
            for _ in 0..<40 {
                var beats: [HeartbeatMinute] = []
                for _ in 0..<Int.random(in: 1...5, using: &generator) {
                    // Mostly in order, some minutes back (a break's length or less), some hours
                    // back, across three days.
                    let base = start + Int64(requests.count * 90)
                    let kind = Int.random(in: 0..<10, using: &generator)
                    let offset = kind < 5 ? Int64.random(in: -3...3, using: &generator)
                        : kind < 9 ? Int64.random(in: -16...0, using: &generator) : Int64.random(in: -300 ... -17, using: &generator)
                    beats.append(HeartbeatMinute(minute: base + offset, host: ["a", "b"].randomElement(using: &generator)!))
                }
                var result = IngestResult(accepted: 0, duplicates: 0)
                for beat in beats {
                    if stored.insert("\(beat.minute) \(beat.host)").inserted { result.accepted += 1 } else { result.duplicates += 1 }
                }
                requests.append((beats, 1))
                expected.append(result)
            }
            // In groups of one to six requests, each group in one transaction.
            var results: [IngestResult] = []
            var rest = requests[...]
            while !rest.isEmpty {
                let group = Array(rest.prefix(Int.random(in: 1...6, using: &generator)))
                rest = rest.dropFirst(group.count)
                results += try db.writer.write { db in try AppDatabase.recordHeartbeats(db, group) }
            }
            #expect(results == expected)
            #expect(try db.heartbeatCount() == stored.count)
            #expect(try db.dailyCacheIsConsistent())
        }
    }

    /// A second host's heartbeat for a minute that came late (before the day's last one)
    /// adds nothing: the minute was recorded by the first.
    @Test func aSecondHostInALateMinuteCountsOnce() throws {
        let db = try freshDatabase()
        let m = minute("2024-06-03T09:00:00+02:00")
        let requests = [[HeartbeatMinute(minute: m + 3, host: "a")], [HeartbeatMinute(minute: m + 1, host: "a")],
                        [HeartbeatMinute(minute: m + 1, host: "b")]]
        _ = try db.writer.write { db in try AppDatabase.recordHeartbeats(db, requests.map { ($0, 1) }) }
        let day = LocalDate("2024-06-03")!
        #expect(try db.recordedMinutes(from: day, to: day) == [day: 2])
        #expect(try db.dailyCacheIsConsistent())
    }

    @Test func minutesAreBucketedInTheConfiguredZone() throws {
        let db = try freshDatabase(zone: "America/New_York")
        _ = try db.recordHeartbeats([HeartbeatMinute(minute: minute("2024-01-01T03:00:00Z"), host: "")], receivedAt: 1)
        let range = (LocalDate("2023-12-30")!, LocalDate("2024-01-02")!)
        #expect(try db.recordedMinutes(from: range.0, to: range.1) == [LocalDate("2023-12-31")!: 1])
    }

    @Test func rawHeartbeatsCannotBeChanged() throws {
        let db = try freshDatabase()
        _ = try db.recordHeartbeats([HeartbeatMinute(minute: 100, host: "a")], receivedAt: 1)
        #expect(throws: (any Error).self) { try db.writer.write { try $0.execute(sql: "DELETE FROM heartbeat") } }
        #expect(throws: (any Error).self) { try db.writer.write { try $0.execute(sql: "UPDATE heartbeat SET host = 'b'") } }
        #expect(try db.heartbeatCount() == 1)
    }

    @Test func rebuildingTheCacheGivesTheSameFigures() throws {
        let db = try freshDatabase()
        var beats: [HeartbeatMinute] = []
        var generator = SystemRandomNumberGenerator()
        let start = minute("2024-03-29T00:00:00Z")
        for _ in 0..<2000 {
            beats.append(HeartbeatMinute(minute: start + Int64.random(in: 0..<(5 * 1440), using: &generator),
                                         host: ["", "a", "b"].randomElement(using: &generator)!))
        }
        _ = try db.recordHeartbeats(beats, receivedAt: 1)
        let range = (LocalDate("2024-03-28")!, LocalDate("2024-04-05")!)
        let before = try db.recordedMinutes(from: range.0, to: range.1)
        try db.writer.write { try $0.execute(sql: "DELETE FROM daily_attendance") }
        #expect(try !db.dailyCacheIsConsistent())
        try db.rebuildDailyCache()
        #expect(try db.recordedMinutes(from: range.0, to: range.1) == before)
        #expect(try db.dailyCacheIsConsistent())
    }

    /// A session across local midnight is split by day; two hosts taking turns give one
    /// run of distinct minutes; the cache keeps each date's first and last minute.
    @Test func daysKeepTheirFirstAndLastMinute() throws {
        let db = try freshDatabase(zone: "Europe/Berlin")
        let start = minute("2024-06-03T23:50:00+02:00")
        // 23:50 … 00:09: laptop on even minutes, desktop on odd ones and on 23:55 too.
        let beats = (0..<20).map { HeartbeatMinute(minute: start + Int64($0), host: $0 % 2 == 0 ? "laptop" : "desktop") }
            + [HeartbeatMinute(minute: start + 5, host: "laptop")]
        _ = try db.recordHeartbeats(beats.shuffled(), receivedAt: 0)
        let monday = LocalDate("2024-06-03")!, tuesday = LocalDate("2024-06-04")!
        let ledger = try db.ledger(from: monday, to: tuesday)
        #expect(ledger.day(monday).work == DayWork(recorded: 10, firstMinute: start, lastMinute: start + 9))
        #expect(ledger.day(tuesday).work == DayWork(recorded: 10, firstMinute: start + 10, lastMinute: start + 19))
        #expect(try db.recordedMinutesOf(monday) == (0..<10).map { start + Int64($0) })
        #expect(Session.sessions(of: try db.recordedMinutesOf(tuesday)) == [Session(firstMinute: start + 10, lastMinute: start + 19, minutes: 10)])
        #expect(try db.dailyCacheIsConsistent())
        // A back-filled earlier minute moves the first one.
        _ = try db.recordHeartbeats([HeartbeatMinute(minute: start - 30, host: "laptop")], receivedAt: 1)
        #expect(try db.ledger(from: monday, to: monday).day(monday).work?.firstMinute == start - 30)
        #expect(try db.dailyCacheIsConsistent())
    }

    /// Rule 10: the period starts on the day of the first start, with one schedule version
    /// from that day (Monday to Friday, 8 hours), opening balance 0, no vacation days.
    @Test func freshDatabaseStartsToday() throws {
        let db = try freshDatabase()
        let settings = try db.settings()
        #expect(settings.periodStart.description == "2024-06-01")
        #expect(settings.periodEnd == nil)
        #expect(settings.workingDays == [.mon, .tue, .wed, .thu, .fri])
        #expect(settings.dailyRequiredMinutes == 480)
        #expect(settings.timezone.identifier == "Europe/Berlin")
        #expect(settings.openingBalanceMinutes == 0 && settings.vacationHalfDaysPerYear == 0)
        #expect(!settings.saved)
        let schedule = try db.schedule()
        #expect(schedule.versions.count == 1)
        #expect(schedule.versions[0].validFrom.description == "2024-06-01")
        #expect(schedule.versions[0].minutes.values == [480, 480, 480, 480, 480, 0, 0])
        // The first day's balance is 0:00, not a deficit for the months before.
        let today = LocalDate("2024-06-01")!
        #expect(try db.ledger(from: today, to: today).balance(asOf: today.adding(days: -1)).balance == 0)
        #expect(try db.ledger(from: today.adding(days: -200), to: today).balance(asOf: today).balance == 0)
    }
}
