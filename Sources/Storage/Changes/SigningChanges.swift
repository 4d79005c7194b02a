import AttendanceCore
import Foundation
import GRDB

// MARK: Bookings (rule 7b)

/// Books minutes on the time account on a date inside the period.
public struct AddBooking: Change {
    public let date: LocalDate
    public let kind: BookingKind
    public let minutes: Int
    public let note: String

    public init(date: LocalDate, kind: BookingKind, minutes: Int, note: String) {
        self.date = date
        self.kind = kind
        self.minutes = minutes
        self.note = note
    }

    public var what: String { "a booking" }
    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { date...date }

    public func write(_ db: Database, at now: Int64) throws -> Booking {
        let settings = try AppDatabase.settings(db)
        guard settings.isInPeriod(date) else {
            throw InvalidValue(field: "date", "\(date) is outside the reporting period (\(settings.periodStart) to "
                               + "\(settings.periodEnd?.description ?? "open")): a booking must be dated inside it")
        }
        try db.execute(sql: "INSERT INTO booking (date, kind, minutes, note, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [date, kind.rawValue, minutes, note, now])
        return Booking(id: db.lastInsertedRowID, date: date, kind: kind, minutes: minutes, note: note)
    }
}

/// Marks booking `id` removed (it stays in history); false when there is none.
public struct RemoveBooking: Change {
    public let id: Int64
    public init(_ id: Int64) { self.id = id }

    public var what: String { "removing a booking" }

    public mutating func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? {
        try AppDatabase.booking(db, id: id).map { $0.date...$0.date }
    }

    public func write(_ db: Database, at now: Int64) throws -> Bool {
        try db.execute(sql: "UPDATE booking SET removed_at = ? WHERE id = ? AND removed_at IS NULL", arguments: [now, id])
        return db.changesCount > 0
    }
}

extension AppDatabase {
    static func booking(_ row: Row) -> Booking {
        Booking(id: row["id"], date: row["date"], kind: BookingKind(rawValue: row["kind"]) ?? .adjustment,
                minutes: row["minutes"], note: row["note"])
    }

    static func booking(_ db: Database, id: Int64) throws -> Booking? {
        try Row.fetchOne(db, sql: "SELECT id, date, kind, minutes, note FROM booking WHERE id = ? AND removed_at IS NULL",
                         arguments: [id]).map(booking)
    }

    static func bookings(_ db: Database, _ bounds: DateBounds) throws -> [Booking] {
        let condition = bounds.condition("date")
        return try Row.fetchAll(db, sql: """
            SELECT id, date, kind, minutes, note FROM booking WHERE removed_at IS NULL AND \(condition.sql) ORDER BY date, id
            """, arguments: condition.arguments).map(booking)
    }

    /// The bookings not removed dated in [from, to] (an end left nil is open), by date.
    public func bookings(from: LocalDate? = nil, to: LocalDate? = nil) throws -> [Booking] {
        try writer.read { db in try Self.bookings(db, DateBounds(from: from, to: to)) }
    }

