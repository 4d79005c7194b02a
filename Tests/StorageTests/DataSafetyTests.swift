import AttendanceCore
import Foundation
import GRDB
import Testing
@testable import Storage

/// SPEC §6 on real files: a random two-year history with every kind of fact goes through
/// an export and an import, a backup and a restore, and comes out with the same figures
/// day by day and the same digests.
@Suite struct DataSafetyTests {
    static let first = LocalDate("2024-01-01")!, last = LocalDate("2025-12-31")!
    static let zone = Zone(identifier: "Europe/Berlin")!

    /// A history of two years: heartbeats from two hosts, entries (one removed, one
    /// running), corrections with history, absences, holidays, schedule versions with
    /// working-time rules, bookings (one removed), a zone change, and the first months
    /// signed — one of them unsigned and signed again.
    static func history(seed: Int, into db: AppDatabase) throws -> Int64 {
        var random = SplitMix64(seed: UInt64(seed) &+ 101)
        var beats: [HeartbeatMinute] = []
        for day in first.dayNumber...last.dayNumber {
            let date = LocalDate(dayNumber: day)
            guard Int.random(in: 0..<7, using: &random) < 5 else { continue }
            let start = zone.firstMinute(of: date) + Int64.random(in: 420...600, using: &random)
            for offset in 0..<Int64.random(in: 200...560, using: &random) where offset % 89 > 5 {
                beats.append(HeartbeatMinute(minute: start + offset, host: offset % 3 == 0 ? "desktop" : "laptop"))
            }
        }
        _ = try db.recordHeartbeats(beats, receivedAt: 1_700_000_000)
        var now: Int64 = 1_767_225_600  // 2026-01-01
        func at() -> Int64 { now += 61; return now }
        _ = try db.apply(SaveScheduleVersion(ScheduleVersion(validFrom: LocalDate("2024-07-01")!, minutes: WeekMinutes { [.mon: 480, .tue: 480, .wed: 480, .thu: 480, .fri: 300][$0] ?? 0 }, workRules: .de)), at: at())
        for _ in 0..<30 {
            let date = LocalDate(dayNumber: Int.random(in: first.dayNumber...last.dayNumber, using: &random))
            _ = try? db.apply(SaveCorrection(date, minutes: Int.random(in: 0...600, using: &random), note: "fix \(date)"), at: at())
        }
        _ = try? db.apply(RemoveCorrection(LocalDate("2025-03-03")!), at: at())
        for _ in 0..<20 {
            let date = LocalDate(dayNumber: Int.random(in: first.dayNumber...last.dayNumber, using: &random))
            _ = try? db.apply(BookAbsences(from: date, to: date) { policy in
                (policy.canBook(date) ? [Absence(date: date, kind: .vacation, halfDay: Bool.random(using: &random))] : [], ())
            }, at: at())
        }
        for (date, name) in [("2024-05-01", "Tag der Arbeit"), ("2025-05-01", "Tag der Arbeit"), ("2025-12-25", "Weihnachten \u{1F384} \"1\"")] {
            _ = try db.apply(SetHoliday(LocalDate(date)!, name: name), at: at())
        }
        for _ in 0..<25 {
            let start = zone.firstMinute(of: LocalDate(dayNumber: Int.random(in: first.dayNumber...last.dayNumber, using: &random))) + 1200
            _ = try? db.apply(AddEntry(start: start, end: start + Int64.random(in: 10...300, using: &random), note: "meeting\n\ttab", source: .manual), at: at())
        }
        guard case let .added(removed) = try db.apply(AddEntry(start: zone.firstMinute(of: LocalDate("2025-06-02")!) + 300, end: zone.firstMinute(of: LocalDate("2025-06-02")!) + 400, note: "gone", source: .import), at: at()) else { throw ConflictRefusal("no entry") }
        _ = try db.apply(RemoveEntry(removed.id), at: at())
        _ = try db.apply(AddEntry(start: now / 60 - 30, end: nil, note: "running", source: .manual), at: at())
        let booking = try db.apply(AddBooking(date: LocalDate("2025-02-28")!, kind: .payout, minutes: -600, note: "paid"), at: at())
        _ = try db.apply(RemoveBooking(booking.id), at: at())
        _ = try db.apply(AddBooking(date: LocalDate("2025-03-31")!, kind: .adjustment, minutes: 45, note: "cap"), at: at())
        _ = try db.apply(UpdateSettings { settings, _ in
            settings.periodStart = first
            settings.openingBalanceMinutes = -120
            settings.vacationHalfDaysPerYear = 55
            return nil
        }, at: at())
        for month in ["2024-01", "2024-02", "2024-03"] { _ = try db.apply(SignMonth(Month(month)!, nowMinute: now / 60), at: at()) }
        _ = try db.apply(UnsignMonth(Month("2024-03")!, reason: "a late correction"), at: at())
        _ = try db.apply(SaveCorrection(LocalDate("2024-03-04")!, minutes: 333, note: "late"), at: at())
        _ = try db.apply(SignMonth(Month("2024-03")!, nowMinute: now / 60), at: at())
        _ = try db.apply(UpdateSettings { settings, _ in
            settings.timezone = Zone(identifier: "America/New_York")!
            return nil
        }, at: at())
        return now
    }

