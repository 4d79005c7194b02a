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

/// JSON string literals for text written out by hand: quotes, backslashes and control
/// characters escaped (RFC 8259 §7), everything else as UTF-8.
enum JSONText {
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
