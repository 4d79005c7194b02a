import Foundation
import HTTPMessage
import JSONText

extension Response {
    /// A JSON response of an `Encodable` value, keys sorted so output is stable.
    static func json<T: Encodable>(_ value: T, status: Int = 200) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)) ?? Data(#"{"error":"response could not be encoded"}"#.utf8)
        return Response(status: status, headers: [("Content-Type", "application/json")], body: Array(body))
    }

    /// JSON already written out (by code that writes only numbers, fixed words and
    /// `JSONText`-quoted strings).
    static func jsonText(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }

    /// The SPEC's error shape: `{"error": "<what was wrong, in words>"}`.
    static func error(_ status: Int, _ message: String) -> Response {
        json(["error": message], status: status)
    }
}
