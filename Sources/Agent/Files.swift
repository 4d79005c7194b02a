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
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failure("cannot write \(temporary): \(errorText())") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                close(fd)
                throw .failure("cannot write \(temporary): \(errorText())")
            }
            written += count
        }
        guard fsync(fd) == 0, close(fd) == 0 else { throw .failure("cannot sync \(temporary): \(errorText())") }
        guard rename(temporary, path) == 0 else { throw .failure("cannot replace \(path): \(errorText())") }
        let directory = open(parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Creates `path` and its parents (mode 0700) when missing.
    static func makeDirectories(_ path: String) throws(AgentError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw .failure("cannot create \(current): \(errorText())")
            }
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// An exclusive `flock` on a file, released when the value is dropped or the process ends.
final class FileLock {
    private let fd: Int32

    /// Takes the lock; waits for it unless `wait` is false, then returns nil when it is held.
    init?(_ path: String, wait: Bool) throws(AgentError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failure("cannot open lock \(path): \(FileText.errorText())") }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(fd)
            if error == EWOULDBLOCK { return nil }
            throw .failure("cannot lock \(path): \(String(cString: strerror(error)))")
        }
        self.fd = fd
    }

    deinit { close(fd) }
}
