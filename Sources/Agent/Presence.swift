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

/// What each idle source said this run; nil where it did not answer (spec §5).
public struct IdleSources: Equatable, Sendable {
    /// logind's sessions of this user (system bus).
    public var logind: [LogindSession]?
    /// The X server's screen-saver extension, when a display is configured.
    public var x: XIdle?
    /// GNOME's `org.gnome.Mutter.IdleMonitor` `GetIdletime` (session bus), milliseconds.
    public var mutterIdleMilliseconds: UInt64?
    /// `org.freedesktop.ScreenSaver` `GetActive`: locked or blanked (session bus).
    public var screenSaverActive: Bool?
    /// `org.freedesktop.ScreenSaver` `GetSessionIdleTime`, milliseconds as KDE answers it.
    public var screenSaverIdleMilliseconds: UInt64?

    public init(logind: [LogindSession]? = nil, x: XIdle? = nil, mutterIdleMilliseconds: UInt64? = nil,
                screenSaverActive: Bool? = nil, screenSaverIdleMilliseconds: UInt64? = nil) {
        self.logind = logind
        self.x = x
        self.mutterIdleMilliseconds = mutterIdleMilliseconds
        self.screenSaverActive = screenSaverActive
        self.screenSaverIdleMilliseconds = screenSaverIdleMilliseconds
    }
}

/// The rule's answer and the source that gave it (nil for `.unknown`).
public struct IdleDecision: Equatable, Sendable {
    public var presence: Presence
    public var source: String?
}

public enum IdleCheck {
    /// True when this user's graphical sessions are all Wayland: then the X display (a
    /// Wayland desktop's Xwayland) is not asked, since its idle time grows while the user
    /// types into Wayland windows.
    public static func isWaylandOnly(_ logind: [LogindSession]?) -> Bool {
        let graphical = (logind ?? []).filter(\.isGraphical)
        return !graphical.isEmpty && graphical.allSatisfy { $0.type == "wayland" }
    }

    /// The rule, with no I/O: any source that says away wins (a locked screen, or no input
    /// for `limit` seconds); else a pause in progress; else present; else unknown. A source
    /// that did not answer (nil) or has no graphical session says nothing.
    public static func decide(_ sources: IdleSources, limit: Int64, now: Int64) -> IdleDecision {
        var verdicts: [IdleDecision] = []
        func idle(_ milliseconds: UInt64, _ source: String, _ what: String) {
            let seconds = Int64(milliseconds / 1000)
            verdicts.append(IdleDecision(presence: seconds >= limit
                ? .away(since: now - seconds, reason: "no input \(what) for \(seconds / 60) min")
                : seconds >= 60 ? .pausing : .present, source: source))
        }
        let graphical = (sources.logind ?? []).filter(\.isGraphical)
        if !graphical.isEmpty {
            let unlocked = graphical.filter { !$0.locked }
            let presence: Presence
            if unlocked.isEmpty {
                presence = .away(since: nil, reason: "the screen is locked")
            } else if unlocked.contains(where: { !$0.idle }) {
                presence = .present
            } else {
                let since = unlocked.map(\.idleSince).max()!
                presence = now - since >= limit
                    ? .away(since: since, reason: "the session has been idle since \(Clock.rfc3339(since))")
                    : .pausing
            }
            verdicts.append(IdleDecision(presence: presence, source: "logind"))
        }
        if let x = sources.x {
            if x.saverOn {
                verdicts.append(IdleDecision(presence: .away(since: now - Int64(x.idleMilliseconds / 1000),
                                                             reason: "the X screen saver is on"), source: "X"))
            } else {
                idle(x.idleMilliseconds, "X", "on the X display")
            }
        }
        if let milliseconds = sources.mutterIdleMilliseconds { idle(milliseconds, "GNOME Mutter", "in the GNOME session") }
        if sources.screenSaverActive == true {
            verdicts.append(IdleDecision(presence: .away(since: sources.screenSaverIdleMilliseconds.map { now - Int64($0 / 1000) },
                                                         reason: "the screen saver is active (locked or blanked)"),
                                         source: "screen saver"))
        } else if let milliseconds = sources.screenSaverIdleMilliseconds {
            idle(milliseconds, "screen saver", "in the desktop session")
        } else if sources.screenSaverActive == false {
            // Unlocked and shown, and no idle time to go by (KDE on Wayland): present.
            verdicts.append(IdleDecision(presence: .present, source: "screen saver"))
        }
        let aways = verdicts.filter(\.presence.isAway)
        if !aways.isEmpty {
            // The earliest known moment the input stopped (X and Mutter know it to the second;
            // logind only when its idle hint flipped; a lock says nothing of it).
            return aways.filter { $0.presence.awaySince != nil }.min { $0.presence.awaySince! < $1.presence.awaySince! } ?? aways[0]
        }
        if let pausing = verdicts.first(where: { $0.presence == .pausing }) { return pausing }
        return verdicts.first ?? IdleDecision(presence: .unknown, source: nil)
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
