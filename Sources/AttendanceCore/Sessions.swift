import Foundation

/// Rule 8a: when a day was worked. A session is a run of worked minutes (rule 1a) with no
/// gap longer than `maxGap` minutes that are not worked (a late or skipped cron run does
/// not split it).
public struct Session: Sendable, Equatable {
    /// The session's first worked minute (UTC minutes since the epoch): it starts at this
    /// minute's start.
    public var firstMinute: Int64
    /// The session's last worked minute: it ends at this minute's end.
    public var lastMinute: Int64
    /// Worked minutes in it.
    public var minutes: Int
    /// Those of them that no heartbeat recorded: covered by an entry only.
    public var manual: Int

    public init(firstMinute: Int64, lastMinute: Int64, minutes: Int, manual: Int = 0) {
        self.firstMinute = firstMinute
        self.lastMinute = lastMinute
        self.minutes = minutes
        self.manual = manual
    }

    /// The instant it starts and ends, as minutes since the epoch (end exclusive).
    public var start: Int64 { firstMinute }
    public var end: Int64 { lastMinute + 1 }

    /// Minutes not worked up to which a run goes on.
    public static let maxGap: Int64 = 2

    /// The sessions of `minutes` (distinct recorded minutes of one date, in any order),
    /// with no entries.
    public static func sessions(of minutes: [Int64]) -> [Session] {
        guard let first = minutes.min(), let last = minutes.max() else { return [] }
        var day = DayMinutes(firstMinute: first, length: Int(last - first) + 1)
        for minute in minutes { day.record(minute) }
        return day.sessions
    }
}

/// The time between two sessions of a date: from the end of one to the start of the next.
public struct Gap: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    public var minutes: Int { Int(end - start) }

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }
}

/// A date's worked minutes in sum (rule 1a, 8a), as the per-day cache keeps them: how many
/// were recorded, how many only an entry covered, and the first and last worked minute.
public struct DayWork: Sendable, Equatable {
    public var recorded: Int
    public var manual: Int
    public var firstMinute: Int64
    public var lastMinute: Int64
    /// Rule 12's `legal_breaks`: the sum of the gaps of at least 15 minutes.
    public var longBreaks: Int
    /// The most worked minutes with no gap of 15 minutes or more between them.
    public var longestRun: Int
    /// The worked minutes since the last such gap (the run the day ends with), so a
    /// minute added at the end updates the two above without a recount.
    public var trailingRun: Int

    public init(recorded: Int, manual: Int = 0, firstMinute: Int64, lastMinute: Int64,
                longBreaks: Int = 0, longestRun: Int? = nil, trailingRun: Int? = nil) {
        self.recorded = recorded
        self.manual = manual
        self.firstMinute = firstMinute
        self.lastMinute = lastMinute
        self.longBreaks = longBreaks
        self.longestRun = longestRun ?? recorded + manual
        self.trailingRun = trailingRun ?? recorded + manual
    }

    /// `worked(D)` = `recorded(D)` + `manual(D)`.
    public var worked: Int { recorded + manual }
    /// The start of the first session.
    public var firstStart: Int64 { firstMinute }
    /// The end of the last session.
    public var lastEnd: Int64 { lastMinute + 1 }
    /// The elapsed minutes from first start to last end less the worked ones.
    public var breaks: Int { Int(lastEnd - firstStart) - worked }
}

/// UTC minutes [start, end) that a time entry covers (rule 1a).
public struct MinuteSpan: Sendable, Equatable, Hashable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    public var minutes: Int { Int(max(0, end - start)) }
}

/// One run of minutes — a local date, or any stretch — and for each whether a heartbeat
/// recorded it and whether an entry covered it. The one union of worked minutes (rule
/// 1a): a minute with both, or with two entries, counts once; everything about a date's
/// work (recorded, manual, sessions, gaps, first start, last end) is read off it.
public struct DayMinutes: Sendable {
    /// The UTC minute the run starts at (a local date's midnight).
    public let firstMinute: Int64
    /// Bit 0: recorded; bit 1: covered by an entry.
    private var marks: [UInt8]

    public init(firstMinute: Int64, length: Int) {
        self.firstMinute = firstMinute
        marks = [UInt8](repeating: 0, count: max(0, length))
    }

    /// The minutes of local date `date` in `zone` (1380, 1440 or 1500 of them).
    public init(date: LocalDate, zone: Zone) {
        self.init(date: date, buckets: DateBuckets(zone: zone))
    }

