import AttendanceCore
import Foundation
import HTTPMessage
@testable import Storage
import Testing
@testable import Web

/// `POST /api/import/activitywatch`, `POST /api/import/csv` and the settings page's
/// uploads, in-process. "Now" is 2024-06-03T10:00Z; the zone is Europe/Berlin.
@Suite struct ImportAPITests {
    /// Two hosts, afk and not-afk, a window bucket; minutes counted by hand below.
    let export = #"""
    {"buckets": {
      "aw-watcher-afk_laptop": {"id": "aw-watcher-afk_laptop", "type": "afkstatus", "hostname": "laptop", "client": "aw-watcher-afk",
        "created": "2024-05-01T08:00:00.000000+00:00", "events": [
          {"id": 1, "timestamp": "2024-05-28T07:00:30.000000+00:00", "duration": 3600.0, "data": {"status": "not-afk"}},
          {"id": 2, "timestamp": "2024-05-28T08:00:30.000000+00:00", "duration": 900.0, "data": {"status": "afk"}}]},
      "aw-watcher-afk_desk": {"id": "aw-watcher-afk_desk", "type": "afkstatus", "hostname": "desk", "events": [
          {"id": 7, "timestamp": "2024-05-28T07:30:00+00:00", "duration": 3600.25, "data": {"status": "not-afk"}}]},
      "aw-watcher-window_desk": {"id": "aw-watcher-window_desk", "type": "currentwindow", "hostname": "desk", "events": [
          {"id": 9, "timestamp": "2024-05-28T07:30:00+00:00", "duration": 60, "data": {"app": "vim", "title": "notes"}}]}
    }}
    """#

    @Test func activityWatchMinutesBecomeHeartbeatsOnce() throws {
        let app = try makeApp()
        let response = send(app, "POST", "/api/import/activitywatch", export, headers: ["content-type": "application/json"])
        #expect(response.status == 200)
        let summary = json(response)
        // laptop: 07:01 … 08:00 (08:00 starts at 08:00:00 < 08:00:30): 60 minutes;
        // desk: 07:30 … 08:30 (08:30 starts before 08:30:00.25): 61 minutes.
        #expect(summary["added"] as? Int == 121 && summary["duplicates"] as? Int == 0 && summary["events"] as? Int == 4)
        #expect((summary["skipped"] as? [[String: Any]])?.count == 2)
        // Recorded minutes are the union: 07:01 … 08:30, 90 minutes, on 2024-05-28.
        #expect(try app.database.recordedMinutes(from: LocalDate("2024-05-28")!, to: LocalDate("2024-05-28")!)[LocalDate("2024-05-28")!] == 90)
        #expect(try app.database.dailyCacheIsConsistent())
        let again = json(send(app, "POST", "/api/import/activitywatch", export))
        #expect(again["added"] as? Int == 0 && again["duplicates"] as? Int == 121)
        #expect(try app.database.heartbeatCount() == 121)
    }

    @Test(arguments: [("", 400), ("{", 400), ("[]", 422), (#"{"buckets": {"a": {"type": "afkstatus", "events": [1]}}}"#, 422),
                      (#"{"buckets": {"a": {"type": "afkstatus", "hostname": "h", "events": [{"timestamp": "2024-05-28T07:00:00Z", "duration": 600, "data": {"status": "not-afk"}}]}}, }"#, 400)])
    func badDocumentsStoreNothing(body: String, status: Int) throws {
        let app = try makeApp()
        let response = send(app, "POST", "/api/import/activitywatch", body)
        #expect(response.status == status)
        #expect(try app.database.heartbeatCount() == 0)
    }

    let toggl = #"""
    User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount ()
    Ann,ann@example.org,,Website,,Design review,No,2024-03-31,01:30:00,2024-03-31,03:30:00,01:00:00,,
    Ann,ann@example.org,,Website,,"Call, with ""quotes""",No,2024-05-28,09:00:00,2024-05-28,10:15:30,01:15:30,,
    Ann,ann@example.org,,Website,,Broken,No,2024-05-28,11:00:00,2024-05-28,10:00:00,,,
    Ann,ann@example.org,,Website,,Future,No,2024-06-04,09:00:00,2024-06-04,10:00:00,01:00:00,,
    """#

    @Test func togglRowsBecomeImportedEntriesOnce() throws {
        let app = try makeApp()
        let response = send(app, "POST", "/api/import/csv", toggl, headers: ["content-type": "text/csv"])
        #expect(response.status == 200)
        let summary = json(response)
        #expect(summary["added"] as? Int == 2 && summary["rows"] as? Int == 4)
        #expect((summary["skipped"] as? [[String: Any]])?.compactMap { $0["count"] as? Int } == [1, 1])
        let entries = try app.database.entries(from: LocalDate("2024-03-31")!, to: LocalDate("2024-05-28")!, nowMinute: fixedNow / 60)
        // 01:30 +01:00 to 03:30 +02:00 (02:00–03:00 does not exist): 60 minutes.
        #expect(entries.map { $0.end! - $0.start } == [60, 75])
        #expect(entries.map(\.note) == ["Design review", "Call, with \"quotes\""] && entries.allSatisfy { $0.source == .import })
        #expect(entries[1].start * 60 == Timestamp.epochSeconds("2024-05-28T09:00:00+02:00"))
        let again = json(send(app, "POST", "/api/import/csv", toggl))
        #expect(again["added"] as? Int == 0 && again["duplicates"] as? Int == 2)
        #expect(try app.database.dailyCacheIsConsistent())
    }

    @Test func clockifyIn12HoursAndAnotherZone() throws {
        let app = try makeApp()
        let clockify = """
        Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD)
        Site,,Planning,,Ann,,ann@example.org,,No,05/27/2024,11:30:00 PM,05/28/2024,12:45:00 AM,01:15:00,1.25,0,0
        """
        let response = send(app, "POST", "/api/import/csv?timezone=America/New_York", clockify)
        #expect(response.status == 200 && json(response)["added"] as? Int == 1)
        let entry = try #require(try app.database.entries(from: LocalDate("2024-05-27")!, to: LocalDate("2024-05-28")!, nowMinute: fixedNow / 60).first)
        #expect(entry.start * 60 == Timestamp.epochSeconds("2024-05-27T23:30:00-04:00") && entry.end! - entry.start == 75)
        #expect(send(app, "POST", "/api/import/csv?timezone=Mars/Base", clockify).status == 422)
    }

    @Test(arguments: ["", "hello", "date,hours\n2024-05-28,8\n", "{\"buckets\": {}}"])
    func filesOfNeitherToolStoreNothing(body: String) throws {
        let app = try makeApp()
        #expect(send(app, "POST", "/api/import/csv", body).status == 422)
        #expect(try app.database.entries(from: LocalDate("2024-01-01")!, to: LocalDate("2024-12-31")!, nowMinute: fixedNow / 60).isEmpty)
    }

    @Test func longHolidaysAndManyDatesAreBounded() throws {
        let app = try makeApp()
        var file = "BEGIN:VCALENDAR\r\n"
        let long = String(repeating: "L", count: 5000)
        for index in 0..<500 {
            file += "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2030\(index % 2 == 0 ? "0101" : "0601")\r\nDTEND;VALUE=DATE:20310101\r\nSUMMARY:\(long)\r\nEND:VEVENT\r\n"
        }
        // 400 events of 25 days each: 10,000 dates fit, the 401st event no more.
        for index in 0..<401 {
            let start = LocalDate(dayNumber: LocalDate("2040-01-01")!.dayNumber + index * 25)
            let end = start.adding(days: 25)
            func ics(_ d: LocalDate) -> String { d.description.replacingOccurrences(of: "-", with: "") }
            file += "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:\(ics(start))\r\nDTEND;VALUE=DATE:\(ics(end))\r\nSUMMARY:Block \(index)\r\nEND:VEVENT\r\n"
        }
        file += "END:VCALENDAR\r\n"
        let response = send(app, "POST", "/api/holidays/import", file)
        #expect(response.status == 200)
        let summary = json(response)
        #expect(summary["added"] as? Int == 10_000)
        let skipped = summary["skipped"] as? [[String: String]] ?? []
        #expect(skipped.count == Holidays.skippedListed && summary["skipped_more"] as? Int == 501 - Holidays.skippedListed)
        #expect(skipped.allSatisfy { ($0["summary"]?.count ?? 0) <= HolidayCalendar.summaryLimit })
        #expect(response.body.count < 20_000)
    }

    func multipart(_ fields: [(String, String, String?)]) -> (String, [String: String]) {
        var body = ""
        for (name, value, filename) in fields {
            body += "--XyZ\r\nContent-Disposition: form-data; name=\"\(name)\"\(filename.map { "; filename=\"\($0)\"" } ?? "")\r\n\r\n\(value)\r\n"
        }
        return (body + "--XyZ--\r\n", ["content-type": "multipart/form-data; boundary=XyZ"])
    }

    @Test func theSettingsPageUploadsShowTheirSummary() throws {
        let app = try makePageApp()
        let (body, headers) = multipart([("export", export, "aw.json")])
        let page = send(app, "POST", "/settings/import/activitywatch", body, headers: headers)
        #expect(page.status == 200)
        #expect(html(page).contains("id=\"activitywatch-result\"") && html(page).contains("121 added"))
        let (csv, csvHeaders) = multipart([("csv", toggl, "toggl.csv"), ("timezone", "Europe/Berlin", nil)])
        let imported = send(app, "POST", "/settings/import/csv", csv, headers: csvHeaders)
        #expect(imported.status == 200 && html(imported).contains("id=\"csv-result\"") && html(imported).contains("2 added"))
        let (bad, badHeaders) = multipart([("csv", "nothing", "x.csv"), ("timezone", "", nil)])
        let refused = send(app, "POST", "/settings/import/csv", bad, headers: badHeaders)
        #expect(refused.status == 422 && html(refused).contains("id=\"csv-error\""))
        let (none, noneHeaders) = multipart([("timezone", "", nil)])
        #expect(send(app, "POST", "/settings/import/activitywatch", none, headers: noneHeaders).status == 422)
    }
}
