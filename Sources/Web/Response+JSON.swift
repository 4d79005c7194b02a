import Foundation
import HTTPMessage

extension Response {
    /// A JSON response of an `Encodable` value, keys sorted so output is stable.
    static func json<T: Encodable>(_ value: T, status: Int = 200) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)) ?? Data(#"{"error":"response could not be encoded"}"#.utf8)
        return Response(status: status, headers: [("Content-Type", "application/json")], body: Array(body))
    }

    /// The SPEC's error shape: `{"error": "<what was wrong, in words>"}`.
    static func error(_ status: Int, _ message: String) -> Response {
        json(["error": message], status: status)
    }
}
