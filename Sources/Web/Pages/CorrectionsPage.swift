import Foundation
import AttendanceCore
import HTTPMessage
import Mustache
import Storage

/// `/corrections`, shown as "Days": one row per day of a date range with its start and
/// end, and a form to set, change or remove a day's correction. A correction's note shows
/// in its row; the history of each day's corrections is under it.
enum CorrectionsPage {
    /// The longest range one page shows.
    static let maxDays = 366

    struct HistoryEntry { let when: String; let what: String; let note: String? }

    struct Row {
        let date, weekday, start, end, recorded, expected, effective, difference, differenceTone: String
        /// The minutes of entries in the worked time (`incl. 1:30 away`), when there are any.
        let manual: String?
        /// The current correction's note.
        let note: String?
        let correction: String?
        let holiday: String?
        /// `Vacation`, `Sick (half day)`, …
        let absence: String?
        let off: Bool
        let outside: Bool
        let corrected: Bool
        /// The signed month holding the day (`2024-03`), which offers no edit; nil when open.
        let signed: String?
        /// Rule 12 in words, for the mark's title; nil when nothing applies.
        let rules: String?
        let history: [HistoryEntry]
        let hasHistory: Bool
        let editLink: String
        let rowClass: String
        /// The week's subtotal, after its Sunday (or the range's last day).
        let week: WeekTotal?
        /// Today: shown, marked, and not in the totals (they count complete days).
        let inProgress: Bool
    }

    /// A week's worked, expected, counted and difference, through yesterday like the
    /// dashboard (today is not over, a day still to come is not a deficit); `counted` and
    /// `difference` are empty when none of it is over.
    struct WeekTotal { let label, worked, expected, counted, difference, tone: String }

    struct Model {
        let from, to: String
        let fromError, toError: String?
        let saved: String?
        let rows: [Row]
        let total: String
        let totalTone: String
        let worked, expected: String
        /// The last date the totals count (yesterday, or the range's end when it is
        /// earlier); nil when no day of the range is over.
        let through: String?
        let csvLink: String
        let formDate, formDuration, formNote: String
        let dateError, durationError, noteError: String?
    }

    struct Entry {
        enum Slot { case date, duration, note }
        var date = "", duration = "", note = ""
        var errors = FormErrors<Slot> { field in
            switch field {
            case .date: .date
            case .note: .note
            default: .duration
            }
        }
    }

    static func get(_ context: RequestContext) throws -> Response {
        let query = try context.request.queryItems
        var entry = Entry()
        if let edit = query["edit"], let date = LocalDate(edit) {
            entry.date = date.description
            if let current = try context.database.corrections(from: date, to: date).first {
                entry.duration = Format.duration(current.minutes ?? 0)
                entry.note = current.note
            } else {
                entry.duration = Format.duration(try context.ledger(from: date, to: date).day(date).worked)
            }
        }
        let saved = query["saved"].flatMap(LocalDate.init).map { "Correction for \($0) saved." }
            ?? query["removed"].flatMap(LocalDate.init).map { "Correction for \($0) removed; the worked time counts again." }
        return try render(context, from: query["from"] ?? "", to: query["to"] ?? "", entry: entry, saved: saved)
    }

    /// Adds or changes a correction with the API's rules; on an error shows the form again as typed.
    static func post(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        var entry = Entry(date: fields["date"].trimmingWhitespace, duration: fields["duration"].trimmingWhitespace, note: fields["note"])
        do {
            guard let minutes = Format.minutes(fromHours: entry.duration) else {
                throw ValidationError(.minutes, "Type the time worked as 7:30 or 7.5.")
            }
            // In the units typed, and pointing where such a figure belongs (the API says minutes).
            if let date = LocalDate(entry.date), case let length = try context.zone().minutesIn(date), minutes > length {
                throw ValidationError(.minutes, "\(entry.duration) is longer than this day (\(Format.duration(length))). "
                    + "Hours carried over from before the period go in the opening balance (Settings); "
                    + "a day off is an absence (Absences).")
            }
            let record = try Corrections.save(context, date: entry.date, minutes: minutes, note: entry.note)
            return .seeOther(location(from: fields["from"], to: fields["to"], extra: "saved=\(record.date)"))
        } catch let error as ValidationError {
            entry.errors.add(error)
            return try render(context, from: fields["from"], to: fields["to"], entry: entry, status: 422)
        }
    }

