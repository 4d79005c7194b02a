import Agent
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The entry point. A run without arguments (how cron and the timer start it) goes
/// straight to sending: skipping the argument parser's reflection saves a quarter of
/// the memory a run costs, 1,440 times a day. Anything else is parsed as usual.
@main
enum Entry {
    static func main() {
        guard CommandLine.arguments.count > 1 else {
            do {
                try Send.send(test: false, at: nil, deadline: Send.defaultDeadline)
                exit(0)
            } catch let code as ExitCode {
                exit(code.rawValue)
            } catch {
                exit(1)
            }
        }
        AttendanceAgent.main()
    }
}

/// The heartbeat agent: run it every minute from cron or a systemd timer.
struct AttendanceAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attendance-agent",
        abstract: "Send this minute's heartbeat to Attendance, then any queued ones. Silent on success.",
        discussion: """
            Configuration: HEARTBEAT_URL and BEARER_TOKEN from the environment, else from \
            ~/.config/attendance/agent.conf (KEY=value lines). Exit codes: 0 delivered, 75 server \
            unreachable or failing (queued), 77 token or URL refused (queued), 65 heartbeat refused \
            (dropped), 78 configuration missing, 64 usage, 1 local failure.
            """,
        version: "0.2.0",
        subcommands: [Send.self, Setup.self, Install.self],
        defaultSubcommand: Send.self
    )
}

/// What a run needs from the outside world.
struct Environment {
    let variables: Variables
    let paths: AgentPaths

    static func current() -> Environment {
        var variables: Variables = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                variables[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            cursor += 1
        }
        return Environment(variables: variables, paths: AgentPaths(environment: variables))
    }
}

