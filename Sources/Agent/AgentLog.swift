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

    public static func hostname() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "" }
        return FileText.text(name)
    }
}
