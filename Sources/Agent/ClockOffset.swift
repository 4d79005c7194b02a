#if canImport(Glibc)
import Glibc
#endif

/// This computer's clock against the server's (spec §5: a laptop clock that is wrong loses
/// nothing). Every answer's HTTP `Date` gives the offset; when it is over a minute,
/// heartbeats are stamped in the server's time.
public enum ClockOffset {
    /// What to subtract from this computer's clock to get the server's: 0 within a minute,
    /// else `offset` (this clock ahead: positive) rounded to whole minutes, so that one
    /// run a minute still lands on one minute each.
    public static func correction(offset: Int64) -> Int64 {
        guard abs(offset) > 60 else { return 0 }
        let minutes = (Double(offset) / 60).rounded()
        return Int64(minutes) * 60
    }

    /// "6 min ahead of", "400 days behind" the server's clock.
    public static func describe(_ correction: Int64) -> String {
        let minutes = abs(correction) / 60
        let size = minutes >= 2 * 1440 ? "\(minutes / 1440) days" : minutes >= 120 ? "\(minutes / 60) h" : "\(minutes) min"
        return size + (correction > 0 ? " ahead of" : " behind")
    }
}

/// The correction last measured, kept in the state folder (`clock`) with what makes it
/// still true: the boot it was measured in, and the wall clock's distance from the boot
/// clock then. A reboot, or the wall clock set by more than a minute since (NTP came
/// back, someone fixed it), makes it unknown again.
public struct ClockState: Equatable, Sendable {
    public var correction: Int64
    var boot: String
    var base: Int64

    /// The saved correction, or nil when there is none or it no longer holds.
    public static func load(_ paths: AgentPaths) -> Int64? {
        guard let text = FileText.read(paths.clockFile) else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 3, let correction = Int64(fields[0]), let base = Int64(fields[2]) else { return nil }
        let now = current()
        guard String(fields[1]) == now.boot, abs(base - now.base) <= 60 else { return nil }
        return correction
    }

    public static func save(_ correction: Int64, _ paths: AgentPaths) throws(AgentError) {
        let now = current()
        guard FileText.read(paths.clockFile) != "\(correction) \(now.boot) \(now.base)\n" else { return }
        try FileText.replace(paths.clockFile, with: "\(correction) \(now.boot) \(now.base)\n")
    }

    /// This boot's id and the wall clock minus the boot clock, in seconds; read once a run.
    static func current() -> (boot: String, base: Int64) { facts }

    private static let facts: (boot: String, base: Int64) = {
        let boot = (FileText.read("/proc/sys/kernel/random/boot_id") ?? "").filter { !$0.isWhitespace }
        var since = timespec()
        clock_gettime(CLOCK_BOOTTIME, &since)
        return (boot.isEmpty ? "-" : boot, Clock.now() - Int64(since.tv_sec))
    }()
}