    /// The minutes that count on `date` (its local day, cut at the frozen boundary).
    public init(date: LocalDate, buckets: DateBuckets) {
        let minutes = buckets.minutes(of: date)
        self.init(firstMinute: minutes.lowerBound, length: Int(minutes.upperBound - minutes.lowerBound))
    }

    public var length: Int { marks.count }
    /// The first UTC minute after the run.
    public var endMinute: Int64 { firstMinute + Int64(marks.count) }

    /// Marks `minute` recorded; a minute outside the run is ignored.
    public mutating func record(_ minute: Int64) {
        let index = minute - firstMinute
        if index >= 0, index < marks.count { marks[Int(index)] |= 1 }
    }

    /// Marks the minutes of `span` that lie in the run as covered by an entry.
    public mutating func cover(_ span: MinuteSpan) {
        let low = max(span.start, firstMinute) - firstMinute, high = min(span.end, endMinute) - firstMinute
        guard low < high else { return }
        for index in Int(low)..<Int(high) { marks[index] |= 2 }
    }

    public func isWorked(_ minute: Int64) -> Bool {
        let index = minute - firstMinute
        return index >= 0 && index < marks.count && marks[Int(index)] != 0
    }

    public func isRecorded(_ minute: Int64) -> Bool {
        let index = minute - firstMinute
        return index >= 0 && index < marks.count && marks[Int(index)] & 1 != 0
    }

    /// The sums of the run's worked minutes; nil when none is worked.
    public var work: DayWork? {
        var recorded = 0, manual = 0
        var first: Int?, last = 0
        var longBreaks = 0, run = 0, longestRun = 0
        for (index, mark) in marks.enumerated() where mark != 0 {
            if mark & 1 != 0 { recorded += 1 } else { manual += 1 }
            if first == nil {
                first = index
                run = 1
            } else if index - last - 1 >= RuleOutcome.shortestBreak {
                longBreaks += index - last - 1
                run = 1
            } else {
                run += 1
            }
            longestRun = max(longestRun, run)
            last = index
        }
        guard let first else { return nil }
        return DayWork(recorded: recorded, manual: manual, firstMinute: firstMinute + Int64(first), lastMinute: firstMinute + Int64(last),
                       longBreaks: longBreaks, longestRun: longestRun, trailingRun: run)
    }

    /// Rule 8a: runs of worked minutes, a gap of up to `Session.maxGap` minutes not
    /// worked inside one.
    public var sessions: [Session] {
        var sessions: [Session] = []
        for (index, mark) in marks.enumerated() where mark != 0 {
            let minute = firstMinute + Int64(index)
            let manual = mark & 1 == 0 ? 1 : 0
            if var last = sessions.last, minute - last.lastMinute - 1 <= Session.maxGap {
                last.lastMinute = minute
                last.minutes += 1
                last.manual += manual
                sessions[sessions.count - 1] = last
            } else {
                sessions.append(Session(firstMinute: minute, lastMinute: minute, minutes: 1, manual: manual))
            }
        }
        return sessions
    }

    /// The times between consecutive sessions.
    public var gaps: [Gap] { Self.gaps(between: sessions) }

    public static func gaps(between sessions: [Session]) -> [Gap] {
        zip(sessions, sessions.dropFirst()).map { Gap(start: $0.end, end: $1.start) }
    }
}

/// The per-date sums of worked minutes (rule 8's cache) of a stretch of history, counted
/// from heartbeat minutes fed in increasing order and the entries' spans: the dates of the
/// heartbeats and of the entries, each counted once through `DayMinutes`. Dates outside
/// `dates` (when given) are left out, so a recount of some dates needs only their facts.
public struct WorkTally: Sendable {
    public let buckets: DateBuckets
    let dates: ClosedRange<LocalDate>?
    /// Entry spans by each local date they touch.
    private var spansByDate: [LocalDate: [MinuteSpan]] = [:]
    private var current: (date: LocalDate, minutes: DayMinutes)?
    public private(set) var days: [LocalDate: DayWork] = [:]

    public init(buckets: DateBuckets, entries: [MinuteSpan], dates: ClosedRange<LocalDate>? = nil) {
        self.buckets = buckets
        self.dates = dates
        for span in entries where span.end > span.start {
            for date in buckets.dates(of: span) where dates?.contains(date) ?? true {
                spansByDate[date, default: []].append(span)
            }
        }
    }

