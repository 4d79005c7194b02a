/// Holidays read from an iCalendar file (RFC 5545), as calendar programs and public-holiday
/// feeds export them: each all-day `VEVENT` (`DTSTART;VALUE=DATE`) names its date with its
/// `SUMMARY`. Lines are unfolded and text is unescaped; an event that is no single
/// all-day event (a time of day, a repeat rule, no summary) is reported, never guessed.
/// Small on purpose: no time zones, no recurrence expansion.
public enum HolidayCalendar {
    /// What one event of the file gave.
    public enum Entry: Sendable, Equatable {
        /// A date and its name (an event over several days gives one entry per date).
        case holiday(LocalDate, String)
        /// An event that is not imported, with the reason in words.
        case skipped(summary: String, why: String)
    }

    /// The longest all-day event taken, in days: a holiday longer than a month is no
    /// holiday (a file of year-long events once cost seconds and hundreds of MB).
    public static let maxEventDays = 31
    /// The most dates one file may add; events after that are skipped.
    public static let maxDates = 10_000
    /// A summary is shown with at most this many characters.
    public static let summaryLimit = 80

    /// The entries of `text` in file order, or nil when `text` is not an iCalendar file
    /// (its first line must be `BEGIN:VCALENDAR`).
    public static func entries(_ text: String) -> [Entry]? {
        let lines = unfold(text)
        guard let first = lines.first(where: { !$0.isEmpty }), first.uppercased() == "BEGIN:VCALENDAR" else { return nil }
        var entries: [Entry] = []
        var dates = 0
        var event: [Property]?
        var depth = 0  // components opened inside the current event (VALARM …)
        for line in lines where !line.isEmpty {
            guard let property = Property(line) else { continue }
            switch (property.name, property.value.uppercased()) {
            case ("BEGIN", "VEVENT") where event == nil:
                event = []
            case ("END", "VEVENT") where depth == 0:
                if let properties = event {
                    var found = Self.entries(ofEvent: properties)
                    let days = found.filter { if case .holiday = $0 { true } else { false } }.count
                    if days > 0, dates + days > maxDates {
                        found = [.skipped(summary: Self.summary(of: properties),
                                          why: "the file has more than \(maxDates) holiday dates: import the rest in another file")]
                    } else {
                        dates += days
                    }
                    entries += found
                }
                event = nil
            case ("BEGIN", _) where event != nil:
                depth += 1
            case ("END", _) where event != nil:
                depth = max(0, depth - 1)
            default:
                if depth == 0 { event?.append(property) }
            }
        }
        return entries
    }

    /// One `name;params:value` line.
    struct Property {
        let name: String
        let parameters: [String: String]
        let value: String

        /// nil for a line that is no property (no `:` after the name and parameters).
        init?(_ line: String) {
            let scalars = Array(line.unicodeScalars)
            var index = 0
            func take(while condition: (Unicode.Scalar) -> Bool) -> String {
                var text = String.UnicodeScalarView()
                while index < scalars.count, condition(scalars[index]) {
                    text.append(scalars[index])
                    index += 1
                }
                return String(text)
            }
            let name = take { $0 != ";" && $0 != ":" }.uppercased()
            guard !name.isEmpty else { return nil }
            var parameters: [String: String] = [:]
            while index < scalars.count, scalars[index] == ";" {
                index += 1
                let key = take { $0 != "=" && $0 != ";" && $0 != ":" }.uppercased()
                guard index < scalars.count, scalars[index] == "=" else { continue }
                index += 1
                var value = ""
                if index < scalars.count, scalars[index] == "\"" {
                    index += 1
                    value = take { $0 != "\"" }
                    index += 1  // the closing quote
                }
                value += take { $0 != ";" && $0 != ":" }
                parameters[key] = value
            }
            guard index < scalars.count, scalars[index] == ":" else { return nil }
            self.name = name
            self.parameters = parameters
            self.value = String(String.UnicodeScalarView(scalars[(index + 1)...]))
        }
    }

    /// Lines with RFC 5545 folding undone: a line break followed by a space or a tab
    /// continues the line before it. CRLF, LF and CR all end a line.
    static func unfold(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        if pending == "\u{FEFF}" { pending = scalars.next() }
        var atLineStart = false
        while let scalar = pending {
            pending = scalars.next()
            if scalar == "\r" || scalar == "\n" {
                if scalar == "\r", pending == "\n" { pending = scalars.next() }
                atLineStart = true
                continue
            }
            if atLineStart {
                atLineStart = false
                if scalar == " " || scalar == "\t" { continue }  // a folded line goes on
                lines.append(String(current))
                current = String.UnicodeScalarView()
            }
            current.append(scalar)
        }
        lines.append(String(current))
        return lines
    }

    /// TEXT values: `\\`, `\;`, `\,` and `\n` / `\N` undone (RFC 5545 §3.3.11).
    static func unescape(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped {
                result.append(scalar == "n" || scalar == "N" ? "\n" : scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else {
                result.append(scalar)
            }
        }
        if escaped { result.append("\\") }
        return String(result)
    }

    /// `YYYYMMDD` as a date.
    static func date(_ value: String) -> LocalDate? {
        let digits = Array(value.utf8)
        guard digits.count == 8, let year = Digits.value(digits[0..<4]), let month = Digits.value(digits[4..<6]),
              let day = Digits.value(digits[6..<8]) else { return nil }
        return LocalDate(year: year, month: month, day: day)
    }

    /// An event's name: one line (line breaks and runs of white space become one space).
    static func summary(of properties: [Property]) -> String {
        properties.first { $0.name == "SUMMARY" }.map { unescape($0.value).split(whereSeparator: \.isWhitespace).joined(separator: " ") } ?? ""
    }

    static func entries(ofEvent properties: [Property]) -> [Entry] {
        func first(_ name: String) -> Property? { properties.first { $0.name == name } }
        let summary = summary(of: properties)
        // A skipped event is named shortly: the reason matters, not a long title.
        func skip(_ why: String) -> [Entry] { [.skipped(summary: SkipTally.shortened(summary, to: summaryLimit), why: why)] }
        guard let start = first("DTSTART") else { return skip("it has no start date (DTSTART)") }
        let value = start.value.trimmingSpaces
        if start.parameters["VALUE"]?.uppercased() == "DATE-TIME" || value.contains("T") {
            return skip("it is a timed event (DTSTART \(value)), not an all-day one")
        }
        guard let date = date(value) else { return skip("its start \"\(value)\" is not a date (YYYYMMDD)") }
        if first("RRULE") != nil || first("RDATE") != nil {
            return skip("it repeats (RRULE/RDATE), and repeats are not expanded: import a file with one event per date")
        }
        if first("STATUS")?.value.uppercased() == "CANCELLED" { return skip("it is cancelled") }
        guard !summary.isEmpty else { return skip("it has no name (SUMMARY)") }
        // DTEND of an all-day event is the day after its last (exclusive); absent, it is one day.
        var days = 1
        if let end = first("DTEND"), let last = Self.date(end.value.trimmingSpaces) {
            days = last.dayNumber - date.dayNumber
            guard days >= 1 else { return skip("it ends (DTEND) before it starts") }
            guard days <= maxEventDays else { return skip("it lasts \(days) days, more than \(maxEventDays): a holiday that long is not taken") }
        }
        return (0..<days).map { .holiday(date.adding(days: $0), summary) }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
