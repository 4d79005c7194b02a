import CSDBus
import CXScreenSaver
#if canImport(Glibc)
import Glibc
#endif

/// The user's session bus, one connection per run (spec §5): the desktop's idle monitor
/// and screen saver are asked over it, and the nudge on return is sent over it.
public final class SessionBus {
    private var handle = attendance_user_bus()
    public let address: String

    /// Each call waits at most this long: a desktop service answers in milliseconds, and a
    /// run must end within its time even when one hangs.
    static let callTimeoutMilliseconds: UInt64 = 1000

    /// Connects, or says why not.
    public static func open(environment: Variables) -> Result<SessionBus, BusFailure> {
        let bus = SessionBus(address: address(environment: environment, uid: getuid()))
        var error = [CChar](repeating: 0, count: 512)
        let result = attendance_user_bus_open(&bus.handle, bus.address, callTimeoutMilliseconds * 1000, &error, error.count)
        return result == 0 ? .success(bus) : .failure(BusFailure(code: result, message: FileText.text(error)))
    }

    private init(address: String) { self.address = address }

    deinit { attendance_user_bus_close(&handle) }

    /// `DBUS_SESSION_BUS_ADDRESS`, else `unix:path=$XDG_RUNTIME_DIR/bus` with the runtime
    /// folder defaulting to `/run/user/UID` (cron sets neither).
    public static func address(environment: Variables, uid: uid_t) -> String {
        if let address = environment["DBUS_SESSION_BUS_ADDRESS"], !address.isEmpty { return address }
        let runtime = environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/user/\(uid)"
        return "unix:path=" + escaped(runtime + "/bus")
    }

