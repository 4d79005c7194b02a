import AttendanceCore
import Foundation
import HTTPMessage

/// `GET /dashboard`: the balance, today, this week and month, two charts, the months.
enum DashboardPage {
    /// Days in the bar chart of daily effective vs expected.
    static let recentDays = 28
    /// Days in the cumulative-balance line (the period's last year up to yesterday).
    static let balanceDays = 366

    struct Figure {
        let effective: String
        let expected: String
        let delta: String
        let tone: String

        init(_ totals: Totals) {
            effective = Format.duration(totals.effective)
            expected = Format.duration(totals.expected)
            delta = Format.signed(totals.difference)
            tone = Format.tone(totals.difference)
        }
    }

    struct MonthRow {
        let month, recorded, effective, expected, delta, deltaTone, balance, balanceTone: String
    }

    struct Model {
        /// Until the settings were saved once: what to set first.
        let isNew: Bool
        let opening: String?
        let today: String
        let yesterday: String
        let period: String
        let balance: String
        let balanceTone: String
        let todayWorked: String
        let todayExpected: String
        /// Today's worked less expected so far, and what it means: to go (and when the
        /// target is reached while the user is at work), reached, or nothing expected.
        let todayDelta: String
        let todayTone: String
        let todayNote: String
        let todayProgress: Int
        let todayMax: Int
        let week: Figure
        let month: Figure
        let year: Int
        let months: [MonthRow]
        let chartJSON: String
        /// This year's vacation, when an allowance is set.
        let vacation: Vacation?
    }

    struct Vacation { let year: Int; let allowance, taken, planned, remaining, tone: String }

    static func get(_ app: App, _: Request, _: [String]) throws -> Response {
        let pages = try app.requirePages()
        let today = try app.today()
        let yesterday = today.adding(days: -1)
        // One window covers everything shown: the line's year, this year's months, the
        // recent weeks. What lies before it comes in as the ledger's carry.
        // Every balance and total here counts complete days, through yesterday; today is
        // its own card (SPEC: the balance through yesterday). On 1 January the months are
        // last year's.
        let january = LocalDate(year: yesterday.year, month: 1, day: 1)!
        let windowStart = min(january, today.adding(days: -(balanceDays - 1)))
        let ledger = try app.database.ledger(from: windowStart, to: today)
        let settings = ledger.policy.settings
        let chartStart = max(settings.periodStart, today.adding(days: -(balanceDays - 1)))

        let balance = ledger.balance(asOf: yesterday).balance
        let todayFigures = ledger.day(today)
        let monday = today.adding(days: -Weekday.allCases.firstIndex(of: today.weekday)!)
        let monthStart = LocalDate(year: today.year, month: today.month, day: 1)!
        let months = ledger.summary(year: yesterday.year, today: yesterday).filter(\.reachesPeriod).map {
            MonthRow(month: $0.month, recorded: Format.duration($0.recorded), effective: Format.duration($0.effective),
                     expected: Format.duration($0.expected), delta: Format.signed($0.delta), deltaTone: Format.tone($0.delta),
                     balance: Format.signed($0.balance), balanceTone: Format.tone($0.balance))
        }

        let model = Model(
            isNew: !settings.saved,
            opening: settings.openingBalanceMinutes == 0 ? nil : Format.signed(settings.openingBalanceMinutes),
            today: today.description, yesterday: yesterday.description,
            period: settings.periodEnd.map { "\(settings.periodStart) – \($0)" } ?? "since \(settings.periodStart)",
            balance: Format.signed(balance), balanceTone: Format.tone(balance),
            todayWorked: Format.duration(todayFigures.effective), todayExpected: Format.duration(todayFigures.expected),
            todayDelta: Format.signed(todayFigures.difference), todayTone: Format.tone(todayFigures.difference),
            todayNote: todayNote(todayFigures, now: app.config.now(), zone: ledger.policy.settings.timezone),
            todayProgress: min(todayFigures.effective, max(todayFigures.expected, 1)), todayMax: max(todayFigures.expected, 1),
            week: Figure(ledger.totals(from: monday, to: yesterday)), month: Figure(ledger.totals(from: monthStart, to: yesterday)),
            year: yesterday.year, months: months,
            chartJSON: chartJSON(ledger, today: today, chartStart: chartStart),
            vacation: try vacation(app, settings: settings, today: today))
        return pages.render("dashboard", model, title: "Dashboard", path: "/dashboard", script: true, charts: true)
    }