/// Prints one line to stderr and ends with `code`.
func fail(_ message: String, _ code: Int32) -> ExitCode {
    var line = Array("attendance-agent: \(message)\n".utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    return ExitCode(code)
}

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send one heartbeat (the default).")

    @Flag(help: "Check the URL and token, say plainly what is wrong, exit 0 only if a heartbeat is accepted.")
    var test = false

    @Option(help: "Record this RFC 3339 moment instead of now (back-filling by hand).")
    var at: String?

    static let defaultDeadline = 30

    @Option(help: "Seconds after which no new request starts.")
    var deadline: Int = Send.defaultDeadline

    func run() throws {
        try Self.send(test: test, at: at, deadline: deadline)
    }

    static func send(test: Bool, at: String?, deadline: Int) throws {
        let environment = Environment.current()
        let config: AgentConfig
        do {
            config = try AgentConfig.load(environment: environment.variables, paths: environment.paths)
        } catch {
            throw fail(error.message, 78)
        }
        let started = Clock.now()
        let paths = environment.paths
        let post = HTTPPost(url: config.url, token: config.token, timeoutMilliseconds: 10_000)
        if test { try check(post, config: config, environment: environment) }
        // A moment given by hand is recorded as given; otherwise this minute in the server's
        // time as far as it is known, and away is not work.
        let stamp = at == nil ? Stamp(localTime: started, correction: ClockState.load(paths)) : nil
        let beat = Beat(timestamp: at ?? stamp!.timestamp(), host: Clock.hostname(), unchecked: stamp?.correction == nil && at == nil)
        var presence = Presence.unknown
        var bus: SessionBus?
        if at == nil, config.idleMinutes > 0 {
            let opened = SessionBus.open(environment: environment.variables)
            bus = try? opened.get()
            let read = IdleCheck.read(display: config.display, sessionBus: opened)
            presence = IdleCheck.decide(read.sources, limit: Int64(config.idleMinutes) * 60, now: started).presence
        }
        let log = AgentLog(path: paths.logFile)
        let run = AgentRun(paths: paths, beat: beat, log: log, deadline: started + Int64(deadline), presence: presence,
                           stamp: stamp, exchange: post.exchange)
        defer {
            if at == nil, config.idleMinutes > 0 {
                AwayNudge.run(presence: presence, now: started, minutes: config.notifyAwayMinutes, heartbeatURL: config.url,
                              paths: paths, log: log, bus: bus)
            }
        }
        do {
            let (outcome, news) = try run.run()
            switch outcome {
            case .withoutState(let message, _):
                if news { throw fail(message + " (said once; fix the folder and it is forgotten)", outcome.exitCode) }
                throw ExitCode(outcome.exitCode)
            case .refused(let message), .dropped(let message):
                if news { throw fail(message + " (further failures go to \(environment.paths.logFile) only)", outcome.exitCode) }
                throw ExitCode(outcome.exitCode)
            case .queued:
                throw ExitCode(outcome.exitCode)
            case .delivered, .handedOver:
                return
            }
        } catch let error as AgentError {
            throw fail(error.message, 1)
        }
    }

    /// `--test`: one heartbeat stamped as a run stamps it, and the plain truth about what
    /// happened: the clock, the idle sources, the queue.
    static func check(_ post: HTTPPost, config: AgentConfig, environment: Environment) throws -> Never {
        let paths = environment.paths
        let correction = try verify(post, host: Clock.hostname(), paths: paths)
        print("OK: \(post.url) accepted a heartbeat; the URL and the token are right.")
        do throws(AgentError) {
            try FileText.makeDirectories(paths.stateDirectory)
            try FileText.checkWritable(paths.stateDirectory)
        } catch {
            throw fail("\(error.message): heartbeats the server cannot take at once would be lost. Make \(paths.stateDirectory) writable.", 1)
        }
        try? ClockState.save(correction, paths)
        print(correction == 0
              ? "Clock: within a minute of the server's."
              : "Clock: this computer's clock is \(ClockOffset.describe(correction)) the server's (its HTTP Date); "
                + "heartbeats are stamped in the server's time. Setting the clock right (NTP) is better still.")
        if config.idleMinutes == 0 {
            print("Idle check: off (IDLE_MINUTES=0); every minute the computer is on is sent.")
        } else {
            let read = IdleCheck.read(display: config.display, sessionBus: SessionBus.open(environment: environment.variables))
            let decision = IdleCheck.decide(read.sources, limit: Int64(config.idleMinutes) * 60, now: Clock.now())
            print("Idle check (IDLE_MINUTES=\(config.idleMinutes)), what each source says:")
            for note in read.notes { print("  " + note) }
            print("Now: \(describe(decision.presence))" + (decision.source.map { "; decided by \($0)." } ?? "."))
            print(config.notifyAwayMinutes == 0
                  ? "Nudge on return: off (NOTIFY_AWAY_MINUTES=0)."
                  : "Nudge on return: after \(config.notifyAwayMinutes) min or more away, one desktop notification.")
        }
        let queue = HeartbeatQueue(paths: paths)
        if let backlog = queue.backlog(now: Clock.now()) {
            print("Backlog: \(AgentRun.describeBacklog(backlog)); the next run that reaches the server sends them "
                  + "(the log says why they were kept: \(paths.logFile)).")
        }
        throw ExitCode.success
    }

    /// Sends one heartbeat for this minute as a run would stamp it and returns only when
    /// Attendance accepted it; otherwise ends with what is wrong (and `afterwards`
    /// appended). Returns the clock correction the answers showed: when none is known yet,
    /// the server stamps a first heartbeat itself and its answer tells how far this clock
    /// is off; a heartbeat with a timestamp follows in the server's time.
    @discardableResult
    static func verify(_ post: HTTPPost, host: String, paths: AgentPaths? = nil, afterwards: String = "") throws -> Int64 {
        var correction = paths.flatMap(ClockState.load)
        if correction == nil {
            let answer = post.exchange(Array(Beat.stampedByServer(host: host).utf8))
            if AgentRun.classify(answer.result, count: 1) != .delivered { try explain(answer.result, url: post.url, afterwards: afterwards) }
            correction = answer.offset.map { ClockOffset.correction(offset: $0) } ?? 0
        }
        var stamp = Stamp(localTime: Clock.now(), correction: correction)
        var answer = post.exchange(Array(Beat(timestamp: stamp.timestamp(), host: host).json.utf8))
        let measured = answer.offset.map { ClockOffset.correction(offset: $0) } ?? correction!
        if measured != correction {
            // The correction saved no longer holds: once more, in the server's time.
            stamp.correction = measured
            answer = post.exchange(Array(Beat(timestamp: stamp.timestamp(), host: host).json.utf8))
        }
        if AgentRun.classify(answer.result, count: 1) != .delivered { try explain(answer.result, url: post.url, afterwards: afterwards) }
        return measured
    }

    /// Why `result` is not a delivered heartbeat, as the exit of `--test` and `setup`.
    static func explain(_ result: PostResult, url: String, afterwards: String) throws -> Never {
        func fail(_ message: String, _ code: Int32) -> ExitCode {
            attendance_agent.fail(afterwards.isEmpty ? message : message + (message.hasSuffix(".") ? " " : ". ") + afterwards, code)
        }
        switch result {
        case .status(200, let body):
            throw fail("\(url) answered 200, but not as Attendance does (\(AgentRun.shown(body, limit: 120))). "
                       + "Is HEARTBEAT_URL the Attendance server's /api/heartbeat, and not a network login page?", 77)
        case .status(401, _):
            throw fail("\(url) answered 401: the token was refused. Check BEARER_TOKEN against the server's token.", 77)
        case .status(403, let body):
            throw fail("\(url) answered 403: refused (\(AgentRun.shown(body))). Is the server configured for this host name?", 77)
        case .status(404, _):
            throw fail("\(url) answered 404: wrong path. HEARTBEAT_URL should end in /api/heartbeat.", 77)
        case .status(let code, let body) where code >= 500:
            throw fail("\(url) answered \(code): the server is there but failing (\(AgentRun.shown(body))).", 75)
        case .status(let code, let body):
            throw fail("\(url) answered \(code): \(AgentRun.shown(body))", 65)
        case .transport(.tls, let message):
            throw fail("TLS error talking to \(url): \(message)", 75)
        case .transport(.timeout, let message):
            throw fail("\(url) did not answer in time: \(message)", 75)
        case .transport(_, let message):
            throw fail("cannot reach \(url): \(message). Is the server running, and is the host and port right?", 75)
        }
    }

    static func describe(_ presence: Presence) -> String {
        switch presence {
        case .present: return "present, this minute is sent"
        case .pausing: return "no input for a while; this minute is held until you are back or the limit is reached"
        case .away(_, let reason): return "away (\(reason)); nothing is sent"
        case .unknown: return "no graphical session answered; every minute is sent"
        }
    }
}
