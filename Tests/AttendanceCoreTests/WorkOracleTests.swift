import Foundation
import Testing
import TestSupport
@testable import AttendanceCore

/// Rule 1a and 8a against a plain computation: sets of UTC minutes, each put on its local
/// date by Foundation's calendar, sessions found by walking the sorted worked minutes.
/// Nothing is shared with the core but the inputs.
struct WorkOracle {
    let zone: TimeZone
    let recorded: Set<Int64>
    let entries: [(Int64, Int64)]

    var covered: Set<Int64> {
        var minutes = Set<Int64>()
        for (start, end) in entries where end > start { for minute in start..<end { minutes.insert(minute) } }
        return minutes
    }

    func date(_ minute: Int64) -> LocalDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(minute * 60)))
        return LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    struct Day: Equatable {
        var recorded = 0, manual = 0
        var sessions: [[Int64]] = []  // each: [start, end, minutes, manual]
        var breaks = 0
        var gaps: [[Int64]] = []  // each: [start, end]
    }

    var days: [LocalDate: Day] {
        let covered = covered
        let worked = recorded.union(covered)
        var byDate: [LocalDate: [Int64]] = [:]
        for minute in worked { byDate[date(minute), default: []].append(minute) }
        var result: [LocalDate: Day] = [:]
        for (date, minutes) in byDate {
            var day = Day()
            var session: [Int64]?
            for minute in minutes.sorted() {
                let manual: Int64 = recorded.contains(minute) ? 0 : 1
                if manual == 1 { day.manual += 1 } else { day.recorded += 1 }
                // A run goes on over at most 2 minutes not worked.
                if let open = session, minute - open[1] <= 2 {
                    session = [open[0], minute + 1, open[2] + 1, open[3] + manual]
                } else {
                    if let open = session { day.sessions.append(open) }
                    session = [minute, minute + 1, 1, manual]
                }
            }
            day.sessions.append(session!)
            day.breaks = Int(day.sessions.last![1] - day.sessions.first![0]) - (day.recorded + day.manual)
            day.gaps = zip(day.sessions, day.sessions.dropFirst()).map { [$0[1], $1[0]] }
            result[date] = day
        }
        return result
    }
}

@Suite struct WorkOracleTests {
    /// The core's day, in the oracle's terms.
    static func day(_ minutes: DayMinutes) -> WorkOracle.Day? {
        guard let work = minutes.work else { return nil }
        let sessions = minutes.sessions
        return WorkOracle.Day(recorded: work.recorded, manual: work.manual,
                              sessions: sessions.map { [$0.start, $0.end, Int64($0.minutes), Int64($0.manual)] },
                              breaks: work.breaks, gaps: minutes.gaps.map { [$0.start, $0.end] })
    }

