import Agent
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `attendance-agent setup`: the first run, in one command. Checks the URL and token with
/// the same request as `--test`, writes the config file (mode 0600) only when the server
/// took a heartbeat with them, then puts the agent on this user's schedule.
struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the URL and token, write ~/.config/attendance/agent.conf, and run the agent every minute.",
        discussion: """
            The configuration is written (mode 0600) only after the server accepted a heartbeat \
            with it; nothing is written otherwise. The schedule is the crontab line when cron is \
            installed, else a systemd user timer when this user's systemd manager answers; setup \
            says which. With neither, it ends (exit 1) with what to install or run; the \
            configuration stays written.
            """)

    @Option(help: "The server's heartbeat URL, e.g. https://attendance.example.org/api/heartbeat.")
    var url: String

    @Option(help: "The bearer token. Other users can see it in the process list while setup runs: prefer --token-file.")
    var token: String?

    @Option(help: "A file that holds the token (the server's DATA_DIR/token).")
    var tokenFile: String?

    @Option(help: "Minutes without input (or a locked screen) after which nothing is sent; 0 turns the check off.")
    var idleMinutes = 10

    @Flag(help: "Write and check the configuration, but leave the schedule alone.")
    var noSchedule = false

    func validate() throws {
        guard (token == nil) != (tokenFile == nil) else {
            throw ValidationError("give the token with either --token or --token-file")
        }
    }

    func run() throws {
        let environment = Environment.current()
        let secret: String
        if let tokenFile {
            guard let text = FileText.read(tokenFile) else {
                throw fail("cannot read the token file \(tokenFile): \(String(cString: strerror(errno))); nothing was written. "
                           + "`make run` prints the setup command with the URL and token file it serves", 78)
            }
            secret = text.filter { !$0.isWhitespace }
            guard !secret.isEmpty else { throw fail("\(tokenFile) holds no token (it is empty); nothing was written", 78) }
        } else {
            secret = token ?? ""
            guard !secret.isEmpty else { throw fail("the token is empty: give the server's token; nothing was written", 78) }
        }
        var values: Variables = ["HEARTBEAT_URL": url, "BEARER_TOKEN": secret, "IDLE_MINUTES": String(idleMinutes)]
        values["DISPLAY"] = environment.variables["DISPLAY"].flatMap { $0.isEmpty ? nil : $0 }
        let config: AgentConfig
        do {
            config = try AgentConfig.validated(values)
        } catch {
            throw fail(error.message + "; nothing was written", 78)
        }
        let paths = environment.paths
        let post = HTTPPost(url: config.url, token: config.token, timeoutMilliseconds: 10_000)
        let correction = try Send.verify(post, host: Clock.hostname(), paths: paths, afterwards: "Nothing was written.")
        print("Checked: \(config.url) accepted a heartbeat; the URL and the token are right.")
        // The runs stamp in the server's time from their first minute.
        try? FileText.makeDirectories(paths.stateDirectory)
        try? ClockState.save(correction, paths)
        if correction != 0 {
            print("Warning: this computer's clock is \(ClockOffset.describe(correction)) the server's; heartbeats are "
                  + "stamped in the server's time, but setting the clock right (NTP) is better.")
        }
        if let backlog = HeartbeatQueue(paths: paths).backlog(now: Clock.now()) {
            print("Warning: \(AgentRun.describeBacklog(backlog)), kept from before (see \(paths.logFile) for why); "
                  + "the first run that reaches the server sends them.")
        }

        do throws(AgentError) {
            try FileText.makeDirectories(FileText.parent(of: paths.configFile))
            try FileText.replace(paths.configFile, with: config.fileText)
        } catch {
            throw fail(error.message, 1)
        }
        chmod(paths.configFile, 0o600)
        print("Wrote \(paths.configFile) (mode 0600).")
        if let display = config.display {
            print("The X idle check will ask display \(display), this session's DISPLAY; logind is asked in any case.")
        }

        // Said before the schedule is touched: a failed step below must not hide it.
        let executable = Schedule.executablePath()
        if let note = Schedule.pathNote(executable, environment) { print(note) }
        if !noSchedule {
            print(try Schedule.add(executable: executable, environment: environment, configWritten: paths.configFile))
        }
    }
}
