import Foundation

/// Heartbeat requests that arrive while another one is being written wait, and are then
/// written together in one transaction ("group commit"). Each request is answered only
/// after the commit that holds it, so an acknowledged heartbeat is as durable as before;
/// what changes is that several requests share one `BEGIN … COMMIT` and one write to the
/// WAL instead of queueing for the single writer one by one.
final class GroupCommit<Job, Outcome>: @unchecked Sendable {
    private final class Ticket {
        let job: Job
        var outcome: Result<Outcome, any Error>?
        init(_ job: Job) { self.job = job }
    }

    private let condition = NSCondition()
    private var pending: [Ticket] = []
    private var writing = false
    /// Writes jobs in one transaction, one outcome per job in order; throws to roll all back.
    private let writeAll: ([Job]) throws -> [Outcome]

    init(_ writeAll: @escaping ([Job]) throws -> [Outcome]) { self.writeAll = writeAll }

    /// Runs `job` with whatever else is waiting; returns its own outcome. If a group
    /// fails, each of its jobs is tried again on its own, so one job that cannot be
    /// written never takes the others down with it.
    func run(_ job: Job) throws -> Outcome {
        let ticket = Ticket(job)
        condition.lock()
        pending.append(ticket)
        while ticket.outcome == nil {
            if writing {
                condition.wait()
                continue
            }
            writing = true
            let group = pending
            pending = []
            condition.unlock()
            let outcomes = write(group)
            condition.lock()
            for (member, outcome) in zip(group, outcomes) { member.outcome = outcome }
            writing = false
            condition.broadcast()
        }
        condition.unlock()
        return try ticket.outcome!.get()
    }

    private func write(_ group: [Ticket]) -> [Result<Outcome, any Error>] {
        do {
            return try writeAll(group.map(\.job)).map { .success($0) }
        } catch {
            guard group.count > 1 else { return [.failure(error)] }
            return group.map { member in Result { try writeAll([member.job])[0] } }
        }
    }
}
