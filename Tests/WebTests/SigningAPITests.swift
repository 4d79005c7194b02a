import AttendanceCore
import Foundation
import HTTPMessage
import Storage
import Testing
@testable import Web

/// Signed months and bookings through the handlers, in process. The clock stands at
/// 2024-06-03 12:00 in Berlin (`fixedNow`); the period starts on 2024-03-01 and March and
/// April have eight hours of heartbeats on each weekday from 08:00 local.
func makeSigningApp() throws -> App {
    let app = try makeApp()
    #expect(send(app, "POST", "/api/settings", #"{"period_start":"2024-03-01"}"#).status == 200)
    let zone = Zone(identifier: "Europe/Berlin")!
    var beats: [HeartbeatMinute] = []
    for day in LocalDate("2024-03-01")!.dayNumber...LocalDate("2024-04-30")!.dayNumber {
        let date = LocalDate(dayNumber: day)
        guard date.weekday != .sat, date.weekday != .sun else { continue }
        let start = zone.firstMinute(of: date) + 8 * 60
        beats += (0..<480).map { HeartbeatMinute(minute: start + Int64($0), host: "") }
    }
    _ = try app.database.recordHeartbeats(beats, receivedAt: fixedNow - 86_400 * 30)
    return app
}

func text(_ response: Response) -> String { String(decoding: response.body, as: UTF8.self) }

@Suite struct SigningAPITests {
    @Test func monthsAreSignedInOrderOnlyOnceEnded() throws {
        let app = try makeSigningApp()
        #expect(send(app, "POST", "/api/months/2024-04/sign").status == 409)
        #expect(text(send(app, "POST", "/api/months/2024-04/sign")).contains("2024-03"))
        #expect(send(app, "POST", "/api/months/2024-02/sign").status == 409)  // before the period
        #expect(send(app, "POST", "/api/months/2024-13/sign").status == 422)
        let signed = send(app, "POST", "/api/months/2024-03/sign")
        #expect(signed.status == 201)
        let body = json(signed)
        #expect(body["signed"] as? Bool == true)
        #expect((body["digest"] as? String)?.count == 64)
        #expect(body["previous_digest"] as? String == String(repeating: "0", count: 64))
        let snapshot = try #require(body["snapshot"] as? [String: Any])
        #expect(snapshot["month"] as? String == "2024-03")
        #expect((snapshot["days"] as? [Any])?.count == 31)
        #expect(snapshot["worked"] as? Int == 21 * 480)
        #expect(snapshot["balance_before"] as? Int == 0)
        #expect(send(app, "POST", "/api/months/2024-03/sign").status == 409)  // signed already
        #expect(send(app, "POST", "/api/months/2024-04/sign").status == 201)
        #expect(send(app, "POST", "/api/months/2024-05/sign").status == 201)
        #expect(send(app, "POST", "/api/months/2024-06/sign").status == 409)  // not ended
        #expect(json(send(app, "GET", "/api/months/2024-04"))["previous_digest"] as? String == body["digest"] as? String)
        let months = jsonArray(send(app, "GET", "/api/months?year=2024"))
        #expect(months.map { $0["month"] as? String } == ["2024-03", "2024-04", "2024-05"])
        #expect(months.allSatisfy { $0["signed"] as? Bool == true && $0["late_minutes"] as? Int == 0 })
        #expect(try app.database.verify().failure == nil)
    }

