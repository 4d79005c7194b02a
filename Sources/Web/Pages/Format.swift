/// How durations look on the pages and how people may type them.
enum Format {
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

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
