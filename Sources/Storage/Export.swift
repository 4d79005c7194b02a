import AttendanceCore
import Foundation
import GRDB
import JSONText

/// `GET /api/export` and `POST /api/import` (SPEC §6): everything of one person as one
/// JSON document — every fact table row for row, history included, and the heartbeats —
/// and back into an empty database, giving the same figures and the same digests.
///
/// The document: `format` ("attendance-export"), `version` (1), `exported_at`, one member
/// per fact (`settings` an object; `schedules`, `holidays`, `absences`, `corrections`,
/// `entries`, `bookings`, `signed_months` (each with its `snapshot`, the exact signed
/// text), `signed_days`, `month_events`, `change_log`: arrays of objects whose fields are
/// the stored columns), `heartbeats` as `[minute, host, received_at]` triples, and
/// `digest`: the lowercase hex SHA-256 of the canonical JSON (RFC 8785) of the document
/// without its `digest`. An import checks the digest when there is one, so a document
/// damaged on the way is refused whole; derived data (the per-day cache, the current
/// corrections) is recounted, never imported.
public enum ExportDocument {
    public static let format = "attendance-export"
    public static let version = 1

    /// A member of the document: its key, the table behind it, its order.
    struct Member {
        let key: String
        let table: String
        let order: String
    }

    static let members: [Member] = [
        Member(key: "schedules", table: "schedule", order: "valid_from"),
        Member(key: "holidays", table: "holiday", order: "date"),
        Member(key: "absences", table: "absence", order: "date"),
        Member(key: "corrections", table: "correction", order: "id"),
        Member(key: "entries", table: "entry", order: "id"),
        Member(key: "bookings", table: "booking", order: "id"),
        Member(key: "signed_months", table: "signed_month", order: "month"),
        Member(key: "signed_days", table: "signed_day", order: "date"),
        Member(key: "month_events", table: "month_event", order: "id"),
        Member(key: "change_log", table: "change_log", order: "id"),
    ]

    /// The canonical JSON (RFC 8785) of a value as `DocumentReader` reads it (objects,
    /// arrays, strings, whole numbers, null); nil for anything else (a fraction, a
    /// boolean), which no member holds.
    static func canonical(_ value: Any) -> String? {
        switch value {
        case is NSNull: return "null"
        case let text as String: return JSONText.quoted(text)
        case let integer as Int64: return String(integer)
        case let array as [Any]:
            var parts: [String] = []
            parts.reserveCapacity(array.count)
            for element in array {
                guard let part = canonical(element) else { return nil }
                parts.append(part)
            }
            return "[" + parts.joined(separator: ",") + "]"
        case let object as [String: Any]:
            var parts: [String] = []
            for key in object.keys.sorted(by: { $0.utf16.lexicographicallyPrecedes($1.utf16) }) {
                guard let part = canonical(object[key]!) else { return nil }
                parts.append(JSONText.quoted(key) + ":" + part)
            }
            return "{" + parts.joined(separator: ",") + "}"
        default: return nil
        }
    }
}

extension AppDatabase {
    /// The whole database as an export document (`ExportDocument`), read in one
    /// transaction so it is one moment's state, handed to `write` in pieces of about
    /// 64 KiB: the heartbeats of years never sit in memory at once.
    public func exportDocument(at now: Int64, write: ([UInt8]) -> Void) throws {
        try withoutActuallyEscaping(write) { write in try exportDocument(at: now, escaping: write) }
    }

