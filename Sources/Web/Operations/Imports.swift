import AttendanceCore
import CSV
import Foundation
import HTTPMessage
import Storage

/// Bringing in history from other tools, for the API and the settings page's uploads:
/// ActivityWatch presence as heartbeats, Toggl and Clockify entries as time entries.
/// Each import is one transaction, adds nothing the second time, and answers what it
/// added and, grouped by reason, what it skipped — short, however large the file.
enum Imports {
    /// The most rows one CSV import reads; the rest are skipped, and counted.
    static let maxRows = 100_000
    /// The most heartbeats one ActivityWatch import hands to storage (40 years of 8-hour
    /// weekdays); the minutes after that are skipped, and counted.
    static let maxHeartbeats = 5_000_000

    /// What an import did, as the API answers it.
    struct Summary: Encodable {
        struct Skip: Encodable { let why: String; let count: Int }
        let added: Int
        let duplicates: Int
        /// ActivityWatch events read (nil for a CSV import).
        let events: Int?
        /// CSV rows read (nil for an ActivityWatch import).
        let rows: Int?
        let skipped: [Skip]
        /// Skips whose reason is not listed (more than `SkipTally.limit` reasons).
        let skippedMore: Int

        enum CodingKeys: String, CodingKey {
            case added, duplicates, events, rows, skipped, skippedMore = "skipped_more"
        }

        init(added: Int, duplicates: Int, events: Int? = nil, rows: Int? = nil, skipped: SkipTally) {
            self.added = added
            self.duplicates = duplicates
            self.events = events
            self.rows = rows
            self.skipped = skipped.reasons.map { Skip(why: $0.why, count: $0.count) }
            skippedMore = skipped.unlisted
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(added, forKey: .added)
            try container.encode(duplicates, forKey: .duplicates)
            try container.encodeIfPresent(events, forKey: .events)
            try container.encodeIfPresent(rows, forKey: .rows)
            try container.encode(skipped, forKey: .skipped)
            try container.encode(skippedMore, forKey: .skippedMore)
        }

        /// One line for the settings page.
        var sentence: String {
            let read = events.map { "\($0) \($0 == 1 ? "event" : "events") read" } ?? rows.map { "\($0) \($0 == 1 ? "row" : "rows") read" } ?? ""
            let total = skipped.reduce(skippedMore) { $0 + $1.count }
            return "\(read): \(added) added, \(duplicates) already there" + (total == 0 ? "." : ", \(total) skipped:")
        }

        var lines: [String] {
            skipped.map { "\($0.count) × \($0.why)" } + (skippedMore > 0 ? ["\(skippedMore) × other reasons"] : [])
        }
    }

    // MARK: ActivityWatch

    /// The `not-afk` minutes of an ActivityWatch export's afkstatus buckets become
    /// heartbeats from the bucket's host (SPEC §6), read as a stream; 400 for a file that
    /// is not JSON, 422 for JSON that is not such an export, and then nothing is stored.
    static func activityWatch(_ context: RequestContext, _ source: some ByteSource) throws -> Summary {
        let reader = JSONPullReader(source, maxStringBytes: 64 * 1024)
        var hostSkips = SkipTally()
        var budget = maxHeartbeats
        do {
            let (report, counts) = try context.database.importHeartbeats(receivedAt: context.now) { store in
                try ActivityWatch.walk(reader, lastMinute: context.nowMinute + Entries.futureToleranceSeconds / 60) { host, minutes in
                    guard host.unicodeScalars.count <= HeartbeatHandler.hostLimit, !host.unicodeScalars.contains("\u{0}") else {
                        hostSkips.add("not-afk events of a bucket whose hostname is longer than \(HeartbeatHandler.hostLimit) characters or holds NUL")
                        return
                    }
                    let taken = minutes.lowerBound..<min(minutes.upperBound, minutes.lowerBound + Int64(budget))
                    if taken.count < minutes.count {
                        hostSkips.add("minutes beyond the first \(maxHeartbeats) of one import: import the rest in another file",
                                      count: minutes.count - taken.count)
                    }
                    budget -= taken.count
                    if !taken.isEmpty { try store(host, taken) }
                }
            }
            var skipped = report.skipped
            skipped.add(hostSkips)
            return Summary(added: counts.added, duplicates: counts.duplicates, events: report.events, skipped: skipped)
        } catch let error as JSONSyntaxError {
            throw HTTPError(400, "the file is not valid JSON (\(error.message) at byte \(error.offset)); nothing was imported")
        } catch let error as ActivityWatch.FormatError {
            throw ValidationError(.file, "this is not an ActivityWatch export (/api/0/export): \(error.message); nothing was imported")
        }
    }

