#if canImport(Glibc)
import Glibc
#endif

/// How a run ended; each has its exit code (documented in the README).
public enum Outcome: Equatable, Sendable {
    /// The heartbeat (and any queue) reached the server, or there was nothing to send
    /// (the user is away, or the minute is held until it is known whether they left).
    case delivered
    /// Another run holds the lock; the heartbeat waits in the queue for the next run.
    case handedOver
    /// No answer, a 5xx, a 408/429/413, or a 200 that is not Attendance's: queued.
    case queued(String)
    /// The server refused the token or the URL (401/403/404/405): queued, to be fixed.
    case refused(String)
    /// The server refused the heartbeat itself (another 4xx): logged and dropped.
    case dropped(String)
    /// The state folder cannot be written: nothing can be queued. The minute was sent
    /// directly (`delivered`) or is lost.
    case withoutState(String, delivered: Bool)

    public var exitCode: Int32 {
        switch self {
        case .delivered, .handedOver: return 0
        case .queued: return 75
        case .refused: return 77
        case .dropped: return 65
        case .withoutState(_, let delivered): return delivered ? 0 : 75
        }
    }
}

extension Answer {
    /// A 422 for a time more than 5 minutes ahead of the server's clock.
    var isInTheFuture: Bool {
        if case .refused(let message) = self { return message.hasPrefix("422") && message.contains("in the future") }
        return false
    }
}

/// What one answer means for the heartbeats it was about.
public enum Answer: Equatable, Sendable {
    /// A 200 whose `accepted` and `duplicates` add up to what was sent.
    case delivered
    /// Token or URL problem (401/403/404/405): keep them, say so.
    case configuration(String)
    /// No answer, 5xx, 408, 429, or a 200 that is not Attendance's: keep them, try later.
    case temporary(String)
    /// 413: too large for something on the way; a smaller batch may pass.
    case tooLarge(String)
    /// Another 4xx: something in them is refused.
    case refused(String)
}

/// How this run's own minute is stamped: this computer's clock at the start of the run,
/// less the correction known from earlier answers (nil: none known, so the first request
/// lets the server stamp it).
public struct Stamp: Equatable, Sendable {
    public var localTime: Int64
    public var correction: Int64?

    public init(localTime: Int64, correction: Int64?) {
        self.localTime = localTime
        self.correction = correction
    }

    /// The heartbeat's time, in the server's clock as far as it is known.
    public func timestamp(correction other: Int64? = nil) -> String {
        Clock.rfc3339(localTime - (other ?? correction ?? 0))
    }
}

/// One cron run: send this minute's heartbeat, then the queue in batches; queue what
/// cannot be sent. Talks to the server only through `exchange`, so it is tested without one.
public struct AgentRun {
    public let paths: AgentPaths
    public let beat: Beat
    public let exchange: ([UInt8]) -> Exchange
    public let log: AgentLog
    /// Seconds since the epoch, for log lines and the deadline.
    public let clock: () -> Int64
    /// No new request starts after this moment, so runs never pile up under cron.
    public let deadline: Int64
    /// Whether someone is at the computer (IDLE_MINUTES); `.unknown` sends as before.
    public let presence: Presence
    /// How `beat` was stamped; nil for a moment given by hand (`--at`), sent as given.
    public let stamp: Stamp?
    /// The correction the answers of this run showed (spec §5, a wrong laptop clock).
    let measured = Measured()

    final class Measured {
        var correction: Int64?
    }

    /// Heartbeats per batch: far below the server's 10 000 and its 2 MiB.
    public static let batchSize = 1000

    public init(paths: AgentPaths, beat: Beat, log: AgentLog, deadline: Int64, presence: Presence = .unknown,
                stamp: Stamp? = nil, clock: @escaping () -> Int64 = Clock.now,
                exchange: @escaping ([UInt8]) -> Exchange) {
        self.paths = paths
        self.beat = beat
        self.exchange = exchange
        self.log = log
        self.clock = clock
        self.deadline = deadline
        self.presence = presence
        self.stamp = stamp
    }

