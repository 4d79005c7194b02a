import AttendanceCore
import Foundation
import HTTPMessage
import Storage
import Testing
@testable import Web

/// 2024-06-03T10:00:00Z, a Monday.
let fixedNow: Int64 = 1_717_408_800

func makeApp(token: String? = "t0k") throws -> App {
    let database = try AppDatabase.inMemory(fresh: .fresh(today: LocalDate("2024-06-03")!, timezone: Zone(identifier: "Europe/Berlin")!))
    return App(database: database, config: AppConfig(bearerToken: token, now: { fixedNow }))
}

func post(_ app: App, _ path: String, _ body: String, authorization: String? = "Bearer t0k") -> Response {
    var headers: [String: String] = [:]
    if let authorization { headers["authorization"] = authorization }
    return app.respond(to: Request(method: "POST", path: path, headers: headers, body: Array(body.utf8)))
}

func json(_ response: Response) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
}

@Suite struct HeartbeatHandlerTests {
    @Test func emptyBodyRecordsTheCurrentMinute() throws {
        let app = try makeApp()
        let response = post(app, "/api/heartbeat", "")
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"accepted":1,"duplicates":0}"#)
        let today = LocalDate("2024-06-03")!
        #expect(try app.database.recordedMinutes(from: today, to: today) == [today: 1])
    }

    @Test func singleAndBatchBodiesAreCountedWithDuplicates() throws {
        let app = try makeApp()
        #expect(json(post(app, "/api/heartbeat", #"{"timestamp":"2024-06-03T09:00:30+02:00","host":"laptop"}"#))["accepted"] as? Int == 1)
        let batch = #"{"heartbeats":[{"timestamp":"2024-06-03T07:00:00Z","host":"laptop"},{"timestamp":"2024-06-03T07:01:00Z","host":"laptop"},{"timestamp":"2024-06-03T07:01:59Z","host":"desktop"}]}"#
        let answer = json(post(app, "/api/heartbeat", batch))
        #expect(answer["accepted"] as? Int == 2)
        #expect(answer["duplicates"] as? Int == 1)
        let day = LocalDate("2024-06-03")!
        #expect(try app.database.recordedMinutes(from: day, to: day) == [day: 2])
    }

    @Test(arguments: [
        ("{not json", 400), ("[1,2]", 400), (#""text""#, 400), (#"{"timestamp":12}"#, 400),
        (#"{"host":false}"#, 400), (#"{"heartbeats":{}}"#, 400), (#"{"heartbeats":[1]}"#, 400),
        (#"{"timestamp":"2024-06-03T09:00:00"}"#, 422), (#"{"timestamp":"2024-02-30T09:00:00Z"}"#, 422),
        (#"{"timestamp":"2024-06-03T10:05:01Z"}"#, 422), (#"{"timestamp":"1969-12-31T23:59:59Z"}"#, 422),
        ("{\"host\":\"\(String(repeating: "h", count: 256))\"}", 422),
    ])
    func badBodiesAreRefusedAndStoreNothing(body: String, status: Int) throws {
        let app = try makeApp()
        let response = post(app, "/api/heartbeat", body)
        #expect(response.status == status)
        #expect(json(response)["error"] is String)
        #expect(try app.database.heartbeatCount() == 0)
    }

    @Test func fiveMinutesAheadIsStillAccepted() throws {
        let app = try makeApp()
        #expect(post(app, "/api/heartbeat", #"{"timestamp":"2024-06-03T10:05:00Z"}"#).status == 200)
    }

    @Test func aBatchWithOneBadItemStoresNothing() throws {
        let app = try makeApp()
        let response = post(app, "/api/heartbeat", #"{"heartbeats":[{"timestamp":"2024-06-03T07:00:00Z"},{"timestamp":"yesterday"}]}"#)
        #expect(response.status == 422)
        #expect((json(response)["error"] as? String)?.contains("heartbeats[1]") == true)
        #expect(try app.database.heartbeatCount() == 0)
    }

    @Test func batchesOverTenThousandAreTooLarge() throws {
        let app = try makeApp()
        let items = Array(repeating: "{}", count: 10_001).joined(separator: ",")
        #expect(post(app, "/api/heartbeat", "{\"heartbeats\":[\(items)]}").status == 413)
        let full = Array(repeating: "{}", count: 10_000).joined(separator: ",")
        #expect(json(post(app, "/api/heartbeat", "{\"heartbeats\":[\(full)]}"))["duplicates"] as? Int == 9_999)
    }

    @Test(arguments: [nil, "bearer t0k", "Bearer t0kX", "Bearer t0", "Bearer  t0k", "t0k"])
    func theResponderChecksTheTokenWhenItKnowsIt(authorization: String?) throws {
        let app = try makeApp()
        let response = post(app, "/api/heartbeat", "", authorization: authorization)
        #expect(response.status == 401)
        #expect(try app.database.heartbeatCount() == 0)
    }

    @Test func withoutAConfiguredTokenTheWebServerAloneGuards() throws {
        let app = try makeApp(token: nil)
        #expect(post(app, "/api/heartbeat", "", authorization: nil).status == 200)
    }

    @Test func routingIsExact() throws {
        let app = try makeApp()
        for path in ["/API/heartbeat", "/api/heartbeat/", "//api/heartbeat", "/api/heart%62eat"] {
            #expect(post(app, path, "").status == 404, "\(path)")
        }
        let get = app.respond(to: Request(method: "GET", path: "/api/heartbeat"))
        #expect(get.status == 405)
        #expect(get.headers.contains { $0.0 == "Allow" && $0.1 == "POST" })
        #expect(try app.database.heartbeatCount() == 0)
    }
}
