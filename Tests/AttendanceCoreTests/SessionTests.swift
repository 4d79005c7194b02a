import Foundation
import Testing
@testable import AttendanceCore

func utcMinute(_ text: String) -> Int64 { Timestamp.epochSeconds(text)! / 60 }

/// Rule 8a: sessions, first start, last end and breaks, counted by hand.
@Suite struct SessionTests {
    /// 09:00–09:09, then a gap of 1 (09:11–09:14), a gap of 2 (09:17–09:19), a gap of 3
    /// (09:23–09:24): the first three runs are one session, the last its own.
    @Test func gapsOfUpToTwoMinutesDoNotSplitASession() {
        let nine = utcMinute("2024-06-03T09:00:00Z")
        let minutes = (0..<10).map { nine + $0 } + (11...14).map { nine + $0 } + (17...19).map { nine + $0 } + (23...24).map { nine + $0 }
        let sessions = Session.sessions(of: minutes.shuffled() + [nine + 3])  // any order; a repeat counts once
        #expect(sessions == [Session(firstMinute: nine, lastMinute: nine + 19, minutes: 17),
                             Session(firstMinute: nine + 23, lastMinute: nine + 24, minutes: 2)])
        #expect(sessions[0].end - sessions[0].start == 20)
        // First start 09:00, last end 09:25: 25 elapsed, 19 recorded, 6 of breaks.
        let span = DayWork(recorded: 19, firstMinute: nine, lastMinute: nine + 24)
        #expect(span.breaks == 6)
        #expect(Session.sessions(of: []).isEmpty)
    }

    /// A lunch break: 08:00–12:00 and 12:45–17:00 in Berlin (summer, +02:00).
    @Test func aWorkingDayWithLunch() {
        let zone = Zone(identifier: "Europe/Berlin")!
        let morning = utcMinute("2024-06-03T08:00:00+02:00"), afternoon = utcMinute("2024-06-03T12:45:00+02:00")
        let minutes = (0..<240).map { morning + Int64($0) } + (0..<255).map { afternoon + Int64($0) }
        let sessions = Session.sessions(of: minutes)
        #expect(sessions.count == 2)
        #expect(zone.rfc3339(minute: sessions[0].start) == "2024-06-03T08:00:00+02:00")
        #expect(zone.rfc3339(minute: sessions[0].end) == "2024-06-03T12:00:00+02:00")
        #expect(zone.rfc3339(minute: sessions[1].end) == "2024-06-03T17:00:00+02:00")
        #expect(DayWork(recorded: 495, firstMinute: minutes.first!, lastMinute: minutes.last!).breaks == 45)
        #expect(zone.clock(minute: sessions[1].start) == "12:45")
    }

    /// The fall-back night in Berlin (2024-10-27): 02:30 comes twice, first at +02:00,
    /// then at +01:00; a session over it lasts its real length.
    @Test func theFallBackNightShowsTwoThirtyTwice() {
        let zone = Zone(identifier: "Europe/Berlin")!
        let first = utcMinute("2024-10-27T02:30:00+02:00"), second = utcMinute("2024-10-27T02:30:00+01:00")
        #expect(second - first == 60)
        #expect(zone.rfc3339(minute: first) == "2024-10-27T02:30:00+02:00")
        #expect(zone.rfc3339(minute: second) == "2024-10-27T02:30:00+01:00")
        #expect(zone.clock(minute: first) == "02:30" && zone.clock(minute: second) == "02:30")
        // 02:00 (+02:00) to 03:00 (+01:00): two hours on the clock's one.
        let start = utcMinute("2024-10-27T02:00:00+02:00")
        let sessions = Session.sessions(of: (0..<120).map { start + Int64($0) })
        #expect(sessions.count == 1 && sessions[0].minutes == 120)
        #expect(zone.rfc3339(minute: sessions[0].end) == "2024-10-27T03:00:00+01:00")
        #expect(zone.minutesIn(LocalDate("2024-10-27")!) == 1500)
    }

    /// The spring-forward night (2024-03-31): 01:59 +01:00 is followed by 03:00 +02:00.
    @Test func theSpringForwardNightSkipsAnHour() {
        let zone = Zone(identifier: "Europe/Berlin")!
        let start = utcMinute("2024-03-31T01:30:00+01:00")
        let sessions = Session.sessions(of: (0..<60).map { start + Int64($0) })
        #expect(zone.rfc3339(minute: sessions[0].start) == "2024-03-31T01:30:00+01:00")
        #expect(zone.rfc3339(minute: sessions[0].end) == "2024-03-31T03:30:00+02:00")
        #expect(DayWork(recorded: 60, firstMinute: start, lastMinute: start + 59).breaks == 0)
        #expect(zone.minutesIn(LocalDate("2024-03-31")!) == 1380)
    }

    @Test func offsetsWestOfUTCAndHalfHours() {
        #expect(Zone(identifier: "America/New_York")!.rfc3339(minute: utcMinute("2024-01-15T14:05:00Z")) == "2024-01-15T09:05:00-05:00")
        #expect(Zone(identifier: "Asia/Kolkata")!.rfc3339(minute: utcMinute("2024-01-15T14:05:00Z")) == "2024-01-15T19:35:00+05:30")
        #expect(Zone.utc.rfc3339(minute: utcMinute("2024-01-15T23:59:00Z")) == "2024-01-15T23:59:00+00:00")
    }
}
