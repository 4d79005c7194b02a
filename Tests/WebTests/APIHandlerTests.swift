import AttendanceCore
import Foundation
import HTTPMessage
import Storage
import Testing
@testable import Web

func send(_ app: App, _ method: String, _ target: String, _ body: String = "", headers: [String: String] = [:]) -> Response {
    let parts = target.split(separator: "?", maxSplits: 1)
    return app.respond(to: Request(method: method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "",
                                   headers: headers, body: Array(body.utf8)))
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
        // SPEC §3 `name`: "" until given, trimmed, kept by later changes of other fields.
        #expect(json(send(app, "GET", "/api/settings"))["name"] as? String == "")
        #expect(json(send(app, "POST", "/api/settings", #"{"name":"  Anna Example  "}"#))["name"] as? String == "Anna Example")
        #expect(json(send(app, "POST", "/api/settings", #"{"daily_required_minutes":420}"#))["name"] as? String == "Anna Example")
        #expect(try app.database.settings().name == "Anna Example")
        let hundred = String(repeating: "é", count: 100)
        #expect(json(send(app, "POST", "/api/settings", #"{"name":"\#(hundred)"}"#))["name"] as? String == hundred)
    }

    @Test(arguments: [
        (#"{"period_start":"2024-02-30"}"#, 422), (#"{"period_start":"2025-01-01","period_end":"2024-12-31"}"#, 422),
        (#"{"working_days":["monday"]}"#, 422), (#"{"daily_required_minutes":1441}"#, 422),
        (#"{"daily_required_minutes":-1}"#, 422), (#"{"timezone":"Mars/Base"}"#, 422), (#"{"timezone":"EST"}"#, 422),
        (#"{"daily_required_minutes":7.5}"#, 400), (#"{"daily_required_minutes":"480"}"#, 400),
        (#"{"working_days":"mon"}"#, 400), (#"{"period_end":5}"#, 400), ("[]", 400), ("", 400), ("{", 400),
        ("{\"name\":\"\(String(repeating: "x", count: 101))\"}", 422), (#"{"name":"two\nlines"}"#, 422), (#"{"name":7}"#, 400),
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
        // A Host without a port is the Origin scheme's default port, as a browser sends it.
        (["origin": "http://127.0.0.1:8080", "host": "127.0.0.1"], 403),
        (["origin": "http://127.0.0.1:8080", "host": "127.0.0.1:8080"], 200),
        // Behind a TLS-terminating proxy that passes Host and X-Forwarded-Proto.
        (["origin": "https://localhost", "host": "localhost"], 200),
        (["origin": "https://localhost", "host": "localhost", "x-forwarded-proto": "https"], 200),
        (["origin": "https://localhost", "host": "localhost:443", "x-forwarded-proto": "https, http"], 200),
        (["origin": "http://localhost", "host": "localhost", "x-forwarded-proto": "https"], 403),
        (["origin": "https://localhost:8443", "host": "localhost"], 403),
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

    @Test func overTLSTheOriginMustBeHTTPS() throws {
        let app = try makeApp()
        func post(origin: String, overTLS: Bool) -> Int {
            app.respond(to: Request(method: "POST", path: "/api/holidays",
                                    headers: ["origin": origin, "host": "localhost", "content-type": "application/json"],
                                    body: Array(#"{"date":"2024-12-25","name":"Xmas"}"#.utf8), overTLS: overTLS)).status
        }
        #expect(post(origin: "http://localhost", overTLS: true) == 403)
        #expect(try app.database.holidays().isEmpty)
        #expect(post(origin: "https://localhost", overTLS: true) == 201)
        #expect(post(origin: "http://localhost", overTLS: false) == 200)  // the same holiday, stored again
    }

    @Test func readsFromAnotherSiteAreAllowedButNotFromAnotherHost() throws {
        let app = try makeApp()
        #expect(send(app, "GET", "/api/settings", headers: ["origin": "http://evil.example", "host": "localhost"]).status == 200)
        #expect(send(app, "GET", "/api/settings", headers: ["host": "evil.example"]).status == 403)
    }
}

@Suite struct LoginRequirementTests {
    func request(_ method: String, _ path: String, on address: String?, user: String? = nil, body: String = "") -> Request {
        Request(method: method, path: path, headers: ["authorization": "Bearer t0k", "content-type": "application/json"],
                body: Array(body.utf8), serverAddress: address, remoteUser: user)
    }

    @Test(arguments: ["192.0.2.7", "10.0.0.1", "2001:db8::1", "::ffff:192.0.2.7", "128.0.0.1", "127.0.0"])
    func pagesAndTheAPIBeyondLoopbackNeedALogin(address: String) throws {
        let app = try makeApp()
        for path in ["/", "/days", "/api/settings", "/api/ping"] {
            let response = app.respond(to: request("GET", path, on: address))
            #expect(response.status == 403, "\(path) on \(address)")
            #expect(String(decoding: response.body, as: UTF8.self).contains("htpasswd"))
        }
        for path in ["/api/settings", "/api/ping"] {
            #expect(app.respond(to: request("GET", path, on: address, user: "alice")).status == 200, "\(path) with a login")
        }
        // Nothing is stored by a refused change.
        let refused = app.respond(to: request("POST", "/api/holidays", on: address, body: #"{"date":"2024-12-25","name":"X"}"#))
        #expect(refused.status == 403)
        #expect(try app.database.holidays().isEmpty)
    }

    @Test(arguments: ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1", "unix:", nil])
    func loopbackAndUnknownAddressesNeedNone(address: String?) throws {
        let app = try makeApp()
        #expect(app.respond(to: request("GET", "/api/settings", on: address)).status == 200)
    }

    @Test func theServersOwnAddressIsAnAllowedHost() throws {
        let app = try makeApp()
        var request = request("GET", "/api/settings", on: "192.0.2.7", user: "alice")
        request.headers["host"] = "192.0.2.7:8080"
        #expect(app.respond(to: request).status == 200)
        request.headers["host"] = "[2001:db8::1]:8080"
        #expect(app.respond(to: request).status == 403)
        request.serverAddress = "2001:db8::1"
        #expect(app.respond(to: request).status == 200)
        request.headers["host"] = "attendance.example"
        #expect(app.respond(to: request).status == 403)
    }

    @Test func theHeartbeatKeepsItsTokenAndNeedsNoLogin() throws {
        let app = try makeApp()
        let heartbeat = request("POST", "/api/heartbeat", on: "192.0.2.7", body: #"{"timestamp":"2024-06-03T10:00:00Z"}"#)
        #expect(app.respond(to: heartbeat).status == 200)
    }

    @Test func anExplicitSettingServesWithoutALogin() throws {
        let base = try makeApp()
        let app = App(database: base.database, config: AppConfig(bearerToken: "t0k", allowWithoutLogin: true, now: { fixedNow }))
        #expect(app.respond(to: request("GET", "/api/settings", on: "192.0.2.7")).status == 200)
    }
}

@Suite struct URLEncodedTests {
    @Test(arguments: [
        ("a+b%20c", "a b c"), ("%E2%82%AC", "€"), ("100%25", "100%"), ("", ""), ("caf%C3%A9", "café"),
    ])
    func escapesAreDecoded(text: String, decoded: String) throws {
        #expect(try URLEncoded.pairs(Array("note=\(text)".utf8), of: "form field").map(\.1) == [decoded])
    }

    @Test(arguments: ["100%25%zz", "a%FFb", "50%", "%4", "%%41", "%C3"])
    func invalidEscapesAreA400NamingTheField(text: String) {
        #expect(throws: HTTPError(400, "form field note is not valid percent-encoded UTF-8")) {
            try URLEncoded.pairs(Array("a=1&note=\(text)".utf8), of: "form field")
        }
    }

    @Test func queryStringsAndFormsShareTheRule() throws {
        let app = try makeApp()
        #expect(send(app, "GET", "/api/summary?year=20%zz").status == 400)
        #expect(send(app, "POST", "/corrections", "date=2024-03-01&minutes=60&note=100%25%zz",
                      headers: ["content-type": "application/x-www-form-urlencoded"]).status == 400)
        #expect(try app.database.corrections().isEmpty)
    }
}

@Suite struct JSONNumberTests {
    @Test(arguments: ["1e-400", "1e400", "-1e400", "99999999999999999999", "5e-999999"])
    func numbersNoFieldCanHoldAreOneRule(number: String) throws {
        let app = try makeApp()
        let response = send(app, "POST", "/api/settings", #"{"opening_balance_minutes":\#(number)}"#)
        #expect(response.status == 422)
        #expect(String(decoding: response.body, as: UTF8.self).contains("out of range"))
    }

    @Test func zeroAndNumbersInStringsAreNotOutOfRange() throws {
        let app = try makeApp()
        #expect(send(app, "POST", "/api/settings", #"{"opening_balance_minutes":0e-999}"#).status != 422)
        #expect(send(app, "POST", "/api/holidays", #"{"date":"2024-12-25","name":"1e400"}"#).status == 201)
    }

    @Test func aBodyThatIsNotAnObjectSaysSo() throws {
        let app = try makeApp()
        for body in ["[1,2]", "\"text\"", "42", "null"] {
            let response = send(app, "POST", "/api/holidays", body)
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains("body must be a JSON object"))
        }
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

/// `/api/schedules`, the simple form in `/api/settings`, and the opening balance. "Now" is
/// Monday 2024-06-03; the fresh database's schedule starts on that day.
@Suite struct ScheduleAPITests {
    func versions(_ app: App) -> [[String: Any]] { jsonArray(send(app, "GET", "/api/schedules")) }

    @Test func versionsAreAddedReplacedAndRemoved() throws {
        let app = try makeApp()
        #expect(versions(app).count == 1)
        #expect(versions(app)[0]["valid_from"] as? String == "2024-06-03")
        #expect(versions(app)[0]["minutes"] as? [String: Int] == ["mon": 480, "tue": 480, "wed": 480, "thu": 480, "fri": 480, "sat": 0, "sun": 0])
        let created = send(app, "POST", "/api/schedules", #"{"valid_from":"2024-07-01","minutes":{"mon":540,"tue":540,"wed":540,"thu":540,"fri":240}}"#)
        #expect(created.status == 201)
        #expect((json(created)["minutes"] as? [String: Int])?["sat"] == 0)  // left out: 0
        #expect(send(app, "POST", "/api/schedules", #"{"valid_from":"2024-07-01","minutes":{"fri":300}}"#).status == 200)
        #expect(versions(app).map { $0["valid_from"] as? String } == ["2024-06-03", "2024-07-01"])
        #expect((versions(app)[1]["minutes"] as? [String: Int])?["mon"] == 0)
        #expect(send(app, "DELETE", "/api/schedules/2024-07-01").status == 204)
        #expect(send(app, "DELETE", "/api/schedules/2024-07-01").status == 404)
        let only = send(app, "DELETE", "/api/schedules/2024-06-03")
        #expect(only.status == 409)
        #expect((json(only)["error"] as? String)?.contains("only one") == true)
        #expect(versions(app).count == 1)
    }

    @Test(arguments: [
        (#"{"valid_from":"2024-07-01","minutes":{"monday":480}}"#, 422),
        (#"{"valid_from":"2024-07-01","minutes":{"mon":1441}}"#, 422),
        (#"{"valid_from":"2024-07-01","minutes":{"mon":-1}}"#, 422),
        (#"{"valid_from":"2024-02-30","minutes":{"mon":480}}"#, 422),
        (#"{"valid_from":"2024-07-01","minutes":{"mon":7.5}}"#, 400),
        (#"{"valid_from":"2024-07-01","minutes":[480]}"#, 400),
        (#"{"valid_from":"2024-07-01"}"#, 400),
        (#"{"minutes":{"mon":480}}"#, 400),
        ("[]", 400),
    ])
    func badVersionsStoreNothing(body: String, status: Int) throws {
        let app = try makeApp()
        let response = send(app, "POST", "/api/schedules", body)
        #expect(response.status == status)
        #expect(json(response)["error"] is String)
        #expect(versions(app).count == 1)
    }

    /// Friday 4 h: 240 expected on Fridays only; the change leaves every earlier date alone.
    @Test func aChangeFromADateAffectsThatDateOnward() throws {
        let app = try makeApp()
        // The fresh version is from 2024-06-03; a period from May moves its start back to
        // 1 May, so a change from 24 May is a change from that date, not a new earliest
        // version that would cover the dates before it.
        _ = send(app, "POST", "/api/settings", #"{"period_start":"2024-05-01"}"#)
        #expect(versions(app).map { $0["valid_from"] as? String } == ["2024-05-01"])
        _ = send(app, "POST", "/api/settings", #"{"period_start":"2024-05-20"}"#)
        #expect(versions(app).map { $0["valid_from"] as? String } == ["2024-05-01"])  // a later start moves nothing
        _ = send(app, "POST", "/api/settings", #"{"period_start":"2024-05-01"}"#)
        let before = jsonArray(send(app, "GET", "/api/days?from=2024-05-01&to=2024-05-31"))
        _ = send(app, "POST", "/api/schedules", #"{"valid_from":"2024-05-24","minutes":{"mon":540,"tue":540,"wed":540,"thu":540,"fri":240}}"#)
        let after = jsonArray(send(app, "GET", "/api/days?from=2024-05-01&to=2024-05-31"))
        for (old, new) in zip(before, after) where (old["date"] as! String) < "2024-05-24" {
            #expect(old["expected"] as? Int == new["expected"] as? Int)
        }
        let expected = after.filter { ($0["date"] as! String) >= "2024-05-24" }.map { $0["expected"] as? Int }
        // Fri 24, Sat, Sun, Mon 27 … Fri 31.
        #expect(expected == [240, 0, 0, 540, 540, 540, 540, 240])
        // A version before every other one becomes the earliest: it covers the dates before it too.
        _ = send(app, "POST", "/api/schedules", #"{"valid_from":"2023-06-01","minutes":{"sun":60}}"#)
        #expect(jsonArray(send(app, "GET", "/api/days?from=2023-01-01&to=2023-01-01"))[0]["working_day"] as? Bool == true)
    }

    @Test func settingsRewriteOnlyTheVersionInForceToday() throws {
        let app = try makeApp()
        _ = send(app, "POST", "/api/schedules", #"{"valid_from":"2024-01-01","minutes":{"mon":420}}"#)
        _ = send(app, "POST", "/api/schedules", #"{"valid_from":"2024-09-01","minutes":{"mon":300}}"#)
        let response = json(send(app, "POST", "/api/settings", #"{"daily_required_minutes":450}"#))
        #expect(response["daily_required_minutes"] as? Int == 450)
        #expect(response["working_days"] as? [String] == ["mon", "tue", "wed", "thu", "fri"])
        let all = versions(app)
        #expect(all.map { ($0["minutes"] as? [String: Int])?["mon"] } == [420, 450, 300])
        #expect(all.map { ($0["minutes"] as? [String: Int])?["fri"] } == [0, 450, 0])
        // Unchecking every day keeps the hours; 0:00 keeps the days.
        _ = send(app, "POST", "/api/settings", #"{"working_days":[]}"#)
        #expect((versions(app)[1]["minutes"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true)
        #expect(json(send(app, "POST", "/api/settings", #"{"working_days":["tue","sat"]}"#))["daily_required_minutes"] as? Int == 450)
        _ = send(app, "POST", "/api/settings", #"{"daily_required_minutes":0}"#)
        let settings = json(send(app, "GET", "/api/settings"))
        #expect(settings["working_days"] as? [String] == ["tue", "sat"])
        #expect(settings["daily_required_minutes"] as? Int == 0)
        #expect(json(send(app, "POST", "/api/settings", #"{"daily_required_minutes":480}"#))["working_days"] as? [String] == ["tue", "sat"])
        // A bad value stores nothing, the schedule included.
        let before = versions(app).map { $0["minutes"] as? [String: Int] }
        #expect(send(app, "POST", "/api/settings", #"{"daily_required_minutes":1441}"#).status == 422)
        #expect(send(app, "POST", "/api/settings", #"{"working_days":["mon"],"period_end":"2000-01-01"}"#).status == 422)
        #expect(versions(app).map { $0["minutes"] as? [String: Int] } == before)
    }

    @Test func openingBalanceAndVacationDaysAreSettings() throws {
        let app = try makeApp()
        let settings = json(send(app, "GET", "/api/settings"))
        #expect(settings["opening_balance_minutes"] as? Int == 0)
        #expect(settings["vacation_days_per_year"] as? Int == 0)
        let changed = json(send(app, "POST", "/api/settings", #"{"opening_balance_minutes":-750,"vacation_days_per_year":24.5}"#))
        #expect(changed["opening_balance_minutes"] as? Int == -750)
        #expect(changed["vacation_days_per_year"] as? Double == 24.5)
        let balance = json(send(app, "GET", "/api/balance?as_of=2024-06-02"))
        #expect(balance["opening"] as? Int == -750)
        #expect(balance["balance"] as? Int == -750)  // the period starts on 2024-06-03
        #expect(json(send(app, "GET", "/api/balance?as_of=2024-06-03"))["balance"] as? Int == -750 - 480)
        #expect(jsonArray(send(app, "GET", "/api/summary")).last?["balance"] as? Int == -750 - 480)
        for bad in [#"{"opening_balance_minutes":1000001}"#, #"{"vacation_days_per_year":24.3}"#, #"{"vacation_days_per_year":367}"#,
                    #"{"vacation_days_per_year":-1}"#] {
            #expect(send(app, "POST", "/api/settings", bad).status == 422, "\(bad)")
        }
        #expect(send(app, "POST", "/api/settings", #"{"opening_balance_minutes":"1:00"}"#).status == 400)
    }
}

/// `/api/absences`, `/api/vacation`, `/api/holidays/import`. "Now" is Monday 2024-06-03,
/// the period starts on 2024-06-03 (a fresh database) and is moved to 2024-01-01 here.
@Suite struct AbsenceAPITests {
    func app() throws -> App {
        let app = try makeApp()
        #expect(send(app, "POST", "/api/settings", #"{"period_start":"2024-01-01","vacation_days_per_year":30}"#).status == 200)
        return app
    }

    @Test func aRangeBooksItsWorkingDaysAndListsTheRest() throws {
        let app = try app()
        _ = send(app, "POST", "/api/holidays", #"{"date":"2024-05-30","name":"Corpus Christi"}"#)
        let response = send(app, "POST", "/api/absences", #"{"from":"2024-05-27","to":"2024-06-02","kind":"vacation","note":"Baltic"}"#)
        #expect(response.status == 201)
        #expect(json(response)["booked"] as? [String] == ["2024-05-27", "2024-05-28", "2024-05-29", "2024-05-31"])
        #expect(json(response)["skipped"] as? [String] == ["2024-05-30", "2024-06-01", "2024-06-02"])
        let listed = jsonArray(send(app, "GET", "/api/absences?from=2024-05-01&to=2024-05-31"))
        #expect(listed.count == 4)
        #expect(listed[0]["kind"] as? String == "vacation" && listed[0]["half_day"] as? Bool == false && listed[0]["note"] as? String == "Baltic")
        let day = jsonArray(send(app, "GET", "/api/days?from=2024-05-27&to=2024-05-27"))[0]
        #expect(day["expected"] as? Int == 0)
        let absence = day["absence"] as? [String: Any]
        #expect(absence?["kind"] as? String == "vacation" && absence?["half_day"] as? Bool == false && absence?.count == 2)
        #expect(jsonArray(send(app, "GET", "/api/days?from=2024-05-30&to=2024-05-30"))[0]["absence"] is NSNull)
        // Replacing: a half sick day on the Tuesday.
        #expect(send(app, "POST", "/api/absences", #"{"from":"2024-05-28","kind":"sick","half_day":true}"#).status == 201)
        #expect(jsonArray(send(app, "GET", "/api/days?from=2024-05-28&to=2024-05-28"))[0]["expected"] as? Int == 240)
        #expect(jsonArray(send(app, "GET", "/api/absences")).count == 4)
        // Vacation: 27, 29, 31 May are past (today is 3 June): 3 taken, none planned.
        let vacation = json(send(app, "GET", "/api/vacation"))
        #expect(vacation["year"] as? Int == 2024 && vacation["allowance"] as? Int == 30)
        #expect(vacation["taken"] as? Int == 3 && vacation["planned"] as? Int == 0 && vacation["remaining"] as? Int == 27)
        _ = send(app, "POST", "/api/absences", #"{"from":"2024-06-04","kind":"vacation","half_day":true}"#)
        #expect(json(send(app, "GET", "/api/vacation?year=2024"))["remaining"] as? Double == 26.5)
        #expect(json(send(app, "GET", "/api/vacation?year=2023"))["taken"] as? Int == 0)
        #expect(send(app, "DELETE", "/api/absences/2024-05-27").status == 204)
        #expect(send(app, "DELETE", "/api/absences/2024-05-27").status == 404)
        #expect(jsonArray(send(app, "GET", "/api/days?from=2024-05-27&to=2024-05-27"))[0]["expected"] as? Int == 480)
    }

    @Test(arguments: [
        (#"{"from":"2024-05-27","kind":"holiday"}"#, 422),
        (#"{"from":"2024-06-01","to":"2024-06-02","kind":"vacation"}"#, 422),  // a weekend: nothing to book
        (#"{"from":"2023-12-27","kind":"vacation"}"#, 422),  // before the period
        (#"{"from":"2024-05-31","to":"2024-05-27","kind":"vacation"}"#, 422),
        (#"{"from":"2024-01-01","to":"2025-01-01","kind":"vacation"}"#, 422),  // 367 days
        (#"{"from":"2024-02-30","kind":"vacation"}"#, 422),
        (#"{"from":"2024-05-27","kind":"vacation","note":"a\u0000b"}"#, 422),
        (#"{"from":"2024-05-27","kind":"vacation","half_day":"yes"}"#, 400),
        (#"{"kind":"vacation"}"#, 400),
        (#"{"from":"2024-05-27"}"#, 400),
    ])
    func refusedBookingsStoreNothing(body: String, status: Int) throws {
        let app = try app()
        let response = send(app, "POST", "/api/absences", body)
        #expect(response.status == status)
        #expect(json(response)["error"] is String)
        #expect(try app.database.absences().isEmpty)
    }

    @Test func aYearOfBookingIsAllowed() throws {
        let app = try app()
        let response = send(app, "POST", "/api/absences", #"{"from":"2024-01-01","to":"2024-12-31","kind":"unpaid"}"#)
        #expect(response.status == 201)
        #expect((json(response)["booked"] as? [String])?.count == 262)  // weekdays of 2024
    }

    @Test func iCalendarFilesImportInOneGo() throws {
        let app = try app()
        _ = send(app, "POST", "/api/holidays", #"{"date":"2025-01-01","name":"Neujahr"}"#)
        let file = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20251003\r\nSUMMARY:Unity\\, Day\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nDTSTART:20251003T100000\r\nSUMMARY:Parade\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let response = send(app, "POST", "/api/holidays/import", file, headers: ["content-type": "text/calendar"])
        #expect(response.status == 200)
        #expect(json(response)["added"] as? Int == 1 && json(response)["renamed"] as? Int == 1)
        let skipped = json(response)["skipped"] as? [[String: String]]
        #expect(skipped?.count == 1 && skipped?[0]["summary"] == "Parade")
        #expect(try app.database.holidays().map(\.name) == ["New Year", "Unity, Day"])
        let again = send(app, "POST", "/api/holidays/import", file)
        #expect(json(again)["added"] as? Int == 0 && json(again)["renamed"] as? Int == 0)
        for bad in ["", "hello", "BEGIN:VCARD\r\nEND:VCARD"] {
            let refused = send(app, "POST", "/api/holidays/import", bad)
            #expect(refused.status == 422, "\(bad)")
        }
        var invalidUTF8 = Array("BEGIN:VCALENDAR\r\n".utf8)
        invalidUTF8.append(0xFF)
        #expect(app.respond(to: Request(method: "POST", path: "/api/holidays/import", body: invalidUTF8)).status == 422)
        #expect(try app.database.holidays().count == 2)
    }
}

@Suite struct DaysJSONTests {
    /// The days are written out by hand: any holiday name must come back as it went in.
    @Test func textInDaysRowsIsEscaped() throws {
        let app = try makeApp()
        let name = "Quote \" back\\slash tab\t line\n bell\u{07} ü 😀 </script>"
        _ = try app.database.apply(SetHoliday(LocalDate("2024-06-04")!, name: name), at: 0)
        let rows = jsonArray(send(app, "GET", "/api/days?from=2024-06-03&to=2024-06-04"))
        #expect(rows.count == 2)
        #expect(rows[1]["holiday"] as? String == name)
        #expect(rows[0]["holiday"] is NSNull && rows[0]["first_start"] is NSNull)
        #expect(Set(rows[0].keys) == ["absence", "breaks", "correction", "date", "effective", "expected", "first_start", "frozen",
                                      "holiday", "last_end", "manual", "recorded", "rule_deduction", "warnings", "worked",
                                      "working_day"])
        _ = post(app, "/api/heartbeat", #"{"timestamp":"2024-06-03T09:15:00+02:00"}"#)
        let day = json(send(app, "GET", "/api/days/2024-06-03"))
        #expect(day["first_start"] as? String == "2024-06-03T09:15:00+02:00" && day["last_end"] as? String == "2024-06-03T09:16:00+02:00")
        #expect((day["sessions"] as? [[String: Any]])?.first?["minutes"] as? Int == 1)
    }
}
