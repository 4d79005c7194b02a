import AttendanceCore
import Foundation
import Testing
@testable import Storage

/// Runs `body` for 0..<count, each on a thread of its own, and waits for all: more
/// threads than cores, as the responder's accept threads are.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread { body(index); group.leave() }.start()
    }
    group.wait()
}

/// Values written by many threads, one slot each.
final class Slots: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int]
    init(_ count: Int) { values = Array(repeating: 0, count: count) }
    subscript(_ index: Int) -> Int {
        get { lock.lock(); defer { lock.unlock() }; return values[index] }
        set { lock.lock(); values[index] = newValue; lock.unlock() }
    }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return values }
}

@Suite struct GroupCommitTests {
    /// Jobs from many threads: each gets its own outcome, some share a write, and a job
    /// that fails fails alone.
    @Test func eachJobGetsItsOwnOutcomeAndAFailureStaysAlone() {
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var groups: [[Int]] = []
        }
        let log = Log()
        struct Refused: Error {}
        let commit = GroupCommit<Int, Int> { jobs in
            Thread.sleep(forTimeInterval: 0.002)  // a write takes a moment, so others queue behind it
            log.lock.lock()
            log.groups.append(jobs)
            log.lock.unlock()
            if jobs.contains(13) { throw Refused() }
            return jobs.map { $0 * 10 }
        }
        let results = Slots(64)
        onThreads(64) { job in results[job] = (try? commit.run(job)) ?? -1 }
        for job in 0..<64 { #expect(results[job] == (job == 13 ? -1 : job * 10), "job \(job)") }
        #expect(log.groups.contains { $0.count > 1 })  // some did share a write
        // The group that held 13 was tried again job by job: every other job written once.
        let written = log.groups.filter { !$0.contains(13) }.flatMap { $0 }.sorted()
        #expect(written == (0..<64).filter { $0 != 13 })
    }

    /// Heartbeats from concurrent requests, stored with group commit: every one is there
    /// once, the counts add up, and the cache agrees with the raw heartbeats.
    @Test func concurrentIngestLosesAndDoublesNothing() throws {
        let db = try freshDatabase()
        let base = minute("2024-06-03T08:00:00Z")
        let accepted = Slots(200)
        onThreads(200) { request in
            // Requests overlap by half: request n sends minutes n … n+1 from host h(n mod 2).
            let beats = [HeartbeatMinute(minute: base + Int64(request / 2), host: "h\(request % 2)"),
                         HeartbeatMinute(minute: base + Int64(request / 2 + 1), host: "h\(request % 2)")]
            accepted[request] = (try? db.recordHeartbeats(beats, receivedAt: 0).accepted) ?? -100
        }
        #expect(accepted.all.reduce(0, +) == 2 * 101)  // 101 minutes × 2 hosts, each stored once
        #expect(try db.heartbeatCount() == 202)
        #expect(try db.recordedMinutes(from: LocalDate("2024-06-03")!, to: LocalDate("2024-06-03")!).values.first == 101)
        #expect(try db.dailyCacheIsConsistent())
    }
}
