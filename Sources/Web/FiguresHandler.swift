import AttendanceCore
import HTTPMessage
import JSONText

/// `GET /api/days`, `/api/balance`, `/api/summary`: the figures of SPEC §2.
enum FiguresHandler {
    static let maxDays = 3660

    /// A day as `/api/days` shows it, written out directly: a year of rows is the API's
    /// largest answer, and an encoder walking 366 objects cost more than the figures.
    /// Keys in sorted order, as `Response.json` writes them; text goes through `JSONText`.
    static func dayJSON(_ day: DayFigures, zone: Zone, sessions: [Session]? = nil, into out: inout String) {
        func instant(_ minute: Int64?) -> String { minute.map { "\"" + zone.rfc3339(minute: $0) + "\"" } ?? "null" }
        out += #"{"absence":"#
        if let absence = day.absence {
            out += #"{"half_day":\#(absence.halfDay),"kind":"\#(absence.kind.rawValue)"}"#
        } else {
            out += "null"
        }
        out += #","breaks":\#(day.span?.breaks ?? 0),"correction":\#(day.correction.map(String.init) ?? "null"),"#
        out += #""date":"\#(day.date)","effective":\#(day.effective),"expected":\#(day.expected),"#
        out += #""first_start":\#(instant(day.span?.firstStart)),"holiday":\#(day.holiday.map(JSONText.quoted) ?? "null"),"#
        out += #""last_end":\#(instant(day.span?.lastEnd)),"recorded":\#(day.recorded),"#
        if let sessions {
            out += #""sessions":["#
            out += sessions.map { #"{"end":\#(instant($0.end)),"minutes":\#($0.minutes),"start":\#(instant($0.start))}"# }
                .joined(separator: ",")
            out += "],"
        }
        out += #""working_day":\#(day.workingDay)}"#
    }

    struct BalanceBody: Encodable {
        let balance: Balance, settings: Settings

        enum CodingKeys: String, CodingKey {
            case asOf = "as_of", periodStart = "period_start", periodEnd = "period_end", opening, effective, expected, balance
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(balance.asOf.description, forKey: .asOf)
            try container.encode(settings.periodStart.description, forKey: .periodStart)
            try container.encode(settings.periodEnd?.description, forKey: .periodEnd)
            try container.encode(balance.opening, forKey: .opening)
            try container.encode(balance.totals.effective, forKey: .effective)
            try container.encode(balance.totals.expected, forKey: .expected)
            try container.encode(balance.balance, forKey: .balance)
        }
    }

    struct MonthBody: Encodable {
        let month: String, recorded: Int, effective: Int, expected: Int, delta: Int, balance: Int

        init(_ summary: MonthSummary) {
            month = summary.month
            recorded = summary.recorded
            effective = summary.effective
            expected = summary.expected
            delta = summary.delta
            balance = summary.balance
        }
    }

    static func days(_ app: App, _ request: Request, _: [String]) throws -> Response {
        guard let from = try request.dateParameter(.from), let to = try request.dateParameter(.to) else {
            throw HTTPError(400, "from and to are required, as YYYY-MM-DD")
        }
        try Input.range(from, to, maxDays: maxDays)
        let ledger = try app.database.ledger(from: from, to: to)
        let zone = ledger.policy.settings.timezone
        var body = "["
        for (index, day) in ledger.days(from: from, to: to).enumerated() {
            if index > 0 { body += "," }
            dayJSON(day, zone: zone, into: &body)
        }
        body += "]"
        return .jsonText(body)
    }

    /// `GET /api/days/{date}`: the date's row and its sessions, read from the raw
    /// heartbeats of that one date.
    static func day(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        let date = try Input.date(captured[0], field: .date)
        let ledger = try app.database.ledger(from: date, to: date)
        var body = ""
        dayJSON(ledger.day(date), zone: ledger.policy.settings.timezone,
                sessions: Session.sessions(of: try app.database.recordedMinutesOf(date)), into: &body)
        return .jsonText(body)
    }

    static func balance(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let asOf = try request.dateParameter(.asOf) ?? app.today()
        let ledger = try app.database.ledger(from: asOf.adding(days: 1), to: asOf)  // no window: all carry
        return .json(BalanceBody(balance: ledger.balance(asOf: asOf), settings: ledger.policy.settings))
    }

    static func summary(_ app: App, _ request: Request, _: [String]) throws -> Response {
        let today = try app.today()
        let year = try Input.year(request.queryItems["year"], current: today.year)
        let january = LocalDate(year: year, month: 1, day: 1)!
        let december = LocalDate(year: year, month: 12, day: 31)!
        let ledger = try app.database.ledger(from: january, to: min(today, december))
        return .json(ledger.summary(year: year, today: today).map(MonthBody.init))
    }
}
