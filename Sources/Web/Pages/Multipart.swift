/// A `multipart/form-data` body (RFC 7578), as a browser sends a form with a file: the
/// content of each field by name. Small on purpose: the settings page's one upload.
enum Multipart {
    /// The fields of `body`, the last of a repeated name winning; nil when `contentType`
    /// is not multipart/form-data with a boundary.
    static func fields(_ body: [UInt8], contentType: String) -> [String: [UInt8]]? {
        guard let boundary = boundary(contentType) else { return nil }
        let delimiter = Array("--\(boundary)".utf8)
        var fields: [String: [UInt8]] = [:]
        var positions: [Int] = []
        var searchFrom = 0
        while let found = find(delimiter, in: body, from: searchFrom) {
            positions.append(found)
            searchFrom = found + delimiter.count
        }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var part = Array(body[(start + delimiter.count)..<end])
            if part.starts(with: [13, 10]) { part.removeFirst(2) }
            if part.count >= 2, part.suffix(2) == [13, 10] { part.removeLast(2) }  // the CRLF before the next delimiter
            guard let headerEnd = find([13, 10, 13, 10], in: part, from: 0) else { continue }
            let headers = String(decoding: part[..<headerEnd], as: UTF8.self)
            guard let name = name(headers) else { continue }
            fields[name] = Array(part[(headerEnd + 4)...])
        }
        return fields
    }

    static func boundary(_ contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingWhitespace }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            var value = String(part.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }

    /// `name="…"` of the part's Content-Disposition header.
    static func name(_ headers: String) -> String? {
        for line in headers.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        where line.lowercased().hasPrefix("content-disposition:") {
            guard let range = line.range(of: "name=\""), let close = line[range.upperBound...].firstIndex(of: "\"") else { return nil }
            return String(line[range.upperBound..<close])
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
