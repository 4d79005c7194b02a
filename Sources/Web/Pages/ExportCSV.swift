import AttendanceCore
import HTTPMessage

/// `/export/days.csv?from=&to=`: the days of a range as CSV (RFC 4180: comma-separated,
/// CRLF line ends, a field with a comma, a quote or a line break in double quotes with
/// its quotes doubled), UTF-8, one header row; durations in integer minutes, times as
/// local `HH:MM`. Offered as a download.
enum ExportCSV {
    static let header = ["date", "weekday", "start", "end", "breaks", "recorded", "manual", "worked", "correction", "effective", "expected",
                         "difference", "absence", "half_day", "holiday", "note", "rule_deduction", "warnings"]

    static func get(_ context: RequestContext) throws -> Response {
        let today = try context.today()
        let monthStart = LocalDate(year: today.year, month: today.month, day: 1)!
        let from = try context.request.dateParameter(.from) ?? monthStart
        let to = try context.request.dateParameter(.to)
            ?? LocalDate(year: from.year, month: from.month, day: LocalDate.daysIn(month: from.month, year: from.year))!
        try Input.range(from, to, maxDays: FiguresHandler.maxDays)
        let ledger = try context.ledger(from: from, to: to)
        let zone = ledger.policy.settings.timezone
        var lines = [header]
        for day in ledger.days(from: from, to: to) {
            let times = DayText.startEnd(day, in: zone)
            lines.append([day.date.description, day.date.weekday.rawValue, times?.start ?? "", times?.end ?? "",
                          day.work.map { String($0.breaks) } ?? "", String(day.recorded), String(day.manual), String(day.worked),
                          day.correction.map(String.init) ?? "",
                          String(day.effective), String(day.expected), String(day.difference),
                          day.absence?.kind.rawValue ?? "", day.absence.map { $0.halfDay ? "true" : "false" } ?? "",
                          day.holiday ?? "", day.correctionNote ?? "", String(day.ruleDeduction),
                          day.warnings.map(\.rawValue).joined(separator: " ")])
        }
        let text = lines.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return Response(status: 200, headers: [
            ("Content-Type", "text/csv; charset=utf-8"),
            ("Content-Disposition", "attachment; filename=\"attendance-\(from)-to-\(to).csv\""),
            ("Cache-Control", "no-store"),
        ], body: Array(text.utf8))
    }

    /// One field: a text a spreadsheet would take for a formula (it begins with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return: OWASP's CSV-injection advice) gets a leading
    /// `'` so it stays text; then RFC 4180 quoting where needed. Numbers are written by
    /// this code and never start that way, except a negative difference, which is left a
    /// number (it is one).
    static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Int(text) == nil {
            text = "'" + text
        }
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