    /// Every /api/days row of the history, as the API writes it, and the signed months.
    static func figures(_ db: AppDatabase, nowMinute: Int64) throws -> [String] {
        let ledger = try db.ledger(from: first, to: LocalDate("2026-01-05")!, nowMinute: nowMinute)
        let zone = try db.settings().timezone
        var rows = ledger.days(from: first, to: LocalDate("2026-01-05")!).map { day in
            var out = ""
            FiguresJSON.dayJSON(day, zone: zone, into: &out)
            return out
        }
        rows.append("\(ledger.balance(asOf: LocalDate("2026-01-05")!))")
        rows += try db.monthStates((1...12).compactMap { Month(year: 2024, month: $0) }).map { "\($0)" }
        return rows
    }

    @Test(arguments: 0..<2)
    func anExportImportedIntoAnEmptyDatabaseGivesTheSameFiguresAndDigests(seed: Int) throws {
        let db = try AppDatabase.inMemory(fresh: .fresh(today: Self.first, timezone: Self.zone))
        let now = try Self.history(seed: seed, into: db)
        let document = try db.exportDocument(at: now)
        let copy = try AppDatabase.inMemory(fresh: .fresh(today: LocalDate("2026-12-01")!, timezone: Zone(identifier: "UTC")!))
        let summary = try copy.importDocument(Array(document), at: now + 60)
        #expect(summary.heartbeats == (try db.heartbeatCount()))
        #expect(summary.signedMonths == 3)
        #expect(try Self.figures(copy, nowMinute: now / 60) == Self.figures(db, nowMinute: now / 60))
        #expect(try copy.verify().checked == 3)
        #expect(try copy.dailyCacheIsConsistent())
        #expect(try copy.changeLog().count == db.changeLog().count)
        #expect(try copy.runningEntry() == db.runningEntry())
        // The copy exports to the same document, but for the moment it was made.
        #expect(try String(decoding: copy.exportDocument(at: now), as: UTF8.self) == String(decoding: document, as: UTF8.self))
        // Once it holds facts, an import is refused and stores nothing.
        #expect(throws: ConflictRefusal.self) { try copy.importDocument(Array(document), at: now) }
    }

