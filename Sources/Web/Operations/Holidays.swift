import AttendanceCore
import Foundation
import HTTPMessage
import Storage

/// Adding, renaming, importing and removing holidays, for the API and the forms.
enum Holidays {
    static let nameLimit = 200

    /// Validates and stores a holiday; true when it was new.
    static func save(_ context: RequestContext, date text: String, name: String) throws -> (date: LocalDate, name: String, created: Bool) {
        let date = try Input.date(text, field: .date)
        let name = try validName(name)
        return (date, name, try context.apply(SetHoliday(date, name: name)))
    }

    /// The most skipped events listed in an answer; the rest are counted in `skipped_more`.
    static let skippedListed = 50

    struct Imported: Encodable {
        struct Skipped: Encodable { let summary: String, why: String }
        let added: Int, renamed: Int
        let skipped: [Skipped]
        /// Skipped events not listed (beyond `skippedListed`).
        let skippedMore: Int

        enum CodingKeys: String, CodingKey { case added, renamed, skipped, skippedMore = "skipped_more" }
    }

    /// The all-day events of an iCalendar file become holidays, in one transaction; 422
    /// for a body that is not an iCalendar file, and then nothing is stored.
    static func importCalendar(_ context: RequestContext, bytes: [UInt8]) throws -> Imported {
        guard let text = String(validating: bytes, as: UTF8.self),
              let entries = HolidayCalendar.entries(text) else {
            throw ValidationError(.calendar, "this is not an iCalendar file: it must be UTF-8 text that begins with BEGIN:VCALENDAR")
        }
        var holidays: [(date: LocalDate, name: String)] = [], skipped: [Imported.Skipped] = []
        for entry in entries {
            switch entry {
            case let .holiday(date, name):
                do {
                    holidays.append((date, try validName(name)))
                } catch let error as ValidationError {
                    skipped.append(.init(summary: SkipTally.shortened(name, to: HolidayCalendar.summaryLimit), why: error.message))
                }
            case let .skipped(summary, why):
                skipped.append(.init(summary: summary, why: why))
            }
        }
        let counts = try context.apply(ImportHolidays(holidays))
        for holiday in counts.frozen {
            let month = Month(of: holiday.date)
            skipped.append(.init(summary: SkipTally.shortened(holiday.name, to: HolidayCalendar.summaryLimit), why: "\(holiday.date) is in \(month.name) (\(month)), which is signed: its holidays stay as they were signed"))
        }
        return Imported(added: counts.added, renamed: counts.renamed, skipped: Array(skipped.prefix(skippedListed)),
                        skippedMore: max(0, skipped.count - skippedListed))
    }

    static func remove(_ context: RequestContext, date text: String) throws {
        try remove(context, date: try Input.date(text, field: .date))
    }

    static func remove(_ context: RequestContext, date: LocalDate) throws {
        guard try context.apply(RemoveHoliday(date)) else { throw HTTPError(404, "no holiday on \(date)") }
    }

    static func validName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ValidationError(.name, "name must not be empty") }
        try Input.text(trimmed, field: .name, limit: nameLimit)
        return trimmed
    }
}
