import AttendanceCore
import HTTPMessage
import Storage

/// `POST /api/heartbeat`: an empty body (now), one `{"timestamp", "host"}`, or a batch
/// `{"heartbeats": [...]}`. Every item is validated before anything is stored.
enum HeartbeatHandler {
    static let batchLimit = 10_000
    /// How far ahead of the server's clock a timestamp may be (clock skew).
    static let futureToleranceSeconds: Int64 = 5 * 60
    static let hostLimit = 255

    static func post(_ context: RequestContext) throws -> Response {
        let beats = try parse(context.request, now: context.now)
        let result = try context.database.recordHeartbeats(beats, receivedAt: context.now)
        // Two integers, written out: the busiest answer needs no encoder.
        return Response(status: 200, headers: [("Content-Type", "application/json")],
                        body: Array(#"{"accepted":\#(result.accepted),"duplicates":\#(result.duplicates)}"#.utf8))
    }

    /// Refuses the request unless it carries exactly `Bearer <token>`, compared in constant
    /// time. No token configured means the web server alone guards the endpoint. (With a
    /// people registry, `Whose` finds the person by their token instead.)
    static func checkToken(_ request: Request, _ token: String?) throws {
        guard let token else { return }
        let expected = Array("Bearer \(token)".utf8)
        let given = Array((request.header("authorization") ?? "").utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        guard difference == 0 else {
            throw HTTPError(401, "missing or wrong bearer token", headers: ["WWW-Authenticate": "Bearer"])
        }
    }

    /// A body: one heartbeat's fields, or a batch of them.
    struct Body: Decodable, Equatable {
        var timestamp: String?
        var host: String?
        var heartbeats: [Item]?
    }

    struct Item: Decodable, Equatable {
        var timestamp: String?
        var host: String?
    }

    /// The heartbeats a body asks to store, or the error that refuses all of them.
    static func parse(_ request: Request, now: Int64) throws -> [HeartbeatMinute] {
        if request.body.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return [HeartbeatMinute(minute: floorDiv60(now), host: "")]
        }
        let parsed = try plainBody(request.body) ?? request.decodeJSON(Body.self)
        guard let items = parsed.heartbeats else {
            return [try heartbeat(Item(timestamp: parsed.timestamp, host: parsed.host), now: now, label: "heartbeat")]
        }
        guard items.count <= batchLimit else {
            throw HTTPError(413, "a batch holds at most \(batchLimit) heartbeats; this one has \(items.count)")
        }
        return try items.enumerated().map { index, item in
            try heartbeat(item, now: now, label: "heartbeats[\(index)]")
        }
    }

    /// The bodies agents send — `{"host":"…","timestamp":"…"}` (either key optional, in
    /// either order, whitespace allowed) and `{"heartbeats":[such objects, …]}` — read
    /// without a JSON decoder when their strings hold no escapes and no control characters,
    /// which makes them literal text. Anything else (another key, a repeated key, a number,
    /// `null`, an escape) is nil and goes through `JSONDecoder`, which then decides; for the
    /// bodies read here both give the same `Body` (see the fuzz tests). A batch of 10,000
    /// costs no decoder's intermediate tree: less memory and time for a back-fill.
    static func plainBody(_ body: [UInt8]) -> Body? {
        var reader = PlainJSON(bytes: body)
        var single = Item()
        var heartbeats: [Item]?
        let complete = reader.object { key, reader in
            guard key == "heartbeats" else { return reader.member(key, of: &single) }
            guard heartbeats == nil else { return false }
            heartbeats = reader.items()
            return heartbeats != nil
        }
        return complete && reader.atEnd ? Body(timestamp: single.timestamp, host: single.host, heartbeats: heartbeats) : nil
    }

    /// A cursor over JSON of the plain shape `plainBody` reads.
    struct PlainJSON {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
                index += 1
            }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return index == bytes.count
            }
        }

        /// A string without escapes or control characters.
        mutating func string() -> String? {
            guard expect(0x22) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != 0x22 {
                guard bytes[index] >= 0x20, bytes[index] != 0x5C else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return String(validating: bytes[start..<index], as: UTF8.self)
        }

        /// `{ "key": value, … }`, each value read by `member` (false: not plain).
        mutating func object(_ member: (String, inout PlainJSON) -> Bool) -> Bool {
            guard expect(0x7B) else { return false }
            skipSpace()
            if index < bytes.count, bytes[index] == 0x7D {
                index += 1
                return true
            }
            repeat {
                guard let key = string(), expect(0x3A), member(key, &self) else { return false }
            } while expect(0x2C)
            return expect(0x7D)
        }

        /// `[ item, … ]` of `{"timestamp", "host"}` objects.
        mutating func items() -> [Item]? {
            guard expect(0x5B) else { return nil }
            var items: [Item] = []
            skipSpace()
            if index < bytes.count, bytes[index] == 0x5D {
                index += 1
                return items
            }
            repeat {
                var item = Item()
                guard object({ key, reader in reader.member(key, of: &item) }) else { return nil }
                items.append(item)
            } while expect(0x2C)
            return expect(0x5D) ? items : nil
        }

        /// Reads `key`'s value into `item` when it is one of an item's keys, each once.
        mutating func member(_ key: String, of item: inout Item) -> Bool {
            switch key {
            case "timestamp" where item.timestamp == nil: item.timestamp = string(); return item.timestamp != nil
            case "host" where item.host == nil: item.host = string(); return item.host != nil
            default: return false
            }
        }
    }

    static func heartbeat(_ item: Item, now: Int64, label: String) throws -> HeartbeatMinute {
        var seconds = now
        if let text = item.timestamp {
            guard let parsed = Timestamp.epochSeconds(text) else {
                throw ValidationError(.timestamp, "\(label).timestamp \"\(text)\" is not an RFC 3339 date-time with an offset, like 2024-05-06T09:30:00+02:00")
            }
            guard parsed >= 0 else { throw ValidationError(.timestamp, "\(label).timestamp \(text) is before 1970") }
            guard parsed <= now + futureToleranceSeconds else {
                throw ValidationError(.timestamp, "\(label).timestamp \(text) is more than 5 minutes in the future")
            }
            seconds = parsed
        }
        let host = item.host ?? ""
        try Input.text(host, field: .host, label: "\(label).host", limit: hostLimit)
        return HeartbeatMinute(minute: floorDiv60(seconds), host: host)
    }

    static func floorDiv60(_ seconds: Int64) -> Int64 {
        seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
    }
}
