/// RFC 3339 timestamps (`2024-03-31T01:59:30+01:00`, `…Z`, optional fraction).
public enum Timestamp {
    /// Seconds since the Unix epoch (fraction dropped), or nil when `text` is not an
    /// RFC 3339 date-time with an explicit offset. A missing offset is refused: it is ambiguous.
    public static func epochSeconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(b[10]),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = Digits.value(b[0..<4]), let month = Digits.value(b[5..<7]),
              let day = Digits.value(b[8..<10]), let date = LocalDate(year: year, month: month, day: day),
              let hour = Digits.value(b[11..<13]), let minute = Digits.value(b[14..<16]),
              let second = Digits.value(b[17..<19]),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, Digits.value(b[i...i]) != nil { i += 1 }
            guard i > start, i - start <= 9 else { return nil }
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard b.count == i + 6, b[i + 3] == UInt8(ascii: ":"),
                  let oh = Digits.value(b[(i + 1)..<(i + 3)]), let om = Digits.value(b[(i + 4)..<(i + 6)]),
                  oh <= 23, om <= 59 else { return nil }
            offsetSeconds = (oh * 60 + om) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        // A leap second (:60) counts as the last second of its minute.
        let local = Int64(date.dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
        return local - Int64(offsetSeconds)
    }
}
