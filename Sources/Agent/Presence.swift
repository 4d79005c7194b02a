import CLogind
import CXScreenSaver
#if canImport(Glibc)
import Glibc
#endif

/// Whether someone is at the computer, as far as this run can tell (spec §5, IDLE_MINUTES).
public enum Presence: Equatable, Sendable {
    /// Input within the last minute: this minute is work.
    case present
    /// No input for a while, less than the idle limit: whether this minute was work is
    /// known later — at the next input it was (a pause), at the limit it was not.
    case pausing
    /// No input for the idle limit or more, or the screen is locked: away since `since`
    /// (seconds since the epoch) when a source says when the input stopped.
    case away(since: Int64?, reason: String)
    /// Nothing answered (a server, no graphical session, idle checks off): send as before.
    case unknown
}

/// A session as logind describes it.
public struct LogindSession: Equatable, Sendable {
    public var type: String
    public var locked: Bool
    public var idle: Bool
    /// When `idle` last changed, seconds since the epoch.
    public var idleSince: Int64

    public init(type: String, locked: Bool, idle: Bool, idleSince: Int64) {
        self.type = type
        self.locked = locked
        self.idle = idle
        self.idleSince = idleSince
    }

    var isGraphical: Bool { ["x11", "wayland", "mir"].contains(type) }
}

/// What the X server's screen-saver extension says.
public struct XIdle: Equatable, Sendable {
    public var idleMilliseconds: UInt64
    public var saverOn: Bool

    public init(idleMilliseconds: UInt64, saverOn: Bool) {
        self.idleMilliseconds = idleMilliseconds
        self.saverOn = saverOn
    }
}

public enum IdleCheck {
    /// The rule, with no I/O: any source that says away wins (a locked screen, or no input
    /// for `limit` seconds); else a pause in progress; else present; else unknown. A source
    /// that did not answer (nil) or has no graphical session says nothing.
    public static func presence(logind: [LogindSession]?, x: XIdle?, limit: Int64, now: Int64) -> Presence {
        var verdicts: [Presence] = []
        if let x {
            let idle = Int64(x.idleMilliseconds / 1000)
            if x.saverOn {
                verdicts.append(.away(since: now - idle, reason: "the X screen saver is on"))
            } else if idle >= limit {
                verdicts.append(.away(since: now - idle, reason: "no input on the X display for \(idle / 60) min"))
            } else {
                verdicts.append(idle >= 60 ? .pausing : .present)
            }
        }
        let graphical = (logind ?? []).filter(\.isGraphical)
        if !graphical.isEmpty {
            let unlocked = graphical.filter { !$0.locked }
            if unlocked.isEmpty {
                verdicts.append(.away(since: nil, reason: "the screen is locked"))
            } else if unlocked.contains(where: { !$0.idle }) {
                verdicts.append(.present)
            } else {
                let since = unlocked.map(\.idleSince).max()!
                verdicts.append(now - since >= limit
                    ? .away(since: since, reason: "the session has been idle since \(Clock.rfc3339(since))")
                    : .pausing)
            }
        }
        let aways = verdicts.filter(\.isAway)
        if !aways.isEmpty {
            // The earliest known moment the input stopped (X knows it to the second;
            // logind only when its idle hint flipped; a lock says nothing of it).
            return aways.filter { $0.awaySince != nil }.min { $0.awaySince! < $1.awaySince! } ?? aways[0]
        }
        if verdicts.contains(.pausing) { return .pausing }
        return verdicts.isEmpty ? .unknown : .present
    }

    /// Asks logind (the sessions of this user) and, when `display` is set, the X server.
    /// Returns what they said and, for `--test`, a line per source.
    public static func read(display: String?, timeoutMilliseconds: UInt64 = 2000) -> (logind: [LogindSession]?, x: XIdle?, notes: [String]) {
        var notes: [String] = []
        var logind: [LogindSession]?
        var sessions = [attendance_session](repeating: attendance_session(), count: 16)
        var error = [CChar](repeating: 0, count: 512)
        let count = attendance_logind_sessions(UInt32(getuid()), &sessions, Int32(sessions.count),
                                               timeoutMilliseconds * 1000, &error, error.count)
        if count >= 0 {
            logind = sessions[0..<Int(count)].map { session in
                var copy = session
                let type = withUnsafeBytes(of: &copy.type) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                return LogindSession(type: type, locked: session.locked != 0, idle: session.idle != 0,
                                     idleSince: Int64(session.idle_since_usec / 1_000_000))
            }
            let graphical = logind!.filter(\.isGraphical)
            // Concatenated by hand: `joined()` would make the runtime scan every protocol
            // conformance in the binary (see `Variables`).
            notes.append(graphical.reduce(into: "logind: \(graphical.count) graphical session(s) of this user") {
                $0 += " [\($1.type)\($1.locked ? ", locked" : "")\($1.idle ? ", idle since \(Clock.rfc3339($1.idleSince))" : "")]"
            })
        } else {
            notes.append("logind: no answer (\(FileText.text(error)))")
        }
        var x: XIdle?
        if let display, !display.isEmpty {
            var idle: UInt = 0
            var saver: Int32 = 0
            if attendance_x_idle(display, &idle, &saver, &error, error.count) == 0 {
                x = XIdle(idleMilliseconds: UInt64(idle), saverOn: saver != 0)
                notes.append("X display \(display): no input for \(idle / 1000) s\(saver != 0 ? ", screen saver on" : "")")
            } else {
                notes.append("X display \(display): no answer (\(FileText.text(error)))")
            }
        }
        return (logind, x, notes)
    }
}

extension Presence {
    var isAway: Bool {
        if case .away = self { return true }
        return false
    }

    var awaySince: Int64? {
        if case .away(let since, _) = self { return since }
        return nil
    }
}
