import AttendanceCore
import HTTPMessage

/// `/days/YYYY-MM-DD`: one day — its timeline drawn on the server as SVG (no JavaScript,
/// no inline style), its sessions, first start, last end and breaks, its figures, the
/// absence and holiday, and the history of its corrections.
enum DayPage {
    /// The timeline's drawing units: one per real minute across, so a 23 or 25 hour day
    /// is drawn that much narrower or wider.
    struct Timeline {
        struct Block { let x: Int; let width: Int; let label: String }
        struct Tick { let x: Int; let label: String?; let major: Bool }
        let width: Int
        /// The drawing's width with room for the first and last label.
        let viewWidth: Int
        let blocks: [Block]
        let ticks: [Tick]
        let description: String
    }

    struct SessionRow { let start, end, minutes: String }
    struct Figure { let label, value: String; let id: String; let tone: String }
    struct HistoryEntry { let when, what: String; let note: String? }

    struct Model {
        let date, weekday, previous, next: String
        let hours: Int
        let timeline: Timeline
        let sessions: [SessionRow]
        let hasSessions: Bool
        let firstStart, lastEnd, breaks: String
        let figures: [Figure]
        let absence, holiday: String?
        let outside: Bool
        let history: [HistoryEntry]
        let hasHistory: Bool
        let editLink: String
    }

    static func get(_ app: App, _: Request, _ captured: [String]) throws -> Response {
        let pages = try app.requirePages()
        guard let date = LocalDate(captured[0]) else {
            throw HTTPError(404, "no such day: \(captured[0]) is not a date in the form YYYY-MM-DD")
        }
        let ledger = try app.database.ledger(from: date, to: date)
        let zone = ledger.policy.settings.timezone
        let day = ledger.day(date)
        let sessions = Session.sessions(of: try app.database.recordedMinutesOf(date))
        let dayStart = zone.firstMinute(of: date)
        let length = zone.minutesIn(date)
        let clock = { (minute: Int64) in DayText.clock(minute, on: date, in: zone) }

        // An hour tick at each real hour from midnight, named by the local clock there
        // (a fall-back night names 02:00 twice, a spring-forward night skips it).
        // Every third hour is named, and the day's end when there is room after the last.
        let named = { (offset: Int) in offset % 180 == 0 ? offset < length - 90 || offset == length : offset == length && length % 180 >= 120 }
        let ticks = stride(from: 0, through: length, by: 60).map { offset in
            Timeline.Tick(x: offset, label: named(offset) ? clock(dayStart + Int64(offset)) : nil, major: named(offset))
        }
        let blocks = sessions.map {
            Timeline.Block(x: Int($0.start - dayStart), width: Int($0.end - $0.start),
                           label: "\(clock($0.start))–\(clock($0.end)), \(Format.duration($0.minutes))")
        }
        let timeline = Timeline(width: length, viewWidth: length + 120, blocks: blocks, ticks: ticks,
                                description: sessions.isEmpty ? "Nothing recorded on \(date)."
                                    : "Worked " + blocks.map(\.label).joined(separator: "; ") + ".")
        var history: [HistoryEntry] = []
        for record in try app.database.correctionHistory(from: date, to: date) {
            history.append(HistoryEntry(when: DayText.moment(record.createdAt, in: zone),
                                        what: record.minutes.map { "set to \(Format.duration($0))" } ?? "removed",
                                        note: record.note.isEmpty ? nil : record.note))
        }
        let figures = [
            Figure(label: "Worked (recorded)", value: Format.duration(day.recorded), id: "day-recorded", tone: ""),
            Figure(label: "Correction", value: day.correction.map(Format.duration) ?? "—", id: "day-correction", tone: ""),
            Figure(label: "Counted (the correction when set, else worked)", value: Format.duration(day.effective), id: "day-effective", tone: ""),
            Figure(label: "Expected", value: Format.duration(day.expected), id: "day-expected", tone: ""),
            Figure(label: "Difference", value: Format.signed(day.difference), id: "day-difference", tone: Format.tone(day.difference)),
        ]
        let model = Model(
            date: date.description, weekday: SettingsPage.weekdayNames[date.weekday]!,
            previous: date.adding(days: -1).description, next: date.adding(days: 1).description, hours: length / 60,
            timeline: timeline,
            sessions: sessions.map { SessionRow(start: clock($0.start), end: clock($0.end), minutes: Format.duration($0.minutes)) },
            hasSessions: !sessions.isEmpty,
            firstStart: day.span.map { clock($0.firstStart) } ?? "—", lastEnd: day.span.map { clock($0.lastEnd) } ?? "—",
            breaks: Format.duration(day.span?.breaks ?? 0), figures: figures,
            absence: day.absence.map(AbsencesPage.describe), holiday: day.holiday, outside: !day.inPeriod,
            history: history, hasHistory: !history.isEmpty,
            editLink: "/corrections?from=\(date)&to=\(date)&edit=\(date)#correction")
        return pages.render("day", model, title: "\(date)", path: "/days")
    }
}
