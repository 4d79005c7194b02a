import AttendanceCore
import HTTPMessage

/// `GET /api/days`, `/api/balance`, `/api/summary`: the figures of SPEC §2.
enum FiguresHandler {
    static let maxDays = 3660

    struct DayBody: Encodable {
        let day: DayFigures
        /// The zone the instants are shown in, with its offset at each.
        let zone: Zone
        /// `GET /api/days/{date}` adds the sessions; `/api/days` leaves them out.
        var sessions: [Session]?

        enum CodingKeys: String, CodingKey {
            case date, recorded, correction, effective, expected, holiday, workingDay = "working_day", absence
            case firstStart = "first_start", lastEnd = "last_end", breaks, sessions
        }

        struct SessionBody: Encodable {
            let start: String, end: String, minutes: Int
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(day.date.description, forKey: .date)
            try container.encode(day.recorded, forKey: .recorded)
            try container.encode(day.correction, forKey: .correction)
            try container.encode(day.effective, forKey: .effective)
            try container.encode(day.expected, forKey: .expected)
            try container.encode(day.holiday, forKey: .holiday)
            try container.encode(day.workingDay, forKey: .workingDay)
            try container.encode(day.absence.map(AbsenceHandler.Kind.init), forKey: .absence)
            try container.encode(day.span.map { zone.rfc3339(minute: $0.firstStart) }, forKey: .firstStart)
            try container.encode(day.span.map { zone.rfc3339(minute: $0.lastEnd) }, forKey: .lastEnd)
            try container.encode(day.span?.breaks ?? 0, forKey: .breaks)
            if let sessions {
                try container.encode(sessions.map {
                    SessionBody(start: zone.rfc3339(minute: $0.start), end: zone.rfc3339(minute: $0.end), minutes: $0.minutes)
                }, forKey: .sessions)
            }
        }
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
        return .json(ledger.days(from: from, to: to).map { DayBody(day: $0, zone: zone) })
    }

    /// `GET /api/days/{date}`: the date's row and its sessions, read from the raw
    /// heartbeats of that one date.
    static func day(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        let date = try Input.date(captured[0], field: .date)
        let ledger = try app.database.ledger(from: date, to: date)
        return .json(DayBody(day: ledger.day(date), zone: ledger.policy.settings.timezone,
                             sessions: Session.sessions(of: try app.database.recordedMinutesOf(date))))
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
