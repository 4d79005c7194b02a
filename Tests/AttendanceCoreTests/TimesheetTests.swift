import AttendanceCore
import Testing

/// Reading Toggl and Clockify detailed CSV exports: their columns, dates, times, and local
/// times in DST nights.
@Suite struct TimesheetTests {
    @Test func theColumnsOfEachTool() throws {
        let toggl = try #require(Timesheet.columns(header: ["User", "Email", "Client", "Project", "Task", "Description", "Billable",
                                                             "Start date", "Start time", "End date", "End time", "Duration", "Tags", "Amount ()"]))
        #expect(toggl.tool == .toggl && toggl.startDate == 7 && toggl.endTime == 10 && toggl.description == 5)
        let clockify = try #require(Timesheet.columns(header: ["Project", "Client", "Description", "Task", "User", "Group", "Email", "Tags",
                                                                "Billable", "Start Date", "Start Time", "End Date", "End Time", "Duration (h)",
                                                                "Duration (decimal)", "Billable Rate (USD)", "Billable Amount (USD)"]))
        #expect(clockify.tool == .clockify && clockify.startTime == 10 && clockify.description == 2)
        #expect(Timesheet.columns(header: ["date", "hours"]) == nil)
        #expect(Timesheet.columns(header: ["\u{FEFF}Start date", "Start time", "End date", "End time"])?.startDate == 0)
    }

    @Test func datesAsTheToolsWriteThem() {
        #expect(Timesheet.date("2026-03-29") == LocalDate("2026-03-29"))
        #expect(Timesheet.date("03/29/2026") == LocalDate("2026-03-29"))
        #expect(Timesheet.date("29/03/2026") == LocalDate("2026-03-29"))
        #expect(Timesheet.date("29.03.2026") == LocalDate("2026-03-29"))
        #expect(Timesheet.date("29-03-2026") == LocalDate("2026-03-29"))
        #expect(Timesheet.date("03-29-2026") == LocalDate("2026-03-29"))
        #expect(Timesheet.date("2026-02-30") == nil && Timesheet.date("yesterday") == nil && Timesheet.date("13/13/2026") == nil)
    }

    @Test func timesIn24And12Hours() {
        #expect(Timesheet.time("13:05") == 13 * 3600 + 5 * 60)
        #expect(Timesheet.time("13:05:09") == 13 * 3600 + 5 * 60 + 9)
        #expect(Timesheet.time("1:05 PM") == 13 * 3600 + 5 * 60)
        #expect(Timesheet.time("12:30:00 AM") == 30 * 60)
        #expect(Timesheet.time("12:30 pm") == 12 * 3600 + 30 * 60)
        #expect(Timesheet.time("24:00") == nil && Timesheet.time("13:05 PM") == nil && Timesheet.time("9") == nil && Timesheet.time("09:60") == nil)
    }

    @Test func localTimesInDSTNights() throws {
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        // An ordinary summer time: 2026-06-01 10:00 +02:00.
        let summer = berlin.instant(LocalDate("2026-06-01")!, 10 * 3600)
        #expect(summer.seconds == Timestamp.epochSeconds("2026-06-01T10:00:00+02:00") && summer.kind == .unique)
        // Spring forward 2026-03-29: 02:30 does not exist; read with +01:00, it is 03:30 +02:00.
        let gap = berlin.instant(LocalDate("2026-03-29")!, 2 * 3600 + 30 * 60)
        #expect(gap.seconds == Timestamp.epochSeconds("2026-03-29T03:30:00+02:00") && gap.kind == .skipped)
        // Fall back 2026-10-25: 02:30 happens at +02:00 and again at +01:00; the first is taken.
        let twice = berlin.instant(LocalDate("2026-10-25")!, 2 * 3600 + 30 * 60)
        #expect(twice.seconds == Timestamp.epochSeconds("2026-10-25T02:30:00+02:00"))
        #expect(twice.kind == .ambiguous(later: Timestamp.epochSeconds("2026-10-25T02:30:00+01:00")!))
    }
}
