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
        /// The month's bookings (`−10:00 booked`), when it has any.
        let booked: String?
        let signed: Bool
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
        let daily: DashboardCharts.Daily
        let line: DashboardCharts.Balance
        /// This year's vacation, when an allowance is set.
        let vacation: Vacation?
        /// "A break is due in 0:20" while working, when the rules are on and a §4 threshold is near.
        let breakDue: String?
        /// The running entry: work away from the computer under way.
        let away: Away?
        let awayMessage: String?
    }

    struct Away { let id: Int64; let since, soFar: String }

    struct Vacation { let year: Int; let allowance, taken, planned, remaining, tone: String }

    static func get(_ context: RequestContext) throws -> Response {
        let pages = try context.requirePages()
        let today = try context.today()
        let yesterday = today.adding(days: -1)
        // One window covers everything shown: the line's year, this year's months, the
        // recent weeks. What lies before it comes in as the ledger's carry.
        // Every balance and total here counts complete days, through yesterday; today is
        // its own card (SPEC: the balance through yesterday). On 1 January the months are
        // last year's.
        let january = LocalDate(year: yesterday.year, month: 1, day: 1)!
        let windowStart = min(january, today.adding(days: -(balanceDays - 1)))
        let ledger = try context.ledger(from: windowStart, to: today)
        let settings = ledger.policy.settings
        let chartStart = max(settings.periodStart, today.adding(days: -(balanceDays - 1)))

        let balance = ledger.balance(asOf: yesterday).balance
        let todayFigures = ledger.day(today)
        let monday = today.adding(days: -Weekday.allCases.firstIndex(of: today.weekday)!)
        let monthStart = LocalDate(year: today.year, month: today.month, day: 1)!
        let months = ledger.summary(year: yesterday.year, today: yesterday).filter(\.reachesPeriod).map {
            MonthRow(month: $0.month, recorded: Format.duration($0.recorded), effective: Format.duration($0.effective),
                     expected: Format.duration($0.expected), delta: Format.signed($0.delta), deltaTone: Format.tone($0.delta),
                     balance: Format.signed($0.balance), balanceTone: Format.tone($0.balance),
                     booked: $0.bookings == 0 ? nil : "\(Format.signed($0.bookings)) booked", signed: $0.signed)
        }

        let model = Model(
            isNew: !settings.saved,
            opening: settings.openingBalanceMinutes == 0 ? nil : Format.signed(settings.openingBalanceMinutes),
            today: today.description, yesterday: yesterday.description,
            period: settings.periodEnd.map { "\(settings.periodStart) – \($0)" } ?? "since \(settings.periodStart)",
            balance: Format.signed(balance), balanceTone: Format.tone(balance),
            todayWorked: Format.duration(todayFigures.effective), todayExpected: Format.duration(todayFigures.expected),
            todayDelta: Format.signed(todayFigures.difference), todayTone: Format.tone(todayFigures.difference),
            todayNote: todayNote(todayFigures, now: context.now, zone: ledger.policy.settings.timezone),
            todayProgress: min(todayFigures.effective, max(todayFigures.expected, 1)), todayMax: max(todayFigures.expected, 1),
            week: Figure(ledger.totals(from: monday, to: yesterday)), month: Figure(ledger.totals(from: monthStart, to: yesterday)),
            year: yesterday.year, months: months,
            daily: DashboardCharts.daily(ledger, today: today, days: recentDays),
            line: DashboardCharts.balance(ledger, start: chartStart, yesterday: yesterday),
            vacation: try vacation(context, settings: settings, today: today),
            breakDue: breakDue(todayFigures, rules: ledger.policy.schedule.version(on: today).workRules, nowMinute: context.nowMinute),
            away: try context.database.runningEntry().map { entry in
                Away(id: entry.id, since: DayText.instant(entry.start, on: today, in: settings.timezone),
                     soFar: Format.duration(entry.span(nowMinute: context.nowMinute).minutes))
            },
            awayMessage: awayMessage(try context.request.queryItems["away"]))
        return pages.render("dashboard", model, title: "Dashboard", path: "/dashboard", script: true)
    }

    /// While working (a minute worked in the last 5) under rules that deduct, and within
    /// 30 minutes of the next §4 threshold without the break it asks for.
    static func breakDue(_ today: DayFigures, rules: WorkRules, nowMinute: Int64) -> String? {
        guard rules == .de, today.correction == nil, let work = today.work, nowMinute - work.lastMinute <= 5,
              let due = RuleOutcome.breakDue(worked: work.worked, legalBreaks: work.longBreaks), due <= 30 else { return nil }
        return due == 0 ? "A break is due now (§4 ArbZG)" : "A break is due in \(Format.duration(due)) (§4 ArbZG)"
    }

    static func awayMessage(_ code: String?) -> String? {
        switch code {
        case "started": "Started: the time away counts as worked until you stop it."
        case "stopped": "Stopped: the time away is an entry of its day."
        case "dropped": "Stopped before a minute passed: nothing to count, so nothing was kept."
        case "running": "An entry was running already; it goes on."
        default: nil
        }
    }

    /// "Working away from the computer": a running entry from this minute on.
    static func startAway(_ context: RequestContext) throws -> Response {
        do {
            _ = try Entries.add(context, start: context.nowMinute, end: nil, note: "Away from the computer")
            return .seeOther("/dashboard?away=started#today")
        } catch let error as HTTPError where error.status == 409 {
            return .seeOther("/dashboard?away=running#today")
        }
    }

    /// "Stop": the running entry ends now; one that covers no minute yet is removed.
    static func stopAway(_ context: RequestContext) throws -> Response {
        let id = try Int64(pathSegment: (try Form(context.request))["id"], name: "entry")
        do {
            _ = try Entries.stop(context, id: id, end: nil)
            return .seeOther("/dashboard?away=stopped#today")
        } catch let error as ValidationError where error.field == .end {
            try Entries.remove(context, id: id)
            return .seeOther("/dashboard?away=dropped#today")
        }
    }

    /// How far today is from its target: `1:29 to go, reached at 17:31 if you keep working`
    /// (while heartbeats arrive: the last one at most 2 minutes ago), `1:29 to go`,
    /// `target reached`, or `no hours expected today`.
    static func todayNote(_ day: DayFigures, now: Int64, zone: Zone) -> String {
        let missing = day.expected - day.effective
        guard day.expected > 0 else { return "no hours expected today" }
        guard missing > 0 else { return "target reached" }
        let nowMinute = now / 60
        if let last = day.work?.lastMinute, last >= nowMinute - 2, zone.wallClock(ofMinute: nowMinute + Int64(missing)).date == day.date {
            return "\(Format.duration(missing)) to go, reached at \(zone.clock(minute: nowMinute + Int64(missing))) if you keep working"
        }
        return "\(Format.duration(missing)) to go"
    }

    static func vacation(_ context: RequestContext, settings: Settings, today: LocalDate) throws -> Vacation? {
        guard settings.vacationHalfDaysPerYear > 0 else { return nil }
        let count = try Absences.vacationCount(context, year: today.year, asOf: today)
        return Vacation(year: today.year, allowance: Format.halfDays(count.allowanceHalves), taken: Format.halfDays(count.takenHalves),
                        planned: Format.halfDays(count.plannedHalves), remaining: Format.halfDays(count.remainingHalves),
                        tone: count.remainingHalves < 0 ? "negative" : "zero")
    }
}