    /// Random histories around DST nights (Berlin's spring and fall 2024, New York's fall,
    /// Lord Howe's half-hour shift) and ordinary midnights: heartbeats in bursts with gaps
    /// of 0–5 minutes, entries overlapping each other and the heartbeats, some across
    /// midnight, up to 1440 minutes long.
    @Test(arguments: [("Europe/Berlin", "2024-03-30T20:00:00Z"), ("Europe/Berlin", "2024-10-26T20:00:00Z"),
                      ("America/New_York", "2024-11-02T22:00:00Z"), ("Australia/Lord_Howe", "2024-04-06T10:00:00Z"),
                      ("Asia/Kolkata", "2024-06-03T15:00:00Z"), ("UTC", "2024-06-03T20:00:00Z")])
    func everyDayEqualsThePlainComputation(zoneName: String, around: String) {
        let zone = Zone(identifier: zoneName)!
        let center = Timestamp.epochSeconds(around)! / 60
        for seed in UInt64(0)..<40 {
            var random = SplitMix64(seed: seed &* 7919 &+ UInt64(zoneName.utf8.count))
            var recorded = Set<Int64>()
            var minute = center - Int64.random(in: 0...1800, using: &random)
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                let length = Int64.random(in: 1...240, using: &random)
                for step in 0..<length where Int.random(in: 0..<10, using: &random) > 0 { recorded.insert(minute + step) }
                minute += length + Int64.random(in: 0...90, using: &random)
            }
            var entries: [(Int64, Int64)] = []
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let start = center + Int64.random(in: -1800...1800, using: &random)
                let length = Int64.random(in: 1...(Int.random(in: 0..<4, using: &random) == 0 ? 1440 : 180), using: &random)
                entries.append((start, start + length))
            }
            let oracle = WorkOracle(zone: zone.timeZone, recorded: recorded, entries: entries)
            let expected = oracle.days
            // The cache's path: every date at once, heartbeats in order.
            var tally = WorkTally(zone: zone, entries: entries.map { MinuteSpan(start: $0.0, end: $0.1) })
            for minute in recorded.sorted() { tally.record(minute) }
            let counted = tally.finish()
            #expect(Set(counted.keys) == Set(expected.keys), "seed \(seed)")
            for (date, day) in expected {
                // Rule 12's inputs from the sessions: gaps of 15 minutes or more are legal
                // breaks, and split the day into runs of sessions.
                var runs: [Int] = [0]
                for (index, session) in day.sessions.enumerated() {
                    if index > 0, session[0] - day.sessions[index - 1][1] >= 15 { runs.append(0) }
                    runs[runs.count - 1] += Int(session[2])
                }
                let legal = day.gaps.map { Int($0[1] - $0[0]) }.filter { $0 >= 15 }.reduce(0, +)
                #expect(counted[date] == DayWork(recorded: day.recorded, manual: day.manual,
                                                 firstMinute: day.sessions.first![0], lastMinute: day.sessions.last![1] - 1,
                                                 longBreaks: legal, longestRun: runs.max()!, trailingRun: runs.last!),
                        "seed \(seed) \(date)")
                // The day page's path: one date, its minutes and the entries' spans.
                var minutes = DayMinutes(date: date, zone: zone)
                for minute in recorded { minutes.record(minute) }
                for entry in entries { minutes.cover(MinuteSpan(start: entry.0, end: entry.1)) }
                #expect(Self.day(minutes) == day, "seed \(seed) \(date)")
                #expect(counted[date]?.breaks == day.breaks)
            }
            // A recount of some dates alone gives those dates as the whole count does.
            if let some = expected.keys.sorted().dropFirst().first {
                var part = WorkTally(zone: zone, entries: entries.map { MinuteSpan(start: $0.0, end: $0.1) }, dates: some...some)
                for minute in recorded.sorted() { part.record(minute) }
                #expect(part.finish() == [some: counted[some]!], "seed \(seed)")
            }
        }
    }

    /// The meeting of the spec: heartbeats 08:00–12:00 and 13:00–14:30, an entry
    /// 14:00–16:00: manual 90, worked 420, sessions 08:00–12:00 and 13:00–16:00, one gap of
    /// 60. The same entry twice counts once.
    @Test func theMeetingCountsOnce() {
        let zone = Zone(identifier: "Europe/Berlin")!
        let eight = Timestamp.epochSeconds("2026-06-01T08:00:00+02:00")! / 60
        var day = DayMinutes(date: LocalDate("2026-06-01")!, zone: zone)
        for minute in eight..<(eight + 240) { day.record(minute) }
        for minute in (eight + 300)..<(eight + 390) { day.record(minute) }
        let meeting = MinuteSpan(start: eight + 360, end: eight + 480)
        day.cover(meeting)
        day.cover(meeting)
        // One gap of 60 (a legal break) between a run of 240 and one of 180.
        #expect(day.work == DayWork(recorded: 330, manual: 90, firstMinute: eight, lastMinute: eight + 479,
                                    longBreaks: 60, longestRun: 240, trailingRun: 180))
        #expect(day.work?.worked == 420 && day.work?.breaks == 60)
        #expect(day.sessions == [Session(firstMinute: eight, lastMinute: eight + 239, minutes: 240),
                                 Session(firstMinute: eight + 300, lastMinute: eight + 479, minutes: 180, manual: 90)])
        #expect(day.gaps == [Gap(start: eight + 240, end: eight + 300)])
    }

    /// A running entry covers up to, not including, the current minute, and at most 1440.
    @Test func aRunningEntryGrowsToADayAtMost() {
        let entry = TimeEntry(id: 1, start: 1000, end: nil)
        #expect(entry.span(nowMinute: 1000).minutes == 0)
        #expect(entry.span(nowMinute: 1090).minutes == 90)
        #expect(entry.span(nowMinute: 5000).minutes == 1440)
        #expect(TimeEntry(id: 2, start: 1000, end: 1030).span(nowMinute: 0).minutes == 30)
    }

    /// Local clock times on DST days: a fall-back time comes twice, a spring-forward one never.
    @Test func instantsOfALocalTime() {
        let zone = Zone(identifier: "Europe/Berlin")!
        let fall = zone.instants(on: LocalDate("2024-10-27")!, minuteOfDay: 150)
        #expect(fall.map(zone.rfc3339) == ["2024-10-27T02:30:00+02:00", "2024-10-27T02:30:00+01:00"])
        #expect(zone.instants(on: LocalDate("2024-03-31")!, minuteOfDay: 150).isEmpty)
        #expect(zone.instants(on: LocalDate("2024-06-03")!, minuteOfDay: 600).map(zone.rfc3339) == ["2024-06-03T10:00:00+02:00"])
    }
}