    /// A D-Bus address value: bytes outside `[-0-9A-Za-z_/.\*]` as `%XX`.
    static func escaped(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || [0x2D, 0x5F, 0x2F, 0x2E, 0x5C, 0x2A].contains(byte)
            if plain {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789abcdef".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// A method without arguments answering one `t`, `u` or `b`.
    func get(_ destination: String, _ path: String, _ interface: String, _ member: String,
             type: Character) -> Result<UInt64, BusFailure> {
        var value: UInt64 = 0
        var error = [CChar](repeating: 0, count: 512)
        let result = attendance_user_bus_get(&handle, destination, path, interface, member,
                                             CChar(type.asciiValue!), &value, &error, error.count)
        return result == 0 ? .success(value) : .failure(BusFailure(code: result, message: FileText.text(error)))
    }

    /// One desktop notification; its id, or why none was shown.
    public func notify(summary: String, body: String) -> Result<UInt32, BusFailure> {
        var id: UInt32 = 0
        var error = [CChar](repeating: 0, count: 512)
        let result = attendance_user_bus_notify(&handle, "Attendance", summary, body, &id, &error, error.count)
        return result == 0 ? .success(id) : .failure(BusFailure(code: result, message: FileText.text(error)))
    }
}

/// Why the session bus or a service on it did not answer.
public struct BusFailure: Error, Equatable {
    let code: Int32
    public let message: String

    /// The service is not there, or did not answer in time: its other methods are not asked.
    var endsTheService: Bool { code == ATTENDANCE_BUS_NOT_THERE || code == ATTENDANCE_BUS_TIMED_OUT }
}

extension IdleCheck {
    /// Asks every source this run can reach: logind (this user's sessions, system bus), on
    /// the session bus (when there is one) GNOME Mutter's idle monitor and the freedesktop
    /// screen saver, and the X server when `display` is set. Returns what they said and,
    /// for `--test`, a line per source.
    public static func read(display: String?, sessionBus: Result<SessionBus, BusFailure>?,
                            timeoutMilliseconds: UInt64 = 2000) -> (sources: IdleSources, notes: [String]) {
        var sources = IdleSources()
        var notes: [String] = []
        var error = [CChar](repeating: 0, count: 512)

        var sessions = [attendance_session](repeating: attendance_session(), count: 16)
        let count = attendance_logind_sessions(UInt32(getuid()), &sessions, Int32(sessions.count),
                                               timeoutMilliseconds * 1000, &error, error.count)
        if count >= 0 {
            let logind = sessions[0..<Int(count)].map { session in
                var copy = session
                let type = withUnsafeBytes(of: &copy.type) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                return LogindSession(type: type, locked: session.locked != 0, idle: session.idle != 0,
                                     idleSince: Int64(session.idle_since_usec / 1_000_000))
            }
            sources.logind = logind
            let graphical = logind.filter(\.isGraphical)
            // Concatenated by hand: `joined()` would make the runtime scan every protocol
            // conformance in the binary (see `Variables`).
            notes.append(graphical.reduce(into: "logind: \(graphical.count) graphical session(s) of this user") {
                $0 += " [\($1.type)\($1.locked ? ", locked" : "")\($1.idle ? ", idle since \(Clock.rfc3339($1.idleSince))" : "")]"
            })
        } else {
            notes.append("logind: no answer (\(FileText.text(error)))")
        }

        if let sessionBus { askDesktop(sessionBus, &sources, &notes) }
        askX(display, &sources, &notes)
        return (sources, notes)
    }

    /// GNOME Mutter's idle monitor, then (not on GNOME) the freedesktop screen saver.
    static func askDesktop(_ sessionBus: Result<SessionBus, BusFailure>, _ sources: inout IdleSources, _ notes: inout [String]) {
        switch sessionBus {
        case .failure(let failure):
            notes.append("GNOME Mutter idle monitor: no answer (\(failure.message))")
            notes.append("freedesktop screen saver: no answer (no session bus)")
        case .success(let bus):
            switch bus.get("org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core",
                           "org.gnome.Mutter.IdleMonitor", "GetIdletime", type: "t") {
            case .success(let milliseconds):
                sources.mutterIdleMilliseconds = milliseconds
                notes.append("GNOME Mutter idle monitor: no input for \(milliseconds / 1000) s")
                // GNOME: its lock is logind's LockedHint, which GNOME Shell sets; the
                // freedesktop screen saver would add two questions and nothing new.
                notes.append("freedesktop screen saver: not asked (GNOME answered)")
                return
            case .failure(let failure):
                notes.append("GNOME Mutter idle monitor: no answer (\(failure.message))")
            }
            let saver = ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver")
            var line = "freedesktop screen saver: "
            switch bus.get(saver.0, saver.1, saver.2, "GetActive", type: "b") {
            case .success(let active):
                sources.screenSaverActive = active != 0
                line += active != 0 ? "active (locked or blanked)" : "not active"
            case .failure(let failure):
                line += "GetActive no answer (\(failure.message))"
                if failure.endsTheService {
                    notes.append("freedesktop screen saver: no answer (\(failure.message))")
                    return
                }
            }
            switch bus.get(saver.0, saver.1, saver.2, "GetSessionIdleTime", type: "u") {
            case .success(let milliseconds):
                sources.screenSaverIdleMilliseconds = milliseconds
                line += "; no input for \(milliseconds / 1000) s"
            case .failure(let failure):
                line += "; GetSessionIdleTime no answer (\(failure.message))"
            }
            notes.append(line)
        }
    }

    /// The X server, when a display is configured and the desktop did not already say how
    /// long there was no input (Mutter, KDE's screen saver: the same figure, without
    /// loading libX11), and the session is not Wayland.
    static func askX(_ display: String?, _ sources: inout IdleSources, _ notes: inout [String]) {
        guard let display, !display.isEmpty else { return }
        var error = [CChar](repeating: 0, count: 512)
        if sources.mutterIdleMilliseconds != nil || sources.screenSaverIdleMilliseconds != nil {
            notes.append("X display \(display): not asked (the desktop said how long there was no input)")
            return
        }
        if IdleCheck.isWaylandOnly(sources.logind) {
            notes.append("X display \(display): not asked (the session is Wayland; Xwayland sees only input to X windows)")
            return
        }
        var idle: UInt = 0
        var saver: Int32 = 0
        if attendance_x_idle(display, &idle, &saver, &error, error.count) == 0 {
            sources.x = XIdle(idleMilliseconds: UInt64(idle), saverOn: saver != 0)
            notes.append("X display \(display): no input for \(idle / 1000) s\(saver != 0 ? ", screen saver on" : "")")
        } else {
            notes.append("X display \(display): no answer (\(FileText.text(error)))")
        }
    }
}