    private func exportDocument(at now: Int64, escaping write: @escaping ([UInt8]) -> Void) throws {
        try writer.read { db in
            var out = ExportWriter(write)
            // Members in the canonical order (keys sorted), so the digest is taken as they go.
            var members: [(String, (inout ExportWriter) throws -> Void)] = [
                ("exported_at", { $0.append(JSONText.quoted(Zone.resolving("UTC").rfc3339(minute: now / 60))) }),
                ("format", { $0.append(JSONText.quoted(ExportDocument.format)) }),
                ("version", { $0.append(String(ExportDocument.version)) }),
                ("settings", { $0.append(try Self.objects(db, table: "settings", order: "id", skipping: ["id"]).first ?? "{}") }),
                ("heartbeats", { out in
                    out.append("[")
                    let cursor = try Row.fetchCursor(db, sql: "SELECT minute, host, received_at FROM heartbeat ORDER BY minute, host")
                    var first = true
                    while let row = try cursor.next() {
                        out.append((first ? "[" : ",[") + "\(row[0] as Int64),\(JSONText.quoted(row[1])),\(row[2] as Int64)]")
                        first = false
                    }
                    out.append("]")
                }),
            ]
            for member in ExportDocument.members {
                members.append((member.key, { out in
                    var objects = try Self.objects(db, table: member.table, order: member.order)
                    if member.table == "signed_month" {
                        let snapshots = try Data.fetchAll(db, sql: "SELECT s.snapshot FROM signed_month AS m JOIN signed_snapshot AS s USING (month) ORDER BY m.month")
                        objects = zip(objects, snapshots).map { object, snapshot in
                            // "snapshot" sorts after every other column of the row.
                            String(object.dropLast()) + "," + JSONText.quoted("snapshot") + ":" + JSONText.quoted(String(decoding: snapshot, as: UTF8.self)) + "}"
                        }
                    }
                    out.append("[" + objects.joined(separator: ",") + "]")
                }))
            }
            members.sort { $0.0 < $1.0 }
            out.append("{")
            for (index, member) in members.enumerated() {
                out.append((index == 0 ? "" : ",") + JSONText.quoted(member.0) + ":")
                try member.1(&out)
            }
            let digest = out.digest()
            out.append(",\"digest\":\"\(digest)\"}", hashed: false)
            out.flush()
        }
    }

    /// The export document in memory, for tests and small databases.
    public func exportDocument(at now: Int64) throws -> Data {
        var bytes: [UInt8] = []
        try exportDocument(at: now) { bytes += $0 }
        return Data(bytes)
    }

    /// A table's rows as canonical JSON objects of their columns (BLOBs as UTF-8 text).
    static func objects(_ db: Database, table: String, order: String, skipping: Set<String> = []) throws -> [String] {
        let columns = try TableColumn.all(db, table).map(\.name).filter { !skipping.contains($0) }.sorted()
        let list = columns.map(quoted).joined(separator: ", ")
        return try Row.fetchAll(db, sql: "SELECT \(list) FROM \(quoted(table)) ORDER BY \(order)").map { row in
            "{" + columns.enumerated().map { index, column in
                JSONText.quoted(column) + ":" + Self.json(row[index] as DatabaseValue)
            }.joined(separator: ",") + "}"
        }
    }

    static func json(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return "null"
        case let .int64(integer): return String(integer)
        case let .double(double): return String(Int64(double))
        case let .string(text): return JSONText.quoted(text)
        case let .blob(data): return JSONText.quoted(String(decoding: data, as: UTF8.self))
        }
    }
}

/// The export's bytes on their way out: hashed, gathered into pieces of 64 KiB.
struct ExportWriter {
    let write: ([UInt8]) -> Void
    var pending: [UInt8] = []
    var hash = SHA256Stream()

    init(_ write: @escaping ([UInt8]) -> Void) {
        self.write = write
        pending.reserveCapacity(80 * 1024)
    }

    mutating func append(_ text: String, hashed: Bool = true) {
        let bytes = Array(text.utf8)
        if hashed { hash.update(bytes) }
        pending += bytes
        if pending.count >= 64 * 1024 { flush() }
    }

    mutating func flush() {
        if !pending.isEmpty { write(pending) }
        pending.removeAll(keepingCapacity: true)
    }

    /// The digest of the canonical document: everything hashed so far, closed by its "}".
    func digest() -> String {
        var closed = hash
        closed.update(Array("}".utf8))
        return closed.hex()
    }
}

/// A body that is not JSON at all (400, unlike a document that does not validate).
public struct MalformedDocument: Error, Sendable {
    public let message: String
}

/// What an import brought in.
public struct ImportSummary: Sendable, Equatable, Codable {
    public var heartbeats: Int
    public var entries: Int
    public var corrections: Int
    public var absences: Int
    public var holidays: Int
    public var bookings: Int
    public var signedMonths: Int

    enum CodingKeys: String, CodingKey {
        case heartbeats, entries, corrections, absences, holidays, bookings
        case signedMonths = "signed_months"
    }
}

/// The one change an import is: the document read as a stream inside one transaction
/// into an empty database — the heartbeats inserted as they are read (and their canonical
/// text kept in a temporary file for the digest), the other members, which are small,
/// held as values until the document has ended and its digest holds — checked as it goes
/// (the tables' own constraints and triggers, then the signed months' digests), the
/// per-day cache recounted. Anything wrong rolls all of it back, with where it was.
struct ImportDocument<Source: ByteSource>: Change {
    let source: Source
    var what: String { "an import" }

