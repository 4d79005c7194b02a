/// JSON string literals for text written out by hand, shared by the responder's fast
/// paths, the signed months' canonical snapshots and the agent (which loads no Foundation
/// coders): quotes, backslashes and control characters escaped as RFC 8785 §3.2.2.2 says
/// (the short forms `\b \t \n \f \r`, the others as `\u00xx` in lowercase hex),
/// everything else as UTF-8 — so a string written here is already canonical.
public enum JSONText {
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
