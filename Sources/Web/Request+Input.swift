import AttendanceCore
import Foundation
import HTTPMessage

extension Request {
    /// Query parameters, decoded as `URLEncoded` says (400 when they cannot be); the last
    /// of a repeated name wins.
    var queryItems: [String: String] {
        get throws {
            var items: [String: String] = [:]
            for (name, value) in try URLEncoded.pairs(Array(query.utf8), of: "query parameter") { items[name] = value }
            return items
        }
    }

    /// The date in query parameter `field`; nil when absent, 422 when not a real date.
    func dateParameter(_ field: Field) throws -> LocalDate? {
        guard let text = try queryItems[field.rawValue], !text.isEmpty else { return nil }
        return try Input.date(text, field: field)
    }

    /// The required `from` and `to` query dates: 400 when either is missing, 422 when
    /// inverted or longer than `maxDays`.
    func requiredRange(maxDays: Int) throws -> (from: LocalDate, to: LocalDate) {
        guard let from = try dateParameter(.from), let to = try dateParameter(.to) else {
            throw HTTPError(400, "from and to are required, as YYYY-MM-DD")
        }
        try Input.range(from, to, maxDays: maxDays)
        return (from, to)
    }

    /// Decodes the body as `T`; malformed JSON and wrong types are 400.
    func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else { throw HTTPError(400, "body must be a JSON object") }
        try Input.checkNumberRanges(body)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as HTTPError {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            guard !context.codingPath.isEmpty else { throw HTTPError(400, "body must be a JSON object") }
            throw HTTPError(400, "\(Input.path(context.codingPath)) has the wrong type")
        } catch let DecodingError.keyNotFound(key, _) {
            throw HTTPError(400, "\(key.stringValue) is required")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw HTTPError(400, "\(Input.path(context.codingPath)) has the wrong type")
        } catch {
            // swift-foundation reports a number that does not fit (7.5 for an integer) as
            // corrupt data; tell that apart from JSON that does not parse at all.
            if (try? JSONSerialization.jsonObject(with: Data(body))) is [String: Any] {
                throw HTTPError(400, "a field has the wrong type (minutes are whole numbers, dates and names are strings)")
            }
            throw HTTPError(400, "body is not a valid JSON object")
        }
    }
}

/// RFC 3339 UTC text of a moment, as `created_at` shows it.
func rfc3339(_ seconds: Int64) -> String {
    let day = LocalDate(dayNumber: Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400))
    let rest = Int(seconds - Int64(day.dayNumber) * 86_400)
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "\(day)T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
}

/// `application/x-www-form-urlencoded` text, the one decoder for form bodies and query
/// strings: `&` separates pairs, the first `=` a name from its value, `+` is a space and
/// `%XX` (two hex digits) a byte; the bytes must then be UTF-8. Anything else — `%zz`, a
/// `%` without two hex digits after it, bytes that are not UTF-8 — is a 400 that names
/// the field, never a value stored raw.
enum URLEncoded {
    static func pairs(_ bytes: [UInt8], of what: String) throws -> [(String, String)] {
        try bytes.split(separator: UInt8(ascii: "&")).map { pair in
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = pair[..<(equals ?? pair.endIndex)]
            guard let name = decode(rawName) else {
                throw HTTPError(400, "a \(what) name is not valid percent-encoded UTF-8")
            }
            guard let equals else { return (name, "") }
            guard let value = decode(pair[pair.index(after: equals)...]) else {
                throw HTTPError(400, "\(what) \(name.isEmpty ? "(no name)" : name) is not valid percent-encoded UTF-8")
            }
            return (name, value)
        }
    }

    /// The text `part` encodes, or nil.
    static func decode(_ part: ArraySlice<UInt8>) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.count)
        var index = part.startIndex
        while index < part.endIndex {
            let byte = part[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard part.endIndex - index >= 3,
                      let high = hexValue(part[index + 1]), let low = hexValue(part[index + 2]) else { return nil }
                bytes.append(high << 4 | low)
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Input {
    /// One rule for numbers no field can hold, whichever way they miss: beyond ±2^63, too
    /// large for a double (`1e400`), or so small they would be read as 0 (`1e-400`) are a
    /// 422, before decoding turns them into "invalid JSON" or a silent 0.
    static func checkNumberRanges(_ body: [UInt8]) throws {
        var index = 0
        var inString = false
        while index < body.count {
            let byte = body[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                index += 1
                continue
            }
            let start = index
            while index < body.count, "0123456789+-.eE".utf8.contains(body[index]) { index += 1 }
            let token = String(decoding: body[start..<index], as: UTF8.self)
            guard let value = Double(token) else { continue }  // not a number: the decoder says so
            let mantissa = token.prefix { $0 != "e" && $0 != "E" }
            if !value.isFinite || abs(value) >= 9.223372036854775807e18 || (value == 0 && mantissa.contains { ("1"..."9").contains($0) }) {
                throw HTTPError(422, "the number \(token.prefix(40)) is out of range")
            }
        }
    }
}