    /// The window's booking minutes per date, and the sum of those inside the period before it.
    static func bookingSums(_ db: Database, _ settings: Settings, from: LocalDate, to: LocalDate) throws -> ([LocalDate: Int], Int) {
        var window: [LocalDate: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT date, SUM(minutes) FROM booking WHERE removed_at IS NULL AND date BETWEEN ? AND ? GROUP BY date
            """, arguments: [from, to]) {
            window[try row.decode(atIndex: 0)] = row[1]
        }
        guard let span = Ledger.carrySpan(settings, before: from) else { return (window, 0) }
        let before = try Int.fetchOne(db, sql: """
            SELECT COALESCE(SUM(minutes), 0) FROM booking WHERE removed_at IS NULL AND date BETWEEN ? AND ?
            """, arguments: [span.lowerBound, span.upperBound]) ?? 0
        return (window, before)
    }
}

// MARK: Signed months (rule 11)

/// A month of `/api/months`: signed or not, and how many worked minutes its frozen dates
/// have now beyond their snapshot.
public struct MonthState: Sendable, Equatable {
    public var month: Month
    public var signedAt: Int64?
    public var digest: String?
    public var previousDigest: String?
    public var lateMinutes: Int
    public var signed: Bool { digest != nil }
}

/// One signing or unsigning.
public struct MonthEvent: Sendable, Equatable {
    public var event: String
    public var at: Int64
    public var digest: String
    public var reason: String?
}

/// Signs `month` (rule 11): only when its last day is before today, it overlaps the
/// period, every earlier month of the period is signed and no running entry reaches into
/// it. Stores the snapshot's canonical bytes, its digest chained to the previous one, its
/// days, the boundary instant, and the event; recounts the dates at the boundary.
public struct SignMonth: Change {
    public let month: Month
    public let nowMinute: Int64
    public init(_ month: Month, nowMinute: Int64) {
        self.month = month
        self.nowMinute = nowMinute
    }

    public func write(_ db: Database, at now: Int64) throws -> MonthState {
        let settings = try AppDatabase.settings(db)
        let zone = settings.timezone
        let today = zone.localDate(ofMinute: nowMinute)
        let span = try AppDatabase.frozenSpan(db)
        if let span, month <= span.last { throw ConflictRefusal("\(month.name) (\(month)) is signed already") }
        guard month.last < today else {
            throw ConflictRefusal("\(month.name) (\(month)) has not ended: a month can be signed from the day after its last day")
        }
        guard month.last >= settings.periodStart, settings.periodEnd.map({ month.first <= $0 }) ?? true else {
            throw ConflictRefusal("\(month.name) (\(month)) is outside the reporting period (\(settings.periodStart) to "
                                  + "\(settings.periodEnd?.description ?? "open")): there is nothing to sign")
        }
        let next = span?.last.next ?? Month(of: settings.periodStart)
        guard month == next else {
            throw ConflictRefusal("\(next.name) (\(next)) is not signed yet: months are signed in order, so sign it before \(month.name)")
        }
        let end = max(zone.firstMinute(of: month.last.adding(days: 1)), span?.boundary.endMinute ?? .min)
        if let running = try AppDatabase.runningEntry(db), running.start < end {
            throw ConflictRefusal("an entry is running since \(zone.rfc3339(minute: running.start)), inside \(month.name): stop it before signing")
        }
        let ledger = try AppDatabase.ledger(db, from: month.first, to: month.last, nowMinute: nowMinute)
        let snapshot = ledger.snapshot(of: month, bookings: try AppDatabase.bookings(db, DateBounds(month.first...month.last)))
        let text = snapshot.text
        let previous = try String.fetchOne(db, sql: "SELECT digest FROM signed_month ORDER BY month DESC LIMIT 1") ?? Snapshot.firstPrevious
        let digest = Snapshot.digest(previous: previous, text: text)
        try db.execute(sql: """
            INSERT INTO signed_month (month, digest, previous_digest, signed_at, last_date, end_minute, effective, expected,
                                      bookings, balance_after)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [month.description, digest, previous, now, month.last, end, snapshot.effective, snapshot.expected,
                             snapshot.bookings.reduce(0) { $0 + $1.minutes }, snapshot.balanceAfter])
        try db.execute(sql: "INSERT INTO signed_snapshot (month, snapshot) VALUES (?, ?)", arguments: [month.description, Data(text.utf8)])
        let insert = try db.cachedStatement(sql: """
            INSERT INTO signed_day (date, month, row, recorded, manual, correction, correction_note, effective, expected,
                                    holiday, absence_kind, half_day, first_start, last_end, working_day, rule_deduction, warnings)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for day in snapshot.days {
            let figures = day.figures
            var arguments: StatementArguments = [figures.date, month.description, day.frozenRow, figures.recorded, figures.manual,
                                                 figures.correction, figures.correctionNote, figures.effective, figures.expected]
            arguments += [figures.holiday, figures.absence?.kind.rawValue, figures.absence?.halfDay ?? false,
                          figures.work.map { zone.rfc3339(minute: $0.firstStart) }, figures.work.map { zone.rfc3339(minute: $0.lastEnd) },
                          figures.workingDay, figures.ruleDeduction, figures.warnings.map(\.rawValue).joined(separator: ",")]
            try insert.execute(arguments: arguments)
        }
        try db.execute(sql: "INSERT INTO month_event (month, event, at, digest) VALUES (?, 'signed', ?, ?)",
                       arguments: [month.description, now, digest])
        try AppDatabase.log(db, at: now, "\(month.name)", from: "open", to: "signed (digest \(digest.prefix(16)))")
        try AppDatabase.recacheBoundary(db, old: span?.last.last, new: month.last)
        return try AppDatabase.monthState(db, month)!
    }
}

/// Reopens the latest signed month, with a reason (10–500 characters, checked by the caller).
public struct UnsignMonth: Change {
    public let month: Month
    public let reason: String
    public init(_ month: Month, reason: String) {
        self.month = month
        self.reason = reason
    }

    public func write(_ db: Database, at now: Int64) throws -> MonthState {
        let span = try AppDatabase.frozenSpan(db)
        guard let span, span.last == month else {
            throw ConflictRefusal((span?.last).map { "only the latest signed month can be unsigned: that is \($0.name) (\($0)), not \(month)" }
                                  ?? "no month is signed")
        }
        let digest = try String.fetchOne(db, sql: "SELECT digest FROM signed_month WHERE month = ?", arguments: [month.description]) ?? ""
        try db.execute(sql: "DELETE FROM signed_month WHERE month = ?", arguments: [month.description])
        try db.execute(sql: "INSERT INTO month_event (month, event, at, digest, reason) VALUES (?, 'unsigned', ?, ?, ?)",
                       arguments: [month.description, now, digest, reason])
        try AppDatabase.log(db, at: now, "\(month.name)", from: "signed (digest \(digest.prefix(16)))", to: "open: \(reason)")
        try AppDatabase.recacheBoundary(db, old: span.last.last, new: span.first == month ? nil : month.previous?.last)
        return try AppDatabase.monthState(db, month)!
    }
}

extension AppDatabase {
    /// After the frozen boundary moved from after `old` to after `new`: recounts the dates
    /// whose minutes it may have moved, around both.
    static func recacheBoundary(_ db: Database, old: LocalDate?, new: LocalDate?) throws {
        for date in [old, new].compactMap({ $0 }) { try recache(db, dates: date.adding(days: -1)...date.adding(days: 2)) }
    }

    /// The snapshot's days of [from, to]. Columns by position: this runs for every frozen
    /// date a figure request shows.
    static func signedDays(_ db: Database, from: LocalDate, to: LocalDate) throws -> [SignedDay] {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT date, month, row, recorded, manual, correction, correction_note, effective, expected, holiday,
                   absence_kind, half_day, first_start, last_end, working_day, rule_deduction, warnings
            FROM signed_day WHERE date BETWEEN ? AND ? ORDER BY date
            """), arguments: [from, to])
        var days: [SignedDay] = []
        var month: (text: String, value: Month)?
        while let row = try rows.next() {
            let date: LocalDate = try row.decode(atIndex: 0)
            let monthText: String = row[1]
            if month?.text != monthText { month = (monthText, Month(monthText) ?? Month(of: date)) }
            let recorded: Int = row[3], manual: Int = row[4]
            let start: String? = row[12], end: String? = row[13]
            var work: DayWork?
            if let first = start.flatMap(Timestamp.epochSeconds), let last = end.flatMap(Timestamp.epochSeconds) {
                work = DayWork(recorded: recorded, manual: manual, firstMinute: first / 60, lastMinute: last / 60 - 1)
            }
            let absence = (row[10] as String?).flatMap(AbsenceKind.init(rawValue:)).map { Absence(date: date, kind: $0, halfDay: row[11]) }
            var figures = DayFigures(
                date: date, recorded: recorded, manual: manual, correction: row[5], correctionNote: row[6],
                effective: row[7], expected: row[8], holiday: row[9], absence: absence, work: work,
                workingDay: row[14], inPeriod: true, signedIn: month!.value, signedStart: start, signedEnd: end)
            figures.ruleDeduction = row[15]
            figures.warnings = (row[16] as String).split(separator: ",").compactMap { WorkWarning(rawValue: String($0)) }
            days.append(SignedDay(month: month!.value, served: row[2], figures: figures))
        }
        return days
    }

