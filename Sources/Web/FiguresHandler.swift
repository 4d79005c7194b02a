import AttendanceCore
import HTTPMessage
import JSONText

/// `GET /api/days`, `/api/balance`, `/api/summary`: the figures of SPEC §2.
enum FiguresHandler {
    static let maxDays = 3660

    struct BalanceBody: Encodable {
        let balance: Balance, settings: Settings

        enum CodingKeys: String, CodingKey {
            case asOf = "as_of", periodStart = "period_start", periodEnd = "period_end", opening, effective, expected, bookings, balance
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(balance.asOf.description, forKey: .asOf)
            try container.encode(settings.periodStart.description, forKey: .periodStart)
            try container.encode(settings.periodEnd?.description, forKey: .periodEnd)
            try container.encode(balance.opening, forKey: .opening)
            try container.encode(balance.totals.effective, forKey: .effective)
            try container.encode(balance.totals.expected, forKey: .expected)
            try container.encode(balance.bookings, forKey: .bookings)
            try container.encode(balance.balance, forKey: .balance)
        }
    }

    struct MonthBody: Encodable {
        let month: String, recorded: Int, worked: Int, effective: Int, expected: Int, delta: Int, bookings: Int, balance: Int
        let signed: Bool

        init(_ summary: MonthSummary) {
            month = summary.month
            recorded = summary.recorded
            worked = summary.worked
            effective = summary.effective
            expected = summary.expected
            delta = summary.delta
            bookings = summary.bookings
            balance = summary.balance
            signed = summary.signed
        }
    }

    static func days(_ context: RequestContext) throws -> Response {
        let (from, to) = try context.request.requiredRange(maxDays: maxDays)
        let ledger = try context.ledger(from: from, to: to)
        let zone = ledger.policy.settings.timezone
        var body = "["
        for (index, day) in ledger.days(from: from, to: to).enumerated() {
            if index > 0 { body += "," }
            // A frozen date answers with its snapshot's row, exactly as signed.
            if let signed = ledger.frozen[day.date] { body += signed.frozenRow } else { FiguresJSON.dayJSON(day, zone: zone, into: &body) }
        }
        body += "]"
        return .jsonText(body)
    }

    /// `GET /api/days/{date}`: the date's row, its sessions and gaps, read from the raw
    /// heartbeats and the entries of that one date, and those entries.
    static func day(_ context: RequestContext) throws -> Response {
        let date = try context.parameters.require("date", as: LocalDate.self)
        let ledger = try context.ledger(from: date, to: date)
        let (minutes, entries) = try context.database.dayMinutes(date, nowMinute: context.nowMinute)
        let sessions = minutes.sessions
        var body = ""
        FiguresJSON.dayJSON(ledger.day(date), zone: ledger.policy.settings.timezone,
                detail: FiguresJSON.DayDetail(sessions: sessions, gaps: DayMinutes.gaps(between: sessions), entries: entries,
                                  nowMinute: context.nowMinute), into: &body)
        return .jsonText(body)
    }

    static func balance(_ context: RequestContext) throws -> Response {
        let asOf = try context.request.dateParameter(.asOf) ?? context.today()
        let ledger = try context.ledger(from: asOf.adding(days: 1), to: asOf)  // no window: all carry
        return .json(BalanceBody(balance: ledger.balance(asOf: asOf), settings: ledger.policy.settings))
    }

    static func summary(_ context: RequestContext) throws -> Response {
        let today = try context.today()
        let year = try Input.year(context.request.queryItems["year"], current: today.year)
        let january = LocalDate(year: year, month: 1, day: 1)!
        let december = LocalDate(year: year, month: 12, day: 31)!
        let ledger = try context.ledger(from: january, to: min(today, december))
        return .json(ledger.summary(year: year, today: today).map(MonthBody.init))
    }
}
