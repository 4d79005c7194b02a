import Foundation
import HTTPMessage
import Testing
import TestSupport
@testable import FastCGI
@testable import Web


/// Random requests thrown at the whole web layer (params → request → router → handlers →
/// database): whatever comes in, the answer is a status the API names, never a 500 or a crash.
@Suite struct FuzzTests {
    static let paths = ["/api/heartbeat", "/api/settings", "/api/holidays", "/api/holidays/2024-12-25", "/api/corrections",
                        "/api/corrections/2024-02-29", "/api/days", "/api/balance", "/api/summary", "/api/ping", "/",
                        "/dashboard", "/settings", "/settings/holidays", "/settings/holidays/delete", "/corrections",
                        "/corrections/delete", "/api/holidays/", "//api//days", "/api/%00", "/api/holidays/9999-99-99",
                        "/api/schedules", "/api/schedules/2024-05-27", "/api/absences", "/api/absences/2024-05-28",
                        "/api/vacation", "/api/holidays/import", "/absences", "/absences/delete", "/settings/schedule",
                        "/settings/schedule/today", "/settings/schedule/delete", "/settings/holidays/import",
                        "/api/import/activitywatch", "/api/import/csv", "/api/import/csv?timezone=Mars/Base",
                        "/settings/import/activitywatch", "/settings/import/csv"]
    static let fields = ["timestamp", "host", "heartbeats", "period_start", "period_end", "working_days",
                         "daily_required_minutes", "timezone", "date", "name", "minutes", "note", "from", "to",
                         "valid_from", "kind", "half_day", "opening_balance_minutes", "vacation_days_per_year"]
    static let values = ["null", "true", "-1", "0", "1441", "1e308", "7.5", "\"\"", "\"2024-02-29\"", "\"2023-02-29\"",
                         "\"2024-06-03T10:00:00Z\"", "\"2024-06-03T10:00:00\"", "\"Europe/Berlin\"", "\"mon\"", "[]", "{}",
                         "[\"mon\",\"xyz\"]", "\"\\u0000\"", "\"<script>\"", "99999999999999999999", "[{}]", "[1,\"a\"]",
                         "\"vacation\"", "\"comp\"", "{\"mon\":480}", "{\"fri\":1441}", "24.5", "-750"]
    static let allowed: Set<Int> = [200, 201, 204, 303, 400, 401, 403, 404, 405, 409, 413, 422]

