import AttendanceCore
import Foundation
import HTTPMessage
import Testing
@testable import Web

func send(_ app: App, _ method: String, _ target: String, _ body: String = "", headers: [String: String] = [:]) -> Response {
    let parts = target.split(separator: "?", maxSplits: 1)
    return app.respond(to: Request(method: method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "",
                                   headers: headers, body: Array(body.utf8), serverPort: 8080))
}

func jsonArray(_ response: Response) -> [[String: Any]] {
    (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [[String: Any]] ?? []
}

@Suite struct APIHandlerTests {
    @Test func settingsChangeAnySubsetAndValidateTheWhole() throws {
        let app = try makeApp()
        #expect(json(send(app, "GET", "/api/settings"))["period_end"] is NSNull)
        let changed = send(app, "POST", "/api/settings", #"{"period_start":"2024-03-13","period_end":"2024-12-31","working_days":["sat","mon"],"daily_required_minutes":450}"#)
        #expect(changed.status == 200)
        #expect(json(changed)["working_days"] as? [String] == ["mon", "sat"])
        #expect(json(changed)["timezone"] as? String == "Europe/Berlin")
        #expect(json(send(app, "POST", "/api/settings", #"{"period_end":null}"#))["period_end"] is NSNull)
    }

    @Test(arguments: [
        (#"{"period_start":"2024-02-30"}"#, 422), (#"{"period_start":"2025-01-01","period_end":"2024-12-31"}"#, 422),
        (#"{"working_days":["monday"]}"#, 422), (#"{"daily_required_minutes":1441}"#, 422),
        (#"{"daily_required_minutes":-1}"#, 422), (#"{"timezone":"Mars/Base"}"#, 422), (#"{"timezone":"EST"}"#, 422),
        (#"{"daily_required_minutes":7.5}"#, 400), (#"{"daily_required_minutes":"480"}"#, 400),
        (#"{"working_days":"mon"}"#, 400), (#"{"period_end":5}"#, 400), ("[]", 400), ("", 400), ("{", 400),
    ])
    func badSettingsChangeNothing(body: String, status: Int) throws {
        let app = try makeApp()
        let before = try app.database.settings()
        let response = send(app, "POST", "/api/settings", body)
        #expect(response.status == status)
        #expect(json(response)["error"] is String)
        #expect(try app.database.settings() == before)
    }

    @Test func holidaysCreateRenameDelete() throws {
        let app = try makeApp()
        #expect(send(app, "POST", "/api/holidays", #"{"date":"2024-12-25","name":"Xmas"}"#).status == 201)
        #expect(send(app, "POST", "/api/holidays", #"{"date":"2024-12-25","name":"Christmas"}"#).status == 200)
        #expect(send(app, "POST", "/api/holidays", #"{"date":"2024-12-26","name":"  "}"#).status == 422)
        #expect(send(app, "POST", "/api/holidays", #"{"date":"2024-12-26"}"#).status == 400)
        #expect(jsonArray(send(app, "GET", "/api/holidays?from=2024-01-01&to=2024-12-31")).map { $0["name"] as? String } == ["Christmas"])
        #expect(send(app, "GET", "/api/holidays?from=2024-12-31&to=2024-01-01").status == 422)
        #expect(send(app, "DELETE", "/api/holidays/2024-12-25").status == 204)
        #expect(send(app, "DELETE", "/api/holidays/2024-12-25").status == 404)
        #expect(send(app, "DELETE", "/api/holidays/2024-02-30").status == 422)
    }

    @Test func correctionsAreLimitedToTheLengthOfTheLocalDay() throws {
        let app = try makeApp()  // Europe/Berlin
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-03-31","minutes":1381}"#).status == 422)
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-03-31","minutes":1380}"#).status == 201)
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-10-27","minutes":1500}"#).status == 201)
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-10-28","minutes":1441}"#).status == 422)
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-10-28","minutes":-5}"#).status == 422)
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-10-28"}"#).status == 400)
        let created = json(send(app, "POST", "/api/corrections", #"{"date":"2024-05-31","minutes":360,"note":"doctor"}"#))
        #expect(created["created_at"] as? String == "2024-06-03T10:00:00Z")
        #expect(created["note"] as? String == "doctor")
        #expect(jsonArray(send(app, "GET", "/api/corrections")).count == 3)
        #expect(send(app, "DELETE", "/api/corrections/2024-05-31").status == 204)
        #expect(send(app, "DELETE", "/api/corrections/2024-05-31").status == 404)
    }

    @Test func daysNeedABoundedRange() throws {
        let app = try makeApp()
        #expect(send(app, "GET", "/api/days").status == 400)
        #expect(send(app, "GET", "/api/days?from=2024-01-01").status == 400)
        #expect(send(app, "GET", "/api/days?from=2024-01-02&to=2024-01-01").status == 422)
        #expect(send(app, "GET", "/api/days?from=2014-01-01&to=2024-01-09").status == 422)
        #expect(jsonArray(send(app, "GET", "/api/days?from=2014-01-01&to=2024-01-08")).count == 3660)
        #expect(send(app, "GET", "/api/days?from=2024-13-01&to=2024-12-01").status == 422)
    }

    @Test func summaryYearIsValidated() throws {
        let app = try makeApp()
        #expect(send(app, "GET", "/api/summary?year=abc").status == 400)
        #expect(send(app, "GET", "/api/summary?year=0").status == 422)
        #expect(jsonArray(send(app, "GET", "/api/summary")).count == 6)  // Jan…Jun 2024
        #expect(jsonArray(send(app, "GET", "/api/summary?year=2030")).isEmpty)
    }

    @Test(arguments: [
        (["origin": "http://evil.example", "host": "127.0.0.1:8080"], 403),
        (["origin": "null", "host": "127.0.0.1:8080"], 403),
        (["origin": "http://127.0.0.1:3000", "host": "127.0.0.1"], 403),
        (["sec-fetch-site": "cross-site", "host": "127.0.0.1:8080"], 403),
        (["host": "rebound.example"], 403),
        (["origin": "http://127.0.0.1:8080", "host": "127.0.0.1"], 200),
        (["origin": "http://localhost", "host": "localhost:80"], 200),
        (["origin": "http://[::1]:8080", "host": "[::1]:8080", "sec-fetch-site": "same-origin"], 200),
        ([:], 200),
    ])
    func crossSiteStateChangesAreRefused(headers: [String: String], status: Int) throws {
        let app = try makeApp()
        let response = send(app, "POST", "/api/holidays", #"{"date":"2024-12-25","name":"Xmas"}"#, headers: headers)
        #expect(response.status == (status == 200 ? 201 : status))
        #expect(try app.database.holidays().count == (status == 200 ? 1 : 0))
    }

    @Test func readsFromAnotherSiteAreAllowedButNotFromAnotherHost() throws {
        let app = try makeApp()
        #expect(send(app, "GET", "/api/settings", headers: ["origin": "http://evil.example", "host": "localhost"]).status == 200)
        #expect(send(app, "GET", "/api/settings", headers: ["host": "evil.example"]).status == 403)
    }
}

@Suite struct TextInputTests {
    /// SQLite binds text as a C string: a NUL would cut what is stored short of what was acknowledged.
    @Test func nulCharactersAreRefusedEverywhereTextIsStored() throws {
        let app = try makeApp()
        #expect(send(app, "POST", "/api/holidays", #"{"date":"2024-12-25","name":"\u0000abc"}"#).status == 422)
        #expect(send(app, "POST", "/api/corrections", #"{"date":"2024-12-25","minutes":5,"note":"x\u0000y"}"#).status == 422)
        #expect(post(app, "/api/heartbeat", #"{"host":"nul\u0000a"}"#).status == 422)
        #expect(try app.database.holidays().isEmpty)
        #expect(try app.database.corrections().isEmpty)
        #expect(try app.database.heartbeatCount() == 0)
    }
}
