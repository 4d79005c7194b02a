import AttendanceCore
@testable import Storage

extension AppDatabase {
    /// The ledger when no entry runs (these tests add none that runs).
    func ledger(from: LocalDate, to: LocalDate) throws -> Ledger { try ledger(from: from, to: to, nowMinute: 0) }

    /// The distinct recorded minutes of one date.
    func recordedMinutesOf(_ date: LocalDate) throws -> [Int64] {
        let day = try dayMinutes(date, nowMinute: 0).minutes
        return (day.firstMinute..<day.endMinute).filter(day.isRecorded)
    }
}

/// A small seeded generator, so a failing case can be run again from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
