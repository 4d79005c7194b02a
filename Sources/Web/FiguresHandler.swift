import AttendanceCore
import HTTPMessage
import JSONText

/// `GET /api/days`, `/api/balance`, `/api/summary`: the figures of SPEC §2.
enum FiguresHandler {
    static let maxDays = 3660

    /// A day as `/api/days` shows it, written out directly: a year of rows is the API's
    /// largest answer, and an encoder walking 366 objects cost more than the figures.
    /// Keys in sorted order, as `Response.json` writes them; text goes through `JSONText`.
    /// `/api/days/{date}` adds its sessions, gaps and entries (`detail`).
    static func dayJSON(_ day: DayFigures, zone: Zone, detail: DayDetail? = nil, into out: inout String) {
        func instant(_ minute: Int64?) -> String { minute.map { "\"" + zone.rfc3339(minute: $0) + "\"" } ?? "null" }
        out += #"{"absence":"#
        if let absence = day.absence {
            out += #"{"half_day":\#(absence.halfDay),"kind":"\#(absence.kind.rawValue)"}"#
        } else {
            out += "null"
        }
        out += #","breaks":\#(day.work?.breaks ?? 0),"correction":\#(day.correction.map(String.init) ?? "null"),"#
        out += #""date":"\#(day.date)","effective":\#(day.effective),"#
        if let detail {
            out += #""entries":["#
            for (index, entry) in detail.entries.enumerated() {
                if index > 0 { out += "," }
                entryJSON(entry, zone: zone, nowMinute: detail.nowMinute, into: &out)
            }
            out += "],"
        }
        out += #""expected":\#(day.expected),"first_start":\#(instant(day.work?.firstStart)),"frozen":false,"#
        if let detail {
            out += #""gaps":["#
            out += detail.gaps.map { #"{"end":\#(instant($0.end)),"minutes":\#($0.minutes),"start":\#(instant($0.start))}"# }
                .joined(separator: ",")
            out += "],"
        }
        out += #""holiday":\#(day.holiday.map(JSONText.quoted) ?? "null"),"last_end":\#(instant(day.work?.lastEnd)),"#
        out += #""manual":\#(day.manual),"recorded":\#(day.recorded),"rule_deduction":0,"#
        if let detail {
            out += #""sessions":["#
            out += detail.sessions.map {
                #"{"end":\#(instant($0.end)),"manual":\#($0.manual),"minutes":\#($0.minutes),"start":\#(instant($0.start))}"#
            }.joined(separator: ",")
            out += "],"
        }
        out += #""warnings":[],"worked":\#(day.worked),"working_day":\#(day.workingDay)}"#
    }

    /// What `/api/days/{date}` shows beyond the row.
    struct DayDetail {
        let sessions: [Session]
        let gaps: [Gap]
        let entries: [TimeEntry]
        let nowMinute: Int64
    }

    /// An entry as `/api/entries` shows it: start and end with the zone's offset at each,
    /// the minutes it covers (a running one: so far).
    static func entryJSON(_ entry: TimeEntry, zone: Zone, nowMinute: Int64, into out: inout String) {
        out += #"{"end":\#(entry.end.map { "\"" + zone.rfc3339(minute: $0) + "\"" } ?? "null"),"id":\#(entry.id),"#
        out += #""minutes":\#(entry.span(nowMinute: nowMinute).minutes),"note":\#(JSONText.quoted(entry.note)),"#
        out += #""source":"\#(entry.source.rawValue)","start":"\#(zone.rfc3339(minute: entry.start))"}"#
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
        let month: String, recorded: Int, worked: Int, effective: Int, expected: Int, delta: Int, balance: Int

        init(_ summary: MonthSummary) {
            month = summary.month
            recorded = summary.recorded
            worked = summary.worked
            effective = summary.effective
            expected = summary.expected
            delta = summary.delta
            balance = summary.balance
        }
    }

    static func days(_ context: RequestContext) throws -> Response {
        let (from, to) = try context.request.requiredRange(maxDays: maxDays)
        let ledger = try context.ledger(from: from, to: to)
        let zone = ledger.policy.settings.timezone
        var body = "["
        for (index, day) in ledger.days(from: from, to: to).enumerated() {
            if index > 0 { body += "," }
            dayJSON(day, zone: zone, into: &body)
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
        dayJSON(ledger.day(date), zone: ledger.policy.settings.timezone,
                detail: DayDetail(sessions: sessions, gaps: DayMinutes.gaps(between: sessions), entries: entries,
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