    @Test func aChangedDocumentIsRefusedWholeAndSaysWhere() throws {
        let db = try AppDatabase.inMemory(fresh: .fresh(today: Self.first, timezone: Self.zone))
        let now = try Self.history(seed: 7, into: db)
        let text = String(decoding: try db.exportDocument(at: now), as: UTF8.self)
        func refusal(_ edited: String) throws -> InvalidValue? {
            let target = try AppDatabase.inMemory(fresh: .fresh(today: Self.first, timezone: Self.zone))
            defer { #expect(try! target.heartbeatCount() == 0 && target.entries(from: Self.first, to: Self.last, nowMinute: 0).isEmpty) }
            do {
                _ = try target.importDocument(Array(edited.utf8), at: now)
                return nil
            } catch let error as InvalidValue {
                return error
            }
        }
        // One figure of a snapshot, one note, one heartbeat's minute: each refused by the digest.
        for (from, to) in [("\\\"effective\\\":", "\\\"effective\\\":1"), ("\"note\":\"cap\"", "\"note\":\"cap!\""), ("[[", "[[1")] {
            let edited = text.replacingOccurrences(of: from, with: to, options: [], range: text.range(of: from))
            #expect(edited != text)
            #expect(try refusal(edited)?.field == "digest")
        }
        // Without the digest, what does not validate is refused, saying where.
        let noDigest = String(text[..<text.range(of: ",\"digest\":", options: .backwards)!.lowerBound]) + "}"
        let badKind = noDigest.replacingOccurrences(of: "\"kind\":\"adjustment\"", with: "\"kind\":\"bonus\"")
        let badKindRefusal = try refusal(badKind)
        #expect(badKindRefusal?.message.hasPrefix("bookings[1]: ") == true, "\(String(describing: badKindRefusal))")
        let badMinute = noDigest.replacingOccurrences(of: "\"heartbeats\":[[", with: "\"heartbeats\":[[\"x\",\"h\",1],[")
        let badMinuteRefusal = try refusal(badMinute)
        #expect(badMinuteRefusal?.message.hasPrefix("heartbeats[0]: ") == true, "\(String(describing: badMinuteRefusal))")
        let broken = noDigest.replacingOccurrences(of: "\"snapshot\":\"{", with: "\"snapshot\":\"{ ")
        let brokenRefusal = try refusal(broken)
        #expect(brokenRefusal?.message.hasPrefix("signed_months: 2024-01") == true, "\(String(describing: brokenRefusal))")
        #expect(try refusal("{\"format\":\"attendance-export\",\"version\":2}")?.field == "version")
        #expect(try refusal("[1,2]")?.field == "document")
        #expect(throws: MalformedDocument.self) { try AppDatabase.inMemory(fresh: .fresh(today: Self.first, timezone: Self.zone)).importDocument(Array("{".utf8), at: now) }
    }
}

/// Backups and restores on real files.
@Suite struct BackupTests {
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "attendance-backup-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aBackupIsCheckedRotatedAndPrivate() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/attendance.sqlite"
        let db = try AppDatabase.open(path: path, fresh: .fresh(today: DataSafetyTests.first, timezone: DataSafetyTests.zone))
        let now = try DataSafetyTests.history(seed: 3, into: db)
        var names: [String] = []
        for second in 0..<4 {
            let result = try Backup.run(database: path, to: dir + "/backups", keep: 2, now: { Date(timeIntervalSince1970: 1_800_000_000 + Double(second)) })
            names.append((result.file as NSString).lastPathComponent)
            #expect(result.report.signedMonths == 3)
            #expect(result.report.heartbeats == (try db.heartbeatCount()))
        }
        #expect(names[0] == "attendance-20270115-080000Z.sqlite")
        #expect(Backup.backups(in: dir + "/backups") == Array(names.suffix(2)))
        var status = stat()
        stat(dir + "/backups", &status)
        #expect(status.st_mode & 0o777 == 0o700)
        stat(dir + "/backups/" + names[3], &status)
        #expect(status.st_mode & 0o777 == 0o600)
        // A backup is one file whose figures are the live ones.
        let copy = try AppDatabase.open(path: dir + "/backups/" + names[3], fresh: nil)
        #expect(try DataSafetyTests.figures(copy, nowMinute: now / 60) == DataSafetyTests.figures(db, nowMinute: now / 60))
    }

