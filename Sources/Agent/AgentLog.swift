#if canImport(Glibc)
import Glibc
#endif

/// `~/.heartbeat_agent.log`: one line per failure or recovery, kept under `limit` bytes
/// by moving a full file to `.1` (one old file is kept).
public struct AgentLog: Sendable {
    public let path: String
    public let limit: Int

    public init(path: String, limit: Int = 256 * 1024) {
        self.path = path
        self.limit = limit
    }

    public func write(_ message: String, now: Int64) {
        var info = stat()
        if stat(path, &info) == 0 && Int(info.st_size) >= limit {
            rename(path, path + ".1")
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // One line each, bounded, and never a NUL or another control character.
        let clean = message.utf8.prefix(2000).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }
        let line = Array("\(Clock.rfc3339(now)) ".utf8) + clean + [0x0A]
        _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

extension AgentLog {
    /// Writes `message` unless a line on `topic` was written today (UTC) already; the days
    /// said are kept in `said`, one `topic day` line each.
    public func once(_ topic: String, _ message: String, now: Int64, paths: AgentPaths) {
        if markSaid(topic, now: now, paths: paths) { write(message, now: now) }
    }

    /// Whether a line on `topic` was written today.
    public func saidToday(_ topic: String, now: Int64, paths: AgentPaths) -> Bool {
        (FileText.read(paths.saidFile) ?? "").split(separator: "\n").contains { $0 == topic + " " + String(Clock.rfc3339(now).prefix(10)) }
    }

    /// Notes that `topic` was said today; false when it already was.
    @discardableResult
    public func markSaid(_ topic: String, now: Int64, paths: AgentPaths) -> Bool {
        let entry = topic + " " + String(Clock.rfc3339(now).prefix(10))
        let lines = (FileText.read(paths.saidFile) ?? "").split(separator: "\n").map(String.init)
        guard !lines.contains(entry) else { return false }
        let kept = lines.filter { !$0.hasPrefix(topic + " ") } + [entry]
        try? FileText.replace(paths.saidFile, with: kept.concatenated(separator: "\n") + "\n")
        return true
    }
}

/// The wall clock and this machine's name.
public enum Clock {
    public static func now() -> Int64 { Int64(time(nil)) }

    /// `2026-11-24T19:15:00Z`.
    public static func rfc3339(_ seconds: Int64) -> String {
        var value = time_t(seconds)
        var parts = tm()
        gmtime_r(&value, &parts)
        var text = [CChar](repeating: 0, count: 32)
        let length = strftime(&text, text.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: text[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Seconds since the epoch of an RFC 3339 date-time with `Z` or `±HH:MM` (fractions
    /// ignored), or nil.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard Beat.isTimestamp(bytes[...]) else { return nil }
        func number(_ range: Range<Int>) -> Int32 { bytes[range].reduce(0) { $0 * 10 + Int32($1 - 0x30) } }
        var parts = tm()
        parts.tm_year = number(0..<4) - 1900
        parts.tm_mon = number(5..<7) - 1
        parts.tm_mday = number(8..<10)
        parts.tm_hour = number(11..<13)
        parts.tm_min = number(14..<16)
        parts.tm_sec = bytes.count > 16 && bytes[16] == 0x3A ? number(17..<19) : 0
        var seconds = Int64(timegm(&parts))
        let zone = bytes.lastIndex { $0 == 0x2B || $0 == 0x2D }.flatMap { $0 > 16 ? $0 : nil }
        if let zone {
            let offset = Int64(number(zone + 1..<zone + 3)) * 3600 + Int64(number(zone + 4..<zone + 6)) * 60
            seconds += bytes[zone] == 0x2B ? -offset : offset
        }
        return seconds
    }

    /// `14:02`, in this computer's time zone.
    public static func localTime(_ seconds: Int64) -> String {
        format(seconds, "%H:%M")
    }

    /// `2026-12-03`, in this computer's time zone.
    public static func localDate(_ seconds: Int64) -> String {
        format(seconds, "%Y-%m-%d")
    }

    static func format(_ seconds: Int64, _ pattern: String) -> String {
        var value = time_t(seconds)
        var parts = tm()
        localtime_r(&value, &parts)
        var text = [CChar](repeating: 0, count: 32)
        let length = strftime(&text, text.count, pattern, &parts)
        return String(decoding: text[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func hostname() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "" }
        return FileText.text(name)
    }
}