    @Test func everyChangeToAFrozenFigureIsRefusedAndStoresNothing() throws {
        let app = try makeSigningApp()
        #expect(send(app, "POST", "/api/months/2024-03/sign").status == 201)
        let days = text(send(app, "GET", "/api/days?from=2024-02-25&to=2024-04-05"))
        let balance = text(send(app, "GET", "/api/balance"))
        let refused: [(String, String, String)] = [
            ("POST", "/api/corrections", #"{"date":"2024-03-14","minutes":60}"#),
            ("DELETE", "/api/corrections/2024-03-14", ""),
            ("POST", "/api/absences", #"{"from":"2024-03-28","to":"2024-04-02","kind":"vacation"}"#),
            ("POST", "/api/entries", #"{"start":"2024-03-14T19:00:00+01:00","end":"2024-03-14T20:00:00+01:00"}"#),
            ("POST", "/api/bookings", #"{"date":"2024-03-31","kind":"adjustment","minutes":60,"note":"fix"}"#),
            ("POST", "/api/holidays", #"{"date":"2024-03-29","name":"Good Friday"}"#),
            ("POST", "/api/schedules", #"{"valid_from":"2024-03-10","minutes":{"mon":240}}"#),
            ("DELETE", "/api/schedules/2024-03-01", ""),
            ("POST", "/api/settings", #"{"opening_balance_minutes":120}"#),
            ("POST", "/api/settings", #"{"period_start":"2024-02-01"}"#),
            ("POST", "/api/settings", #"{"period_end":"2024-03-20"}"#),
            ("POST", "/api/settings", #"{"daily_required_minutes":420}"#),
        ]
        for (method, path, body) in refused {
            let response = send(app, method, path, body)
            #expect(response.status == 409, "\(method) \(path) \(body)")
            let message = json(response)["error"] as? String ?? ""
            #expect(message.contains("March 2024 (2024-03)") && message.contains("adjustment") && message.contains("2024-04-01"), "\(message)")
        }
        #expect(text(send(app, "GET", "/api/days?from=2024-02-25&to=2024-04-05")) == days)
        #expect(text(send(app, "GET", "/api/balance")) == balance)
        #expect(jsonArray(send(app, "GET", "/api/bookings")).isEmpty)
        #expect(try app.database.changeLog().allSatisfy { $0.subject != "opening balance" })
        // Open dates still change; a period end after the frozen month is fine.
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-04-02","minutes":60}"#).status == 201)
        #expect(send(app, "POST", "/api/settings", #"{"period_end":"2024-12-31"}"#).status == 200)
        #expect(send(app, "POST", "/api/schedules", #"{"valid_from":"2024-04-01","minutes":{"mon":240}}"#).status == 201)
    }

    @Test func aFrozenDayAnswersFromItsSnapshotAndLateMinutesAreCounted() throws {
        let app = try makeSigningApp()
        let before = jsonArray(send(app, "GET", "/api/days?from=2024-03-04&to=2024-03-04"))[0]
        #expect(send(app, "POST", "/api/months/2024-03/sign").status == 201)
        let frozen = jsonArray(send(app, "GET", "/api/days?from=2024-03-04&to=2024-03-04"))[0]
        #expect(frozen["frozen"] as? Bool == true)
        #expect(frozen["worked"] as? Int == before["worked"] as? Int)
        // An evening heartbeat arrives late: stored, acknowledged, counted nowhere.
        let late = post(app, "/api/heartbeat", #"{"timestamp":"2024-03-04T20:00:30+01:00","host":"desk"}"#)
        #expect(late.status == 200)
        #expect(json(late)["accepted"] as? Int == 1)
        let after = jsonArray(send(app, "GET", "/api/days?from=2024-03-04&to=2024-03-04"))[0]
        #expect(after["worked"] as? Int == before["worked"] as? Int)
        #expect(jsonArray(send(app, "GET", "/api/months?year=2024"))[0]["late_minutes"] as? Int == 1)
        #expect(try app.database.dailyCacheIsConsistent())
    }

    @Test func aZoneChangeKeepsFrozenFiguresAndLosesNoMinute() throws {
        for zone in ["Asia/Tokyo", "America/New_York"] {
            let app = try makeSigningApp()
            // A late evening on the last frozen day and an early morning on the first open one.
            let zoneBerlin = Zone(identifier: "Europe/Berlin")!
            let evening = zoneBerlin.firstMinute(of: LocalDate("2024-03-31")!) + 22 * 60
            _ = try app.database.recordHeartbeats((0..<240).map { HeartbeatMinute(minute: evening + Int64($0), host: "") }, receivedAt: 0)
            #expect(send(app, "POST", "/api/months/2024-03/sign").status == 201)
            let frozenDays = text(send(app, "GET", "/api/days?from=2024-03-01&to=2024-03-31"))
            let balanceAfterMarch = json(send(app, "GET", "/api/balance?as_of=2024-03-31"))["balance"] as? Int
            let worked = jsonArray(send(app, "GET", "/api/days?from=2024-04-01&to=2024-05-31")).reduce(0) { $0 + ($1["worked"] as? Int ?? 0) }
            #expect(send(app, "POST", "/api/settings", #"{"timezone":"\#(zone)"}"#).status == 200)
            #expect(text(send(app, "GET", "/api/days?from=2024-03-01&to=2024-03-31")) == frozenDays)
            #expect(json(send(app, "GET", "/api/balance?as_of=2024-03-31"))["balance"] as? Int == balanceAfterMarch)
            let workedNow = jsonArray(send(app, "GET", "/api/days?from=2024-04-01&to=2024-05-31")).reduce(0) { $0 + ($1["worked"] as? Int ?? 0) }
            #expect(workedNow == worked, "\(zone)")
            #expect(try app.database.dailyCacheIsConsistent())
            #expect(try app.database.changeLog().first?.subject == "time zone")
        }
    }

    @Test func onlyTheLatestSignedMonthIsUnsignedWithAReason() throws {
        let app = try makeSigningApp()
        #expect(send(app, "POST", "/api/months/2024-03/unsign", #"{"reason":"a reason long enough"}"#).status == 409)
        #expect(send(app, "POST", "/api/months/2024-03/sign").status == 201)
        #expect(send(app, "POST", "/api/months/2024-04/sign").status == 201)
        #expect(send(app, "POST", "/api/months/2024-04/unsign", #"{"reason":"too short"}"#).status == 422)
        #expect(send(app, "POST", "/api/months/2024-04/unsign", #"{}"#).status == 400)
        #expect(send(app, "POST", "/api/months/2024-03/unsign", #"{"reason":"a reason long enough"}"#).status == 409)
        let reopened = send(app, "POST", "/api/months/2024-04/unsign", #"{"reason":"a forgotten trip on 12 April"}"#)
        #expect(reopened.status == 200)
        let body = json(reopened)
        #expect(body["signed"] as? Bool == false)
        #expect(body["snapshot"] is NSNull)
        let history = body["history"] as? [[String: Any]] ?? []
        #expect(history.map { $0["event"] as? String } == ["signed", "unsigned"])
        #expect(history.last?["reason"] as? String == "a forgotten trip on 12 April")
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-04-12","minutes":600}"#).status == 201)
        #expect(send(app, "POST", "/api/months/2024-04/sign").status == 201)
        #expect(try app.database.verify().failure == nil)
    }

    @Test func bookingsMoveTheBalanceFromTheirDateOnAndNoDay() throws {
        let app = try makeSigningApp()
        for body in [#"{"date":"2024-04-10","kind":"payout","minutes":60,"note":"paid"}"#,
                     #"{"date":"2024-04-10","kind":"payout","minutes":-60}"#,
                     #"{"date":"2024-04-10","kind":"adjustment","minutes":-60,"note":"  "}"#,
                     #"{"date":"2024-04-10","kind":"bonus","minutes":-60,"note":"x"}"#,
                     #"{"date":"2024-04-10","kind":"adjustment","minutes":0,"note":"x"}"#,
                     #"{"date":"2024-04-10","kind":"adjustment","minutes":1000001,"note":"x"}"#,
                     #"{"date":"2024-02-10","kind":"adjustment","minutes":60,"note":"before the period"}"#,
                     #"{"date":"2024-04-31","kind":"adjustment","minutes":60,"note":"x"}"#] {
            #expect(send(app, "POST", "/api/bookings", body).status == 422, "\(body)")
        }
        #expect(send(app, "POST", "/api/bookings", #"{"date":"2024-04-10","kind":"adjustment","minutes":"60","note":"x"}"#).status == 400)
        #expect(jsonArray(send(app, "GET", "/api/bookings")).isEmpty)
        let days = text(send(app, "GET", "/api/days?from=2024-04-01&to=2024-04-30"))
        let balanceBefore = json(send(app, "GET", "/api/balance?as_of=2024-04-09"))["balance"] as? Int ?? 0
        let balanceOn = json(send(app, "GET", "/api/balance?as_of=2024-04-10"))["balance"] as? Int ?? 0
        let added = send(app, "POST", "/api/bookings", #"{"date":"2024-04-10","kind":"payout","minutes":-600,"note":"paid out in April"}"#)
        #expect(added.status == 201)
        #expect(json(added)["minutes"] as? Int == -600)
        #expect(text(send(app, "GET", "/api/days?from=2024-04-01&to=2024-04-30")) == days)
        #expect(json(send(app, "GET", "/api/balance?as_of=2024-04-09"))["balance"] as? Int == balanceBefore)
        let on = json(send(app, "GET", "/api/balance?as_of=2024-04-10"))
        #expect(on["balance"] as? Int == balanceOn - 600)
        #expect(on["bookings"] as? Int == -600)
        let april = jsonArray(send(app, "GET", "/api/summary?year=2024")).first { $0["month"] as? String == "2024-04" }
        #expect(april?["bookings"] as? Int == -600)
        // Signed into the snapshot, then frozen.
        #expect(send(app, "POST", "/api/months/2024-03/sign").status == 201)
        let signed = json(send(app, "POST", "/api/months/2024-04/sign"))
        #expect(((signed["snapshot"] as? [String: Any])?["bookings"] as? [[String: Any]])?.first?["note"] as? String == "paid out in April")
        let id = jsonArray(send(app, "GET", "/api/bookings"))[0]["id"] as? Int ?? 0
        #expect(send(app, "DELETE", "/api/bookings/\(id)").status == 409)
        #expect(send(app, "POST", "/api/months/2024-04/unsign", #"{"reason":"the payout was booked twice"}"#).status == 200)
        #expect(send(app, "DELETE", "/api/bookings/\(id)").status == 204)
        #expect(send(app, "DELETE", "/api/bookings/\(id)").status == 404)
        #expect(json(send(app, "GET", "/api/balance?as_of=2024-04-10"))["balance"] as? Int == balanceOn)
    }

    @Test func anICalendarImportSkipsFrozenDates() throws {
        let app = try makeSigningApp()
        #expect(send(app, "POST", "/api/months/2024-03/sign").status == 201)
        let calendar = """
            BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240329\r\nSUMMARY:Karfreitag\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240401\r\nSUMMARY:Ostermontag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n
            """
        let imported = json(send(app, "POST", "/api/holidays/import", calendar, headers: ["content-type": "text/calendar"]))
        #expect(imported["added"] as? Int == 1)
        let skipped = imported["skipped"] as? [[String: Any]] ?? []
        #expect(skipped.count == 1)
        #expect((skipped.first?["why"] as? String)?.contains("2024-03") == true)
    }
}