    /// With a server whose answers say nothing of its clock.
    public init(paths: AgentPaths, beat: Beat, log: AgentLog, deadline: Int64, presence: Presence = .unknown,
                clock: @escaping () -> Int64 = Clock.now, send: @escaping ([UInt8]) -> PostResult) {
        self.init(paths: paths, beat: beat, log: log, deadline: deadline, presence: presence, clock: clock,
                  exchange: { Exchange(send($0)) })
    }

    /// Sends `body`; notes the clock offset the answer shows, and saves and logs it.
    func send(_ body: [UInt8]) -> PostResult {
        let answer = exchange(body)
        if let offset = answer.offset { noteClock(ClockOffset.correction(offset: offset)) }
        return answer.result
    }

    func noteClock(_ correction: Int64) {
        // Each batch of the queue answers too: only a new figure is saved and logged.
        guard measured.correction != correction else { return }
        let before = measured.correction ?? ClockState.load(paths)
        measured.correction = correction
        try? ClockState.save(correction, paths)
        let now = clock()
        if correction != 0, before != correction {
            log.write("this computer's clock is \(ClockOffset.describe(correction)) the server's: heartbeats are stamped in the server's time", now: now)
            log.markSaid("clock", now: now, paths: paths)
        } else if correction != 0 {
            log.once("clock", "this computer's clock is still \(ClockOffset.describe(correction)) the server's: heartbeats are stamped in the server's time", now: now, paths: paths)
        } else if let before, before != 0 {
            log.write("this computer's clock agrees with the server's again (within a minute)", now: now)
        }
    }

    var queue: HeartbeatQueue { HeartbeatQueue(paths: paths) }
    /// Minutes of a pause in progress: sent when the user comes back within the idle
    /// limit, dropped when the limit is reached.
    var held: HeartbeatQueue { HeartbeatQueue(path: paths.heldFile, lockPath: paths.queueLock) }

    /// The outcome, and whether it is news: the first failure after a success. Only news
    /// of a refusal is worth a line on stderr (cron mails it); an offline laptop is not.
    public func run() throws(AgentError) -> (outcome: Outcome, news: Bool) {
        let lock: FileLock?
        do {
            try FileText.makeDirectories(paths.stateDirectory)
            lock = try FileLock(paths.runLock, waitSeconds: 0)
            try FileText.checkWritable(paths.stateDirectory)
        } catch {
            return runWithoutState(error.message)
        }
        Self.forgetStateProblem()
        guard let lock else {
            switch presence {
            case .present, .unknown: try queue.append([beat])
            case .pausing: try held.append([beat])
            case .away: break
            }
            return (.handedOver, false)
        }
        defer { withExtendedLifetime(lock) {} }
        let outcome: Outcome
        switch presence {
        case .present, .unknown:
            try releaseHeld(before: nil)
            outcome = try deliver()
        case .pausing:
            try held.append([beat])
            outcome = try flushQueue()
        case .away(let since, _):
            try releaseHeld(before: since.map(Clock.rfc3339) ?? "")
            outcome = try flushQueue()
        }
        noteBacklog()
        return (outcome, try remember(outcome))
    }

    /// Once a day in the log, when the queue holds heartbeats older than a day.
    func noteBacklog() {
        var info = stat()
        guard stat(queue.path, &info) == 0, info.st_size > 0, !log.saidToday("backlog", now: clock(), paths: paths),
              let backlog = queue.backlog(now: clock()) else { return }
        log.once("backlog", Self.describeBacklog(backlog) + "; they are sent when the server takes heartbeats again",
                 now: clock(), paths: paths)
    }

    /// "the queue holds 4320 heartbeats older than a day, the oldest from 2026-11-30".
    public static func describeBacklog(_ backlog: (count: Int, oldest: Int64)) -> String {
        "the queue holds \(backlog.count) heartbeat\(backlog.count == 1 ? "" : "s") older than a day, the oldest from "
            + Clock.rfc3339(backlog.oldest).prefix(10)
    }

    /// Held minutes before `before` (all when nil) join the queue; the rest are dropped.
    /// The timestamps are the agent's own (`…Z`), so they compare as text.
    func releaseHeld(before: String?) throws(AgentError) {
        let waiting = try held.load()
        guard !waiting.isEmpty else { return }
        try queue.append(waiting.filter { before == nil || $0.timestamp < before! })
        try FileText.replace(paths.heldFile, with: "")
    }

