import AttendanceCore
import HTTPMessage

/// `/absences`: book an absence for a date or a range, this year's absences with remove,
/// and the vacation counter.
enum AbsencesPage {
    /// How each kind reads on the pages.
    static func label(_ kind: AbsenceKind) -> String {
        switch kind {
        case .vacation: "Vacation"
        case .sick: "Sick"
        case .leave: "Other paid leave"
        case .unpaid: "Unpaid leave"
        case .comp: "Time off in lieu"
        }
    }

    /// `Vacation`, `Sick (half day)`.
    static func describe(_ absence: Absence) -> String {
        label(absence.kind) + (absence.halfDay ? " (half day)" : "")
    }

    struct Entry {
        enum Slot { case from, to, kind, note }
        var from = "", to = "", kind = AbsenceKind.vacation.rawValue, halfDay = false, note = ""
        var errors = FormErrors<Slot> { field in
            switch field {
            case .from, .date: .from
            case .to: .to
            case .kind, .halfDay: .kind
            default: .note
            }
        }
    }

    struct Option { let value: String; let label: String; let checked: Bool }
    struct Row { let date, weekday, kind, note: String; let half: Bool }
    struct Model {
        let saved: String?
        let from, to, note: String
        let halfDay: Bool
        let kinds: [Option]
        let fromError, toError, kindError, noteError: String?
        let year: Int
        let rows: [Row]
        let hasRows: Bool
        let allowance: String?
        let taken, planned, remaining: String
        let remainingTone: String
    }

    static func get(_ context: RequestContext) throws -> Response {
        let query = try context.request.queryItems
        var saved: String?
        if let booked = query["booked"].flatMap(Int.init) {
            let skipped = query["skipped"].flatMap(Int.init) ?? 0
            saved = "Booked \(booked) \(booked == 1 ? "day" : "days")"
                + (skipped > 0 ? "; \(skipped) \(skipped == 1 ? "date" : "dates") skipped (days off, holidays or outside the period)." : ".")
        } else if let removed = query["removed"].flatMap(LocalDate.init) {
            saved = "Absence on \(removed) removed."
        }
        return try render(context, Entry(), saved: saved)
    }

    static func post(_ context: RequestContext) throws -> Response {
        let fields = try Form(context.request)
        var entry = Entry(from: fields["from"].trimmingWhitespace, to: fields["to"].trimmingWhitespace, kind: fields["kind"],
                          halfDay: !fields["half_day"].isEmpty, note: fields["note"])
        do {
            let result = try Absences.book(context, .init(from: entry.from, to: entry.to, kind: entry.kind,
                                                            halfDay: entry.halfDay, note: entry.note))
            return .seeOther("/absences?booked=\(result.booked.count)&skipped=\(result.skipped.count)")
        } catch let error as ValidationError {
            entry.errors.add(error)
        }
        return try render(context, entry, status: 422)
    }

    static func remove(_ context: RequestContext) throws -> Response {
        let date = (try Form(context.request))["date"]
        try Absences.remove(context, date: date)
        return .seeOther("/absences?removed=\(LocalDate(date)?.description ?? "")")
    }

    static func render(_ context: RequestContext, _ entry: Entry, saved: String? = nil, status: Int = 200) throws -> Response {
        let pages = try context.requirePages()
        let count = try Absences.vacationCount(context, year: nil)
        let absences = try context.database.absences(from: LocalDate(year: count.year, month: 1, day: 1),
                                                 to: LocalDate(year: count.year, month: 12, day: 31))
        let rows = absences.map {
            Row(date: $0.date.description, weekday: SettingsPage.weekdayNames[$0.date.weekday]!, kind: label($0.kind),
                note: $0.note, half: $0.halfDay)
        }
        let model = Model(
            saved: saved, from: entry.from, to: entry.to, note: entry.note, halfDay: entry.halfDay,
            kinds: AbsenceKind.allCases.map { Option(value: $0.rawValue, label: label($0), checked: $0.rawValue == entry.kind) },
            fromError: entry.errors[.from], toError: entry.errors[.to], kindError: entry.errors[.kind], noteError: entry.errors[.note],
            year: count.year, rows: rows, hasRows: !rows.isEmpty,
            allowance: count.allowanceHalves > 0 ? Format.halfDays(count.allowanceHalves) : nil,
            taken: Format.halfDays(count.takenHalves), planned: Format.halfDays(count.plannedHalves),
            remaining: Format.halfDays(count.remainingHalves), remainingTone: count.remainingHalves < 0 ? "negative" : "zero")
        return pages.render("absences", model, title: "Absences", path: "/absences", status: status)
    }
}
