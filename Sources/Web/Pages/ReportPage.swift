import AttendanceCore
import HTTPMessage

/// `/report?month=YYYY-MM`: the printable monthly timesheet — per day start, end, breaks,
/// worked, expected, difference and remarks; the month's totals; the balance before and
/// after it; vacation; lines to sign. Its print stylesheet fits any month on one A4 page.
enum ReportPage {
    struct Row {
        let date, weekday, start, end, breaks, worked, expected, difference, tone, remark: String
        let rowClass: String
    }

    struct Model {
        let title, month: String
        /// The months either side; nil past 9999-12 and before 0001-01.
        let previous, next: String?
        /// Whose timesheet: the `name` setting, else the login on a server of several people.
        let whose: String?
        /// "2026-12-03 15:47" on the person's clock.
        let printedOn: String
        /// "Carried over" when the month begins before the period (the opening balance),
        /// else "Balance on" the day before the month.
        let balanceBeforeLabel: String
        let rows: [Row]
        let worked, expected, difference, differenceTone: String
        let countedThrough: String?
        let balanceBefore, balanceBeforeDate, balanceAfter, balanceAfterDate, balanceAfterTone: String
        let vacation: String?
        let period: String
        let csvLink: String
        let bookings: [BookingRow]
        /// Rule 12's deductions of the month's days counted so far, when there are any.
        let deducted: String?
        let signing: Signing
        let hasBookings: Bool
    }

    struct BookingRow { let date, kind, minutes, note: String }

    /// The month's signature as the report shows it.
    struct Signing {
        let month, monthName: String
        /// "2026-11-02 09:14" when signed.
        let signedAt: String?
        let digest16: String?
        let lateMinutes: String?
        /// Signing is possible now; `confirming` while the confirmation is asked.
        let canSign: Bool
        let confirming: Bool
        /// Why it cannot be signed yet (an earlier month first), when it has ended.
        let waitingFor: String?
        let canUnsign: Bool
        let unsignError: String?
        let reason: String
        let notice: String?
        /// Every signing and unsigning of the month, oldest first.
        let history: [String]
        let hasHistory: Bool
    }

    static func get(_ context: RequestContext) throws -> Response {
        try render(context, confirming: try context.request.queryItems["confirm"] == "sign")
    }

    /// `POST /report/sign`: without `confirm=yes` asks to confirm (the page again, with the
    /// question); with it signs the month and shows it signed.
    static func sign(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        let month = try Months.month(fields["month"])
        guard fields["confirm"] == "yes" else { return .seeOther("/report?month=\(month)&confirm=sign#signing") }
        _ = try Months.sign(context, month)
        return .seeOther("/report?month=\(month)&signed=1#signing")
    }

    /// `POST /report/unsign`: reopens the month with the reason typed.
    static func unsign(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        let month = try Months.month(fields["month"])
        do {
            _ = try Months.unsign(context, month, reason: fields["reason"])
        } catch let error as ValidationError {
            return try render(context, month: month, status: 422, unsignError: error.message, reason: fields["reason"])
        }
        return .seeOther("/report?month=\(month)&unsigned=1#signing")
    }