    func randomBody(_ g: inout SplitMix64) -> [UInt8] {
        switch Int.random(in: 0..<5, using: &g) {
        case 4:  // well-formed bodies, so that cases get past validation into the database
            return Array([#"{"date":"2024-02-29","name":"x"}"#, #"{"date":"2024-05-28","minutes":60,"note":"n"}"#,
                          #"{"timestamp":"2024-06-03T09:00:00Z","host":"h"}"#, #"{"daily_required_minutes":450}"#,
                          "date=2024-05-29&name=y", "date=2024-05-28&duration=7:30&note=z",
                          #"{"valid_from":"2024-05-29","minutes":{"mon":300}}"#, #"{"from":"2024-05-27","to":"2024-06-07","kind":"sick"}"#,
                          "from=2024-05-28&kind=vacation&half_day=1", "valid_from=2024-05-30&hours_mon=9",
                          "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240530\r\nSUMMARY:x\r\nEND:VEVENT\r\n",
                          "--b\r\nContent-Disposition: form-data; name=\"calendar\"\r\n\r\nBEGIN:VCALENDAR\r\n--b--\r\n",
                          "--b\r\nContent-Disposition: form-data; name=\"calendar\r\n--b",
                          #"{"buckets":{"a":{"type":"afkstatus","hostname":"h","events":[{"timestamp":"2024-06-03T08:00:00Z","duration":600,"data":{"status":"not-afk"}}]}}}"#,
                          "Start date,Start time,End date,End time,Description\n2024-05-28,09:00:00,2024-05-28,10:00:00,x\n",
                          "--b\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"a.csv\"\r\n\r\nStart Date,Start Time,End Date,End Time\r\n--b--\r\n"].randomElement(using: &g)!.utf8)
        case 0:
            return (0..<Int.random(in: 0..<64, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
        case 1:
            let pairs = (0..<Int.random(in: 0..<5, using: &g)).map { _ in
                "\"\(Self.fields.randomElement(using: &g)!)\":\(Self.values.randomElement(using: &g)!)"
            }
            var text = Array("{\(pairs.joined(separator: ","))}".utf8)
            if Bool.random(using: &g), !text.isEmpty {  // then break it a little
                text[Int.random(in: 0..<text.count, using: &g)] = UInt8.random(in: 0...127, using: &g)
            }
            return text
        case 2:
            let items = (0..<Int.random(in: 0..<4, using: &g)).map { _ in
                "{\"timestamp\":\(Self.values.randomElement(using: &g)!),\"host\":\(Self.values.randomElement(using: &g)!)}"
            }
            return Array("{\"heartbeats\":[\(items.joined(separator: ","))]}".utf8)
        default:
            let pairs = (0..<Int.random(in: 0..<5, using: &g)).map { _ in
                "\(Self.fields.randomElement(using: &g)!)=\(["", "7:30", "2024-02-29", "%ZZ", "%00", "mon", "x+y"].randomElement(using: &g)!)"
            }
            return Array(pairs.joined(separator: "&").utf8)
        }
    }

    @Test func noRequestGetsA500() throws {
        let app = try makePageApp()
        var g = SplitMix64(seed: 20_241_124)
        var statusCounts: [Int: Int] = [:]
        defer {
            // The cases reach past the guards: stored records, validation errors, bad JSON.
            for status in [200, 201, 204, 303, 400, 403, 404, 405, 409, 422] {
                #expect(statusCounts[status, default: 0] > 0, "no case answered \(status): \(statusCounts)")
            }
        }
        for round in 0..<6000 {
            var params: [String: String] = [
                "REQUEST_METHOD": ["GET", "GET", "GET", "POST", "POST", "POST", "POST", "POST", "DELETE", "PUT", "HEAD", ""].randomElement(using: &g)!,
                "REQUEST_URI": Self.paths.randomElement(using: &g)! + (Bool.random(using: &g) ? "?from=2024-0\(Int.random(in: 0...9, using: &g))-01&to=2024-12-31&year=\(Int.random(in: -5...10_000, using: &g))&as_of=%2&edit=x" : ""),
                "SERVER_PORT": "8080",
            ]
            if Int.random(in: 0..<6, using: &g) == 0 { params["HTTP_ORIGIN"] = ["null", "http://127.0.0.1:8080", "http://evil", "::"].randomElement(using: &g)! }
            if Int.random(in: 0..<6, using: &g) == 0 { params["HTTP_HOST"] = ["127.0.0.1:8080", "localhost", "[::1", "evil:1", ""].randomElement(using: &g)! }
            if Int.random(in: 0..<4, using: &g) == 0 {
                params["CONTENT_TYPE"] = ["multipart/form-data; boundary=b", "multipart/form-data; boundary=\"\"", "multipart/form-data",
                                          "text/calendar", "application/x-www-form-urlencoded"].randomElement(using: &g)!
            }
            if Int.random(in: 0..<6, using: &g) == 0 { params["HTTP_SEC_FETCH_SITE"] = ["cross-site", "same-origin", "none"].randomElement(using: &g)! }
            let request = FastCGIParams.request(from: params, body: randomBody(&g))
            let response = app.respond(to: request)
            statusCounts[response.status, default: 0] += 1
            #expect(Self.allowed.contains(response.status), "round \(round): \(params) → \(response.status) \(String(decoding: response.body, as: UTF8.self).prefix(200))")
            if request.path.hasPrefix("/api/") && response.status >= 400 {
                let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
                #expect(object?["error"] is String, "round \(round): \(params)")
            }
        }
    }

    @Test func fastCGIParamsAndFormsTakeAnyBytes() {
        var g = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let random = { (g: inout SplitMix64) in
                String(decoding: (0..<Int.random(in: 0..<40, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }, as: UTF8.self)
            }
            let params = ["REQUEST_URI": random(&g), "QUERY_STRING": random(&g), "HTTP_\(random(&g))": random(&g),
                          "REQUEST_METHOD": random(&g), "SERVER_PORT": random(&g)]
            let request = FastCGIParams.request(from: params, body: Array(random(&g).utf8))
            // Any bytes either decode or are a 400, never a crash and never raw.
            for decode in [{ _ = try request.queryItems }, { _ = try Form(request) }] {
                do { try decode() } catch { #expect((error as? HTTPError)?.status == 400) }
            }
            #expect(FastCGIParams.headerSafe(random(&g)).unicodeScalars.allSatisfy { $0 != "\r" && $0 != "\n" })
        }
    }

    /// The heartbeat body read without a decoder gives exactly what `JSONDecoder` gives,
    /// whenever it reads one at all; and it does read the agent's and the usual shapes.
    @Test func plainHeartbeatBodiesReadAsTheDecoderReadsThem() throws {
        let pieces = ["{", "}", "\"host\"", "\"timestamp\"", "\"heartbeats\"", "\"x\"", ":", ",", " ", "\n", "\"\"",
                      "\"laptop\"", "\"2024-06-03T09:00:00Z\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"é\"", "null", "1", "[]",
                      "\"\u{1}\"", "\"\\\\\"", "[", "]"]
        var g = SplitMix64(seed: 11)
        func object(_ g: inout SplitMix64, keys: [String]) -> String {
            let pairs = (0..<Int.random(in: 0..<4, using: &g)).map { _ in
                keys.randomElement(using: &g)! + ":" + pieces[10...].randomElement(using: &g)!
            }
            return "{" + pairs.joined(separator: [",", " , ", ",\n"].randomElement(using: &g)!) + "}"
        }
        var read = 0, batches = 0
        for round in 0..<30_000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:  // a well-formed object of some of the pieces, sometimes broken
                bytes = Array(object(&g, keys: [pieces[2], pieces[3], pieces[5], pieces[10]]).utf8)
            case 1:  // a batch of such objects, sometimes with another key or broken
                let items = (0..<Int.random(in: 0..<4, using: &g)).map { _ in object(&g, keys: [pieces[2], pieces[3], pieces[3], pieces[5]]) }
                let extra = Bool.random(using: &g) ? "" : [#","host":"h""#, #","heartbeats":[]"#, ",\"x\":1"].randomElement(using: &g)!
                bytes = Array((#"{"heartbeats":["# + items.joined(separator: ",") + "]" + extra + "}").utf8)
            default:
                bytes = Array((0..<Int.random(in: 1..<9, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined().utf8)
            }
            if round % 3 != 2, Bool.random(using: &g) {
                bytes.insert(UInt8.random(in: 0...255, using: &g), at: Int.random(in: 0...bytes.count, using: &g))
            }
            let decoded = try? JSONDecoder().decode(HeartbeatHandler.Body.self, from: Data(bytes))
            guard let plain = HeartbeatHandler.plainBody(bytes) else { continue }
            read += 1
            if plain.heartbeats != nil { batches += 1 }
            #expect(decoded == plain, "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(read > 2000 && batches > 1000, "read \(read), batches \(batches)")
        typealias Item = HeartbeatHandler.Item
        #expect(HeartbeatHandler.plainBody(Array(#"{"host":"laptop","timestamp":"2024-06-03T09:00:00+02:00"}"#.utf8))
                == HeartbeatHandler.Body(timestamp: "2024-06-03T09:00:00+02:00", host: "laptop"))
        #expect(HeartbeatHandler.plainBody(Array(#" { "timestamp" : "2024-06-03T09:00:00Z" } "#.utf8))
                == HeartbeatHandler.Body(timestamp: "2024-06-03T09:00:00Z"))
        #expect(HeartbeatHandler.plainBody(Array(#"{"heartbeats":[{"timestamp":"2024-06-03T09:00:00Z","host":"a"},{"host":"b"}]}"#.utf8))
                == HeartbeatHandler.Body(heartbeats: [Item(timestamp: "2024-06-03T09:00:00Z", host: "a"), Item(host: "b")]))
        #expect(HeartbeatHandler.plainBody(Array(#"{"host":"a\"b"}"#.utf8)) == nil)
        #expect(HeartbeatHandler.plainBody(Array(#"{"host":"a","host":"b"}"#.utf8)) == nil)
        #expect(HeartbeatHandler.plainBody(Array(#"{"heartbeats":[{"host":1}]}"#.utf8)) == nil)
    }

}
