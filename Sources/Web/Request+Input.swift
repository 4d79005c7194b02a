import AttendanceCore
import Foundation
import HTTPMessage

extension Request {
    /// Query parameters, percent-decoded; the last of a repeated name wins.
    var queryItems: [String: String] {
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            items[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return items
    }

    /// The date in query parameter `field`; nil when absent, 422 when not a real date.
    func dateParameter(_ field: Field) throws -> LocalDate? {
        guard let text = queryItems[field.rawValue], !text.isEmpty else { return nil }
        return try Input.date(text, field: field)
    }

    /// Decodes the body as `T`; malformed JSON and wrong types are 400.
    func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else { throw HTTPError(400, "body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as HTTPError {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
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
