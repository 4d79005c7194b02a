import AttendanceCore
import GRDB

/// A change to what figures are made of — a correction, an absence, an entry, a holiday, a
/// schedule version, the settings, a booking, a signature. `AppDatabase.apply` is the one
/// way any of them is written (GRDB's "write methods execute invariant-preserving
/// transactions"): in one transaction it asks the change which dates it would move,
/// refuses it when one of them is frozen (rule 11), then lets it write and recount what
/// it touched. A change that throws stores nothing.
public protocol Change {
    associatedtype Outcome
    /// What it is, for a refusal: "a correction", "a holiday".
    var what: String { get }
    /// The dates whose figures it would move, read in the transaction before anything is
    /// written; nil when it moves none (or none it is refused for). May remember what it
    /// read for `write`.
    mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>?
    /// Writes it; `at` is the moment it is made (seconds since the epoch).
    func write(_ db: Database, at: Int64) throws -> Outcome
}

extension Change {
    public var what: String { "this change" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { nil }
}

/// A change refused because it would move a figure of a signed month (rule 11): what
/// it was, the frozen date and the month holding it, and the first open date on which an
/// adjustment can be booked instead.
public struct FrozenRefusal: Error, Equatable, Sendable {
    public let what: String
    public let date: LocalDate
    public let month: Month
    public let firstOpen: LocalDate

    public var message: String {
        "\(month.name) (\(month)) is signed, and \(what) on \(date) would change its figures. "
            + "To fix a signed month, book an adjustment (POST /api/bookings, or Bookings on the settings page) "
            + "on an open date — \(firstOpen) or later — instead."
    }
}

/// A request that cannot be done in the present state (409), in words: a month signed out
/// of order, a second running entry, the only schedule version.
public struct ConflictRefusal: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// The signed months as one span of dates: from the first signed month's first day to the
/// latest's last, with the boundary instant of the latest.
struct FrozenSpan {
    var first: Month
    var last: Month
    var boundary: FrozenBoundary

    var dates: ClosedRange<LocalDate> { first.first...last.last }

    /// The first frozen date among `dates`, if any.
    func firstFrozen(in dates: ClosedRange<LocalDate>) -> LocalDate? {
        guard dates.upperBound >= first.first, dates.lowerBound <= last.last else { return nil }
        return max(dates.lowerBound, first.first)
    }
}

extension AppDatabase {
    /// Applies `change` in one transaction: refused (`FrozenRefusal`) when a date it moves
    /// is frozen, otherwise written.
    @discardableResult
    public func apply<C: Change>(_ change: C, at now: Int64) throws -> C.Outcome {
        guard !store.readOnly else { throw StorageFault.readOnly }
        return try writer.write { db in try Self.apply(db, change, at: now) }
    }

    static func apply<C: Change>(_ db: Database, _ change: C, at now: Int64) throws -> C.Outcome {
        var change = change
        if let moved = try change.movedDates(db), let span = try frozenSpan(db), let date = span.firstFrozen(in: moved) {
            throw FrozenRefusal(what: change.what, date: date, month: Month(of: date), firstOpen: span.last.last.adding(days: 1))
        }
        return try change.write(db, at: now)
    }

    /// The signed months, or nil when none is.
    static func frozenSpan(_ db: Database) throws -> FrozenSpan? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT (SELECT MIN(month) FROM signed_month), month, last_date, end_minute FROM signed_month ORDER BY month DESC LIMIT 1
            """)),
              let first = Month(row[0] as String), let last = Month(row[1] as String) else { return nil }
        return FrozenSpan(first: first, last: last, boundary: FrozenBoundary(lastDate: try row.decode(atIndex: 2), endMinute: try row.decode(atIndex: 3)))
    }

    /// Which date each minute counts on: the zone and the frozen boundary, in one query
    /// (the heartbeat path asks it for every batch).
    static func buckets(_ db: Database) throws -> DateBuckets {
        let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT s.timezone, m.last_date, m.end_minute FROM settings AS s
            LEFT JOIN (SELECT last_date, end_minute FROM signed_month ORDER BY month DESC LIMIT 1) AS m WHERE s.id = 1
            """))
        let zone = Zone.resolving(row?[0] ?? "UTC")
        guard let row, let last = row[1] as LocalDate?, let end = row[2] as Int64? else {
            return DateBuckets(zone: zone)
        }
        return DateBuckets(zone: zone, frozen: FrozenBoundary(lastDate: last, endMinute: end))
    }

    /// Keeps a change that moved figures of past days in the history of changes.
    static func log(_ db: Database, at: Int64, _ subject: String, from before: String, to after: String) throws {
        guard before != after else { return }
        try db.execute(sql: "INSERT INTO change_log (at, subject, before, after) VALUES (?, ?, ?, ?)",
                       arguments: [at, subject, before, after])
    }
}

/// One entry of the history of changes.
public struct ChangeLogEntry: Sendable, Equatable {
    public var at: Int64
    public var subject: String
    public var before: String
    public var after: String
}

extension AppDatabase {
    /// The history of changes, newest first.
    public func changeLog() throws -> [ChangeLogEntry] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT at, subject, before, after FROM change_log ORDER BY id DESC")
                .map { ChangeLogEntry(at: $0[0], subject: $0[1], before: $0[2], after: $0[3]) }
        }
    }
}
