import AttendanceCore
import GRDB
import Testing
@testable import Storage

/// Entries in storage (rule 1a, rule 8): the cache recounted for the dates an entry
/// touches, equal to a recount from heartbeats and entries after every change.
@Suite struct EntryStorageTests {
    func added(_ result: EntryAdd) -> TimeEntry {
        guard case let .added(entry) = result else { Issue.record("not added: \(result)"); return TimeEntry(id: 0, start: 0, end: nil) }
        return entry
    }

    /// An entry over midnight splits its minutes between the two dates; a heartbeat under
    /// it turns a manual minute into a recorded one; removal restores the heartbeats' figures.
    @Test func anEntryOverMidnightAndAHeartbeatUnderIt() throws {
        let db = try freshDatabase()
        let start = minute("2024-06-03T23:00:00+02:00"), end = minute("2024-06-04T01:30:00+02:00")
        _ = try db.recordHeartbeats([HeartbeatMinute(minute: start + 10, host: "laptop")], receivedAt: 0)
        let entry = added(try db.apply(AddEntry(start: start, end: end, note: "night call", source: .manual), at: 1))
        let monday = LocalDate("2024-06-03")!, tuesday = LocalDate("2024-06-04")!
        var ledger = try db.ledger(from: monday, to: tuesday)
        #expect(ledger.day(monday).recorded == 1 && ledger.day(monday).manual == 59 && ledger.day(monday).worked == 60)
        #expect(ledger.day(tuesday).manual == 90 && ledger.day(tuesday).work?.firstMinute == start + 60)
        #expect(try db.dailyCacheIsConsistent())
        // A heartbeat under the entry: worked stays, recorded grows.
        _ = try db.recordHeartbeats([HeartbeatMinute(minute: start + 70, host: "phone")], receivedAt: 2)
        ledger = try db.ledger(from: tuesday, to: tuesday)
        #expect(ledger.day(tuesday).recorded == 1 && ledger.day(tuesday).manual == 89 && ledger.day(tuesday).worked == 90)
        #expect(try db.dailyCacheIsConsistent())
        #expect(try db.apply(RemoveEntry(entry.id), at: 3))
        #expect(try !db.apply(RemoveEntry(entry.id), at: 4))
        ledger = try db.ledger(from: monday, to: tuesday)
        #expect(ledger.day(monday).worked == 1 && ledger.day(tuesday).worked == 1 && ledger.day(tuesday).manual == 0)
        #expect(try db.heartbeatCount() == 2)
        #expect(try db.dailyCacheIsConsistent())
        // The removal is kept in history, and the history cannot be edited.
        let removed = try db.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM entry WHERE removed_at IS NOT NULL") }
        #expect(removed == 1)
        #expect(throws: DatabaseError.self) { try db.writer.write { try $0.execute(sql: "DELETE FROM entry") } }
        #expect(throws: DatabaseError.self) { try db.writer.write { try $0.execute(sql: "UPDATE entry SET note = 'x'") } }
        #expect(throws: DatabaseError.self) { try db.writer.write { try $0.execute(sql: "UPDATE entry SET removed_at = NULL") } }
    }

    /// One running entry at a time; it counts up to the current minute when read, and
    /// goes into the cache when it stops.
    @Test func aRunningEntry() throws {
        let db = try freshDatabase()
        let start = minute("2024-06-03T14:00:00+02:00")
        let running = added(try db.apply(AddEntry(start: start, end: nil, note: "", source: .manual), at: 0))
        #expect(try db.apply(AddEntry(start: start + 5, end: nil, note: "", source: .manual), at: 0) == .anotherRuns(running))
        let monday = LocalDate("2024-06-03")!
        #expect(try db.ledger(from: monday, to: monday, nowMinute: start + 45).day(monday).manual == 45)
        // The balance's carry counts it too.
        let through = try db.ledger(from: monday.adding(days: 1), to: monday, nowMinute: start + 45).balance(asOf: monday)
        #expect(through.totals.effective == 45)
        #expect(try db.recordedMinutes(from: monday, to: monday).isEmpty)
        #expect(try db.dailyCacheIsConsistent())
        #expect(try db.apply(StopEntry(running.id) { _ in start + 50 }, at: 0) == .stopped(TimeEntry(id: running.id, start: start, end: start + 50)))
        #expect(try db.apply(StopEntry(running.id) { _ in start + 60 }, at: 0) == .notRunning)
        #expect(try db.apply(StopEntry(999) { _ in start + 60 }, at: 0) == .notFound)
        #expect(try db.ledger(from: monday, to: monday, nowMinute: start + 500).day(monday).manual == 50)
        #expect(try db.dailyCacheIsConsistent())
    }