    // MARK: Toggl and Clockify

    /// The zone of `?timezone=` (or a form's field): the settings' zone when empty.
    static func zone(_ context: RequestContext, named name: String?) throws -> Zone {
        guard let name = name?.trimmingWhitespace, !name.isEmpty else { return try context.zone() }
        return try Input.zone(name)
    }

    /// A Toggl or Clockify detailed CSV export becomes time entries with source `import`,
    /// its local times read in `zone`; 422 for a file that is neither tool's, and then
    /// nothing is stored.
    static func csv(_ context: RequestContext, _ source: some ByteSource, zone: Zone) throws -> Summary {
        let reader: CSVReader
        do {
            reader = try CSVReader(stream: SourceInputStream(source), hasHeaderRow: true)
        } catch {
            throw notCSV("it has no header row")
        }
        guard let columns = Timesheet.columns(header: reader.headerRow ?? []) else {
            throw notCSV("its header has none of the columns Start date, Start time, End date, End time")
        }
        var items: [ImportEntries.Item] = []
        var skipped = SkipTally()
        var rows = 0
        let latest = context.now + Entries.futureToleranceSeconds
        while let row = reader.next() {
            rows += 1
            guard rows <= maxRows else {
                skipped.add("rows beyond the first \(maxRows) of one import: import them in another file")
                continue
            }
            switch entry(row, columns, zone: zone, latest: latest) {
            case let .success(item): items.append(item)
            case let .failure(skip): skipped.add(skip.why)
            }
        }
        if reader.error != nil {
            throw notCSV("it could not be read as CSV (UTF-8 text, fields in double quotes closed)")
        }
        let outcome = try context.apply(ImportEntries(items))
        for (_, month) in outcome.frozen {
            skipped.add("rows in \(month.name) (\(month)), which is signed: to fix a signed month, book an adjustment on an open date")
        }
        return Summary(added: outcome.added, duplicates: outcome.duplicates, rows: rows, skipped: skipped)
    }

    static func notCSV(_ why: String) -> ValidationError {
        ValidationError(.file, "this is not a Toggl or Clockify detailed CSV export: \(why); nothing was imported")
    }

    struct Skip: Error { let why: String }

    /// One row as an entry, or why it is skipped.
    static func entry(_ row: [String], _ columns: Timesheet.Columns, zone: Zone, latest: Int64) -> Result<ImportEntries.Item, Skip> {
        func field(_ index: Int?) -> String { index.flatMap { $0 < row.count ? row[$0] : nil } ?? "" }
        guard let startDate = Timesheet.date(field(columns.startDate)), let endDate = Timesheet.date(field(columns.endDate)) else {
            return .failure(Skip(why: "rows whose start or end date cannot be read (YYYY-MM-DD, MM/DD/YYYY, DD.MM.YYYY)"))
        }
        guard let startTime = Timesheet.time(field(columns.startTime)), let endTime = Timesheet.time(field(columns.endTime)) else {
            return .failure(Skip(why: "rows whose start or end time cannot be read (13:05, 13:05:00, 1:05 PM)"))
        }
        let start = zone.instant(startDate, startTime)
        var end = zone.instant(endDate, endTime)
        // An end in a repeated hour that the earlier instant would put before the start:
        // the later one is meant.
        if case let .ambiguous(later) = end.kind, end.seconds <= start.seconds { end.seconds = later }
        // Entries cover whole minutes: seconds are dropped.
        let startMinute = floorDiv(start.seconds, 60), endMinute = floorDiv(end.seconds, 60)
        guard endMinute > startMinute else { return .failure(Skip(why: "rows whose end is not after their start (to the minute)")) }
        guard endMinute - startMinute <= TimeEntry.maxMinutes else { return .failure(Skip(why: "rows longer than 24 hours (1440 minutes)")) }
        guard startMinute >= 0 else { return .failure(Skip(why: "rows before 1970")) }
        guard end.seconds <= latest else { return .failure(Skip(why: "rows that end in the future")) }
        var note = field(columns.description).trimmingWhitespace
        if note.isEmpty { note = field(columns.project).trimmingWhitespace }
        note = String(String.UnicodeScalarView(note.unicodeScalars.filter { $0 != "\u{0}" }))
        if note.unicodeScalars.count > TimeEntry.noteLimit {
            note = String(String.UnicodeScalarView(note.unicodeScalars.prefix(TimeEntry.noteLimit - 1))) + "…"
        }
        return .success(ImportEntries.Item(start: startMinute, end: endMinute, note: note))
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
