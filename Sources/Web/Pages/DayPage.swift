import AttendanceCore
import HTTPMessage

/// `/days/YYYY-MM-DD`: one day — its timeline drawn on the server as SVG (no JavaScript,
/// no inline style; minutes an entry covers hatched apart from recorded ones), its
/// sessions and gaps (each gap with "Count as work"), first start, last end and breaks,
/// its figures, its entries with remove and a form to add one, the absence and holiday,
/// and the history of its corrections.
enum DayPage {
    /// The timeline's drawing units: one per real minute across, so a 23 or 25 hour day
    /// is drawn that much narrower or wider.
    struct Timeline {
        struct Block { let x: Int; let width: Int; let label: String; let manual: Bool }
        struct Tick {
            let x: Int
            let label: String?
            let major: Bool
            /// A label a phone leaves out (every sixth hour and the day's end stay), so the
            /// rest can be large enough to read.
            let minor: Bool
            /// The first and last labels keep inside the drawing.
            let anchor: String
        }
        let width: Int
        /// The drawing's width with room for the first and last label.
        let viewWidth: Int
        let blocks: [Block]
        let ticks: [Tick]
        let description: String
        let hasManual: Bool
    }

    struct SessionRow { let start, end, minutes: String; let manual: String? }
    struct GapRow { let start, end, minutes: String; let startValue, endValue: String; let label: String }
    struct EntryRow { let id: Int64; let start, end, minutes, note: String; let running: Bool; let imported: Bool }
    struct Figure { let label, value: String; let id: String; let tone: String }
    struct HistoryEntry { let when, what: String; let note: String? }

    /// The add-entry form as typed.
    struct EntryForm {
        enum Slot { case from, to, note }
        var from = "", to = "", note = ""
        var errors = FormErrors<Slot> { field in
            switch field {
            case .start, .from: .from
            case .note: .note
            default: .to
            }
        }
    }

    struct Model {
        let date, weekday: String
        /// The days either side; nil before 0001-01-01 and past 9999-12-31.
        let previous, next: String?
        let hours: Int
        let saved: String?
        let timeline: Timeline
        let sessions: [SessionRow]
        let hasSessions: Bool
        let gaps: [GapRow]
        let hasGaps: Bool
        /// A gap can be counted: the day is not in the future.
        let canCount: Bool
        let firstStart, lastEnd, breaks: String
        let figures: [Figure]
        let absence, holiday: String?
        let outside: Bool
        let entries: [EntryRow]
        let hasEntries: Bool
        let formFrom, formTo, formNote: String
        let fromError, toError, noteError, gapError: String?
        let history: [HistoryEntry]
        let hasHistory: Bool
        let editLink: String
        /// The signed month holding this day, in words; nil on an open day.
        let frozen: String?
        let frozenMonth: String?
        /// Entries, gaps and corrections can be changed: the day is not frozen.
        let editable: Bool
        /// Rule 12 in words: the break deducted, the warnings.
        let rules: [String]
        let hasRules: Bool
    }

    /// The page's date, or 404 for a path that names none.
    static func date(_ context: RequestContext) throws -> LocalDate {
        let text = try context.parameters.require("date")
        guard let date = LocalDate(text) else { throw HTTPError(404, "no such day: \(text) is not a date in the form YYYY-MM-DD") }
        return date
    }

    static func get(_ context: RequestContext) throws -> Response {
        let saved: String? = switch try context.request.queryItems["saved"] {
        case "entry": "Entry added: it counts as worked time."
        case "entry-removed": "Entry removed."
        default: nil
        }
        return try render(context, date: try date(context), form: EntryForm(), saved: saved)
    }

    /// Adds an entry on this date: from a gap's "Count as work" (`start`, `end` as RFC
    /// 3339) or from the form (`from`–`to` as `HH:MM` on this date; an end at or before
    /// the start is on the next day).
    static func addEntry(_ context: RequestContext) throws -> Response {
        let date = try date(context)
        let fields = try Form(context.request)
        var form = EntryForm(from: fields["from"].trimmingWhitespace, to: fields["to"].trimmingWhitespace, note: fields["note"])
        var gapError: String?
        do {
            if !fields["start"].isEmpty {
                let start = try Entries.minute(fields["start"], field: .start, now: context.now)
                let end = try Entries.minute(fields["end"], field: .end, now: context.now)
                _ = try Entries.add(context, start: start, end: end, note: fields["note"])
            } else {
                let (start, end) = try span(from: form.from, to: form.to, on: date, zone: context.zone())
                _ = try Entries.add(context, start: start, end: end, note: form.note)
            }
            return .seeOther("/days/\(date)?saved=entry#entries")
        } catch let error as ValidationError {
            if fields["start"].isEmpty { form.errors.add(error) } else { gapError = error.message }
        } catch let error as HTTPError where error.status == 409 {
            if fields["start"].isEmpty { form.errors.add(error.message, at: .to) } else { gapError = error.message }
        }
        return try render(context, date: date, form: form, gapError: gapError, status: 422)
    }

