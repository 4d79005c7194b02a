import Foundation

/// Rule 8a: when a day was worked. A session is a run of recorded minutes with no gap
/// longer than `maxGap` unrecorded minutes (a late or skipped cron run does not split it).
public struct Session: Sendable, Equatable {
    /// The session's first recorded minute (UTC minutes since the epoch): it starts at
    /// this minute's start.
    public var firstMinute: Int64
    /// The session's last recorded minute: it ends at this minute's end.
    public var lastMinute: Int64
    /// Recorded minutes in it.
    public var minutes: Int

    public init(firstMinute: Int64, lastMinute: Int64, minutes: Int) {
        self.firstMinute = firstMinute
        self.lastMinute = lastMinute
        self.minutes = minutes
    }

    /// The instant it starts and ends, as minutes since the epoch (end exclusive).
    public var start: Int64 { firstMinute }
    public var end: Int64 { lastMinute + 1 }

    /// Unrecorded minutes up to which a run goes on.
    public static let maxGap: Int64 = 2

    /// The sessions of `minutes` (distinct recorded minutes of one date, in any order).
    public static func sessions(of minutes: [Int64]) -> [Session] {
        var sessions: [Session] = []
        for minute in minutes.sorted() {
            if var last = sessions.last, minute - last.lastMinute - 1 <= maxGap {
                guard minute != last.lastMinute else { continue }  // the same minute twice counts once
                last.lastMinute = minute
                last.minutes += 1
                sessions[sessions.count - 1] = last
            } else {
                sessions.append(Session(firstMinute: minute, lastMinute: minute, minutes: 1))
            }
        }
        return sessions
    }
}

/// A date's span of work from the cache: its first and last recorded minute and how
/// many minutes were recorded (rule 8a's first start, last end and breaks).
public struct DaySpan: Sendable, Equatable {
    public var firstMinute: Int64
    public var lastMinute: Int64
    public var recorded: Int

    public init(firstMinute: Int64, lastMinute: Int64, recorded: Int) {
        self.firstMinute = firstMinute
        self.lastMinute = lastMinute
        self.recorded = recorded
    }

    /// The start of the first session.
    public var firstStart: Int64 { firstMinute }
    /// The end of the last session.
    public var lastEnd: Int64 { lastMinute + 1 }
    /// The elapsed minutes from first start to last end less the recorded ones.
    public var breaks: Int { Int(lastEnd - firstStart) - recorded }
}

extension Zone {
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