    static func remove(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        try Corrections.remove(context, date: fields["date"])
        return .seeOther(location(from: fields["from"], to: fields["to"], extra: "removed=\(fields["date"])"))
    }

    static func location(from: String, to: String, extra: String) -> String {
        let safe = { (text: String) in LocalDate(text)?.description ?? "" }
        return "/corrections?from=\(safe(from))&to=\(safe(to))&\(extra)"
    }

    static func render(_ context: RequestContext, from fromText: String, to toText: String, entry: Entry, saved: String? = nil,
                       status: Int = 200) throws -> Response {
        let pages = try context.requirePages()
        let today = try context.today()
        let monthStart = LocalDate(year: today.year, month: today.month, day: 1)!
        var from = monthStart, to = LocalDate(year: today.year, month: today.month, day: LocalDate.daysIn(month: today.month, year: today.year))!
        var fromError: String?, toError: String?
        var status = status
        do {
            if !fromText.isEmpty { from = try Input.date(fromText, field: .from) }
            if !toText.isEmpty { to = try Input.date(toText, field: .to) }
            try Input.range(from, to, maxDays: maxDays)
        } catch let error as ValidationError {
            if error.field == .from { fromError = error.message } else { toError = error.message }
            from = monthStart
            to = monthStart.adding(days: LocalDate.daysIn(month: today.month, year: today.year) - 1)
            status = 422
        }
        let ledger = try context.ledger(from: from, to: to)
        let zone = ledger.policy.settings.timezone
        var history: [LocalDate: [HistoryEntry]] = [:]
        for record in try context.database.correctionHistory(from: from, to: to) {
            history[record.date, default: []].append(HistoryEntry(
                when: DayText.moment(record.createdAt, in: zone),
                what: record.minutes.map { "set to \(Format.duration($0))" } ?? "removed",
                note: record.note.isEmpty ? nil : record.note))
        }
        let days = ledger.days(from: from, to: to)
        let rows = days.map { day in
            let times = DayText.startEnd(day, in: zone), rules = DayText.rules(day)
            let dayHistory = history[day.date] ?? []
            let classes = [day.workingDay ? nil : "off", day.holiday == nil ? nil : "holiday", day.absence == nil ? nil : "absence",
                           day.correction == nil ? nil : "corrected", day.inPeriod ? nil : "outside",
                           day.signedIn == nil ? nil : "frozen"].compactMap { $0 }
            return Row(date: day.date.description, weekday: day.date.weekday.rawValue.capitalized,
                       start: times?.start ?? "", end: times?.end ?? "",
                       recorded: Format.duration(day.worked), expected: Format.duration(day.expected),
                       effective: Format.duration(day.effective), difference: Format.signed(day.difference),
                       differenceTone: Format.tone(day.difference), manual: day.manual > 0 ? Format.duration(day.manual) : nil,
                       note: day.correctionNote,
                       correction: day.correction.map(Format.duration),
                       holiday: day.holiday, absence: day.absence.map(AbsencesPage.describe), off: !day.workingDay, outside: !day.inPeriod, corrected: day.correction != nil && day.signedIn == nil,
                       signed: day.signedIn?.description,
                       rules: rules.isEmpty ? nil : rules.joined(separator: "; "),
                       history: dayHistory, hasHistory: !dayHistory.isEmpty,
                       editLink: "/corrections?from=\(from)&to=\(to)&edit=\(day.date)#correction",
                       rowClass: (classes + (day.date == today ? ["in-progress"] : [])).joined(separator: " "),
                       week: day.date.weekday == .sun || day.date == to ? weekTotal(ending: day.date, from: from, today: today, days, ledger) : nil,
                       inProgress: day.date == today)
        }
        // Complete days, as on the dashboard: today is not over, and a day still to come is
        // not a deficit.
        let through = min(to, today.adding(days: -1))
        let totals = through >= from ? ledger.totals(from: from, to: through) : .zero
        let model = Model(from: from.description, to: to.description, fromError: fromError, toError: toError, saved: saved,
                          rows: rows, total: Format.signed(totals.difference), totalTone: Format.tone(totals.difference),
                          worked: Format.duration(totals.effective), expected: Format.duration(totals.expected),
                          through: through >= from ? through.description : nil,
                          csvLink: "/export/days.csv?from=\(from)&to=\(to)",
                          formDate: entry.date.isEmpty ? today.description : entry.date, formDuration: entry.duration,
                          formNote: entry.note, dateError: entry.errors[.date], durationError: entry.errors[.duration],
                          noteError: entry.errors[.note])
        return pages.render("corrections", model, title: "Days", path: "/corrections", status: status)
    }

