import Foundation
import HTTPMessage

/// The parts of a `multipart/form-data` body kept in a file (an import's upload), found
/// without reading the body into memory: each field's byte range in the file, by name.
enum MultipartFile {
    /// The fields' ranges, the last of a repeated name winning; nil when `contentType` is
    /// not multipart/form-data with a boundary.
    static func fields(_ upload: Upload, contentType: String) throws -> [String: Range<Int>]? {
        guard let boundary = Multipart.boundary(contentType) else { return nil }
        let delimiter = Array("--\(boundary)".utf8)
        let positions = try find(delimiter, in: upload)
        var fields: [String: Range<Int>] = [:]
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // The CRLF after the delimiter, and the one before the next.
            partStart += 2
            let partEnd = end - 2
            guard partStart < partEnd else { continue }
            let head = try UploadSource.bytes(upload, partStart..<partEnd, limit: 8192)
            guard let headerEnd = Multipart.find([13, 10, 13, 10], in: head, from: 0),
                  let name = Multipart.name(String(decoding: head[..<headerEnd], as: UTF8.self)) else { continue }
            fields[name] = (partStart + headerEnd + 4)..<partEnd
        }
        return fields
    }

    /// Where `needle` starts in the file, in order, read a window at a time.
    static func find(_ needle: [UInt8], in upload: Upload) throws -> [Int] {
        var positions: [Int] = []
        let window = 256 * 1024
        var buffer = [UInt8](repeating: 0, count: window + needle.count)
        var offset = 0
        while offset < upload.size {
            let length = UploadSource.bytesRead(upload, at: offset, into: &buffer)
            guard length >= needle.count else { break }
            var from = 0
            while from <= length - needle.count {
                // memchr finds each candidate first byte; the rest is compared in place.
                let found: Int? = buffer.withUnsafeBytes { (hay: UnsafeRawBufferPointer) -> Int? in
                    var at = from
                    while at <= length - needle.count {
                        guard let hit = memchr(hay.baseAddress! + at, Int32(needle[0]), length - needle.count + 1 - at) else { return nil }
                        at = UnsafeRawPointer(hit) - hay.baseAddress!
                        if memcmp(hay.baseAddress! + at, needle, needle.count) == 0 { return at }
                        at += 1
                    }
                    return nil
                }
                guard let at = found else { break }
                if positions.last.map({ offset + at > $0 }) ?? true { positions.append(offset + at) }
                from = at + 1
            }
            // The next window overlaps this one by the needle's length, so none is missed.
            offset += max(1, length - needle.count + 1)
            if length < buffer.count { break }
        }
        return positions
    }
}

extension UploadSource {
    /// Fills `buffer` from `offset` as far as the file goes; the count read.
    static func bytesRead(_ upload: Upload, at offset: Int, into buffer: inout [UInt8]) -> Int {
        (try? bytes(upload, offset..<min(upload.size, offset + buffer.count), limit: buffer.count)).map { read in
            buffer.replaceSubrange(0..<read.count, with: read)
            return read.count
        } ?? 0
    }
}
