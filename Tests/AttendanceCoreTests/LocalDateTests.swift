import Testing
@testable import AttendanceCore

@Suite struct LocalDateTests {
    @Test func parsesOnlyRealDatesInTheExactFormat() {
        #expect(LocalDate("2024-02-29") == LocalDate(year: 2024, month: 2, day: 29))
        #expect(LocalDate("2023-02-29") == nil)
        #expect(LocalDate("1900-02-29") == nil)
        #expect(LocalDate("2000-02-29") != nil)
        #expect(LocalDate("2024-13-01") == nil)
        #expect(LocalDate("2024-04-31") == nil)
        #expect(LocalDate("2024-1-01") == nil)
        #expect(LocalDate("2024-01-01 ") == nil)
        #expect(LocalDate("+024-01-01") == nil)
        #expect(LocalDate("0000-01-01") == nil)
    }

    @Test func dayNumbersRoundTripAcrossCenturies() {
        #expect(LocalDate("1970-01-01")!.dayNumber == 0)
        #expect(LocalDate("1969-12-31")!.dayNumber == -1)
        #expect(LocalDate("2000-03-01")!.dayNumber == 11_017)
        for number in stride(from: -719_162, through: 2_932_896, by: 997) {
            let date = LocalDate(dayNumber: number)
            #expect(date.dayNumber == number)
            #expect(LocalDate(date.description) == date)
        }
    }

    @Test func weekdaysAndDayArithmetic() {
        #expect(LocalDate("1970-01-01")!.weekday == .thu)
        #expect(LocalDate("2024-02-29")!.weekday == .thu)
        #expect(LocalDate("2026-11-24")!.weekday == .tue)
        #expect(LocalDate("2024-02-28")!.adding(days: 1).description == "2024-02-29")
        #expect(LocalDate("2023-12-31")!.adding(days: 1).description == "2024-01-01")
        #expect(LocalDate("2024-03-01")!.adding(days: -1).description == "2024-02-29")
    }
}
