import AttendanceCore
import GRDB

/// What an import of heartbeats stored.
public struct HeartbeatImport: Sendable, Equatable {
    /// Newly stored (minute, host) rows.
    public var added = 0
    /// Rows already stored for the same (minute, host).
    public var duplicates = 0
}

extension AppDatabase {
    // MARK: Heartbeats from another tool

    /// Stores the heartbeats `produce` hands over — a host and the UTC minutes `[start,
    /// end)` it was there — in one transaction with the cache's recount of the dates
    /// they touched (rule 8): all or nothing, so a `produce` that throws stores nothing.
    /// A repeated (minute, host) is a duplicate, not stored again (rule 2); minutes of
    /// frozen dates are stored and count for nothing there, as on the heartbeat path.
    public func importHeartbeats<T>(receivedAt: Int64,
                                    _ produce: (_ store: (String, Range<Int64>) throws -> Void) throws -> T) throws -> (T, HeartbeatImport) {
        try writer.write { db in
            let buckets = try Self.buckets(db)
            let insert = try db.cachedStatement(sql: """
                INSERT INTO heartbeat (minute, host, received_at) VALUES (?, ?, ?) ON CONFLICT (minute, host) DO NOTHING
                """)
            var counts = HeartbeatImport()
            var touched = Set<LocalDate>()
            let outcome = try produce { host, minutes in
                var firstNew: Int64?, lastNew: Int64 = 0
                for minute in minutes {
                    try insert.execute(arguments: [minute, host, receivedAt])
                    if db.changesCount == 1 {
                        counts.added += 1
                        if firstNew == nil { firstNew = minute }
                        lastNew = minute
                    } else {
                        counts.duplicates += 1
                    }
                }
                if let firstNew { touched.formUnion(buckets.dates(of: MinuteSpan(start: firstNew, end: lastNew + 1))) }
            }
            try Self.recache(db, runsOf: touched)
            return (outcome, counts)
        }
    }

    /// Recounts `dates`, a run of consecutive dates at a time.
    static func recache(_ db: Database, runsOf dates: Set<LocalDate>) throws {
        var run: ClosedRange<LocalDate>?
        for date in dates.sorted() {
            if let current = run, current.upperBound.adding(days: 1) == date {
                run = current.lowerBound...date
            } else {
                if let current = run { try recache(db, dates: current) }
                run = date...date
            }
        }
        if let run { try recache(db, dates: run) }
    }
}

/// Time entries brought in from another tool (source `import`), in one transaction: an
/// entry that reaches a frozen date is not stored but listed in `frozen` (an import says
/// what it skipped instead of refusing the whole file), one already stored from an import
/// with the same start, end and note is a duplicate, the rest are stored and the dates
/// they cover recounted once at the end.
public struct ImportEntries: Change {
    public struct Item: Sendable, Equatable {
        public let start: Int64, end: Int64
        public let note: String
        public init(start: Int64, end: Int64, note: String) {
            self.start = start
            self.end = end
            self.note = note
        }
    }

    public struct Outcome: Sendable, Equatable {
        public var added = 0, duplicates = 0
        /// Items not stored because their start is in a signed month, with that month.
        public var frozen: [(item: Item, month: Month)] = []

        public static func == (lhs: Outcome, rhs: Outcome) -> Bool {
            lhs.added == rhs.added && lhs.duplicates == rhs.duplicates && lhs.frozen.map(\.item) == rhs.frozen.map(\.item)
        }
    }

    public let items: [Item]
    public init(_ items: [Item]) { self.items = items }

    public var what: String { "importing entries" }

    public func write(_ db: Database, at now: Int64) throws -> Outcome {
        let buckets = try AppDatabase.buckets(db)
        let existing = try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM entry WHERE start_minute = ? AND end_minute = ? AND note = ? AND source = 'import' AND removed_at IS NULL)
            """)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO entry (start_minute, end_minute, note, source, created_at) VALUES (?, ?, ?, 'import', ?)
            """)
        var outcome = Outcome()
        var touched = Set<LocalDate>()
        for item in items {
            if let frozen = buckets.frozen, item.start < frozen.endMinute {
                outcome.frozen.append((item, Month(of: min(buckets.zone.localDate(ofMinute: item.start), frozen.lastDate))))
                continue
            }
            if try Bool.fetchOne(existing, arguments: [item.start, item.end, item.note]) == true {
                outcome.duplicates += 1
                continue
            }
            try insert.execute(arguments: [item.start, item.end, item.note, now])
            outcome.added += 1
            touched.formUnion(buckets.dates(of: MinuteSpan(start: item.start, end: item.end)))
        }
        try AppDatabase.recache(db, runsOf: touched)
        return outcome
    }
}