    /// How far today is from its target: `1:29 to go, reached at 17:31 if you keep working`
    /// (while heartbeats arrive: the last one at most 2 minutes ago), `1:29 to go`,
    /// `target reached`, or `no hours expected today`.
    static func todayNote(_ day: DayFigures, now: Int64, zone: Zone) -> String {
        let missing = day.expected - day.effective
        guard day.expected > 0 else { return "no hours expected today" }
        guard missing > 0 else { return "target reached" }
        let nowMinute = now / 60
        if let last = day.span?.lastMinute, last >= nowMinute - 2, zone.wallClock(ofMinute: nowMinute + Int64(missing)).date == day.date {
            return "\(Format.duration(missing)) to go, reached at \(zone.clock(minute: nowMinute + Int64(missing))) if you keep working"
        }
        return "\(Format.duration(missing)) to go"
    }

    static func vacation(_ app: App, settings: Settings, today: LocalDate) throws -> Vacation? {
        guard settings.vacationHalfDaysPerYear > 0 else { return nil }
        let count = try AbsenceHandler.vacationCount(app, settings: settings, year: today.year, asOf: today)
        return Vacation(year: today.year, allowance: Format.halfDays(count.allowanceHalves), taken: Format.halfDays(count.takenHalves),
                        planned: Format.halfDays(count.plannedHalves), remaining: Format.halfDays(count.remainingHalves),
                        tone: count.remainingHalves < 0 ? "negative" : "zero")
    }

    /// The charts' data, safe to place inside `<script type="application/json">`: only
    /// dates (`YYYY-MM-DD`), integers and absence kinds (fixed words), written out
    /// directly — no text from users (a holiday's name stays out), so nothing to escape,
    /// and no encoder to pay for on the busiest page. Per recent day: worked, expected,
    /// the time an absence took off the day, the time a holiday took off, and the kind
    /// of absence (`""`, `vacation`, …, or `holiday`).
    static func chartJSON(_ ledger: Ledger, today: LocalDate, chartStart: LocalDate) -> String {
        let recent = ledger.days(from: today.adding(days: -(recentDays - 1)), to: today)
        let policy = ledger.policy
        let absent = recent.map { policy.base(on: $0.date) - $0.expected }
        let holiday = recent.map { $0.holiday != nil && $0.inPeriod ? policy.schedule.minutes(on: $0.date) : 0 }
        let kinds = recent.map { day -> String in
            if let absence = day.absence { return "\"" + absence.kind.rawValue + (absence.halfDay ? "-half" : "") + "\"" }
            return day.holiday != nil ? "\"holiday\"" : "\"\""
        }
        // The line ends yesterday, like the balance card: today is not over yet.
        let yesterday = today.adding(days: -1)
        var carry = ledger.balance(asOf: chartStart.adding(days: -1)).balance
        let lineDays = ledger.days(from: chartStart, to: yesterday).filter(\.inPeriod)
        let line = lineDays.map { day -> Int in
            carry += day.effective - day.expected
            return carry
        }
        func dates(_ days: [DayFigures]) -> String { "[" + days.map { "\"\($0.date)\"" }.joined(separator: ",") + "]" }
        func numbers(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ",") + "]" }
        return #"{"daily":{"labels":\#(dates(recent)),"effective":\#(numbers(recent.map(\.effective))),"#
            + #""expected":\#(numbers(recent.map(\.expected))),"absent":\#(numbers(absent)),"holiday":\#(numbers(holiday)),"#
            + #""kinds":[\#(kinds.joined(separator: ","))]},"balance":{"labels":\#(dates(lineDays)),"#
            + #""balance":\#(numbers(line))}}"#
    }
}
