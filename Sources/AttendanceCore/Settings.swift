/// The user's policy and zone, as stored and as the API shows it.
public struct Settings: Sendable, Equatable {
    public var periodStart: LocalDate
    /// The last day of the period, or nil for an open end.
    public var periodEnd: LocalDate?
    public var workingDays: Set<Weekday>
    /// Minutes expected on each working day, 0…1440.
    public var dailyRequiredMinutes: Int
    /// An IANA zone name such as `Europe/Berlin`.
    public var timezone: String

    public init(periodStart: LocalDate, periodEnd: LocalDate?, workingDays: Set<Weekday>,
                dailyRequiredMinutes: Int, timezone: String) {
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.workingDays = workingDays
        self.dailyRequiredMinutes = dailyRequiredMinutes
        self.timezone = timezone
    }

    /// A fresh database's settings: the period starts on 1 January of `today`'s year with no
    /// end, Monday to Friday, 8 hours a day, in the server's zone.
    public static func defaults(today: LocalDate, timezone: String) -> Settings {
        Settings(periodStart: LocalDate(year: today.year, month: 1, day: 1)!, periodEnd: nil,
                 workingDays: [.mon, .tue, .wed, .thu, .fri], dailyRequiredMinutes: 480, timezone: timezone)
    }

    /// Working days as a bit set, Monday = bit 0 (how the database stores them).
    public var workingDayBits: Int {
        Weekday.allCases.enumerated().reduce(0) { bits, entry in
            workingDays.contains(entry.element) ? bits | (1 << entry.offset) : bits
        }
    }

    public static func workingDays(bits: Int) -> Set<Weekday> {
        Set(Weekday.allCases.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element))
    }
}
