import Testing
@testable import AttendanceCore

/// UTC minute of a timestamp, for readable expectations.
func minute(_ text: String) -> Int64 { Timestamp.epochSeconds(text)! / 60 }

@Suite struct ZoneTests {
    let berlin = Zone(identifier: "Europe/Berlin")!
    let newYork = Zone(identifier: "America/New_York")!

    @Test func dstDaysHave23And25Hours() {
        #expect(berlin.minutesIn(LocalDate("2024-03-31")!) == 1380)
        #expect(berlin.minutesIn(LocalDate("2024-10-27")!) == 1500)
        #expect(berlin.minutesIn(LocalDate("2024-03-30")!) == 1440)
        #expect(newYork.minutesIn(LocalDate("2024-03-10")!) == 1380)
        #expect(newYork.minutesIn(LocalDate("2024-11-03")!) == 1500)
        #expect(Zone(identifier: "UTC")!.minutesIn(LocalDate("2024-03-31")!) == 1440)
    }

    @Test func minutesLandOnTheLocalDateOfTheirStart() {
        #expect(berlin.localDate(ofMinute: minute("2024-01-15T23:59:00+01:00")).description == "2024-01-15")
        #expect(berlin.localDate(ofMinute: minute("2024-01-16T00:00:00+01:00")).description == "2024-01-16")
        #expect(berlin.localDate(ofMinute: minute("2024-01-15T23:30:00Z")).description == "2024-01-16")
        #expect(newYork.localDate(ofMinute: minute("2024-01-01T03:00:00Z")).description == "2023-12-31")
        // The repeated hour of a fall-back night belongs to that one day.
        #expect(berlin.localDate(ofMinute: minute("2024-10-27T02:30:00+02:00")).description == "2024-10-27")
        #expect(berlin.localDate(ofMinute: minute("2024-10-27T02:30:00+01:00")).description == "2024-10-27")
    }

    @Test func firstMinuteOfADayIsLocalMidnight() {
        #expect(berlin.firstMinute(of: LocalDate("2024-03-31")!) == minute("2024-03-30T23:00:00Z"))
        #expect(berlin.firstMinute(of: LocalDate("2024-04-01")!) == minute("2024-03-31T22:00:00Z"))
        #expect(Zone(identifier: "UTC")!.firstMinute(of: LocalDate("1970-01-01")!) == 0)
    }

    @Test func unknownZonesAreRefused() {
        #expect(Zone(identifier: "Mars/Olympus") == nil)
        #expect(Zone(identifier: "") == nil)
    }
}
