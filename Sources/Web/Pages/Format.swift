/// How durations look on the pages and how people may type them.
enum Format {
    /// "1 entry", "3 entries", "0 heartbeats".
    static func count(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        let plural = plural ?? (singular.hasSuffix("y") ? singular.dropLast() + "ies" : singular + "s")
        return "\(count) \(count == 1 ? singular : String(plural))"
    }

    /// `7:30`; negative values get a real minus sign (`−1:05`).
    static func duration(_ minutes: Int) -> String {
        let sign = minutes < 0 ? "\u{2212}" : ""
        let value = abs(minutes)
        return "\(sign)\(value / 60):\(value % 60 < 10 ? "0" : "")\(value % 60)"
    }

    /// `+12:30`, `−1:05`, `0:00`: for differences and balances.
    static func signed(_ minutes: Int) -> String {
        minutes > 0 ? "+" + duration(minutes) : duration(minutes)
    }

    /// A CSS class for a signed figure.
    static func tone(_ minutes: Int) -> String {
        minutes > 0 ? "positive" : minutes < 0 ? "negative" : "zero"
    }

    /// Minutes from `7:30` (hours and minutes) or `7.5` / `7,5` (decimal hours); nil
    /// when the text is neither or negative. Decimal hours round to the nearest minute.
    static func minutes(fromHours text: String) -> Int? {
        let trimmed = text.trimmingWhitespace
        guard !trimmed.isEmpty else { return nil }
        if let colon = trimmed.firstIndex(of: ":") {
            let hours = trimmed[..<colon], rest = trimmed[trimmed.index(after: colon)...]
            guard !hours.isEmpty, hours.allSatisfy(\.isASCIIDigit), rest.count == 2, rest.allSatisfy(\.isASCIIDigit),
                  let h = Int(hours), let m = Int(rest), m < 60, h <= 10_000 else { return nil }
            return h * 60 + m
        }
        let decimal = trimmed.replacingOccurrences(of: ",", with: ".")
        guard decimal.allSatisfy({ $0.isASCIIDigit || $0 == "." }), decimal.filter({ $0 == "." }).count <= 1,
              decimal.contains(where: \.isASCIIDigit), let hours = Double(decimal), hours <= 10_000 else { return nil }
        return Int((hours * 60).rounded())
    }
}

extension Format {
    /// Signed minutes from `-12:30`, `+3:15`, `−1.5` or `7:30`; nil when not such a text.
    static func signedMinutes(fromHours text: String) -> Int? {
        let trimmed = text.trimmingWhitespace
        guard let first = trimmed.first else { return nil }
        let negative = first == "-" || first == "\u{2212}"
        let magnitude = negative || first == "+" ? String(trimmed.dropFirst()) : trimmed
        guard !magnitude.hasPrefix("+"), !magnitude.hasPrefix("-"), let minutes = minutes(fromHours: magnitude) else { return nil }
        return negative ? -minutes : minutes
    }

    /// A signed figure as a person types it back in: `-12:30`, `3:15`, `0:00`.
    static func typedSigned(_ minutes: Int) -> String {
        (minutes < 0 ? "-" : "") + duration(abs(minutes))
    }

    /// Days with halves: `24`, `24.5`, `−1.5`.
    static func halfDays(_ halves: Int) -> String {
        let sign = halves < 0 ? "\u{2212}" : ""
        let value = abs(halves)
        return sign + (value % 2 == 0 ? "\(value / 2)" : "\(value / 2).5")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
