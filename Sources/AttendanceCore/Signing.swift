import Foundation
import Crypto
import JSONText

/// Rule 7b: a booking's kind.
public enum BookingKind: String, Sendable, CaseIterable {
    /// Overtime paid out: minutes < 0.
    case payout
    /// Any sign: an overtime cap, a fix after a month was signed.
    case adjustment
}

/// Rule 7b: a dated entry on the time account itself, never on a day's figures.
public struct Booking: Sendable, Equatable {
    public var id: Int64
    public var date: LocalDate
    public var kind: BookingKind
    public var minutes: Int
    public var note: String

    public static let minutesLimit = 1_000_000
    public static let noteLimit = 500

    public init(id: Int64, date: LocalDate, kind: BookingKind, minutes: Int, note: String) {
        self.id = id
        self.date = date
        self.kind = kind
        self.minutes = minutes
        self.note = note
    }

    /// What is wrong with these minutes for this kind, in words; nil when they are fine.
    public static func problem(kind: BookingKind, minutes: Int) -> String? {
        if minutes == 0 { return "minutes must not be 0" }
        if abs(minutes) > minutesLimit { return "minutes must be within ±\(minutesLimit), not \(minutes)" }
        if kind == .payout, minutes > 0 { return "a payout takes minutes off the balance: minutes must be below 0, not \(minutes)" }
        return nil
    }

    /// As `/api/bookings` and a snapshot show it: canonical JSON.
    public var json: String {
        #"{"date":"\#(date)","id":\#(id),"kind":"\#(kind.rawValue)","minutes":\#(minutes),"note":\#(JSONText.quoted(note))}"#
    }
}

/// A calendar month, `YYYY-MM`.
public struct Month: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// `YYYY-MM` exactly; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 7, parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]) else { return nil }
        self.init(year: year, month: month)
    }

    public init(of date: LocalDate) {
        year = date.year
        month = date.month
    }

    public var first: LocalDate { LocalDate(year: year, month: month, day: 1)! }
    public var last: LocalDate { LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))! }
    /// The month after; nil after 9999-12.
    public var next: Month? { month == 12 ? Month(year: year + 1, month: 1) : Month(year: year, month: month + 1) }
    /// The month before; nil before 0001-01.
    public var previous: Month? { month == 1 ? Month(year: year - 1, month: 12) : Month(year: year, month: month - 1) }

    public var description: String {
        (year < 1000 ? String(repeating: "0", count: 4 - String(year).count) : "") + "\(year)-" + (month < 10 ? "0\(month)" : "\(month)")
    }

    /// "October 2026".
    public var name: String {
        let names = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                     "October", "November", "December"]
        return "\(names[month - 1]) \(year)"
    }

    public static func < (lhs: Month, rhs: Month) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}

/// One date of a signed month as its snapshot holds it: its `/api/days` row as signed
/// (`"frozen":false`, canonical JSON) and the figures that row says.
public struct SignedDay: Sendable, Equatable {
    public var month: Month
    /// The row as it is in the snapshot.
    public var row: String { Self.signedRow(frozenRow) }
    /// The row as `/api/days` serves it now: the same, `"frozen":true`.
    public let frozenRow: String
    /// Its figures, `signedIn` set.
    public var figures: DayFigures

    /// From the row as signed.
    public init(month: Month, row: String, figures: DayFigures) {
        self.init(month: month, served: Self.replacing(#""frozen":false"#, with: #""frozen":true"#, in: row), figures: figures)
    }

    /// From the row as served.
    public init(month: Month, served: String, figures: DayFigures) {
        self.month = month
        frozenRow = served
        self.figures = figures
        self.figures.signedIn = month
    }

    /// The row as signed, from the row as served.
    public static func signedRow(_ served: String) -> String {
        replacing(#""frozen":true"#, with: #""frozen":false"#, in: served)
    }

    /// The first `pattern` in `text` replaced. The row's own key (`"frozen":` follows
    /// `"first_start":…`); a string value cannot hold it, as its quotes would be escaped.
    static func replacing(_ pattern: String, with replacement: String, in text: String) -> String {
        guard let range = text.range(of: pattern) else { return text }
        return text.replacingCharacters(in: range, with: replacement)
    }
}

/// Rule 11: what a signed month keeps — its snapshot in canonical JSON (RFC 8785: keys
/// sorted, no whitespace, UTF-8), exactly the bytes its digest was made of.
public struct Snapshot: Sendable, Equatable {
    public var month: Month
    public var days: [SignedDay]
    public var worked: Int
    public var effective: Int
    public var expected: Int
    public var bookings: [Booking]
    public var balanceBefore: Int
    public var balanceAfter: Int

    /// The canonical JSON text.
    public var text: String {
        var out = #"{"balance_after":\#(balanceAfter),"balance_before":\#(balanceBefore),"bookings":["#
        out += bookings.map(\.json).joined(separator: ",")
        out += #"],"days":["#
        out += days.map(\.row).joined(separator: ",")
        out += #"],"effective":\#(effective),"expected":\#(expected),"month":"\#(month)","worked":\#(worked)}"#
        return out
    }

    /// The digest before the first signed month's.
    public static let firstPrevious = String(repeating: "0", count: 64)

    /// Lowercase hex SHA-256 of the previous digest's 64 ASCII characters followed by the
    /// snapshot's canonical bytes.
    public static func digest(previous: String, text: String) -> String {
        sha256Hex(Array(previous.utf8) + Array(text.utf8))
    }
}

/// Lowercase hex SHA-256 of `bytes`.
public func sha256Hex(_ bytes: [UInt8]) -> String {
    var hash = SHA256Stream()
    hash.update(bytes)
    return hash.hex()
}

/// SHA-256 of bytes that arrive in pieces (a document written or read as a stream).
public struct SHA256Stream {
    private var hash = SHA256()

    public init() {}

    public mutating func update(_ bytes: [UInt8]) { hash.update(data: bytes) }

    /// The lowercase hex digest of everything so far.
    public func hex() -> String {
        hash.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension Ledger {
    /// The snapshot of `month` as it would be signed now: the rows of its dates inside
    /// the period, their totals, `bookings` (those dated in the month) and the balance
    /// before and after it. The window must hold the month.
    public func snapshot(of month: Month, bookings: [Booking]) -> Snapshot {
        let zone = policy.settings.timezone
        let days = self.days(from: month.first, to: month.last).filter(\.inPeriod).map { day in
            var row = ""
            FiguresJSON.dayJSON(day, zone: zone, into: &row)
            return SignedDay(month: month, row: row, figures: day)
        }
        return Snapshot(month: month, days: days,
                        worked: days.reduce(0) { $0 + $1.figures.worked },
                        effective: days.reduce(0) { $0 + $1.figures.effective },
                        expected: days.reduce(0) { $0 + $1.figures.expected },
                        bookings: bookings.filter { $0.date >= month.first && $0.date <= month.last }.sorted { ($0.date, $0.id) < ($1.date, $1.id) },
                        balanceBefore: balance(asOf: month.first.adding(days: -1)).balance,
                        balanceAfter: balance(asOf: month.last).balance)
    }
}
