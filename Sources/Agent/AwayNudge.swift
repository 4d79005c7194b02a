/// The nudge on return (spec §5, NOTIFY_AWAY_MINUTES): when the user comes back after at
/// least that many minutes the agent skipped for being away, one desktop notification
/// offers to count the time as work on the day page.
public enum AwayNudge {
    /// An absence in progress: from when the input stopped (or the first away run) to the
    /// latest away run, seconds since the epoch. Kept in the state folder (`away`).
    public struct Absence: Equatable, Sendable {
        public var start: Int64
        public var last: Int64

        public init(start: Int64, last: Int64) {
            self.start = start
            self.last = last
        }
    }

    /// What this run's presence makes of the absence in progress: the absence to keep, and
    /// the one to tell of now (start, return). `.present` ends an absence, told of when it
    /// lasted `minutes` or more and began the same local day (a night away is not work to
    /// count); `.pausing` keeps it; `.unknown` (no graphical session any more) forgets it.
    public static func step(_ absence: Absence?, _ presence: Presence, now: Int64, minutes: Int)
        -> (keep: Absence?, tell: (start: Int64, end: Int64)?) {
        guard minutes > 0 else { return (nil, nil) }
        switch presence {
        case .away(let since, _):
            return (Absence(start: absence?.start ?? min(since ?? now, now), last: now), nil)
        case .pausing:
            return (absence, nil)
        case .unknown:
            return (nil, nil)
        case .present:
            guard let absence, now - absence.start >= Int64(minutes) * 60,
                  Clock.localDate(absence.start) == Clock.localDate(now) else { return (nil, nil) }
            return (nil, (absence.start, now))
        }
    }

    /// The notification: "Away 14:02–15:47 — open the day to count it as work", and the
    /// day page's address on the server `heartbeatURL` names.
    public static func message(start: Int64, end: Int64, heartbeatURL: String) -> (summary: String, body: String) {
        let summary = "Away \(Clock.localTime(start))–\(Clock.localTime(end)) — open the day to count it as work"
        return (summary, dayPage(heartbeatURL: heartbeatURL, date: Clock.localDate(start)))
    }

    /// `http://host:8080/api/heartbeat` → `http://host:8080/days/2026-12-03`; a URL with a
    /// prefix before `/api/heartbeat` keeps it.
    public static func dayPage(heartbeatURL: String, date: String) -> String {
        var base = heartbeatURL
        if let query = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<query]) }
        if base.hasSuffix("/api/heartbeat") { base = String(base.dropLast("/api/heartbeat".count)) }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/days/" + date
    }

    // MARK: The state file

    static func load(_ paths: AgentPaths) -> Absence? {
        guard let text = FileText.read(paths.awayFile) else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let start = Int64(fields[0]), let last = Int64(fields[1]) else { return nil }
        return Absence(start: start, last: last)
    }

    /// Writes `absence` when it differs from `stored` (what `load` read this run).
    static func save(_ absence: Absence?, over stored: Absence?, _ paths: AgentPaths) {
        guard absence != stored else { return }
        if let text = absence.map({ "\($0.start) \($0.last)\n" }) {
            try? FileText.replace(paths.awayFile, with: text)
        } else {
            unlink(paths.awayFile)
        }
    }

    /// One run's part: updates the absence kept in the state folder and, on a return worth
    /// telling, shows the notification over `bus` (nothing when no notification server
    /// answers; never printed, one log line).
    public static func run(presence: Presence, now: Int64, minutes: Int, heartbeatURL: String,
                           paths: AgentPaths, log: AgentLog, bus: SessionBus?) {
        let stored = load(paths)
        let (keep, tell) = step(stored, presence, now: now, minutes: minutes)
        save(keep, over: stored, paths)
        guard let tell else { return }
        let message = self.message(start: tell.start, end: tell.end, heartbeatURL: heartbeatURL)
        let away = "away \(Clock.localTime(tell.start))–\(Clock.localTime(tell.end)) (\((tell.end - tell.start) / 60) min)"
        switch bus?.notify(summary: message.summary, body: message.body) {
        case .success?:
            log.write("\(away): a desktop notification offered to count it as work", now: now)
        case .failure(let failure)?:
            log.write("\(away): no notification shown (\(failure.message))", now: now)
        case nil:
            log.write("\(away): no notification shown (no session bus)", now: now)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