    /// The subtotal of the week that ends on `last` (within the range), through yesterday.
    static func weekTotal(ending last: LocalDate, from: LocalDate, today: LocalDate, _ days: [DayFigures],
                          _ ledger: Ledger) -> WeekTotal {
        let monday = max(from, last.adding(days: -Weekday.allCases.firstIndex(of: last.weekday)!))
        let through = min(last, today.adding(days: -1))
        let label = "Week from \(monday)" + (through < last && through >= monday ? ", through \(through)" : "")
        guard through >= monday else {
            let holdsToday = monday <= today && today <= last
            return WeekTotal(label: label + (holdsToday ? " (in progress)" : " (to come)"), worked: "", expected: "", counted: "",
                             difference: "", tone: "")
        }
        let totals = ledger.totals(from: monday, to: through)
        let worked = days.filter { $0.date >= monday && $0.date <= through && $0.inPeriod }.reduce(0) { $0 + $1.worked }
        return WeekTotal(label: label, worked: Format.duration(worked), expected: Format.duration(totals.expected),
                         counted: Format.duration(totals.effective), difference: Format.signed(totals.difference),
                         tone: Format.tone(totals.difference))
    }
}

// A year's page renders 366 rows of these: named fields instead of swift-mustache's
// reflection (Mirror) at every `{{name}}`, which took most of the page's 170 ms. A test
// checks that each answers exactly what reflection would.
extension CorrectionsPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "date": date
        case "weekday": weekday
        case "start": start
        case "end": end
        case "recorded": recorded
        case "manual": manual
        case "expected": expected
        case "effective": effective
        case "difference": difference
        case "differenceTone": differenceTone
        case "note": note
        case "correction": correction
        case "holiday": holiday
        case "absence": absence
        case "off": off
        case "outside": outside
        case "corrected": corrected
        case "signed": signed
        case "rules": rules
        case "history": history
        case "hasHistory": hasHistory
        case "editLink": editLink
        case "rowClass": rowClass
        case "week": week
        case "inProgress": inProgress
        default: nil
        }
    }
}

extension CorrectionsPage.Model: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "from": from
        case "to": to
        case "fromError": fromError
        case "toError": toError
        case "saved": saved
        case "rows": rows
        case "total": total
        case "totalTone": totalTone
        case "worked": worked
        case "expected": expected
        case "through": through
        case "csvLink": csvLink
        case "formDate": formDate
        case "formDuration": formDuration
        case "formNote": formNote
        case "dateError": dateError
        case "durationError": durationError
        case "noteError": noteError
        default: nil
        }
    }
}

extension CorrectionsPage.HistoryEntry: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "when": when
        case "what": what
        case "note": note
        default: nil
        }
    }
}
