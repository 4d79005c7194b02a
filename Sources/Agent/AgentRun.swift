/// How a run ended; each has its exit code (documented in the README).
public enum Outcome: Equatable, Sendable {
    /// The heartbeat (and any queue) reached the server.
    case delivered
    /// Another run holds the lock; the heartbeat waits in the queue for the next run.
    case handedOver
    /// No answer or a 5xx: queued for the next run.
    case queued(String)
    /// The server refused the token or the URL (401/403/404/405): queued, to be fixed.
    case refused(String)
    /// The server refused the heartbeat itself (another 4xx): logged and dropped.
    case dropped(String)

    public var exitCode: Int32 {
        switch self {
        case .delivered, .handedOver: return 0
        case .queued: return 75
        case .refused: return 77
        case .dropped: return 65
        }
    }
}

/// One cron run: send this minute's heartbeat, then the queue in batches; queue what
/// cannot be sent. Talks to the server only through `send`, so it is tested without one.
public struct AgentRun {
    public let paths: AgentPaths
    public let beat: Beat
    public let send: ([UInt8]) -> PostResult
    public let log: AgentLog
    /// Seconds since the epoch, for log lines and the deadline.
    public let clock: () -> Int64
    /// No new request starts after this moment, so runs never pile up under cron.
    public let deadline: Int64

    /// Heartbeats per batch: far below the server's 10 000 and its 2 MiB.
    public static let batchSize = 1000

    public init(paths: AgentPaths, beat: Beat, log: AgentLog, deadline: Int64,
                clock: @escaping () -> Int64 = Clock.now, send: @escaping ([UInt8]) -> PostResult) {
        self.paths = paths
        self.beat = beat
        self.send = send
        self.log = log
        self.clock = clock
        self.deadline = deadline
    }

    var queue: HeartbeatQueue { HeartbeatQueue(paths: paths) }

    /// The outcome, and whether it is news: the first failure after a success. Only news
    /// of a refusal is worth a line on stderr (cron mails it); an offline laptop is not.
    public func run() throws(AgentError) -> (outcome: Outcome, news: Bool) {
        try FileText.makeDirectories(paths.stateDirectory)
        guard let lock = try FileLock(paths.runLock, wait: false) else {
            try queue.append([beat])
            return (.handedOver, false)
        }
        defer { withExtendedLifetime(lock) {} }
        let outcome = try deliver()
        return (outcome, try remember(outcome))
    }

    func deliver() throws(AgentError) -> Outcome {
        switch send(Self.body([beat])) {
        case .status(200, _):
            break
        case .status(let code, let body) where Self.isConfigurationProblem(code):
            try queue.append([beat])
            return .refused("the server answered \(code)\(Self.detail(body)); the heartbeat is queued")
        case .status(let code, let body) where (400..<500).contains(code):
            return .dropped("the server refused the heartbeat \(beat.timestamp) with \(code)\(Self.detail(body)); dropped")
        case .status(let code, let body):
            try queue.append([beat])
            return .queued("the server answered \(code)\(Self.detail(body)); the heartbeat is queued")
        case .transport(_, let message):
            try queue.append([beat])
            return .queued("cannot reach the server (\(message)); the heartbeat is queued")
        }
        return try flushQueue()
    }

    /// Sends the queue oldest first in batches; a batch refused for one bad item is sent
    /// item by item so that only the bad ones are dropped.
    func flushQueue() throws(AgentError) -> Outcome {
        let pending = try queue.load()
        var delivered = 0
        for start in stride(from: 0, to: pending.count, by: Self.batchSize) {
            guard clock() < deadline else { break }
            let batch = Array(pending[start..<min(start + Self.batchSize, pending.count)])
            switch send(Self.body(batch)) {
            case .status(200, _):
                try queue.remove(batch)
                delivered += batch.count
            case .status(let code, _) where (400..<500).contains(code) && !Self.isConfigurationProblem(code):
                guard try sendOneByOne(batch) else { return .delivered }
                delivered += batch.count
            default:
                return .delivered  // this minute got through; the queue waits for the next run
            }
        }
        if delivered > 0 { log.write("delivered \(delivered) queued heartbeats", now: clock()) }
        return .delivered
    }

    /// False when the server stopped answering part way.
    func sendOneByOne(_ batch: [Beat]) throws(AgentError) -> Bool {
        for item in batch {
            guard clock() < deadline else { return false }
            switch send(Self.body([item])) {
            case .status(200, _):
                try queue.remove([item])
            case .status(let code, let body) where (400..<500).contains(code) && !Self.isConfigurationProblem(code):
                log.write("dropped queued heartbeat \(item.timestamp): the server answered \(code)\(Self.detail(body))", now: clock())
                try queue.remove([item])
            default:
                return false
            }
        }
        return true
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
        case .handedOver:
            return false
        case .queued(let message), .refused(let message), .dropped(let message):
            log.write(message, now: clock())
            if !failing { try FileText.replace(paths.statusFile, with: "failing") }
            return !failing
        }
    }

    /// A token or URL problem: the heartbeats are fine and must be kept.
    static func isConfigurationProblem(_ code: Int) -> Bool { [401, 403, 404, 405].contains(code) }

    static func detail(_ body: String) -> String {
        JSON.errorMessage(body).map { ": \($0)" } ?? ""
    }

    /// The API's body: one heartbeat, or a batch.
    static func body(_ beats: [Beat]) -> [UInt8] {
        let text = beats.count == 1 ? beats[0].json : "{\"heartbeats\":[" + beats.map(\.json).joined(separator: ",") + "]}"
        return Array(text.utf8)
    }
}