    func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { nil }

    func write(_ db: Database, at now: Int64) throws -> ImportSummary {
        try Self.requireEmpty(db)
        let reader = JSONPullReader(source, maxStringBytes: 16 << 20, maxDepth: 32)
        var document: [String: Any] = [:]
        var beats: Int?
        guard let spool = tmpfile() else { throw DatabaseError(message: "no temporary file for the import") }
        defer { fclose(spool) }
        do {
            guard try reader.next() == .objectStart else {
                throw InvalidValue(field: "document", "the document must be a JSON object")
            }
            var budget = 5_000_000  // values of the members other than the heartbeats
            while let event = try reader.next(), event != .objectEnd {
                guard case let .key(key) = event else { throw InvalidValue(field: "document", "the document must be a JSON object") }
                guard document[key] == nil, !(key == "heartbeats" && beats != nil) else {
                    throw InvalidValue(field: key, "\(key): given twice")
                }
                if key == "heartbeats" {
                    beats = try Self.heartbeats(db, reader, spool: spool)
                } else {
                    document[key] = try Self.value(reader, try reader.next(), budget: &budget, at: key)
                }
                if key == "format", document[key] as? String != ExportDocument.format {
                    throw InvalidValue(field: "format", "format: \"\(ExportDocument.format)\" is required (an export of this program)")
                }
            }
            guard try reader.next() == nil else { throw InvalidValue(field: "document", "the document must be one JSON object") }
        } catch let error as JSONSyntaxError {
            throw MalformedDocument(message: "the body is not JSON (\(error.message) at byte \(error.offset)); nothing was imported")
        }
        guard document["format"] as? String == ExportDocument.format else {
            throw InvalidValue(field: "format", "format: \"\(ExportDocument.format)\" is required (an export of this program)")
        }
        guard document["version"] as? Int64 == Int64(ExportDocument.version) else {
            throw InvalidValue(field: "version", "version: this server reads version \(ExportDocument.version) documents")
        }
        guard let beats else { throw InvalidValue(field: "heartbeats", "heartbeats: missing") }
        let known = Set(["format", "version", "exported_at", "settings", "digest"] + ExportDocument.members.map(\.key))
        if let unknown = document.keys.sorted().first(where: { !known.contains($0) }) {
            throw InvalidValue(field: unknown, "\(unknown): not a member of an export document")
        }
        if let stated = document.removeValue(forKey: "digest") {
            guard let stated = stated as? String, try Self.digest(document, heartbeats: spool) == stated else {
                throw InvalidValue(field: "digest", "digest: the document does not match its digest, so it was changed or damaged after export")
            }
        }
        var summary = try insertMembers(db, document)
        summary.heartbeats = beats
        try AppDatabase.rebuildDailyCache(db)
        if let failure = try AppDatabase.verify(db).failure {
            throw InvalidValue(field: "signed_months", "signed_months: \(failure.month): \(failure.why)")
        }
        return summary
    }

    /// A value as read: objects, arrays, strings, whole numbers (`Int64`), null; a
    /// fraction or a boolean as `Double` / `Bool`, which no member may hold.
    static func value(_ reader: JSONPullReader<Source>, _ event: JSONEvent?, budget: inout Int, at place: String) throws -> Any {
        budget -= 1
        guard budget >= 0 else { throw InvalidValue(field: place, "\(place): the document holds more than an export of this program can") }
        switch event {
        case .null: return NSNull()
        case let .bool(flag): return flag
        case let .string(text): return text
        case let .number(text): return Int64(text) ?? Double(text) ?? 0.5
        case .arrayStart:
            var array: [Any] = []
            while let next = try reader.next(), next != .arrayEnd {
                array.append(try value(reader, next, budget: &budget, at: place))
            }
            return array
        case .objectStart:
            var object: [String: Any] = [:]
            while let next = try reader.next(), next != .objectEnd {
                guard case let .key(key) = next else { break }
                object[key] = try value(reader, try reader.next(), budget: &budget, at: place)
            }
            return object
        default:
            throw InvalidValue(field: place, "\(place): a value was expected")
        }
    }