    static func removeEntry(_ context: RequestContext) throws -> Response {
        let date = try date(context)
        let id = try Int64(pathSegment: (try Form(context.request))["id"], name: "entry")
        try Entries.remove(context, id: id)
        return .seeOther("/days/\(date)?saved=entry-removed#entries")
    }

    /// `HH:MM`–`HH:MM` on `date` as UTC minutes: the end on the next day when it is not
    /// after the start (`22:00`–`01:00`), `24:00` the next midnight; on a fall-back night
    /// a repeated time is its first occurrence, a skipped time is refused.
    static func span(from: String, to: String, on date: LocalDate, zone: Zone) throws -> (Int64, Int64) {
        func clock(_ text: String, field: Field, label: String) throws -> Int {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
                  parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else {
                throw ValidationError(field, "Type the \(label) as HH:MM, like 09:30.")
            }
            return h * 60 + m
        }
        func instant(_ minuteOfDay: Int, on day: LocalDate, field: Field, text: String) throws -> Int64 {
            if minuteOfDay == 1440 { return zone.firstMinute(of: day.adding(days: 1)) }
            guard let first = zone.instants(on: day, minuteOfDay: minuteOfDay).first else {
                throw ValidationError(field, "\(text) does not exist on \(day): the clocks skip it (summer time begins)")
            }
            return first
        }
        let fromClock = try clock(from, field: .from, label: "start")
        let toClock = try clock(to, field: .to, label: "end")
        guard fromClock < 1440 else { throw ValidationError(.from, "The start 24:00 is the next day; use 00:00 there.") }
        let start = try instant(fromClock, on: date, field: .from, text: from)
        var end = try instant(toClock == 1440 ? 1440 : toClock, on: date, field: .to, text: to)
        if end <= start { end = try instant(toClock, on: date.adding(days: 1), field: .to, text: to) }
        return (start, end)
    }

