import AttendanceCore
import GRDB

/// What a request to stop an entry did.
public enum EntryStop: Sendable, Equatable {
    case stopped(TimeEntry), notFound, notRunning
}

/// What a request to add an entry did.
public enum EntryAdd: Sendable, Equatable {
    case added(TimeEntry)
    /// Another entry runs (only one may).
    case anotherRuns(TimeEntry)
}

/// The frozen date a span of minutes reaches, as `movedDates` gives it: a span that
/// starts before the frozen boundary moves a signed month's minutes.
private func frozenDates(_ db: Database, _ span: MinuteSpan) throws -> ClosedRange<LocalDate>? {
    let buckets = try AppDatabase.buckets(db)
    guard let frozen = buckets.frozen, span.start < frozen.endMinute else { return nil }
    let date = min(buckets.zone.localDate(ofMinute: span.start), frozen.lastDate)
    return date...date
}

/// Adds an entry (`end` nil: it starts running, unless another runs) and recounts the
/// dates it covers. The entry's bounds are checked by the caller.
public struct AddEntry: Change {
    public let start: Int64
    public let end: Int64?
    public let note: String
    public let source: EntrySource

    public init(start: Int64, end: Int64?, note: String, source: EntrySource) {
        self.start = start
        self.end = end
        self.note = note
        self.source = source
    }

    public var what: String { "an entry" }

    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? {
        try frozenDates(db, MinuteSpan(start: start, end: end ?? start + 1))
    }

    public func write(_ db: Database, at now: Int64) throws -> EntryAdd {
        if end == nil, let running = try AppDatabase.runningEntry(db) { return .anotherRuns(running) }
        try db.execute(sql: "INSERT INTO entry (start_minute, end_minute, note, source, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [start, end, note, source.rawValue, now])
        let entry = TimeEntry(id: db.lastInsertedRowID, start: start, end: end, note: note, source: source)
        if end != nil { try AppDatabase.recache(db, entry) }
        return .added(entry)
    }
}

/// Stops the running entry `id` at the end `choose` gives (it sees the entry and may
/// throw to refuse) and recounts the dates it covers.
public struct StopEntry: Change {
    public let id: Int64
    let choose: (TimeEntry) throws -> Int64

    public init(_ id: Int64, end choose: @escaping (TimeEntry) throws -> Int64) {
        self.id = id
        self.choose = choose
    }

    public func write(_ db: Database, at now: Int64) throws -> EntryStop {
        guard var entry = try AppDatabase.entry(db, id: id) else { return .notFound }
        guard entry.isRunning else { return .notRunning }
        entry.end = try choose(entry)
        try db.execute(sql: "UPDATE entry SET end_minute = ?, stopped_at = ? WHERE id = ?", arguments: [entry.end, now, id])
        try AppDatabase.recache(db, entry)
        return .stopped(entry)
    }
}

/// Marks entry `id` removed (it stays in history; heartbeats are untouched) and recounts
/// the dates it covered; false when there is no such entry.
public struct RemoveEntry: Change {
    public let id: Int64
    public init(_ id: Int64) { self.id = id }

    public var what: String { "removing an entry" }

    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? {
        guard let entry = try AppDatabase.entry(db, id: id) else { return nil }
        return try frozenDates(db, entry.span(nowMinute: entry.start + 1))
    }

    public func write(_ db: Database, at now: Int64) throws -> Bool {
        guard let entry = try AppDatabase.entry(db, id: id) else { return false }
        try db.execute(sql: "UPDATE entry SET removed_at = ? WHERE id = ?", arguments: [now, id])
        if !entry.isRunning { try AppDatabase.recache(db, entry) }
        return true
    }
}