    @Test func aRestoreKeepsTheHeartbeatsReceivedSinceAndRefusesABadFile() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/attendance.sqlite"
        let db = try AppDatabase.open(path: path, fresh: .fresh(today: DataSafetyTests.first, timezone: DataSafetyTests.zone))
        let now = try DataSafetyTests.history(seed: 5, into: db)
        let before = try DataSafetyTests.figures(db, nowMinute: now / 60)
        let backup = try Backup.run(database: path, to: dir + "/backups", keep: 3).file
        // After the backup: new heartbeats (one repeating a backed-up minute) and a holiday.
        let later = DataSafetyTests.zone.firstMinute(of: LocalDate("2025-12-30")!) + 1320
        let stored = try db.recordHeartbeats((0..<40).map { HeartbeatMinute(minute: later + $0, host: "laptop") }, receivedAt: now + 100)
        _ = try db.apply(SetHoliday(LocalDate("2025-12-24")!, name: "Heiligabend"), at: now + 100)
        let result = try Restore.run(backup, into: path)
        #expect(result.keptHeartbeats == stored.accepted)
        // The same connection (a running responder) sees the restored facts at once.
        #expect(try db.holidays().contains { $0.name == "Heiligabend" } == false)
        #expect(try db.recordedMinutesOf(LocalDate("2025-12-30")!).filter { $0 >= later }.count == 40)
        #expect(try db.dailyCacheIsConsistent())
        #expect(try db.verify().checked == 3)
        var after = try DataSafetyTests.figures(db, nowMinute: now / 60)
        #expect(after != before)  // the kept heartbeats count
        try #require(before.count == after.count)
        let changed = zip(before, after).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(changed.allSatisfy { index in before[index].contains("2025-12-3") || index >= before.count - 4 })
        after = []
        // A file that fails its check changes nothing.
        let damaged = dir + "/damaged.sqlite"
        try FileManager.default.copyItem(atPath: backup, toPath: damaged)
        let handle = FileHandle(forWritingAtPath: damaged)!
        handle.seek(toFileOffset: 0)
        handle.write(Data(repeating: 0x41, count: 100))
        handle.closeFile()
        let holidays = try db.holidays()
        #expect(throws: BackupFailure.self) { try Restore.run(damaged, into: path) }
        #expect(try db.holidays() == holidays)
        #expect(!FileManager.default.fileExists(atPath: path + ".restore.partial"))
    }

    @Test func aDamagedCacheIsRebuiltAndDamagedFactsAreSaid() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/attendance.sqlite"
        do {
            let db = try AppDatabase.open(path: path, fresh: .fresh(today: DataSafetyTests.first, timezone: DataSafetyTests.zone))
            _ = try DataSafetyTests.history(seed: 9, into: db)
            try db.writer.close()
        }
        let figures = try DataSafetyTests.figures(try AppDatabase.open(path: path, fresh: nil), nowMinute: 0)
        func damage(_ table: String) throws {
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE") }
            let pages = try queue.read { db in try Int.fetchAll(db, sql: "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", arguments: [table]) }
            try queue.close()
            let handle = FileHandle(forUpdatingAtPath: path)!
            for page in pages.prefix(2) {
                handle.seek(toFileOffset: UInt64((page - 1) * 4096 + 8))
                handle.write(Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
            }
            handle.closeFile()
        }
        try damage("daily_attendance")
        #expect(Health.quickCheck(path) != nil)
        guard case .rebuilt = try Health.heal(path) else { Issue.record("not rebuilt"); return }
        #expect(Health.quickCheck(path) == nil)
        let healed = try AppDatabase.open(path: path, fresh: nil)
        #expect(try DataSafetyTests.figures(healed, nowMinute: 0) == figures)
        try healed.writer.close()
        try damage("heartbeat")
        guard case .factsDamaged = try Health.heal(path) else { Issue.record("healed damaged facts"); return }
        #expect(Health.quickCheck(path) != nil)  // left as it was, for a restore
    }
}