    /// The heartbeats, `[minute, host, received_at]` each, inserted as read and written
    /// canonically to `spool`; a repeated (minute, host) is an error.
    static func heartbeats(_ db: Database, _ reader: JSONPullReader<Source>, spool: UnsafeMutablePointer<FILE>) throws -> Int {
        guard try reader.next() == .arrayStart else { throw InvalidValue(field: "heartbeats", "heartbeats: an array is required") }
        let insert = try db.makeStatement(sql: "INSERT INTO heartbeat (minute, host, received_at) VALUES (?, ?, ?)")
        var count = 0
        var text: [UInt8] = []
        text.reserveCapacity(80 * 1024)
        while let event = try reader.next(), event != .arrayEnd {
            let shape = "heartbeats[\(count)]: [minute, host, received_at] is required (two whole numbers and a string)"
            guard event == .arrayStart, case let .number(minuteText)? = try reader.next(), let minute = Int64(minuteText),
                  case let .string(host)? = try reader.next(), case let .number(receivedText)? = try reader.next(),
                  let received = Int64(receivedText), try reader.next() == .arrayEnd else {
                throw InvalidValue(field: "heartbeats", shape)
            }
            do {
                try insert.execute(arguments: [minute, host, received])
            } catch let error as DatabaseError {
                let why = error.message?.contains("UNIQUE") == true ? "the same minute and host twice" : error.message ?? "not valid"
                throw InvalidValue(field: "heartbeats", "heartbeats[\(count)]: \(why)")
            }
            text += Array(((count == 0 ? "[" : ",[") + "\(minute),\(JSONText.quoted(host)),\(received)]").utf8)
            if text.count >= 64 * 1024 {
                fwrite(text, 1, text.count, spool)
                text.removeAll(keepingCapacity: true)
            }
            count += 1
        }
        fwrite(text, 1, text.count, spool)
        return count
    }

