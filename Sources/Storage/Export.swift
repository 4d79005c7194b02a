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

    /// The canonical JSON of a parsed JSON value (objects, arrays, strings, integers,
    /// null); nil for anything else (a fraction, a boolean), which no member holds.
    static func canonical(_ value: Any) -> String? {
        switch value {
        case is NSNull: return "null"
        case let text as String: return JSONText.quoted(text)
        case let number as NSNumber:
            guard let integer = Int64(exactly: number.doubleValue), !isBoolean(number) else { return nil }
            return String(integer)
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

    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c" || type(of: number) == type(of: NSNumber(value: true))
    }
}

extension AppDatabase {
    /// The whole database as an export document (`ExportDocument`), read in one
    /// transaction so it is one moment's state.
    public func exportDocument(at now: Int64) throws -> Data {
        try writer.read { db in
            var body: [(String, String)] = [
                ("format", JSONText.quoted(ExportDocument.format)),
                ("version", String(ExportDocument.version)),
                ("exported_at", JSONText.quoted(Zone.resolving("UTC").rfc3339(minute: now / 60))),
            ]
            body.append(("settings", try Self.objects(db, table: "settings", order: "id", skipping: ["id"]).first ?? "{}"))
            for member in ExportDocument.members {
                var objects = try Self.objects(db, table: member.table, order: member.order)
                if member.table == "signed_month" {
                    let snapshots = try Data.fetchAll(db, sql: "SELECT s.snapshot FROM signed_month AS m JOIN signed_snapshot AS s USING (month) ORDER BY m.month")
                    objects = zip(objects, snapshots).map { object, snapshot in
                        // "snapshot" sorts after every other column of the row.
                        String(object.dropLast()) + "," + JSONText.quoted("snapshot") + ":" + JSONText.quoted(String(decoding: snapshot, as: UTF8.self)) + "}"
                    }
                }
                body.append((member.key, "[" + objects.joined(separator: ",") + "]"))
            }
            var beats: [String] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT minute, host, received_at FROM heartbeat ORDER BY minute, host")
            while let row = try cursor.next() {
                beats.append("[\(row[0] as Int64),\(JSONText.quoted(row[1])),\(row[2] as Int64)]")
            }
            body.append(("heartbeats", "[" + beats.joined(separator: ",") + "]"))
            body.sort { $0.0 < $1.0 }
            let text = "{" + body.map { JSONText.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
            let digest = sha256Hex(Array(text.utf8))
            return Data((String(text.dropLast()) + ",\"digest\":\"\(digest)\"}").utf8)
        }
    }

    /// A table's rows as canonical JSON objects of their columns (BLOBs as UTF-8 text).
    static func objects(_ db: Database, table: String, order: String, skipping: Set<String> = []) throws -> [String] {
        let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table)))").map { $0["name"] as String }
            .filter { !skipping.contains($0) }.sorted()
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

/// The one change an import is: every member of the document written in one transaction
/// into an empty database, checked as it goes (the tables' own constraints and triggers,
/// then the signed months' digests), the per-day cache recounted. Anything wrong rolls
/// all of it back, with where it was.
struct ImportDocument: Change {
    let document: [String: Any]
    var what: String { "an import" }

    func movedDates(_ db: Database) throws -> ClosedRange<LocalDate>? { nil }

    func write(_ db: Database, at now: Int64) throws -> ImportSummary {
        try Self.requireEmpty(db)
        guard let settings = document["settings"] as? [String: Any] else { throw InvalidValue(field: "settings", "settings: an object is required") }
        var columns = try Self.columns(db, "settings")
        columns.removeAll { $0.name == "id" }
        try Self.insert(db, table: "settings", rows: [settings.merging(["id": 1]) { $1 }], key: "settings",
                        columns: columns + [Column(name: "id", type: "INTEGER")], replace: true)
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
                try Self.insert(db, table: "schedule", rows: rows, key: member.key, columns: try Self.columns(db, "schedule"), replace: true)
                let kept = Set(rows.compactMap { ($0 as? [String: Any])?["valid_from"] as? String })
                for date in seeded where !kept.contains(date) {
                    try db.execute(sql: "DELETE FROM schedule WHERE valid_from = ?", arguments: [date])
                }
            } else if member.table == "signed_month" {
                let columns = try Self.columns(db, "signed_month")
                try Self.insert(db, table: "signed_month", rows: rows, key: member.key, columns: columns,
                                extra: Column(name: "snapshot", type: "TEXT")) { index, row in
                    try db.execute(sql: "INSERT INTO signed_snapshot (month, snapshot) VALUES (?, ?)",
                                   arguments: [row["month"] as? String, Data(((row["snapshot"] as? String) ?? "").utf8)])
                }
            } else {
                try Self.insert(db, table: member.table, rows: rows, key: member.key, columns: try Self.columns(db, member.table))
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
        summary.heartbeats = try Self.insertHeartbeats(db, document["heartbeats"])
        try AppDatabase.rebuildDailyCache(db)
        if let failure = try AppDatabase.verify(db).failure {
            throw InvalidValue(field: "signed_months", "signed_months: \(failure.month): \(failure.why)")
        }
        return summary
    }

