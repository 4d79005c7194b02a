import AttendanceCore
import HTTPMessage
import Storage

/// `GET /people`: the admin's read-only overview (SPEC §4), one row per person.
enum PeoplePage {
    struct Row {
        let name: String
        let admin: Bool
        let balance, balanceTone: String
        let month, monthTone: String
        let signed: String
        let lastHeartbeat: String
        let link: String
    }

    struct Model {
        let rows: [Row]
        let count: String
    }

    static func get(_ context: RequestContext) throws -> Response {
        guard context.whose.seesEveryone, let people = context.app.people else {
            throw HTTPError(403, "only an admin of a server kept by several people has this overview")
        }
        var rows: [Row] = []
        for person in people.people {
            let whose = try Whose(person, of: people, readOnly: true, seesEveryone: true, app: context.app)
            rows.append(try row(person, whose.database, nowMinute: context.nowMinute))
        }
        let model = Model(rows: rows, count: Format.count(rows.count, "person", "people"))
        return try context.requirePages().render("people", model, title: "People", path: "/people")
    }

    /// One person's figures, each by their own zone and policy: the balance through
    /// yesterday and this month's difference through yesterday, as on their dashboard.
    static func row(_ person: Person, _ database: AppDatabase, nowMinute: Int64) throws -> Row {
        let zone = try database.settings().timezone
        let today = zone.localDate(ofMinute: nowMinute)
        let yesterday = today.adding(days: -1)
        let monthStart = LocalDate(year: today.year, month: today.month, day: 1)!
        let ledger = try database.ledger(from: min(monthStart, yesterday), to: today, nowMinute: nowMinute)
        let balance = ledger.balance(asOf: yesterday).balance
        let month = ledger.totals(from: monthStart, to: yesterday).difference
        let (signed, heartbeat) = try database.lastActivity()
        return Row(name: person.name, admin: person.admin, balance: Format.signed(balance), balanceTone: Format.tone(balance),
                   month: Format.signed(month), monthTone: Format.tone(month), signed: signed ?? "none",
                   lastHeartbeat: heartbeat.map { "\(zone.localDate(ofMinute: $0)) \(zone.clock(minute: $0))" } ?? "never",
                   link: "/dashboard?\(Whose.parameter)=\(person.name)")
    }
}
