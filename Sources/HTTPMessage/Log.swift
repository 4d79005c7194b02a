#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends timestamped lines to stderr or a file. One `write(2)` per line, so lines
/// from several threads never interleave.
public struct Log: Sendable {
    let fd: Int32

    public static let standardError = Log(fd: 2)

    /// A log appending to `path` (created 0600 if missing), or nil with errno set.
    public init?(path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    init(fd: Int32) { self.fd = fd }

    public func callAsFunction(_ message: String) {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var stamp = [CChar](repeating: 0, count: 32)
        let length = strftime(&stamp, stamp.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        let prefix = String(decoding: stamp[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let line = Array("\(prefix) \(message)\n".utf8)
        line.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
    }
}
