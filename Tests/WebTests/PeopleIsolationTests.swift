import AttendanceCore
import Foundation
import HTTPMessage
import Storage
import Testing
@testable import Web

/// A server kept by three people (SPEC rule 13): owner (an admin), anna and bob, each
/// with their own database file, behind one `App` as the responder serves them.
final class ThreePeople {
    let app: App
    let registry: PeopleRegistry
    let bob: Person
    let anna: Person
    let owner: Person
    /// Bob's ids, to be tried by the others.
    var bobsEntry: Int64 = 0
    var bobsBooking: Int64 = 0
    /// Words only Bob's data holds.
    static let markers = ["bobholiday", "bobnote", "bobhost", "Secretname"]

    init() throws {
        let folder = NSTemporaryDirectory() + "three-people-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/attendance.sqlite"
        let fresh = Settings.fresh(today: LocalDate("2024-06-03")!, timezone: Zone(identifier: "Europe/Berlin")!)
        let first = try AppDatabase.open(path: path, fresh: fresh)
        registry = PeopleRegistry(database: path)
        try registry.setUp(token: "t-owner", webFolder: folder, now: fixedNow)
        anna = try registry.add("anna", admin: false, fresh: fresh, now: fixedNow)
        bob = try registry.add("bob", admin: false, fresh: fresh, now: fixedNow)
        owner = try registry.people().first { $0.name == "owner" }!
        let people = try PeopleDirectory(registry: registry, fresh: fresh, pinned: first)
        app = App(database: first, people: people, config: AppConfig(bearerToken: nil, now: { fixedNow }),
                  pages: try Pages(directory: templatesDirectory))
        try fillBob()
    }

    func call(_ method: String, _ path: String, query: String = "", body: String = "", login: String?,
              form: Bool = false, authorization: String? = nil) -> Response {
        var headers: [String: String] = ["content-type": form ? "application/x-www-form-urlencoded" : "application/json"]
        if let authorization { headers["authorization"] = authorization }
        return app.respond(to: Request(method: method, path: path, query: query, headers: headers, body: Array(body.utf8),
                                       serverAddress: "127.0.0.1", remoteUser: login))
    }

