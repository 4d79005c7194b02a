import AttendanceCore
import HTTPMessage
import Storage

/// Adding, stopping and removing time entries (rule 1a), for the API, the day page's
/// forms and "Count as work", and the dashboard's start / stop.
enum Entries {
    /// How far ahead of the server's clock an entry's end (or start) may be (clock skew).
    static let futureToleranceSeconds: Int64 = 5 * 60

    /// An instant of an entry from its RFC 3339 text, as a UTC minute: a whole minute
    /// with an offset, from 1970 on, at most 5 minutes ahead of now.
    static func minute(_ text: String, field: Field, now: Int64) throws -> Int64 {
        guard let seconds = Timestamp.epochSeconds(text) else {
            throw ValidationError(field, "\(field.rawValue) \"\(text)\" is not an RFC 3339 date-time with an offset, like 2026-05-06T14:00:00+02:00")
        }
        guard seconds >= 0 else { throw ValidationError(field, "\(field.rawValue) \(text) is before 1970") }
        // Seconds 0 and any fraction all zeros (`14:00:00.000+02:00` is a whole minute).
        let fraction = text.utf8.dropFirst(19).prefix { $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard seconds % 60 == 0, fraction.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "0") }) else {
            throw ValidationError(field, "\(field.rawValue) \(text) is not a whole minute: its seconds must be 0")
        }
        guard seconds <= now + futureToleranceSeconds else {
            throw ValidationError(field, "\(field.rawValue) \(text) is more than 5 minutes in the future")
        }
        return seconds / 60
    }

    /// The checks of an entry's end against its start: after it, at most 1440 minutes on.
    static func checkEnd(_ end: Int64, start: Int64) throws {
        guard end > start else { throw ValidationError(.end, "end must be after start") }
        guard end - start <= TimeEntry.maxMinutes else {
            throw ValidationError(.end, "an entry lasts at most 24:00 (1440 minutes); this one would last \(Format.duration(Int(end - start)))")
        }
    }

    static func note(_ text: String?) throws -> String {
        let note = (text ?? "").trimmingWhitespace
        try Input.text(note, field: .note, limit: TimeEntry.noteLimit)
        return note
    }

    /// Adds an entry from UTC minutes (the forms, "Count as work") after the same checks
    /// as `add(_:start:end:note:)`; `end` nil starts it running (409 while another runs).
    static func add(_ context: RequestContext, start: Int64, end: Int64?, note: String, source: EntrySource = .manual) throws -> TimeEntry {
        guard start * 60 <= context.now + futureToleranceSeconds else {
            throw ValidationError(.start, "start is more than 5 minutes in the future")
        }
        if let end {
            try checkEnd(end, start: start)
            guard end * 60 <= context.now + futureToleranceSeconds else {
                throw ValidationError(.end, "end is more than 5 minutes in the future")
            }
        }
        let note = try Self.note(note)
        switch try context.apply(AddEntry(start: start, end: end, note: note, source: source)) {
        case let .added(entry): return entry
        case let .anotherRuns(running): throw anotherRuns(context, running)
        }
    }

    /// Adds an entry from RFC 3339 texts (the API).
    static func add(_ context: RequestContext, start: String, end: String?, note: String?) throws -> TimeEntry {
        let startMinute = try minute(start, field: .start, now: context.now)
        let endMinute = try end.map { try minute($0, field: .end, now: context.now) }
        return try add(context, start: startMinute, end: endMinute, note: note ?? "")
    }

    static func anotherRuns(_ context: RequestContext, _ running: TimeEntry) -> HTTPError {
        let since = (try? context.zone()).map { $0.rfc3339(minute: running.start) } ?? "\(running.start)"
        return HTTPError(409, "another entry (id \(running.id)) runs since \(since); stop it first: only one entry runs at a time")
    }

    /// Stops the running entry `id` at `end` (a UTC minute), or now when nil: then at most
    /// 1440 minutes after its start, the most a running entry covers.
    static func stop(_ context: RequestContext, id: Int64, end: Int64?) throws -> TimeEntry {
        let result = try context.apply(StopEntry(id) { entry in
            let chosen = end ?? min(context.nowMinute, entry.start + TimeEntry.maxMinutes)
            if end == nil, chosen <= entry.start {
                throw ValidationError(.end, "entry \(id) started less than a minute ago and covers no minute yet: remove it, or stop it later")
            }
            try checkEnd(chosen, start: entry.start)
            return chosen
        })
        switch result {
        case let .stopped(entry): return entry
        case .notFound: throw HTTPError(404, "no entry \(id)")
        case .notRunning: throw HTTPError(409, "entry \(id) is not running: it has ended already")
        }
    }

    /// Removes an entry (kept in history; heartbeats untouched); 404 when there is none.
    static func remove(_ context: RequestContext, id: Int64) throws {
        guard try context.apply(RemoveEntry(id)) else { throw HTTPError(404, "no entry \(id)") }
    }
}
