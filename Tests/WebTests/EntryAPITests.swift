import AttendanceCore
import Foundation
import HTTPMessage
import Testing
@testable import Web

/// `/api/entries*` and the entries in `/api/days` (rule 1a), in-process. The app's clock
/// stands at 2024-06-03 12:00 in Berlin (`fixedNow`).
@Suite struct EntryAPITests {
    func beats(_ from: String, minutes: Int) -> String {
        let start = Timestamp.epochSeconds(from)!
        return (0..<minutes).map { #"{"timestamp":"\#(rfc3339(start + Int64($0) * 60))","host":"laptop"}"# }.joined(separator: ",")
    }

    /// The meeting of the spec: heartbeats 08:00–12:00 and 13:00–14:30 (of Sunday 2 June),
    /// an entry 14:00–16:00: manual 90, worked 420, sessions 08:00–12:00 and 13:00–16:00,
    /// one gap of 60. The same entry twice counts once; removing both restores the
    /// heartbeats' figures and leaves the heartbeats alone.
    @Test func theMeeting() throws {
        let app = try makeApp()
        let batch = beats("2024-06-02T08:00:00+02:00", minutes: 240) + "," + beats("2024-06-02T13:00:00+02:00", minutes: 90)
        #expect(post(app, "/api/heartbeat", #"{"heartbeats":[\#(batch)]}"#).status == 200)
        let body = #"{"start":"2024-06-02T14:00:00+02:00","end":"2024-06-02T16:00:00+02:00","note":"Customer meeting"}"#
        let created = send(app, "POST", "/api/entries", body)
        #expect(created.status == 201)
        let entry = json(created)
        #expect(entry["start"] as? String == "2024-06-02T14:00:00+02:00" && entry["end"] as? String == "2024-06-02T16:00:00+02:00")
        #expect(entry["minutes"] as? Int == 120 && entry["source"] as? String == "manual" && entry["note"] as? String == "Customer meeting")
        var day = json(send(app, "GET", "/api/days/2024-06-02"))
        #expect(day["recorded"] as? Int == 330 && day["manual"] as? Int == 90 && day["worked"] as? Int == 420)
        #expect(day["effective"] as? Int == 420 && day["breaks"] as? Int == 60)
        let sessions = day["sessions"] as? [[String: Any]] ?? []
        #expect(sessions.map { "\($0["start"]!)–\($0["end"]!) \($0["minutes"]!)/\($0["manual"]!)" } == [
            "2024-06-02T08:00:00+02:00–2024-06-02T12:00:00+02:00 240/0", "2024-06-02T13:00:00+02:00–2024-06-02T16:00:00+02:00 180/90"])
        let gaps = day["gaps"] as? [[String: Any]] ?? []
        #expect(gaps.count == 1 && gaps[0]["minutes"] as? Int == 60 && gaps[0]["start"] as? String == "2024-06-02T12:00:00+02:00")
        #expect((day["entries"] as? [[String: Any]])?.map { $0["id"] as? Int } == [entry["id"] as? Int])
        // Twice counts once.
        let second = json(send(app, "POST", "/api/entries", body))
        day = json(send(app, "GET", "/api/days/2024-06-02"))
        #expect(day["worked"] as? Int == 420)
        #expect(jsonArray(send(app, "GET", "/api/entries?from=2024-06-02&to=2024-06-02")).count == 2)
        // The days row and the balance agree.
        let row = jsonArray(send(app, "GET", "/api/days?from=2024-06-02&to=2024-06-02"))[0]
        #expect(row["manual"] as? Int == 90 && row["worked"] as? Int == 420 && row["first_start"] as? String == "2024-06-02T08:00:00+02:00")
        #expect(row["last_end"] as? String == "2024-06-02T16:00:00+02:00")
        #expect(send(app, "DELETE", "/api/entries/\(entry["id"] as! Int)").status == 204)
        #expect(json(send(app, "GET", "/api/days/2024-06-02"))["worked"] as? Int == 420)
        #expect(send(app, "DELETE", "/api/entries/\(second["id"] as! Int)").status == 204)
        day = json(send(app, "GET", "/api/days/2024-06-02"))
        #expect(day["worked"] as? Int == 330 && day["manual"] as? Int == 0 && day["recorded"] as? Int == 330)
        #expect(send(app, "DELETE", "/api/entries/\(second["id"] as! Int)").status == 404)
        #expect(try app.database.heartbeatCount() == 330)
        #expect(try app.database.dailyCacheIsConsistent())
    }

    @Test(arguments: [
        (#"{"end":"2024-06-03T09:00:00+02:00"}"#, 400, "start is required"),
        (#"{"start":"2024-06-03T08:00:00"}"#, 422, "start"),
        (#"{"start":"2024-06-03T08:00:30+02:00","end":"2024-06-03T09:00:00+02:00"}"#, 422, "seconds must be 0"),
        (#"{"start":"2024-06-03T08:00:00.5+02:00","end":"2024-06-03T09:00:00+02:00"}"#, 422, "seconds must be 0"),
        (#"{"start":"2024-06-03T08:00:00+02:00","end":"2024-06-03T08:00:00+02:00"}"#, 422, "end must be after start"),
        (#"{"start":"2024-06-02T08:00:00+02:00","end":"2024-06-03T08:01:00+02:00"}"#, 422, "at most 24:00"),
        (#"{"start":"2024-06-03T11:00:00+02:00","end":"2024-06-03T12:06:00+02:00"}"#, 422, "end 2024-06-03T12:06:00+02:00 is more than 5 minutes in the future"),
        (#"{"start":"2024-06-03T12:06:00+02:00"}"#, 422, "start 2024-06-03T12:06:00+02:00 is more than 5 minutes in the future"),
        (#"{"start":"1969-12-31T23:00:00Z","end":"1970-01-01T00:30:00Z"}"#, 422, "before 1970"),
        (#"{"start":"2024-06-03T08:00:00+02:00","end":"2024-06-03T09:00:00+02:00","note":"\#(String(repeating: "x", count: 501))"}"#, 422, "note is longer than 500"),
        (#"{"start":"2024-06-03T08:00:00+02:00","end":5}"#, 400, "end"),
        (#"{"start":"2024-06-03T08:00:00+02:00","note":"a\u0000b"}"#, 422, "NUL"),
    ])
    func aRefusedEntryStoresNothing(body: String, status: Int, message: String) throws {
        let app = try makeApp()
        let response = send(app, "POST", "/api/entries", body)
        #expect(response.status == status)
        #expect((json(response)["error"] as? String)?.contains(message) == true, "\(json(response))")
        #expect(jsonArray(send(app, "GET", "/api/entries?from=2024-05-01&to=2024-06-30")).isEmpty)
        #expect(try app.database.runningEntry() == nil)
    }

    /// Start, a second start refused, the minutes so far, stop (now, to the minute), stop again refused.
    @Test func aRunningEntryStartsAndStops() throws {
        let app = try makeApp()  // now: 12:00 in Berlin
        let started = send(app, "POST", "/api/entries", #"{"start":"2024-06-03T11:15:00+02:00","note":"phone"}"#)
        #expect(started.status == 201 && json(started)["end"] is NSNull && json(started)["minutes"] as? Int == 45)
        let again = send(app, "POST", "/api/entries", #"{"start":"2024-06-03T11:30:00+02:00"}"#)
        #expect(again.status == 409 && (json(again)["error"] as? String)?.contains("runs since 2024-06-03T11:15:00+02:00") == true)
        let today = jsonArray(send(app, "GET", "/api/days?from=2024-06-03&to=2024-06-03"))[0]
        #expect(today["manual"] as? Int == 45 && today["last_end"] as? String == "2024-06-03T12:00:00+02:00")
        // An entry with an end may still be added while one runs.
        #expect(send(app, "POST", "/api/entries", #"{"start":"2024-06-03T07:00:00+02:00","end":"2024-06-03T07:30:00+02:00"}"#).status == 201)
        let id = json(started)["id"] as! Int
        let stopped = send(app, "POST", "/api/entries/\(id)/stop")
        #expect(stopped.status == 200 && json(stopped)["end"] as? String == "2024-06-03T12:00:00+02:00" && json(stopped)["minutes"] as? Int == 45)
        #expect(send(app, "POST", "/api/entries/\(id)/stop").status == 409)
        #expect(send(app, "POST", "/api/entries/999/stop").status == 404)
        #expect(send(app, "POST", "/api/entries/abc/stop").status == 404)
        #expect(send(app, "DELETE", "/api/entries/0").status == 404)
        #expect(try app.database.dailyCacheIsConsistent())
        // A stop with an end of its own; before the start is refused and changes nothing.
        let other = json(send(app, "POST", "/api/entries", #"{"start":"2024-06-03T09:00:00+02:00"}"#))["id"] as! Int
        #expect(send(app, "POST", "/api/entries/\(other)/stop", #"{"end":"2024-06-03T08:00:00+02:00"}"#).status == 422)
        let ended = send(app, "POST", "/api/entries/\(other)/stop", #"{"end":"2024-06-03T09:40:00+02:00"}"#)
        #expect(ended.status == 200 && json(ended)["minutes"] as? Int == 40)
        #expect(jsonArray(send(app, "GET", "/api/entries?from=2024-06-03&to=2024-06-03")).map { $0["minutes"] as? Int } == [30, 40, 45])
    }

    @Test func entriesNeedABoundedRange() throws {
        let app = try makeApp()
        #expect(send(app, "GET", "/api/entries").status == 400)
        #expect(send(app, "GET", "/api/entries?from=2024-06-03&to=2024-06-01").status == 422)
        #expect(send(app, "GET", "/api/entries?from=2014-01-01&to=2024-01-09").status == 422)
        #expect(send(app, "PUT", "/api/entries").status == 405)
        #expect(send(app, "GET", "/api/entries/1/stop").status == 405)
    }
}
