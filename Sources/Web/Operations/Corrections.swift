import AttendanceCore
import Foundation
import HTTPMessage
import Storage

/// Setting and removing a day's correction (rule 6): the one way, for the API and the forms.
enum Corrections {
    static let noteLimit = 1000

    /// Validates and stores a correction: at most the length of that local day in the current zone.
    static func save(_ context: RequestContext, date text: String, minutes: Int, note: String) throws -> CorrectionRecord {
        let date = try Input.date(text, field: .date)
        let dayLength = try context.zone().minutesIn(date)
        guard (0...dayLength).contains(minutes) else {
            throw ValidationError(.minutes, "minutes must be between 0 and \(dayLength) (the length of \(date)), not \(minutes)")
        }
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        try Input.text(note, field: .note, limit: noteLimit)
        return try context.apply(SaveCorrection(date, minutes: minutes, note: note))
    }

    /// Records the removal of a date's correction; 404 when it has none.
    static func remove(_ context: RequestContext, date text: String) throws {
        let date = try Input.date(text, field: .date)
        try remove(context, date: date)
    }

    static func remove(_ context: RequestContext, date: LocalDate) throws {
        guard try context.apply(RemoveCorrection(date)) else {
            throw HTTPError(404, "no correction on \(date)")
        }
    }
}