    public init(zone: Zone, entries: [MinuteSpan], dates: ClosedRange<LocalDate>? = nil) {
        self.init(buckets: DateBuckets(zone: zone), entries: entries, dates: dates)
    }

    /// One recorded minute; minutes come in increasing order (repeats allowed).
    public mutating func record(_ minute: Int64) {
        if let current, minute >= current.minutes.firstMinute, minute < current.minutes.endMinute {
            self.current!.minutes.record(minute)
            return
        }
        flush()
        guard let date = buckets.date(ofMinute: minute), dates?.contains(date) ?? true else { return }
        var minutes = DayMinutes(date: date, buckets: buckets)
        minutes.record(minute)
        current = (date, minutes)
    }

    private mutating func flush() {
        guard let date = current?.date, var minutes = current?.minutes else { return }
        current = nil
        for span in spansByDate.removeValue(forKey: date) ?? [] { minutes.cover(span) }
        if let work = minutes.work { days[date] = work }
    }

    /// Every date's sums: those with heartbeats, then those with entries alone.
    public mutating func finish() -> [LocalDate: DayWork] {
        flush()
        for (date, spans) in spansByDate {
            var minutes = DayMinutes(date: date, buckets: buckets)
            for span in spans { minutes.cover(span) }
            if let work = minutes.work { days[date] = work }
        }
        spansByDate = [:]
        return days
    }
}

extension Zone {
    /// The local dates whose minutes `span` touches, in order.
    public func dates(of span: MinuteSpan) -> [LocalDate] {
        guard span.end > span.start else { return [] }
        let first = localDate(ofMinute: span.start), last = localDate(ofMinute: span.end - 1)
        return (first.dayNumber...last.dayNumber).map(LocalDate.init(dayNumber:))
    }

    /// The UTC minutes at which the local clock on `date` shows `minuteOfDay` (0…1439), in
    /// order: one on most days, two for a time of a fall-back night's repeated hour, none
    /// for a time a spring-forward night skips.
    public func instants(on date: LocalDate, minuteOfDay: Int) -> [Int64] {
        let local = Int64(date.dayNumber) * 1440 + Int64(minuteOfDay)
        let start = firstMinute(of: date), end = firstMinute(of: date.adding(days: 1))
        var found: [Int64] = []
        for offset in Set([offsetSeconds(atMinute: start), offsetSeconds(atMinute: end - 1)]) {
            let minute = local - Int64(offset / 60)
            let wall = wallClock(ofMinute: minute)
            if wall.date == date, wall.minuteOfDay == minuteOfDay, !found.contains(minute) { found.append(minute) }
        }
        return found.sorted()
    }

    /// The zone's offset from UTC at the start of `minute`, in seconds.
    public func offsetSeconds(atMinute minute: Int64) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(minute * 60)))
    }

    /// The local wall-clock time of the start of `minute`: its date and minutes after
    /// local midnight as the clock shows them (a fall-back night shows 02:30 twice).
    public func wallClock(ofMinute minute: Int64) -> (date: LocalDate, minuteOfDay: Int) {
        wallClock(ofMinute: minute, offset: offsetSeconds(atMinute: minute))
    }

    func wallClock(ofMinute minute: Int64, offset: Int) -> (date: LocalDate, minuteOfDay: Int) {
        let local = minute * 60 + Int64(offset)
        let day = floorDiv(local, 86_400)
        return (LocalDate(dayNumber: Int(day)), Int((local - day * 86_400) / 60))
    }

    /// RFC 3339 with the zone's offset at that instant: `2026-10-25T02:30:00+01:00`.
    public func rfc3339(minute: Int64) -> String {
        let offset = offsetSeconds(atMinute: minute)
        let (date, minuteOfDay) = wallClock(ofMinute: minute, offset: offset)
        let sign = offset < 0 ? "-" : "+"
        let offsetMinutes = abs(offset) / 60
        return "\(date)T\(Self.two(minuteOfDay / 60)):\(Self.two(minuteOfDay % 60)):00\(sign)\(Self.two(offsetMinutes / 60)):\(Self.two(offsetMinutes % 60))"
    }

    /// `HH:MM` on the local clock.
    public func clock(minute: Int64) -> String {
        let minuteOfDay = wallClock(ofMinute: minute).minuteOfDay
        return "\(Self.two(minuteOfDay / 60)):\(Self.two(minuteOfDay % 60))"
    }

    static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
