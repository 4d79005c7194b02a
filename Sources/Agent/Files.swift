#if canImport(Glibc)
import Glibc
#endif

/// Small file operations on top of libc, so the agent needs no Foundation.
public enum FileText {
    /// The file's text, or nil when it cannot be read.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces `path` with `text` so that a crash or power loss leaves the old or the new
    /// file, never a mix: a temporary file, fsync, rename, fsync of the directory.
    public static func replace(_ path: String, with text: String) throws(AgentError) {
        try replace(path) { (fd: Int32) throws(AgentError) in try write(fd, Array(text.utf8), path: path) }
    }

    /// The same, with the new contents written by `fill` into the temporary file.
    static func replace(_ path: String, _ fill: (Int32) throws(AgentError) -> Void) throws(AgentError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failure("cannot write \(temporary): \(errorText())") }
        do {
            try fill(fd)
        } catch {
            close(fd)
            throw error
        }
        guard fsync(fd) == 0, close(fd) == 0 else { throw .failure("cannot sync \(temporary): \(errorText())") }
        guard rename(temporary, path) == 0 else { throw .failure("cannot replace \(path): \(errorText())") }
        let directory = open(parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Writes all of `bytes` to `fd`.
    static func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(AgentError) {
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .failure("cannot write \(path): \(errorText())") }
            written += count
        }
    }

    /// Throws unless a file can be created in `directory` (a read-only or full disk).
    public static func checkWritable(_ directory: String) throws(AgentError) {
        let probe = directory + "/.write-test"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failure("cannot write in \(directory): \(errorText())") }
        var byte: UInt8 = 0x0A
        let written = Glibc.write(fd, &byte, 1)
        let error = errorText()
        close(fd)
        unlink(probe)
        guard written == 1 else { throw .failure("cannot write in \(directory): \(error)") }
    }

    /// Creates `path` and its parents (mode 0700) when missing.
    public static func makeDirectories(_ path: String) throws(AgentError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/"
            current += String(part)
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw .failure("cannot create \(current): \(errorText())")
            }
        }
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func errorText() -> String { String(cString: strerror(errno)) }

    /// A NUL-terminated C buffer's text.
    static func text(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An exclusive `flock` on a file, released when the value is dropped or the process ends.
final class FileLock {
    private let fd: Int32

    /// Takes the lock, trying for up to `waitSeconds` (0: once); nil when another process
    /// still holds it then.
    init?(_ path: String, waitSeconds: Int) throws(AgentError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failure("cannot open lock \(path): \(FileText.errorText())") }
        var tries = waitSeconds * 20
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            guard error == EWOULDBLOCK else {
                close(fd)
                throw .failure("cannot lock \(path): \(String(cString: strerror(error)))")
            }
            guard tries > 0 else {
                close(fd)
                return nil
            }
            tries -= 1
            usleep(50_000)
        }
        self.fd = fd
    }

    deinit { close(fd) }
}

extension Array where Element == String {
    /// `joined(separator:)` without its generic path, which makes the Swift runtime scan
    /// every protocol conformance in the binary on first use (see `Variables`).
    func concatenated(separator: String = "") -> String {
        var text = ""
        for (index, part) in enumerated() {
            if index > 0 { text += separator }
            text += part
        }
        return text
    }
}
