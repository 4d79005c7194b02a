/// Where an entry came from (rule 1a).
public enum EntrySource: String, Sendable, CaseIterable {
    /// Added by the user: a form, the API, "Count as work", the Today card.
    case manual
    /// Brought in from another tool.
    case `import`
}

/// Rule 1a: work the agent could not see — a meeting away from the laptop, a trip, work
/// on another device. It covers the UTC minutes from its start up to, not including, its
/// end; while running (no end) up to, not including, the current minute, and never more
/// than `maxMinutes`.
public struct TimeEntry: Sendable, Equatable {
    public var id: Int64
    /// UTC minutes since the epoch.
    public var start: Int64
    /// nil while it runs.
    public var end: Int64?
    public var note: String
    public var source: EntrySource

    /// The longest an entry may be, and the most a running one covers.
    public static let maxMinutes: Int64 = 1440
    /// The longest note.
    public static let noteLimit = 500

    public init(id: Int64, start: Int64, end: Int64?, note: String = "", source: EntrySource = .manual) {
        self.id = id
        self.start = start
        self.end = end
        self.note = note
        self.source = source
    }

    public var isRunning: Bool { end == nil }

    /// The minutes it covers when the current minute is `nowMinute`.
    public func span(nowMinute: Int64) -> MinuteSpan {
        MinuteSpan(start: start, end: end ?? max(start, min(nowMinute, start + Self.maxMinutes)))
    }
}
