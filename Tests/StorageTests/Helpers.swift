import AttendanceCore
@_exported import TestSupport
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

