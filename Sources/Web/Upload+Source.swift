import AttendanceCore
import Foundation
import HTTPMessage

/// A stretch of an uploaded file, read in order: the whole body, or one part of a
/// multipart form.
struct UploadSource: ByteSource {
    let upload: Upload
    var offset: Int
    let end: Int

    init(_ upload: Upload, range: Range<Int>? = nil) {
        self.upload = upload
        offset = range?.lowerBound ?? 0
        end = range?.upperBound ?? upload.size
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < end else { return 0 }
        let count = try upload.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, end - offset)]))
        offset += count
        return count
    }

    /// The bytes of a small stretch (a form field), at most `limit` of them.
    static func bytes(_ upload: Upload, _ range: Range<Int>, limit: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: min(range.count, limit))
        var done = 0
        while done < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { buffer in
                try upload.read(at: range.lowerBound + done, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            }
            if count == 0 { break }
            done += count
        }
        return Array(bytes[..<done])
    }
}

/// A `ByteSource` as Foundation's `InputStream`, for the CSV reader (CSV.swift reads
/// an `InputStream`): the file is read in pieces, never whole.
final class SourceInputStream<Source: ByteSource>: InputStream {
    private var source: Source
    private var status: Stream.Status = .notOpen
    private var failure: Error?
    /// Bytes read ahead: CSV.swift asks `hasBytesAvailable` before each read and takes a
    /// yes as a promise.
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var position = 0, count = 0

    init(_ source: Source) {
        self.source = source
        super.init(data: Data())
    }

    override func open() { status = .open }
    override func close() { status = .closed }
    override var streamStatus: Stream.Status { status }
    override var streamError: Error? { failure }

    override var hasBytesAvailable: Bool {
        guard status == .open else { return false }
        if position < count { return true }
        do {
            count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            position = 0
        } catch {
            failure = error
            status = .error
            count = 0
        }
        if count == 0, status == .open { status = .atEnd }
        return count > 0
    }

    override func read(_ buffer: UnsafeMutablePointer<UInt8>, maxLength len: Int) -> Int {
        guard hasBytesAvailable else { return status == .error ? -1 : 0 }
        let taken = min(len, count - position)
        chunk.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + position, count: taken) }
        position += taken
        return taken
    }

    override func getBuffer(_ buffer: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, length len: UnsafeMutablePointer<Int>) -> Bool { false }
}

extension Request {
    /// The body as a file: the spooled upload of a large-body route, or (a request made in
    /// a test, or a small body) the bytes in memory written to an unlinked file in the
    /// temporary folder.
    func uploadedFile() throws -> Upload {
        if let upload { return upload }
        return try Upload.spooled(body, in: NSTemporaryDirectory())
    }
}