    /// The state folder is unusable: send this minute directly, and say so once.
    func runWithoutState(_ problem: String) -> (outcome: Outcome, news: Bool) {
        if case .away = presence { return (.withoutState(problem, delivered: true), Self.stateProblemIsNews()) }
        let answer = Self.classify(send(Self.body([beat])), count: 1)
        let delivered = answer == .delivered
        let message = "\(problem): heartbeats cannot be queued; "
            + (delivered ? "this minute was sent, but one the server does not take now would be lost"
                         : "this minute could not be sent (\(Self.describe(answer))) and is lost")
        return (.withoutState(message, delivered: delivered), Self.stateProblemIsNews())
    }

    func deliver() throws(AgentError) -> Outcome {
        var beat = self.beat
        var answer: Answer
        if let stamp, stamp.correction == nil {
            // No correction known: the server stamps this minute with its own clock, and its
            // answer says how far this one is off, for the next runs.
            answer = Self.classify(send(Array(Beat.stampedByServer(host: beat.host).utf8)), count: 1)
            if let correction = measured.correction {
                beat.timestamp = stamp.timestamp(correction: correction)
                beat.unchecked = false
            }
        } else {
            answer = Self.classify(send(Self.body([beat])), count: 1)
            // Stamped with a correction that no longer holds (the clock was set since): once
            // more in the server's time. A minute already stamped right is a duplicate.
            if let stamp, let correction = measured.correction, correction != stamp.correction,
               answer == .delivered || answer.isInTheFuture {
                beat.timestamp = stamp.timestamp(correction: correction)
                answer = Self.classify(send(Self.body([beat])), count: 1)
            }
        }
        switch answer {
        case .delivered:
            return try flushQueue()
        case .configuration(let message):
            try queue.append([beat])
            return .refused("\(message); the heartbeat is queued")
        case .temporary(let message), .tooLarge(let message):
            try queue.append([beat])
            return .queued("\(message); the heartbeat is queued")
        case .refused(let message):
            return .dropped("the server refused the heartbeat \(Self.shown(beat.timestamp)): \(message); dropped")
        }
    }

    /// Sends the queue oldest first, in batches read in bounded pieces; a refused batch is
    /// split in halves until the refused heartbeats are found and dropped, and a batch too
    /// large for something on the way is split too. Lines that cannot be heartbeats are
    /// dropped unsent. The file is rewritten once, at the end.
    func flushQueue() throws(AgentError) -> Outcome {
        var reader = QueueReader(path: queue.path)
        defer { reader.close() }
        var tally = Tally()
        var settledEnd = 0
        var kept: [Beat] = []
        while clock() < deadline, let piece = reader.next(limit: Self.batchSize) {
            tally.junk += piece.junk
            let left = settle(piece.beats.map { $0.corrected(by: measured.correction) }, &tally)
            settledEnd = piece.end
            if tally.stopped {
                kept = left
                break
            }
        }
        if settledEnd > 0 { try queue.rewrite(keeping: kept, from: settledEnd) }
        if tally.junk > 0 { log.write("dropped \(tally.junk) queue lines that were not heartbeats", now: clock()) }
        if tally.delivered > 0 { log.write("delivered \(tally.delivered) queued heartbeats", now: clock()) }
        return .delivered  // this minute got through; what is left waits for the next run
    }

    struct Tally {
        var delivered = 0
        var junk = 0
        var stopped = false
        /// Heartbeats sent again in the server's time: never twice.
        var restamped: [String] = []
    }

    /// Sends `beats`; returns those not settled (neither delivered nor dropped) once
    /// `tally.stopped` is set by an answer that says to try later, or by the deadline.
    func settle(_ beats: [Beat], _ tally: inout Tally) -> [Beat] {
        guard !beats.isEmpty else { return [] }
        guard !tally.stopped, clock() < deadline else {
            tally.stopped = true
            return beats
        }
        switch Self.classify(send(Self.body(beats)), count: beats.count) {
        case .delivered:
            tally.delivered += beats.count
            return []
        case let answer where answer.isInTheFuture && beats.count == 1 && (measured.correction ?? 0) > 0
                && !tally.restamped.contains(beats[0].timestamp):
            // Stamped ahead of the server by a fast clock before the correction was known:
            // sent once more in the server's time.
            var restamped = beats[0]
            restamped.timestamp = Clock.rfc3339((Clock.parse(beats[0].timestamp) ?? 0) - measured.correction!)
            tally.restamped.append(restamped.timestamp)
            return settle([restamped], &tally)
        case .refused(let message) where beats.count == 1:
            log.write("dropped queued heartbeat \(Self.shown(beats[0].timestamp)): the server answered \(message)", now: clock())
            return []
        case .refused where beats.count > 1, .tooLarge where beats.count > 1:
            let half = beats.count / 2
            let first = settle(Array(beats[..<half]), &tally)
            return first + settle(Array(beats[half...]), &tally)
        case .configuration, .temporary, .tooLarge, .refused:
            tally.stopped = true
            return beats
        }
    }

