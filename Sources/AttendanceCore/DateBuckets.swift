/// Where the signed months end (rule 11): their last date, and the UTC minute that date
/// ended at in the zone of the day it was signed. Before that instant every minute belongs
/// to a snapshot; from it on, to the open dates.
public struct FrozenBoundary: Sendable, Equatable {
    /// The last day of the latest signed month.
    public var lastDate: LocalDate
    /// The first minute after `lastDate`, as it was when that month was signed.
    public var endMinute: Int64

    public init(lastDate: LocalDate, endMinute: Int64) {
        self.lastDate = lastDate
        self.endMinute = endMinute
    }
}

/// Which local date each UTC minute counts on (rules 3 and 11), and which minutes each
/// date holds: the zone's local dates, cut at the frozen boundary. The one place a minute
/// gets its date, for the cache, a recount, a heartbeat and a day's timeline.
///
/// Without signed months, or while the zone is the one the latest month was signed in,
/// this is the zone's local date. After a zone change a minute before the boundary whose
/// new local date is an open one counts only in its snapshot (nowhere open), and a minute
/// after it whose new local date is frozen counts on the first open date: every minute
/// on one date, none twice, none lost.
public struct DateBuckets: Sendable, Equatable {
    public let zone: Zone
    public let frozen: FrozenBoundary?

    public init(zone: Zone, frozen: FrozenBoundary? = nil) {
        self.zone = zone
        self.frozen = frozen
    }

    /// The date `minute` counts on; nil for a minute held only by a snapshot.
    public func date(ofMinute minute: Int64) -> LocalDate? {
        let date = zone.localDate(ofMinute: minute)
        guard let frozen else { return date }
        if minute >= frozen.endMinute { return max(date, frozen.lastDate.adding(days: 1)) }
        return date > frozen.lastDate ? nil : date
    }

    /// The UTC minutes that count on `date`, in order; empty when none do.
    public func minutes(of date: LocalDate) -> Range<Int64> {
        var start = zone.firstMinute(of: date), end = zone.firstMinute(of: date.adding(days: 1))
        if let frozen {
            if date > frozen.lastDate {
                start = date == frozen.lastDate.adding(days: 1) ? frozen.endMinute : max(start, frozen.endMinute)
                end = max(end, start)
            } else {
                end = max(start, min(end, frozen.endMinute))
            }
        }
        return start..<end
    }

    /// The minutes of the dates `dates`, from the first's start to the last's end.
    public func minutes(of dates: ClosedRange<LocalDate>) -> Range<Int64> {
        minutes(of: dates.lowerBound).lowerBound..<max(minutes(of: dates.lowerBound).lowerBound, minutes(of: dates.upperBound).upperBound)
    }

    /// The dates whose minutes `span` touches, in order (possibly one more at each end).
    public func dates(of span: MinuteSpan) -> [LocalDate] {
        let zoneDates = zone.dates(of: span)
        guard var first = zoneDates.first, var last = zoneDates.last else { return [] }
        if let frozen {
            let open = frozen.lastDate.adding(days: 1)
            if span.end > frozen.endMinute { last = max(last, open) }
            if span.start >= frozen.endMinute { first = max(first, open) }
            if last < first { return [] }
        }
        return (first.dayNumber...last.dayNumber).map(LocalDate.init(dayNumber:))
    }
}
