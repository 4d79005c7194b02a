import Foundation

/// Maps UTC minutes to local dates in one IANA time zone, and local dates back to their
/// length in minutes. The zone is handed in; nothing here reads the system's zone or clock.
public struct Zone: Sendable, Equatable {
    public let timeZone: TimeZone
    /// The IANA name as it was given (and is stored).
    public let identifier: String

    public init(_ timeZone: TimeZone, identifier: String? = nil) {
        self.timeZone = timeZone
        self.identifier = identifier ?? timeZone.identifier
    }

    /// The zone with this IANA name, or nil when tzdata does not know it. Each zone is
    /// loaded once per process.
    public init?(identifier: String) {
        guard let zone = Zone.loaded.zone(identifier) else { return nil }
        self = zone
    }

    static let loaded = ZoneCache()

    /// The zone a stored name stands for: that zone, or UTC when this machine's tzdata
    /// no longer knows it. The one place a name becomes a zone without a check.
    public static func resolving(_ identifier: String) -> Zone {
        Zone(identifier: identifier) ?? utc
    }

    public static let utc = Zone(identifier: "UTC")!

    public static func == (lhs: Zone, rhs: Zone) -> Bool { lhs.identifier == rhs.identifier }


    /// The local date on which the UTC minute `minute` (minutes since the epoch) starts.
    public func localDate(ofMinute minute: Int64) -> LocalDate {
        let seconds = minute * 60
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
        return LocalDate(dayNumber: Int(floorDiv(seconds + offset, 86_400)))
    }

    /// The first UTC minute whose local date is `date` or later.
    public func firstMinute(of date: LocalDate) -> Int64 {
        // Offsets stay within ±26 h, so the boundary lies in this window; local dates only
        // move forward across it, so a binary search finds the first minute of the day.
        let naive = Int64(date.dayNumber) * 1440
        var low = naive - 26 * 60, high = naive + 26 * 60
        while low < high {
            let mid = low + (high - low) / 2
            if localDate(ofMinute: mid) < date { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Minutes in `date` here: 1440 on most days, 1380 or 1500 on DST change days.
    public func minutesIn(_ date: LocalDate) -> Int {
        Int(firstMinute(of: date.adding(days: 1)) - firstMinute(of: date))
    }
}

/// Zones by name, loaded once: reading tzdata is not for every request.
final class ZoneCache: @unchecked Sendable {
    private let lock = NSLock()
    private var zones: [String: Zone] = [:]

    func zone(_ identifier: String) -> Zone? {
        lock.lock()
        defer { lock.unlock() }
        if let zone = zones[identifier] { return zone }
        guard !identifier.isEmpty, let timeZone = TimeZone(identifier: identifier) else { return nil }
        let zone = Zone(timeZone, identifier: identifier)
        zones[identifier] = zone
        return zone
    }
}

/// Division rounding toward negative infinity (minutes before 1970 land on the right day).
@inlinable func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