    /// SHA-256 of the canonical document: its members in key order, the heartbeats'
    /// text read back from `spool`.
    static func digest(_ document: [String: Any], heartbeats spool: UnsafeMutablePointer<FILE>) throws -> String? {
        var hash = SHA256Stream()
        hash.update(Array("{".utf8))
        let keys = (Array(document.keys) + ["heartbeats"]).sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
        for (index, key) in keys.enumerated() {
            hash.update(Array(((index == 0 ? "" : ",") + JSONText.quoted(key) + ":").utf8))
            if key == "heartbeats" {
                hash.update(Array("[".utf8))
                rewind(spool)
                var chunk = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let count = fread(&chunk, 1, chunk.count, spool)
                    if count == 0 { break }
                    hash.update(Array(chunk[..<count]))
                }
                hash.update(Array("]".utf8))
            } else {
                guard let text = ExportDocument.canonical(document[key]!) else { return nil }
                hash.update(Array(text.utf8))
            }
        }
        hash.update(Array("}".utf8))
        return hash.hex()
    }

    /// Every member but the heartbeats, into the tables.
    func insertMembers(_ db: Database, _ document: [String: Any]) throws -> ImportSummary {
        guard let settings = document["settings"] as? [String: Any] else { throw InvalidValue(field: "settings", "settings: an object is required") }
        // (`name` came later: a document from before it has none, which is "")
        try Self.insert(db, table: "settings", rows: [settings.merging(["id": Int64(1)]) { $1 }.merging(["name": ""]) { old, _ in old }], key: "settings",
                        columns: try TableColumn.all(db, "settings"), replace: true)
        guard let schedules = document["schedules"] as? [Any], !schedules.isEmpty else {
            throw InvalidValue(field: "schedules", "schedules: at least one schedule version is required")
        }
        var summary = ImportSummary(heartbeats: 0, entries: 0, corrections: 0, absences: 0, holidays: 0, bookings: 0, signedMonths: 0)
        for member in ExportDocument.members {
            guard let value = document[member.key] else { throw InvalidValue(field: member.key, "\(member.key): missing") }
            guard let rows = value as? [Any] else { throw InvalidValue(field: member.key, "\(member.key): an array is required") }
            if member.table == "schedule" {
                // The version a new database starts with goes once the document's are in.
                let seeded = try String.fetchAll(db, sql: "SELECT valid_from FROM schedule")
                try Self.insert(db, table: "schedule", rows: rows, key: member.key, columns: try TableColumn.all(db, "schedule"), replace: true)
                let kept = Set(rows.compactMap { ($0 as? [String: Any])?["valid_from"] as? String })
                for date in seeded where !kept.contains(date) {
                    try db.execute(sql: "DELETE FROM schedule WHERE valid_from = ?", arguments: [date])
                }
            } else if member.table == "signed_month" {
                try Self.insert(db, table: "signed_month", rows: rows, key: member.key, columns: try TableColumn.all(db, "signed_month"),
                                extra: TableColumn(name: "snapshot", type: "TEXT")) { row in
                    try db.execute(sql: "INSERT INTO signed_snapshot (month, snapshot) VALUES (?, ?)",
                                   arguments: [row["month"] as? String, Data(((row["snapshot"] as? String) ?? "").utf8)])
                }
            } else {
                try Self.insert(db, table: member.table, rows: rows, key: member.key, columns: try TableColumn.all(db, member.table))
            }
            switch member.table {
            case "entry": summary.entries = rows.count
            case "correction": summary.corrections = rows.count
            case "absence": summary.absences = rows.count
            case "holiday": summary.holidays = rows.count
            case "booking": summary.bookings = rows.count
            case "signed_month": summary.signedMonths = rows.count
            default: break
            }
        }
        return summary
    }

    /// An import goes into a database that holds no facts yet (a new install).
    static func requireEmpty(_ db: Database) throws {
        var held: [String] = []
        for (table, one, many) in [("heartbeat", "heartbeat", "heartbeats"), ("entry", "entry", "entries"), ("correction", "correction", "corrections"),
                                   ("absence", "absence", "absences"), ("holiday", "holiday", "holidays"), ("booking", "booking", "bookings"),
                                   ("signed_month", "signed month", "signed months"), ("month_event", "signing event", "signing events"),
                                   ("change_log", "change", "changes")] {
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            if count > 0 { held.append("\(count) \(count == 1 ? one : many)") }
        }
        guard held.isEmpty else {
            throw ConflictRefusal("an import goes into an empty database (a new install), and this one holds \(held.joined(separator: ", "))")
        }
    }

    /// Inserts `rows` (objects with exactly `columns`, plus `extra` when given) into
    /// `table`; 422 naming the member, the row and the field for anything wrong.
    static func insert(_ db: Database, table: String, rows: [Any], key: String, columns: [TableColumn], replace: Bool = false,
                       extra: TableColumn? = nil, after: (([String: Any]) throws -> Void)? = nil) throws {
        let names = columns.map(\.name)
        let sql = "INSERT \(replace ? "OR REPLACE " : "")INTO \(quoted(table)) (\(names.map(quoted).joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        let statement = try db.makeStatement(sql: sql)
        let allowed = Set(names + (extra.map { [$0.name] } ?? []))
        for (index, value) in rows.enumerated() {
            let place = table == "settings" ? key : "\(key)[\(index)]"
            guard let row = value as? [String: Any] else { throw InvalidValue(field: key, "\(place): an object is required") }
            if let unknown = row.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw InvalidValue(field: key, "\(place).\(unknown): not a field of \(key)")
            }
            var arguments: [DatabaseValueConvertible?] = []
            for column in columns + (extra.map { [$0] } ?? []) {
                guard let field = row[column.name] else { throw InvalidValue(field: key, "\(place).\(column.name): missing") }
                let value: DatabaseValueConvertible?
                switch field {
                case is NSNull: value = nil
                case let text as String where column.type != "INTEGER": value = text
                case let integer as Int64 where column.type == "INTEGER":
                    value = integer
                default:
                    throw InvalidValue(field: key, "\(place).\(column.name): \(column.type == "INTEGER" ? "a whole number" : "a string") is required")
                }
                if column.name != extra?.name { arguments.append(value) }
            }
            do {
                try statement.execute(arguments: StatementArguments(arguments))
                try after?(row)
            } catch let error as DatabaseError {
                throw InvalidValue(field: key, "\(place): \(error.message ?? "not a valid row")")
            }
        }
    }

}

extension AppDatabase {
    /// Reads an export document (`ExportDocument`) into this empty database, all or
    /// nothing, as a stream: 422 (`InvalidValue`) saying where a document does not
    /// validate, 409 when the database is not empty, `MalformedDocument` (400) for a body
    /// that is not JSON.
    public func importDocument(_ source: some ByteSource, at now: Int64) throws -> ImportSummary {
        try apply(ImportDocument(source: source), at: now)
    }

    public func importDocument(_ bytes: [UInt8], at now: Int64) throws -> ImportSummary {
        try importDocument(BytesSource(bytes), at: now)
    }
}