    static func render(_ context: RequestContext, month chosen: Month? = nil, confirming: Bool = false, status: Int = 200,
                       unsignError: String? = nil, reason: String = "") throws -> Response {
        let pages = try context.requirePages()
        let settings = try context.database.settings()
        let today = try context.today()
        var month = chosen ?? Month(of: today)
        if chosen == nil, let text = try context.request.queryItems["month"], !text.isEmpty { month = try Months.month(text) }
        let first = month.first, last = month.last
        let ledger = try context.ledger(from: first, to: last)
        let zone = ledger.policy.settings.timezone
        let days = ledger.days(from: first, to: last)
        let notes = DayText.entryNotes(try context.database.entries(from: first, to: last, nowMinute: context.nowMinute),
                                       zone: zone, nowMinute: context.nowMinute)
        let rows = days.map { day in
            let times = DayText.startEnd(day, in: zone)
            let classes = [day.workingDay ? nil : "off", day.holiday == nil || day.absence != nil ? nil : "holiday",
                           day.absence == nil ? nil : "absence", day.inPeriod ? nil : "outside",
                           day.date == today ? "in-progress" : day.date > today ? "future" : nil].compactMap { $0 }
            // What a row says of itself: outside the period, today, a day of 23 or 25 hours.
            var marks: [String] = []
            if !day.inPeriod { marks.append(day.date < settings.periodStart ? "before the period: not counted" : "after the period: not counted") }
            if day.date == today { marks.append("today, in progress: not in the totals") }
            let hours = zone.minutesIn(day.date) / 60
            if hours > 24 { marks.append("\(hours)-hour day: clocks went back") }
            if hours < 24 { marks.append("\(hours)-hour day: clocks went forward") }
            let counted = day.inPeriod
            return Row(date: day.date.description, weekday: String(SettingsPage.weekdayNames[day.date.weekday]!.prefix(3)),
                       start: times?.start ?? "", end: times?.end ?? "",
                       breaks: day.work.map { Format.duration($0.breaks) } ?? "",
                       worked: Format.duration(day.effective), expected: counted ? Format.duration(day.expected) : "—",
                       difference: counted ? Format.signed(day.difference) : "—", tone: counted ? Format.tone(day.difference) : "",
                       remark: (marks + DayText.remarks(day, entryNotes: notes[day.date] ?? [])).joined(separator: "; "),
                       rowClass: classes.joined(separator: " "))
        }
        // The month's complete days count, as on the dashboard: today is in progress, and
        // a day still to come is not a deficit.
        let through = min(last, today.adding(days: -1))
        let totals = through >= first ? ledger.totals(from: first, to: through) : .zero
        let before = ledger.balance(asOf: first.adding(days: -1)).balance
        let after = ledger.balance(asOf: max(first.adding(days: -1), through)).balance
        var vacation: String?
        if settings.vacationHalfDaysPerYear > 0 {
            let count = try Absences.vacationCount(context, year: first.year, asOf: through)
            vacation = "\(Format.halfDays(count.takenHalves)) of \(Format.halfDays(count.allowanceHalves)) vacation days taken in \(first.year) through \(through), \(Format.halfDays(count.allowanceHalves - count.takenHalves)) left"
        }
        let (state, _, events) = try context.database.monthDetail(month)
        let history = events.map { event in
            "\(event.event == "signed" ? "Signed" : "Unsigned") on \(DayText.moment(event.at, in: zone)) · digest \(event.digest.prefix(16))"
                + (event.reason.map { ": \($0)" } ?? "")
        }
        let latest = try context.database.latestSignedMonth()
        let ended = last < today && last >= settings.periodStart && (settings.periodEnd.map { first <= $0 } ?? true)
        let nextToSign = latest?.next ?? Month(of: settings.periodStart)
        let notice: String? = try context.request.queryItems["signed"] != nil ? "\(month.name) is signed: its figures are frozen."
            : try context.request.queryItems["unsigned"] != nil ? "\(month.name) is open again: its figures count as they are now." : nil
        let signing = Signing(
            month: month.description, monthName: month.name,
            signedAt: state.signedAt.map { DayText.moment($0, in: zone) }, digest16: state.digest.map { String($0.prefix(16)) },
            lateMinutes: state.signed && state.lateMinutes > 0
                ? "\(Format.duration(state.lateMinutes)) worked on its dates arrived after signing and is not counted" : nil,
            canSign: !state.signed && ended && nextToSign == month, confirming: confirming && !state.signed && ended && nextToSign == month,
            waitingFor: !state.signed && ended && nextToSign < month ? "Sign \(nextToSign.name) first: months are signed in order." : nil,
            canUnsign: state.signed && latest == month, unsignError: unsignError, reason: reason, notice: notice,
            history: history, hasHistory: history.count > 1)
        let bookings = try context.database.bookings(from: first, to: last).map {
            BookingRow(date: $0.date.description, kind: $0.kind == .payout ? "Payout" : "Adjustment",
                       minutes: Format.signed($0.minutes), note: $0.note)
        }
        let people = context.app.people?.count ?? 0
        let whose = !settings.name.isEmpty ? settings.name : people > 1 ? context.whose.person?.name : nil
        let nowMinute = context.nowMinute
        let printedOn = "\(zone.localDate(ofMinute: nowMinute)) \(zone.clock(minute: nowMinute))"
        let model = Model(
            title: month.name, month: month.description,
            previous: month.previous?.description, next: month.next?.description, whose: whose, printedOn: printedOn,
            balanceBeforeLabel: first <= settings.periodStart ? "Carried over into the period (it starts \(settings.periodStart))"
                : "Balance on \(first.adding(days: -1))",
            rows: rows,
            worked: Format.duration(totals.effective), expected: Format.duration(totals.expected),
            difference: Format.signed(totals.difference), differenceTone: Format.tone(totals.difference),
            countedThrough: through < last ? (through >= first ? "through \(through)" : "(no day of it is over yet)") : nil,
            balanceBefore: Format.signed(before), balanceBeforeDate: first.adding(days: -1).description,
            balanceAfter: Format.signed(after), balanceAfterDate: max(first.adding(days: -1), through).description,
            balanceAfterTone: Format.tone(after), vacation: vacation,
            period: settings.periodEnd.map { "\(settings.periodStart) – \($0)" } ?? "since \(settings.periodStart)",
            csvLink: "/export/days.csv?from=\(first)&to=\(last)", bookings: bookings,
            deducted: { let total = days.filter { $0.date <= through && $0.inPeriod }.reduce(0) { $0 + $1.ruleDeduction }
                        return total > 0 ? Format.duration(total) : nil }(),
            signing: signing, hasBookings: !bookings.isEmpty)
        return pages.render("report", model, title: "Timesheet \(model.title)", path: "/report", status: status, script: true)
    }
}