    /// Something of every kind in Bob's time.
    private func fillBob() throws {
        func expect(_ response: Response, _ status: Int, _ what: String) throws {
            guard response.status == status else {
                throw SetUpFailed(why: "\(what): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
            }
        }
        try expect(call("POST", "/api/settings", body: #"{"period_start":"2024-01-01","name":"Bob Secretname"}"#, login: "bob"), 200, "settings")
        try expect(call("POST", "/api/holidays", body: #"{"date":"2024-05-01","name":"bobholiday"}"#, login: "bob"), 201, "holiday")
        try expect(call("POST", "/api/corrections", body: #"{"date":"2024-05-02","minutes":60,"note":"bobnote-correction"}"#, login: "bob"), 201, "correction")
        try expect(call("POST", "/api/absences", body: #"{"from":"2024-05-06","kind":"vacation","note":"bobnote-absence"}"#, login: "bob"), 201, "absence")
        try expect(call("POST", "/api/schedules", body: #"{"valid_from":"2024-02-01","minutes":{"mon":420,"tue":420}}"#, login: "bob"), 201, "schedule")
        let entry = call("POST", "/api/entries", body: #"{"start":"2024-05-03T08:00:00+02:00","end":"2024-05-03T10:00:00+02:00","note":"bobnote-entry"}"#, login: "bob")
        try expect(entry, 201, "entry")
        bobsEntry = try #require(json(entry)["id"] as? Int).int64
        let booking = call("POST", "/api/bookings", body: #"{"date":"2024-05-07","kind":"payout","minutes":-60,"note":"bobnote-booking"}"#, login: "bob")
        try expect(booking, 201, "booking")
        bobsBooking = try #require(json(booking)["id"] as? Int).int64
        try expect(call("POST", "/api/heartbeat", body: #"{"timestamp":"2024-05-03T12:00:00Z","host":"bobhost"}"#, login: nil,
                        authorization: "Bearer \(bob.token)"), 200, "heartbeat")
        try expect(call("POST", "/api/months/2024-01/sign", login: "bob"), 201, "signing")
    }

    /// Everything of Bob's, as an export at a fixed moment: equal means nothing of his changed.
    func bobsFingerprint() throws -> Data {
        let (database, _) = try app.people!.database(of: bob)
        return try database.exportDocument(at: fixedNow)
    }
}

extension Int { var int64: Int64 { Int64(self) } }

struct SetUpFailed: Error { let why: String }

@Suite(.serialized) struct PeopleIsolationTests {
    /// Every route of the route table, with what to send it: Bob's dates, ids and months
    /// in its path, its query and its body. A route added to the table without a case
    /// here fails `everyRouteHasACase`.
    static func cases(_ server: ThreePeople) -> [String: (path: String, body: String, form: Bool)] {
        let entry = server.bobsEntry, booking = server.bobsBooking
        return [
            "POST /api/heartbeat": ("/api/heartbeat", "", false),
            "GET /api/ping": ("/api/ping", "", false),
            "GET /api/settings": ("/api/settings", "", false),
            "POST /api/settings": ("/api/settings", #"{"name":"Anna"}"#, false),
            "GET /api/schedules": ("/api/schedules", "", false),
            "POST /api/schedules": ("/api/schedules", #"{"valid_from":"2024-02-01","minutes":{"mon":60}}"#, false),
            "DELETE /api/schedules/{date}": ("/api/schedules/2024-02-01", "", false),
            "GET /api/absences": ("/api/absences", "", false),
            "POST /api/absences": ("/api/absences", #"{"from":"2024-05-06","kind":"sick"}"#, false),
            "DELETE /api/absences/{date}": ("/api/absences/2024-05-06", "", false),
            "GET /api/vacation": ("/api/vacation", "", false),
            "GET /api/holidays": ("/api/holidays", "", false),
            "POST /api/holidays": ("/api/holidays", #"{"date":"2024-05-01","name":"renamed"}"#, false),
            "DELETE /api/holidays/{date}": ("/api/holidays/2024-05-01", "", false),
            "POST /api/holidays/import": ("/api/holidays/import", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", false),
            "POST /api/import/activitywatch": ("/api/import/activitywatch", #"{"buckets":{}}"#, false),
            "POST /api/import/csv": ("/api/import/csv", "Start date,Start time,End date,End time\n", false),
            "GET /api/corrections": ("/api/corrections", "", false),
            "POST /api/corrections": ("/api/corrections", #"{"date":"2024-05-02","minutes":1}"#, false),
            "DELETE /api/corrections/{date}": ("/api/corrections/2024-05-02", "", false),
            "GET /api/entries": ("/api/entries", "", false),
            "POST /api/entries": ("/api/entries", #"{"start":"2024-05-03T08:00:00+02:00","end":"2024-05-03T09:00:00+02:00"}"#, false),
            "POST /api/entries/{id}/stop": ("/api/entries/\(entry)/stop", "{}", false),
            "DELETE /api/entries/{id}": ("/api/entries/\(entry)", "", false),
            "GET /api/days": ("/api/days", "", false),
            "GET /api/days/{date}": ("/api/days/2024-05-03", "", false),
            "GET /api/balance": ("/api/balance", "", false),
            "GET /api/summary": ("/api/summary", "", false),
            "GET /api/export": ("/api/export", "", false),
            "POST /api/import": ("/api/import", "{}", false),
            "GET /api/bookings": ("/api/bookings", "", false),
            "POST /api/bookings": ("/api/bookings", #"{"date":"2024-05-07","kind":"payout","minutes":-1,"note":"x"}"#, false),
            "DELETE /api/bookings/{id}": ("/api/bookings/\(booking)", "", false),
            "GET /api/months": ("/api/months", "", false),
            "GET /api/months/{month}": ("/api/months/2024-01", "", false),
            "POST /api/months/{month}/sign": ("/api/months/2024-01/sign", "", false),
            "POST /api/months/{month}/unsign": ("/api/months/2024-01/unsign", #"{"reason":"because of a test here"}"#, false),
            "GET /": ("/", "", false),
            "GET /dashboard": ("/dashboard", "", false),
            "POST /dashboard/away/start": ("/dashboard/away/start", "", true),
            "POST /dashboard/away/stop": ("/dashboard/away/stop", "", true),
            "GET /days/{date}": ("/days/2024-05-03", "", false),
            "POST /days/{date}/entries": ("/days/2024-05-03/entries", "start=08:00&end=09:00&note=x", true),
            "POST /days/{date}/entries/delete": ("/days/2024-05-03/entries/delete", "id=\(entry)", true),
            "GET /report": ("/report", "", false),
            "POST /report/sign": ("/report/sign", "month=2024-01", true),
            "POST /report/unsign": ("/report/unsign", "month=2024-01&reason=because+of+a+test+here", true),
            "GET /export/days.csv": ("/export/days.csv", "", false),
            "GET /absences": ("/absences", "", false),
            "POST /absences": ("/absences", "from=2024-05-06&kind=sick", true),
            "POST /absences/delete": ("/absences/delete", "date=2024-05-06", true),
            "GET /settings": ("/settings", "", false),
            "POST /settings": ("/settings", "name=x", true),
            "POST /settings/schedule/today": ("/settings/schedule/today", "hours=1", true),
            "POST /settings/schedule": ("/settings/schedule", "valid_from=2024-02-01&mon=1", true),
            "POST /settings/schedule/delete": ("/settings/schedule/delete", "valid_from=2024-02-01", true),
            "POST /settings/holidays": ("/settings/holidays", "date=2024-05-01&name=x", true),
            "POST /settings/holidays/delete": ("/settings/holidays/delete", "date=2024-05-01", true),
            "POST /settings/holidays/import": ("/settings/holidays/import", "", true),
            "POST /settings/import": ("/settings/import", "", true),
            "POST /settings/import/activitywatch": ("/settings/import/activitywatch", "", true),
            "POST /settings/import/csv": ("/settings/import/csv", "", true),
            "POST /settings/bookings": ("/settings/bookings", "date=2024-05-07&kind=payout&hours=-1&note=x", true),
            "POST /settings/bookings/delete": ("/settings/bookings/delete", "id=\(booking)", true),
            "GET /people": ("/people", "", false),
            "GET /corrections": ("/corrections", "", false),
            "POST /corrections": ("/corrections", "date=2024-05-02&duration=1:00", true),
            "POST /corrections/delete": ("/corrections/delete", "date=2024-05-02", true),
        ]
    }

    static let query = "from=2024-01-01&to=2024-06-30&year=2024&month=2024-05&as_of=2024-06-02"

    static func key(_ route: Router.Route) -> String { "\(route.method) \(route.pattern.joined(separator: "/"))" }

    static func text(_ response: Response) -> String { String(decoding: (try? response.collected()) ?? [], as: UTF8.self) }

    @Test func everyRouteHasACase() throws {
        let server = try ThreePeople()
        let keys = Set(Router.routes.map(Self.key))
        let cases = Set(Self.cases(server).keys)
        #expect(keys.subtracting(cases).isEmpty, "routes without an isolation case: \(keys.subtracting(cases).sorted())")
        #expect(cases.subtracting(keys).isEmpty, "cases of no route: \(cases.subtracting(keys).sorted())")
    }

    /// Bob's own view holds the markers: the walk below can see them if they leak.
    @Test func bobSeesHisOwnData() throws {
        let server = try ThreePeople()
        for path in ["/api/holidays", "/api/corrections", "/api/entries", "/api/bookings", "/api/absences", "/report", "/corrections", "/api/export"] {
            let response = server.call("GET", path, query: Self.query, login: "bob")
            #expect(response.status == 200, "\(path)")
            #expect(ThreePeople.markers.contains { Self.text(response).contains($0) }, "\(path)")
        }
    }

    /// Anna, with her own login, walks every route with Bob's dates, ids and months: no
    /// answer holds anything of Bob's, and nothing of Bob's changes.
    @Test func annaWithBobsIdsAndDatesFindsNoneOfBobsDataAndWritesNoneOfIt() throws {
        let server = try ThreePeople()
        let before = try server.bobsFingerprint()
        for route in Router.routes {
            let test = Self.cases(server)[Self.key(route)]!
            let token = route.access == .token ? "Bearer \(server.anna.token)" : nil
            let response = server.call(route.method, test.path, query: Self.query, body: test.body, login: "anna",
                                       form: test.form, authorization: token)
            let body = Self.text(response)
            #expect(response.status < 500, "\(Self.key(route)): \(response.status) \(body)")
            for marker in ThreePeople.markers { #expect(!body.contains(marker), "\(Self.key(route)) shows \(marker)") }
            #expect(try server.bobsFingerprint() == before, "\(Self.key(route)) changed Bob's data")
        }
    }

    /// A person who is no admin may not name another (403), whatever the route.
    @Test func annaCannotNameBob() throws {
        let server = try ThreePeople()
        let before = try server.bobsFingerprint()
        for route in Router.routes where route.access == .login {
            let test = Self.cases(server)[Self.key(route)]!
            let response = server.call(route.method, test.path, query: Self.query + "&person=bob", body: test.body,
                                       login: "anna", form: test.form)
            #expect(response.status == 403, "\(Self.key(route))")
            #expect(ThreePeople.markers.allSatisfy { !Self.text(response).contains($0) })
        }
        #expect(try server.bobsFingerprint() == before)
    }

    /// The admin reads Bob's pages (`?person=bob`) and every write to them is refused.
    @Test func theAdminReadsBobsTimeAndChangesNothing() throws {
        let server = try ThreePeople()
        let before = try server.bobsFingerprint()
        for route in Router.routes where route.access == .login {
            let test = Self.cases(server)[Self.key(route)]!
            let response = server.call(route.method, test.path, query: Self.query + "&person=bob", body: test.body,
                                       login: "owner", form: test.form)
            if route.method == "GET" {
                #expect([200, 303].contains(response.status), "\(Self.key(route)): \(response.status)")
            } else {
                #expect(response.status == 403, "\(Self.key(route)): \(response.status)")
                #expect(Self.text(response).contains("read-only"))
            }
        }
        #expect(try server.bobsFingerprint() == before)
        let report = server.call("GET", "/report", query: "month=2024-05&person=bob", login: "owner")
        #expect(Self.text(report).contains("bobholiday"))
        #expect(Self.text(report).contains("read-only"))
        // Links and forms stay on Bob's time; a form sent from there is refused.
        #expect(Self.text(report).contains("href=\"/report?month=2024-04&amp;person=bob\""), "\(Self.text(report).components(separatedBy: "href=").dropFirst().map { $0.prefix(50) })")
        #expect(!Self.text(report).contains("action=\"/report/sign\""))
        let redirect = server.call("GET", "/", query: "person=bob", login: "owner")
        #expect(redirect.status == 303 && redirect.headers.contains { $0 == ("Location", "/dashboard?person=bob") })
        #expect(server.call("GET", "/dashboard", query: "person=nobody", login: "owner").status == 404)
        // The admin's own pages are their own.
        #expect(!Self.text(server.call("GET", "/report", query: "month=2024-05", login: "owner")).contains("bobholiday"))
    }

    @Test func theOverviewIsTheAdminsAlone() throws {
        let server = try ThreePeople()
        let page = server.call("GET", "/people", login: "owner")
        #expect(page.status == 200)
        let html = Self.text(page)
        for name in ["anna", "bob", "owner"] { #expect(html.contains("data-person=\"\(name)\"")) }
        #expect(html.contains("href=\"/dashboard?person=bob\""))
        #expect(html.contains(">2024-01<"))  // Bob's latest signed month
        #expect(html.contains("2024-05-03 14:00"))  // his latest heartbeat, on his clock
        #expect(html.contains("<a href=\"/people\""))  // the admin's navigation has People
        #expect(server.call("GET", "/people", login: "anna").status == 403)
        #expect(!Self.text(server.call("GET", "/dashboard", login: "anna")).contains("href=\"/people\""))
    }

    @Test func loginsAndTokensDecideWhoseTimeItIs() throws {
        let server = try ThreePeople()
        // Several people: a login even on loopback, one that names a person, and heartbeats by token.
        let anonymous = server.call("GET", "/dashboard", login: nil)
        #expect(anonymous.status == 401)
        #expect(anonymous.headers.contains { $0.0 == "WWW-Authenticate" && $0.1.hasPrefix("Basic") })
        let stranger = server.call("GET", "/api/settings", login: "mallory")
        #expect(stranger.status == 403 && Self.text(stranger).contains("names no person"))
        #expect(server.call("POST", "/api/heartbeat", login: nil, authorization: "Bearer nope").status == 401)
        #expect(server.call("POST", "/api/heartbeat", login: "bob", authorization: nil).status == 401)
        let annas = server.call("POST", "/api/heartbeat", body: #"{"timestamp":"2024-06-03T08:00:00Z","host":"annahost"}"#,
                                login: nil, authorization: "Bearer \(server.anna.token)")
        #expect(annas.status == 200)
        let days = Self.text(server.call("GET", "/api/days", query: "from=2024-06-03&to=2024-06-03", login: "anna"))
        #expect(days.contains(#""recorded":1"#))
        #expect(Self.text(server.call("GET", "/api/days", query: "from=2024-06-03&to=2024-06-03", login: "bob")).contains(#""recorded":0"#))
        // A new token works at once for the responder, and the old one no longer does.
        let renewed = try server.registry.newToken(for: "anna")
        server.app.people!.refresh(now: fixedNow + 5)
        #expect(server.call("POST", "/api/heartbeat", login: nil, authorization: "Bearer \(server.anna.token)").status == 401)
        #expect(server.call("POST", "/api/heartbeat", login: nil, authorization: "Bearer \(renewed.token)").status == 200)
    }
}
