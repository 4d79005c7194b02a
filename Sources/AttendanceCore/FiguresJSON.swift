import JSONText

/// The API's JSON text of days and entries, written out directly: a year of rows is the
/// API's largest answer, and an encoder walking 366 objects cost more than the figures.
/// Keys in sorted order and no whitespace, text through `JSONText`: RFC 8785's canonical
/// form, so a signed month's snapshot is made of exactly these rows.
public enum FiguresJSON {
    /// A day as `/api/days` shows it. `/api/days/{date}` adds its sessions, gaps and
    /// entries (`detail`).
    public static func dayJSON(_ day: DayFigures, zone: Zone, detail: DayDetail? = nil, into out: inout String) {
        func instant(_ minute: Int64?) -> String { minute.map { "\"" + zone.rfc3339(minute: $0) + "\"" } ?? "null" }
        out += #"{"absence":"#
        if let absence = day.absence {
            out += #"{"half_day":\#(absence.halfDay),"kind":"\#(absence.kind.rawValue)"}"#
        } else {
            out += "null"
        }
        out += #","breaks":\#(day.work?.breaks ?? 0),"correction":\#(day.correction.map(String.init) ?? "null"),"#
        out += #""date":"\#(day.date)","effective":\#(day.effective),"#
        if let detail {
            out += #""entries":["#
            for (index, entry) in detail.entries.enumerated() {
                if index > 0 { out += "," }
                entryJSON(entry, zone: zone, nowMinute: detail.nowMinute, into: &out)
            }
            out += "],"
        }
        // A frozen date keeps its instants exactly as signed, in the offset of that day's zone.
        let firstStart = day.signedStart.map { "\"" + $0 + "\"" } ?? instant(day.work?.firstStart)
        let lastEnd = day.signedEnd.map { "\"" + $0 + "\"" } ?? instant(day.work?.lastEnd)
        out += #""expected":\#(day.expected),"first_start":\#(firstStart),"frozen":\#(day.signedIn != nil),"#
        if let detail {
            out += #""gaps":["#
            out += detail.gaps.map { #"{"end":\#(instant($0.end)),"minutes":\#($0.minutes),"start":\#(instant($0.start))}"# }
                .joined(separator: ",")
            out += "],"
        }
        out += #""holiday":\#(day.holiday.map(JSONText.quoted) ?? "null"),"last_end":\#(lastEnd),"#
        out += #""manual":\#(day.manual),"recorded":\#(day.recorded),"rule_deduction":\#(day.ruleDeduction),"#
        if let detail {
            out += #""sessions":["#
            out += detail.sessions.map {
                #"{"end":\#(instant($0.end)),"manual":\#($0.manual),"minutes":\#($0.minutes),"start":\#(instant($0.start))}"#
            }.joined(separator: ",")
            out += "],"
        }
        out += #""warnings":[\#(day.warnings.map { "\"" + $0.rawValue + "\"" }.joined(separator: ","))],"worked":\#(day.worked),"working_day":\#(day.workingDay)}"#
    }

    /// What `/api/days/{date}` shows beyond the row.
    public struct DayDetail: Sendable {
        public let sessions: [Session]
        public let gaps: [Gap]
        public let entries: [TimeEntry]
        public let nowMinute: Int64

        public init(sessions: [Session], gaps: [Gap], entries: [TimeEntry], nowMinute: Int64) {
            self.sessions = sessions
            self.gaps = gaps
            self.entries = entries
            self.nowMinute = nowMinute
        }
    }

    /// An entry as `/api/entries` shows it: start and end with the zone's offset at each,
    /// the minutes it covers (a running one: so far).
    public static func entryJSON(_ entry: TimeEntry, zone: Zone, nowMinute: Int64, into out: inout String) {
        out += #"{"end":\#(entry.end.map { "\"" + zone.rfc3339(minute: $0) + "\"" } ?? "null"),"id":\#(entry.id),"#
        out += #""minutes":\#(entry.span(nowMinute: nowMinute).minutes),"note":\#(JSONText.quoted(entry.note)),"#
        out += #""source":"\#(entry.source.rawValue)","start":"\#(zone.rfc3339(minute: entry.start))"}"#
    }

}