    static func render(_ context: RequestContext, date: LocalDate, form: EntryForm, saved: String? = nil, gapError: String? = nil,
                       status: Int = 200) throws -> Response {
        let pages = try context.requirePages()
        let ledger = try context.ledger(from: date, to: date)
        let zone = ledger.policy.settings.timezone
        let day = ledger.day(date)
        let (minutes, entries) = try context.database.dayMinutes(date, nowMinute: context.nowMinute)
        let sessions = minutes.sessions
        let gaps = DayMinutes.gaps(between: sessions)
        let dayStart = minutes.firstMinute
        let length = minutes.length
        let clock = { (minute: Int64) in DayText.clock(minute, on: date, in: zone) }

        // An hour tick at each real hour from midnight, named by the local clock there
        // (a fall-back night names 02:00 twice, a spring-forward night skips it).
        // Every third hour is named, and the day's end when there is room after the last.
        let named = { (offset: Int) in offset % 180 == 0 ? offset < length - 90 || offset == length : offset == length && length % 180 >= 120 }
        let ticks = stride(from: 0, through: length, by: 60).map { offset in
            Timeline.Tick(x: offset, label: named(offset) ? clock(dayStart + Int64(offset)) : nil, major: named(offset),
                          minor: named(offset) && offset % 360 != 0 && offset != length,
                          anchor: offset == 0 ? "start" : offset == length ? "end" : "middle")
        }
        let blocks = runs(of: minutes).map { run in
            Timeline.Block(x: Int(run.start - dayStart), width: Int(run.end - run.start),
                           label: "\(clock(run.start))–\(clock(run.end)), \(Format.duration(Int(run.end - run.start)))"
                               + (run.manual ? " away from the computer (entry)" : " recorded"),
                           manual: run.manual)
        }
        let sessionLabels = sessions.map { session in
            "\(clock(session.start))–\(clock(session.end)), \(Format.duration(session.minutes))"
                + (session.manual > 0 ? " (\(Format.duration(session.manual)) from entries)" : "")
        }
        let timeline = Timeline(width: length, viewWidth: length + 120, blocks: blocks, ticks: ticks,
                                description: sessions.isEmpty ? "Nothing worked on \(date)."
                                    : "Worked " + sessionLabels.joined(separator: "; ") + ".",
                                hasManual: blocks.contains(where: \.manual))
        var history: [HistoryEntry] = []
        for record in try context.database.correctionHistory(from: date, to: date) {
            history.append(HistoryEntry(when: DayText.moment(record.createdAt, in: zone),
                                        what: record.minutes.map { "set to \(Format.duration($0))" } ?? "removed",
                                        note: record.note.isEmpty ? nil : record.note))
        }
        let figures = [
            Figure(label: "Recorded by the agent", value: Format.duration(day.recorded), id: "day-recorded", tone: ""),
            Figure(label: "Entries (away from the computer)", value: Format.duration(day.manual), id: "day-manual", tone: ""),
            Figure(label: "Worked (both together)", value: Format.duration(day.worked), id: "day-worked", tone: ""),
            Figure(label: "Correction", value: day.correction.map(Format.duration) ?? "—", id: "day-correction", tone: ""),
            Figure(label: "Break deducted (working-time rules)", value: day.ruleDeduction > 0 ? Format.duration(day.ruleDeduction) : "—",
                   id: "day-deduction", tone: ""),
            Figure(label: "Counted (the correction when set, else worked less the deduction)", value: Format.duration(day.effective),
                   id: "day-effective", tone: ""),
            Figure(label: "Expected", value: Format.duration(day.expected), id: "day-expected", tone: ""),
            Figure(label: "Difference", value: Format.signed(day.difference), id: "day-difference", tone: Format.tone(day.difference)),
        ]
        let times = DayText.startEnd(day, in: zone), rules = DayText.rules(day)
        let entryRows = entries.map { entry in
            let span = entry.span(nowMinute: context.nowMinute)
            return EntryRow(id: entry.id, start: DayText.instant(entry.start, on: date, in: zone),
                            end: entry.end.map { DayText.instant($0, on: date, in: zone) } ?? "running",
                            minutes: Format.duration(span.minutes), note: entry.note, running: entry.isRunning,
                            imported: entry.source == .import)
        }
        let model = Model(
            date: date.description, weekday: SettingsPage.weekdayNames[date.weekday]!,
            previous: date.year == 1 && date.month == 1 && date.day == 1 ? nil : date.adding(days: -1).description,
            next: date.year == 9999 && date.month == 12 && date.day == 31 ? nil : date.adding(days: 1).description, hours: length / 60,
            saved: saved, timeline: timeline,
            sessions: sessions.map {
                SessionRow(start: clock($0.start), end: clock($0.end), minutes: Format.duration($0.minutes),
                           manual: $0.manual > 0 ? Format.duration($0.manual) : nil)
            },
            hasSessions: !sessions.isEmpty,
            gaps: gaps.map { gap in
                GapRow(start: clock(gap.start), end: clock(gap.end), minutes: Format.duration(gap.minutes),
                       startValue: zone.rfc3339(minute: gap.start), endValue: zone.rfc3339(minute: gap.end),
                       label: "Count \(clock(gap.start))–\(clock(gap.end)) as work")
            },
            hasGaps: !gaps.isEmpty, canCount: dayStart * 60 <= context.now && day.signedIn == nil,
            firstStart: times?.start ?? "—", lastEnd: times?.end ?? "—",
            breaks: Format.duration(day.work?.breaks ?? 0), figures: figures,
            absence: day.absence.map(AbsencesPage.describe), holiday: day.holiday, outside: !day.inPeriod,
            entries: entryRows, hasEntries: !entryRows.isEmpty,
            formFrom: form.from, formTo: form.to, formNote: form.note,
            fromError: form.errors[.from], toError: form.errors[.to], noteError: form.errors[.note], gapError: gapError,
            history: history, hasHistory: !history.isEmpty,
            editLink: "/corrections?from=\(date)&to=\(date)&edit=\(date)#correction",
            frozen: day.signedIn.map { "This day belongs to \($0.name), which is signed: its figures are the ones signed (heartbeats that arrived later are neither counted nor drawn), and nothing on it can be changed. To fix it, book an adjustment on an open date (Settings → Bookings)." },
            frozenMonth: day.signedIn?.description, editable: day.signedIn == nil,
            rules: rules, hasRules: !rules.isEmpty)
        return pages.render("day", model, title: "\(date)", path: "/days", status: status)
    }

    /// The day's worked minutes as runs of one kind: recorded (a heartbeat, with or
    /// without an entry) or manual (an entry alone), for the timeline.
    static func runs(of minutes: DayMinutes) -> [(start: Int64, end: Int64, manual: Bool)] {
        var runs: [(start: Int64, end: Int64, manual: Bool)] = []
        for minute in minutes.firstMinute..<minutes.endMinute where minutes.isWorked(minute) {
            let manual = !minutes.isRecorded(minute)
            if let last = runs.last, last.end == minute, last.manual == manual {
                runs[runs.count - 1].end = minute + 1
            } else {
                runs.append((minute, minute + 1, manual))
            }
        }
        return runs
    }
}