    /// An import goes into a database that holds no facts yet (a new install).
    static func requireEmpty(_ db: Database) throws {
        var held: [String] = []
        for (table, what) in [("heartbeat", "heartbeats"), ("entry", "entries"), ("correction", "corrections"), ("absence", "absences"),
                              ("holiday", "holidays"), ("booking", "bookings"), ("signed_month", "signed months"),
                              ("month_event", "signing events"), ("change_log", "changes")] {
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            if count > 0 { held.append("\(count) \(what)") }
        }
        guard held.isEmpty else {
            throw ConflictRefusal("an import goes into an empty database (a new install), and this one holds \(held.joined(separator: ", ")); nothing was imported")
        }
    }

    struct Column {
        let name: String
        let type: String
        var notNull = false
    }

    static func columns(_ db: Database, _ table: String) throws -> [Column] {
        try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table)))").map {
            Column(name: $0["name"], type: ($0["type"] as String).uppercased(), notNull: $0["notnull"] as Int == 1)
        }
    }

    /// Inserts `rows` (objects with exactly `columns`, plus `extra` when given) into
    /// `table`; 422 naming the member, the row and the field for anything wrong.
    static func insert(_ db: Database, table: String, rows: [Any], key: String, columns: [Column], replace: Bool = false,
                       extra: Column? = nil, after: ((Int, [String: Any]) throws -> Void)? = nil) throws {
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
                case let number as NSNumber where column.type == "INTEGER" && !ExportDocument.isBoolean(number):
                    guard let integer = Int64(exactly: number.doubleValue) else {
                        throw InvalidValue(field: key, "\(place).\(column.name): a whole number is required")
                    }
                    value = integer
                default:
                    throw InvalidValue(field: key, "\(place).\(column.name): \(column.type == "INTEGER" ? "a whole number" : "a string") is required")
                }
                if column.name != extra?.name { arguments.append(value) }
            }
            do {
                try statement.execute(arguments: StatementArguments(arguments))
                try after?(index, row)
            } catch let error as DatabaseError {
                throw InvalidValue(field: key, "\(place): \(error.message ?? "not a valid row")")
            }
        }
    }

    /// The heartbeats, `[minute, host, received_at]` each; a repeated (minute, host) is an error.
    static func insertHeartbeats(_ db: Database, _ value: Any?) throws -> Int {
        guard let beats = value as? [Any] else { throw InvalidValue(field: "heartbeats", "heartbeats: an array is required") }
        let insert = try db.makeStatement(sql: "INSERT INTO heartbeat (minute, host, received_at) VALUES (?, ?, ?)")
        for (index, value) in beats.enumerated() {
            guard let beat = value as? [Any], beat.count == 3, let minute = beat[0] as? NSNumber, let host = beat[1] as? String,
                  let received = beat[2] as? NSNumber, !ExportDocument.isBoolean(minute), !ExportDocument.isBoolean(received),
                  let m = Int64(exactly: minute.doubleValue), let r = Int64(exactly: received.doubleValue) else {
                throw InvalidValue(field: "heartbeats", "heartbeats[\(index)]: [minute, host, received_at] is required (two whole numbers and a string)")
            }
            do {
                try insert.execute(arguments: [m, host, r])
            } catch let error as DatabaseError {
                throw InvalidValue(field: "heartbeats", "heartbeats[\(index)]: \(error.resultCode == .SQLITE_CONSTRAINT && error.message?.contains("UNIQUE") == true ? "the same minute and host twice" : error.message ?? "not valid")")
            }
        }
        return beats.count
    }
}

extension AppDatabase {
    /// Reads an export document (`ExportDocument`) into this empty database, all or
    /// nothing: 422 (`InvalidValue`) saying where a document does not validate, 409 when
    /// the database is not empty.
    public func importDocument(_ bytes: [UInt8], at now: Int64) throws -> ImportSummary {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw MalformedDocument(message: "the body is not JSON (an export document is one JSON object)")
        }
        guard var document = parsed as? [String: Any] else { throw InvalidValue(field: "document", "the document must be a JSON object") }
        guard document["format"] as? String == ExportDocument.format else {
            throw InvalidValue(field: "format", "format: \"\(ExportDocument.format)\" is required (an export of this program)")
        }
        guard let version = document["version"] as? NSNumber, !ExportDocument.isBoolean(version), version.intValue == ExportDocument.version else {
            throw InvalidValue(field: "version", "version: this server reads version \(ExportDocument.version) documents")
        }
        if let stated = document.removeValue(forKey: "digest") {
            guard let stated = stated as? String, let text = ExportDocument.canonical(document),
                  sha256Hex(Array(text.utf8)) == stated else {
                throw InvalidValue(field: "digest", "digest: the document does not match its digest, so it was changed or damaged after export; nothing was imported")
            }
        }
        return try apply(ImportDocument(document: document), at: now)
    }
}