    /// Random entries and heartbeats around the fall-back night, added and removed one at a
    /// time: after each change the cache equals a recount of all history; a zone change and
    /// back gives every figure again.
    @Test func incrementalRecountsEqualARebuild() throws {
        let db = try freshDatabase()
        var random = SplitMix64(seed: 42)
        let center = minute("2024-10-27T00:00:00+02:00")
        var beats: [HeartbeatMinute] = []
        for offset in stride(from: -1500, to: 1500, by: 1) where Int.random(in: 0..<3, using: &random) == 0 {
            beats.append(HeartbeatMinute(minute: center + Int64(offset), host: "laptop"))
        }
        _ = try db.recordHeartbeats(beats, receivedAt: 0)
        var ids: [Int64] = []
        for _ in 0..<25 {
            let start = center + Int64.random(in: -1500...1500, using: &random)
            let entry = added(try db.apply(AddEntry(start: start, end: start + Int64.random(in: 1...1440, using: &random), note: "",
                                              source: .manual), at: 0))
            ids.append(entry.id)
            #expect(try db.dailyCacheIsConsistent())
            // Heartbeats after the entry land on manual minutes too.
            _ = try db.recordHeartbeats([HeartbeatMinute(minute: start + 3, host: "desktop")], receivedAt: 1)
            #expect(try db.dailyCacheIsConsistent())
        }
        for id in ids.shuffled(using: &random).prefix(10) {
            #expect(try db.apply(RemoveEntry(id), at: 2))
            #expect(try db.dailyCacheIsConsistent())
        }
        let from = LocalDate("2024-10-20")!, to = LocalDate("2024-11-03")!
        let before = try db.ledger(from: from, to: to).days(from: from, to: to)
        try db.change { $0.timezone = Zone(identifier: "America/New_York")! }
        #expect(try db.dailyCacheIsConsistent())
        #expect(try db.ledger(from: from, to: to).days(from: from, to: to) != before)
        try db.change { $0.timezone = Zone(identifier: "Europe/Berlin")! }
        #expect(try db.ledger(from: from, to: to).days(from: from, to: to) == before)
    }

    /// A change recounts the dates it touches only: a row of another date, made wrong on
    /// purpose, stays wrong after an entry elsewhere (and a rebuild mends it).
    @Test func anEntryRecountsOnlyItsDates() throws {
        let db = try freshDatabase()
        _ = try db.recordHeartbeats([HeartbeatMinute(minute: minute("2024-06-03T09:00:00+02:00"), host: "")], receivedAt: 0)
        try db.writer.write { try $0.execute(sql: "UPDATE daily_attendance SET minutes = 7 WHERE date = '2024-06-03'") }
        _ = try db.apply(AddEntry(start: minute("2024-06-10T09:00:00+02:00"), end: minute("2024-06-10T10:00:00+02:00"), note: "",
                            source: .manual), at: 0)
        #expect(try db.recordedMinutes(from: LocalDate("2024-06-03")!, to: LocalDate("2024-06-03")!).values.first == 7)
        #expect(try !db.dailyCacheIsConsistent())
        try db.rebuildDailyCache()
        #expect(try db.dailyCacheIsConsistent())
    }
}