    /// Logs one line per failure, and one when deliveries work again; true on the first
    /// failure after a success.
    func remember(_ outcome: Outcome) throws(AgentError) -> Bool {
        let failing = FileText.read(paths.statusFile) == "failing"
        switch outcome {
        case .delivered:
            if failing {
                log.write("recovered: the server accepts heartbeats again", now: clock())
                try FileText.replace(paths.statusFile, with: "ok")
            }
            return false
        case .handedOver, .withoutState:
            return false
        case .queued(let message), .refused(let message), .dropped(let message):
            log.write(message, now: clock())
            if !failing { try FileText.replace(paths.statusFile, with: "failing") }
            return !failing
        }
    }

    /// What an answer to `count` heartbeats means.
    public static func classify(_ result: PostResult, count: Int) -> Answer {
        switch result {
        case .status(200, let body):
            guard let accepted = JSON.integer("accepted", in: body), let duplicates = JSON.integer("duplicates", in: body),
                  accepted + duplicates == count else {
                return .temporary("the server answered 200 but not as Attendance does (\(shown(body, limit: 80))): "
                                  + "a network login page, or another service at HEARTBEAT_URL?")
            }
            return .delivered
        case .status(let code, let body) where [401, 403, 404, 405].contains(code):
            return .configuration("the server answered \(code)\(detail(body))")
        case .status(let code, let body) where code == 408 || code == 429:
            return .temporary("the server answered \(code)\(detail(body)) (busy or slow)")
        case .status(413, let body):
            return .tooLarge("the server answered 413\(detail(body))")
        case .status(let code, let body) where (400..<500).contains(code):
            return .refused("\(code)\(detail(body))")
        case .status(let code, let body):
            return .temporary("the server answered \(code)\(detail(body))")
        case .transport(_, let message):
            return .temporary("cannot reach the server (\(message))")
        }
    }

    static func describe(_ answer: Answer) -> String {
        switch answer {
        case .delivered: return "delivered"
        case .configuration(let text), .temporary(let text), .tooLarge(let text), .refused(let text): return text
        }
    }

    static func detail(_ body: String) -> String {
        JSON.errorMessage(body).map { ": \(shown($0))" } ?? ""
    }

    /// Text from outside (a queue line, a server's answer) as a log line may carry it:
    /// at most `limit` characters, control characters and NUL shown as `?`.
    public static func shown(_ text: String, limit: Int = 200) -> String {
        var out = String(text.unicodeScalars.prefix(limit).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        if text.unicodeScalars.count > limit { out += "…" }
        return out
    }

    /// The API's body: one heartbeat, or a batch.
    static func body(_ beats: [Beat]) -> [UInt8] {
        let text = beats.count == 1 ? beats[0].json : "{\"heartbeats\":[" + beats.map(\.json).concatenated(separator: ",") + "]}"
        return Array(text.utf8)
    }

    // MARK: Saying once that the state folder cannot be written

    /// A marker outside the state folder (which cannot be written): in the user's runtime
    /// folder, else in /tmp, named by user id.
    static var stateProblemMarker: String {
        let uid = getuid()
        if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !runtime.isEmpty {
            return runtime + "/attendance-agent-state-problem"
        }
        return "/tmp/attendance-agent-\(uid)-state-problem"
    }

    /// True the first time (the marker is created); when no marker can be made, every time.
    static func stateProblemIsNews() -> Bool {
        let fd = open(stateProblemMarker, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            return true
        }
        return errno != EEXIST
    }

    static func forgetStateProblem() { unlink(stateProblemMarker) }
}
