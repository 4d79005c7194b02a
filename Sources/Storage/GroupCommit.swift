import Foundation
import Synchronization

/// Heartbeat requests that arrive while another one is being written wait, and are then
/// written together in one transaction ("group commit"). Each request is answered only
/// after the commit that holds it, so an acknowledged heartbeat is as durable as before;
/// what changes is that several requests share one `BEGIN … COMMIT` and one write to the
/// WAL instead of queueing for the single writer one by one.
///
/// Every waiting request waits on a semaphore of its own (polling first, `pollLimit`): a
/// finished write wakes exactly the requests it held, and hands the writing over to the
/// oldest request that arrived meanwhile, which then writes everything waiting. No
/// request is woken only to find it must wait again, as all of them were by a shared
/// condition's broadcast.
final class GroupCommit<Job, Outcome>: @unchecked Sendable {
    private final class Ticket {
        let job: Job
        /// Set, under the lock, before `woken` is signalled; nil when woken to write.
        var outcome: Result<Outcome, any Error>?
        let woken = DispatchSemaphore(value: 0)
        /// Set after `outcome`, before `woken` is signalled.
        let done = Atomic<Bool>(false)

        func wake() {
            done.store(true, ordering: .releasing)
            woken.signal()
        }

        /// Polls for up to `pollLimit`, giving the CPU to anything else runnable between
        /// looks, then sleeps on the semaphore.
        func wait() {
            let until = DispatchTime.now().uptimeNanoseconds + GroupCommit.pollLimit
            repeat {
                if done.load(ordering: .acquiring) { return }
                sched_yield()
            } while DispatchTime.now().uptimeNanoseconds < until
            woken.wait()
        }

        init(_ job: Job) { self.job = job }
    }

    /// How long a waiting request polls before it sleeps: a few transactions under load.
    /// On a virtual machine a CPU with nothing to run halts, and waking a thread there
    /// costs about as much as the write it waited for (measured on 2 virtual cores: a
    /// request handed the writing started ~190 µs after it was woken, the machine stood
    /// 10–13 % idle under heartbeat load, and with polling 0 %). A request that finds
    /// nobody writing never waits, so one agent's heartbeat never polls.
    static var pollLimit: UInt64 { 1_000_000 }

    private let lock = NSLock()
    /// Requests waiting for the next write, oldest first.
    private var pending: [Ticket] = []
    /// A request is writing, or has been handed the writing and is about to.
    private var writing = false
    /// Writes jobs in one transaction, one outcome per job in order; throws to roll all back.
    private let writeAll: ([Job]) throws -> [Outcome]

    init(_ writeAll: @escaping ([Job]) throws -> [Outcome]) { self.writeAll = writeAll }

    /// Runs `job` with whatever else is waiting; returns its own outcome. If a group
    /// fails, each of its jobs is tried again on its own, so one job that cannot be
    /// written never takes the others down with it.
    func run(_ job: Job) throws -> Outcome {
        let ticket = Ticket(job)
        lock.lock()
        pending.append(ticket)
        let writes = !writing
        writing = true
        lock.unlock()
        // Woken either with an outcome (another request wrote this job) or to write.
        if !writes { ticket.wait() }
        if ticket.outcome == nil { writeWaiting(leader: ticket) }
        return try ticket.outcome!.get()
    }

    /// Writes every waiting job (the leader's among them), wakes the requests it held,
    /// and hands the writing to the oldest request that came in meanwhile, if any.
    private func writeWaiting(leader: Ticket) {
        lock.lock()
        let group = pending
        pending = []
        lock.unlock()
        let outcomes = write(group.map(\.job))
        lock.lock()
        for (member, outcome) in zip(group, outcomes) { member.outcome = outcome }
        let next = pending.first
        if next == nil { writing = false }
        lock.unlock()
        for member in group where member !== leader { member.wake() }
        next?.wake()
    }

    private func write(_ jobs: [Job]) -> [Result<Outcome, any Error>] {
        do {
            return try writeAll(jobs).map { .success($0) }
        } catch {
            guard jobs.count > 1 else { return [.failure(error)] }
            return jobs.map { job in Result { try writeAll([job])[0] } }
        }
    }
}