    /// Sums of the frozen dates before `date`: the signed months' totals (the checkpoint),
    /// plus the days before `date` of the month holding it when that month is signed.
    static func frozenTotals(_ db: Database, before date: LocalDate) throws -> Totals {
        let months = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT COALESCE(SUM(effective), 0), COALESCE(SUM(expected), 0) FROM signed_month WHERE last_date < ?
            """), arguments: [date])!
        let days = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT COALESCE(SUM(effective), 0), COALESCE(SUM(expected), 0) FROM signed_day WHERE date BETWEEN ? AND ?
            """), arguments: [Month(of: date).first, date.adding(days: -1)])!
        return Totals(effective: months[0] + days[0], expected: months[1] + days[1])
    }

    /// A month's state, or nil for an impossible month.
    static func monthState(_ db: Database, _ month: Month) throws -> MonthState? {
        let row = try Row.fetchOne(db, sql: "SELECT signed_at, digest, previous_digest FROM signed_month WHERE month = ?",
                                   arguments: [month.description])
        return MonthState(month: month, signedAt: row?[0], digest: row?[1], previousDigest: row?[2],
                          lateMinutes: try lateMinutes(db, month))
    }

    /// Worked minutes the month's frozen dates have now beyond their snapshot.
    static func lateMinutes(_ db: Database, _ month: Month) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT COALESCE(SUM(MAX(0, COALESCE(d.minutes + d.manual, 0) - (s.recorded + s.manual))), 0)
            FROM signed_day AS s LEFT JOIN daily_attendance AS d ON d.date = s.date WHERE s.month = ?
            """, arguments: [month.description]) ?? 0
    }

    /// The state of each of `months`.
    public func monthStates(_ months: [Month]) throws -> [MonthState] {
        try writer.read { db in try months.compactMap { try Self.monthState(db, $0) } }
    }

    /// A month's state, its snapshot's canonical text (nil unless signed) and its history, oldest first.
    public func monthDetail(_ month: Month) throws -> (state: MonthState, snapshot: String?, history: [MonthEvent]) {
        try writer.read { db in
            let snapshot = try Data.fetchOne(db, sql: "SELECT snapshot FROM signed_snapshot WHERE month = ?", arguments: [month.description])
            let history = try Row.fetchAll(db, sql: "SELECT event, at, digest, reason FROM month_event WHERE month = ? ORDER BY id",
                                           arguments: [month.description])
                .map { MonthEvent(event: $0[0], at: $0[1], digest: $0[2], reason: $0[3]) }
            return (try Self.monthState(db, month)!, snapshot.map { String(decoding: $0, as: UTF8.self) }, history)
        }
    }

    /// The latest signed month, if any.
    public func latestSignedMonth() throws -> Month? {
        try writer.read { db in try Self.frozenSpan(db)?.last }
    }

    /// Recomputes every digest from the stored snapshots, in order, and checks the days the
    /// pages read against their snapshot. Returns the signed months checked, and the first
    /// that fails with why (nil when all hold).
    public func verify() throws -> (checked: Int, failure: (month: String, why: String)?) {
        try writer.read { db in try Self.verify(db) }
    }

    static func verify(_ db: Database) throws -> (checked: Int, failure: (month: String, why: String)?) {
        var previous = Snapshot.firstPrevious, checked = 0
        for row in try Row.fetchAll(db, sql: """
            SELECT m.month, s.snapshot, m.digest, m.previous_digest FROM signed_month AS m
            LEFT JOIN signed_snapshot AS s ON s.month = m.month ORDER BY m.month
            """) {
            let month: String = row[0], bytes: Data = (row[1] as Data?) ?? Data(), digest: String = row[2], stated: String = row[3]
            guard stated == previous else {
                return (checked, (month, "its previous digest \(stated.prefix(16))… is not the digest of the month before it (\(previous.prefix(16))…)"))
            }
            let computed = Snapshot.digest(previous: previous, text: String(decoding: bytes, as: UTF8.self))
            guard computed == digest else {
                return (checked, (month, "its snapshot gives the digest \(computed.prefix(16))…, not the stored \(digest.prefix(16))…: the snapshot was changed after signing"))
            }
            let days = try Row.fetchAll(db, sql: """
                SELECT row, effective, expected, recorded, manual FROM signed_day WHERE month = ? ORDER BY date
                """, arguments: [month])
            let rows = days.map { SignedDay.signedRow($0[0]) }
            guard let text = String(data: bytes, encoding: .utf8), text.contains(#""days":["# + rows.joined(separator: ",") + "]") else {
                return (checked, (month, "the days the pages show differ from its snapshot"))
            }
            // The figures the pages and balances read, against what the snapshot says.
            let said = try JSONSerialization.jsonObject(with: bytes) as? [String: Any] ?? [:]
            let saidDays = said["days"] as? [[String: Any]] ?? []
            let figures = try Row.fetchOne(db, sql: "SELECT effective, expected, bookings, balance_after FROM signed_month WHERE month = ?",
                                           arguments: [month])!
            let booked = (said["bookings"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["minutes"] as? Int ?? 0) }
            let daysAgree = saidDays.count == days.count && zip(saidDays, days).allSatisfy { said, row in
                said["effective"] as? Int == row[1] && said["expected"] as? Int == row[2]
                    && said["recorded"] as? Int == row[3] && said["manual"] as? Int == row[4]
            }
            guard daysAgree, said["effective"] as? Int == figures[0], said["expected"] as? Int == figures[1], booked == figures[2] as Int,
                  said["balance_after"] as? Int == figures[3] else {
                return (checked, (month, "the figures the pages and balances read differ from its snapshot"))
            }
            previous = digest
            checked += 1
        }
        return (checked, nil)
    }
}
