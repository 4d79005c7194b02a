#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request body kept in a file instead of memory: the large uploads (imports), which
/// the FastCGI layer spools to an unlinked temporary file as they arrive. Read at any
/// offset with `pread`, so one value can be read by several readers; the file is closed
/// (and, being unlinked, gone) when the last reference goes.
public final class Upload: Sendable {
    /// The open file; nobody else has it.
    public let descriptor: Int32
    /// Its length in bytes.
    public let size: Int

    public init(descriptor: Int32, size: Int) {
        self.descriptor = descriptor
        self.size = size
    }

    deinit { close(descriptor) }

    /// Up to `buffer.count` bytes from `offset` on; 0 at the end. Throws on a read error.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = min(buffer.count, size - offset)
        guard wanted > 0 else { return 0 }
        while true {
            let count = pread(descriptor, buffer.baseAddress, wanted, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw UploadError(errno: errno) }
        }
    }

    /// A body in memory written to a new unlinked file in `directory` (for tests and for
    /// callers that have the bytes already).
    public static func spooled(_ bytes: [UInt8], in directory: String) throws -> Upload {
        let file = try UploadFile(in: directory)
        try bytes.withUnsafeBytes { try file.append($0) }
        return file.finish()
    }
}

/// A failed read or write of a spooled body.
public struct UploadError: Error, Sendable, CustomStringConvertible {
    public let errno: Int32
    public var description: String { "the uploaded body could not be kept: \(String(cString: strerror(errno)))" }
}

/// A spool file being written: created 0600 in `directory` and unlinked at once, so
/// nothing is left behind whatever happens to the process.
public final class UploadFile {
    private var descriptor: Int32
    public private(set) var size = 0

    public init(in directory: String) throws {
        var template = Array("\(directory.isEmpty ? "." : directory)/attendance-upload-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw UploadError(errno: errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw UploadError(errno: errno)
            }
            done += count
        }
        size += bytes.count
    }

    /// The file as an `Upload`; this writer is done with it.
    public func finish() -> Upload {
        let upload = Upload(descriptor: descriptor, size: size)
        descriptor = -1
        return upload
    }
}
