import AttendanceCore
import Foundation
import HTTPMessage
import Storage
import Testing
@testable import Web

/// `/api/export`, `/api/import` and the damaged database (SPEC §6) through the handlers, in process.
@Suite struct DataAPITests {
    @Test func anExportGoesIntoAnEmptyDatabaseAndNotIntoAFullOne() throws {
        let app = try makeSigningApp()
        #expect(send(app, "POST", "/api/months/2024-03/sign").status == 201)
        #expect(send(app, "POST", "/api/bookings", #"{"date":"2024-04-30","kind":"payout","minutes":-60,"note":"paid"}"#).status == 201)
        let export = send(app, "GET", "/api/export")
        #expect(export.status == 200)
        #expect(export.headers.contains { $0 == ("Content-Disposition", "attachment; filename=\"attendance-2024-06-03.json\"") })
        let empty = try makeApp()
        let document = String(decoding: try export.collected(), as: UTF8.self)
        let imported = send(empty, "POST", "/api/import", document)
        #expect(imported.status == 200, "\(text(imported))")
        #expect(json(imported)["signed_months"] as? Int == 1)
        for path in ["/api/days?from=2024-02-20&to=2024-06-03", "/api/months?year=2024", "/api/months/2024-03", "/api/balance", "/api/summary?year=2024"] {
            #expect(text(send(empty, "GET", path)) == text(send(app, "GET", path)), "\(path)")
        }
        let again = send(empty, "POST", "/api/import", document)
        #expect(again.status == 409 && text(again).contains("empty database"))
        #expect(send(try makeApp(), "POST", "/api/import", "{\"format\":").status == 400)
        #expect(send(try makeApp(), "POST", "/api/import", "{}").status == 422)
    }

    @Test func aDamagedDatabaseIsA503EverywhereHeartbeatsIncluded() throws {
        let app = App(database: AppDatabase.damaged(path: "/nonexistent/attendance.sqlite", why: "quick_check failed: test"),
                      config: AppConfig(bearerToken: nil, now: { fixedNow }), pages: try Pages(directory: templatesDirectory))
        for (method, path) in [("GET", "/api/settings"), ("GET", "/api/ping"), ("POST", "/api/heartbeat"), ("GET", "/api/export")] {
            let response = send(app, method, path)
            #expect(response.status == 503)
            #expect(response.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/json" })
            #expect((json(response)["error"] as? String)?.contains("attendance-fcgi restore") == true)
        }
        let page = send(app, "GET", "/dashboard")
        #expect(page.status == 503 && text(page).contains("The database is damaged"))
    }
}
