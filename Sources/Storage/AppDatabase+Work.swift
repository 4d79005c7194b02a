import AttendanceCore
import GRDB

extension AppDatabase {
    // MARK: Worked minutes: the cache, recounted by date

    /// The cache's worked minutes per date within `bounds`; dates without any are absent.
    static func work(_ db: Database, _ bounds: DateBounds?) throws -> [LocalDate: DayWork] {
        let condition = (bounds ?? .all).condition("date")
        var work: [LocalDate: DayWork] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT date, minutes, manual, first_minute, last_minute, long_breaks, longest_run, trailing_run
            FROM daily_attendance WHERE \(condition.sql)
            """, arguments: condition.arguments)
        while let row = try rows.next() {
            work[try row.decode(atIndex: 0)] = DayWork(recorded: try row.decode(atIndex: 1), manual: try row.decode(atIndex: 2),
                                                      firstMinute: try row.decode(atIndex: 3), lastMinute: try row.decode(atIndex: 4),
                                                      longBreaks: row[5] ?? 0, longestRun: row[6], trailingRun: row[7])
        }
        return work
    }

    /// Per local date of `dates` (all of history when nil), the worked minutes from the
    /// raw heartbeats and the stopped entries, through the core's one union (`WorkTally`).
    /// A running entry is left out: what it covers grows each minute, so it is added
    /// when figures are read (`liveWork`).
    static func recount(_ db: Database, dates: ClosedRange<LocalDate>?) throws -> [LocalDate: DayWork] {
        let buckets = try buckets(db)
        let range = dates.map { buckets.minutes(of: $0) }
        var tally = WorkTally(buckets: buckets, entries: try entries(db, overlapping: range, nowMinute: nil).map { $0.span(nowMinute: 0) },
                              dates: dates)
        // In order, so each date's minutes come together.
        let minutes = try Int64.fetchCursor(db, sql: range == nil
            ? "SELECT DISTINCT minute FROM heartbeat ORDER BY minute"
            : "SELECT DISTINCT minute FROM heartbeat WHERE minute >= ? AND minute < ? ORDER BY minute",
            arguments: range.map { [$0.lowerBound, $0.upperBound] } ?? [])
        while let minute = try minutes.next() { tally.record(minute) }
        return tally.finish()
    }

    /// Replaces the cache's rows of `dates` by a recount: what a change to entries (or
    /// anything else that moves worked minutes on some dates) does in its transaction.
    static func recache(_ db: Database, dates: ClosedRange<LocalDate>) throws {
        let work = try recount(db, dates: dates)
        try db.execute(sql: "DELETE FROM daily_attendance WHERE date BETWEEN ? AND ?", arguments: [dates.lowerBound, dates.upperBound])
        try store(db, work)
    }

    static func store(_ db: Database, _ work: [LocalDate: DayWork]) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO daily_attendance (date, minutes, manual, first_minute, last_minute, long_breaks, longest_run, trailing_run)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (date, day) in work {
            try insert.execute(arguments: [date, day.recorded, day.manual, day.firstMinute, day.lastMinute,
                                           day.longBreaks, day.longestRun, day.trailingRun])
        }
    }

    /// The dates a running entry touches when the current minute is `nowMinute`, each
    /// with its worked minutes counted with that entry (a date absent from `work` has
    /// none yet); no dates when none runs. Read once per figure request.
    struct LiveWork {
        var dates: [LocalDate] = []
        var work: [LocalDate: DayWork] = [:]
    }

    static func liveWork(_ db: Database, nowMinute: Int64) throws -> LiveWork {
        guard let running = try runningEntry(db) else { return LiveWork() }
        let buckets = try buckets(db)
        let dates = buckets.dates(of: running.span(nowMinute: nowMinute))
        guard let first = dates.first, let last = dates.last else { return LiveWork() }
        let range = buckets.minutes(of: first...last)
        let spans = try entries(db, overlapping: range, nowMinute: nowMinute).map { $0.span(nowMinute: nowMinute) }
        var tally = WorkTally(buckets: buckets, entries: spans, dates: first...last)
        let minutes = try Int64.fetchCursor(db, sql: "SELECT DISTINCT minute FROM heartbeat WHERE minute >= ? AND minute < ? ORDER BY minute",
                                            arguments: [range.lowerBound, range.upperBound])
        while let minute = try minutes.next() { tally.record(minute) }
        return LiveWork(dates: dates, work: tally.finish())
    }

    /// The worked minutes of `bounds` as figures see them: the cache, with the dates a
    /// running entry touches taken from `live`.
    static func work(_ db: Database, _ bounds: DateBounds, live: LiveWork) throws -> [LocalDate: DayWork] {
        var work = try work(db, bounds)
        for date in live.dates where bounds.contains(date) { work[date] = live.work[date] }
        return work
    }

    /// One local date's minutes — recorded, covered by entries (a running one up to
    /// `nowMinute`) — for its sessions and gaps, and the entries that cover any of them.
    /// On a frozen date the heartbeats received after its month was signed are left out,
    /// so its sessions are the ones signed.
    public func dayMinutes(_ date: LocalDate, nowMinute: Int64) throws -> (minutes: DayMinutes, entries: [TimeEntry]) {
        try writer.read { db in
            var day = DayMinutes(date: date, buckets: try Self.buckets(db))
            let range = day.firstMinute..<day.endMinute
            let entries = try Self.entries(db, overlapping: range, nowMinute: nowMinute)
            let signedAt = try Int64.fetchOne(db, sql: """
                SELECT m.signed_at FROM signed_day AS d JOIN signed_month AS m ON m.month = d.month WHERE d.date = ?
                """, arguments: [date]) ?? .max
            for minute in try Int64.fetchAll(db, sql: """
                SELECT DISTINCT minute FROM heartbeat WHERE minute >= ? AND minute < ? AND received_at <= ?
                """, arguments: [range.lowerBound, range.upperBound, signedAt]) {
                day.record(minute)
            }
            for entry in entries { day.cover(entry.span(nowMinute: nowMinute)) }
            return (day, entries)
        }
    }

    // MARK: Entries

    /// The entries not removed that cover a minute of `range` (all when nil), by start.
    /// With `nowMinute` nil a running entry is left out; otherwise it covers up to then.
    static func entries(_ db: Database, overlapping range: Range<Int64>?, nowMinute: Int64?) throws -> [TimeEntry] {
        var sql = "SELECT id, start_minute, end_minute, note, source FROM entry WHERE removed_at IS NULL"
        var arguments = StatementArguments()
        if nowMinute == nil { sql += " AND end_minute IS NOT NULL" }
        if let range {
            // An entry is at most 1440 minutes long: the index on start finds it.
            sql += " AND start_minute BETWEEN ? AND ?"
            arguments += [range.lowerBound - TimeEntry.maxMinutes, range.upperBound - 1]
        }
        sql += " ORDER BY start_minute, id"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
            let entry = TimeEntry(id: row[0], start: row[1], end: row[2], note: row[3], source: EntrySource(rawValue: row[4]) ?? .manual)
            guard let range else { return entry }
            let span = entry.span(nowMinute: nowMinute ?? entry.start)
            return span.start < range.upperBound && span.end > range.lowerBound ? entry : nil
        }
    }

    static func runningEntry(_ db: Database) throws -> TimeEntry? {
        try Row.fetchOne(db, sql: """
            SELECT id, start_minute, note, source FROM entry WHERE end_minute IS NULL AND removed_at IS NULL
            """).map { TimeEntry(id: $0[0], start: $0[1], end: nil, note: $0[2], source: EntrySource(rawValue: $0[3]) ?? .manual) }
    }

    static func entry(_ db: Database, id: Int64) throws -> TimeEntry? {
        try Row.fetchOne(db, sql: "SELECT id, start_minute, end_minute, note, source FROM entry WHERE id = ? AND removed_at IS NULL",
                         arguments: [id])
            .map { TimeEntry(id: $0[0], start: $0[1], end: $0[2], note: $0[3], source: EntrySource(rawValue: $0[4]) ?? .manual) }
    }

    /// The entries that cover any minute of the local dates [from, to], by start; a
    /// running one with what it covers at `nowMinute`.
    public func entries(from: LocalDate, to: LocalDate, nowMinute: Int64) throws -> [TimeEntry] {
        try writer.read { db in
            return try Self.entries(db, overlapping: try Self.buckets(db).minutes(of: from...to),
                                    nowMinute: nowMinute)
        }
    }

    /// The running entry, if any.
    public func runningEntry() throws -> TimeEntry? {
        try writer.read { db in try Self.runningEntry(db) }
    }

    /// Recounts the dates a stopped entry covers.
    static func recache(_ db: Database, _ entry: TimeEntry) throws {
        let dates = try buckets(db).dates(of: entry.span(nowMinute: entry.start))
        guard let first = dates.first, let last = dates.last else { return }
        try recache(db, dates: first...last)
    }
}

extension DateBounds {
    func contains(_ date: LocalDate) -> Bool { (from.map { date >= $0 } ?? true) && (to.map { date <= $0 } ?? true) }
}

extension AppDatabase {
    /// Recorded minutes per local date in [from, to], from the cache; dates without any are absent.
    public func recordedMinutes(from: LocalDate, to: LocalDate) throws -> [LocalDate: Int] {
        try writer.read { db in try Self.work(db, DateBounds(from...to)).compactMapValues { $0.recorded > 0 ? $0.recorded : nil } }
    }
}
