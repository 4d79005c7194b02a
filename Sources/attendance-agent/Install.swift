import Agent
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `attendance-agent install`: the crontab line (printed), or the agent put on this
/// user's schedule (`--apply`).
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the crontab line that runs the agent every minute; --apply puts the agent on your schedule.",
        discussion: "--apply adds the line to your crontab when cron is installed, else enables a systemd user timer.")

    @Flag(help: "Add the agent to your schedule: the crontab line, or a systemd user timer where there is no cron.")
    var apply = false

    func run() throws {
        let executable = Schedule.executablePath()
        guard apply else {
            print(Schedule.cronLine(executable))
            return
        }
        print(try Schedule.add(executable: executable, environment: Environment.current()))
    }
}

/// Running the agent every minute: a crontab line where cron is installed, else a
/// systemd user timer (the files in the repository's systemd/ folder, with this binary's
/// path).
enum Schedule {
    static func cronLine(_ executable: String) -> String {
        "* * * * * " + (executable.contains(" ") ? "'\(executable)'" : executable)
    }

    /// Adds the agent to the schedule; returns what was done, in a sentence.
    static func add(executable: String, environment: Environment) throws -> String {
        let path = environment.variables["PATH"] ?? "/usr/bin:/bin"
        if isOnPath("crontab", path) { return try addCronLine(cronLine(executable)) }
        if isOnPath("systemctl", path) { return try enableTimer(executable: executable, paths: environment.paths) }
        throw fail("neither cron (crontab) nor systemd (systemctl) is installed: install cron (apt-get install cron) "
                   + "and run `attendance-agent install --apply`, or run \(executable) every minute another way", 1)
    }

    static func addCronLine(_ line: String) throws -> String {
        let scratch = "/tmp/attendance-agent-crontab.\(getpid())"
        defer { unlink(scratch) }
        // No crontab yet makes `crontab -l` fail; that is an empty one.
        _ = spawn(["crontab", "-l"], stdout: scratch)
        var current = FileText.read(scratch) ?? ""
        if current.split(separator: "\n").contains(where: { $0 == line }) {
            return "Scheduled with cron (already in your crontab): \(line)"
        }
        if !current.isEmpty && !current.hasSuffix("\n") { current += "\n" }
        do {
            try FileText.replace(scratch, with: current + line + "\n")
        } catch {
            throw fail(error.message, 1)
        }
        guard spawn(["crontab", scratch], stdout: nil) == 0 else {
            throw fail("crontab refused the new table; add this line by hand (crontab -e): \(line)", 1)
        }
        return "Scheduled with cron: added to your crontab: \(line)"
    }

    static let timerUnit = """
        # Runs attendance-agent.service at the start of every minute.
        [Unit]
        Description=Attendance heartbeat every minute

        [Timer]
        OnCalendar=*-*-* *:*:00
        AccuracySec=1s

        [Install]
        WantedBy=timers.target

        """

    static func serviceUnit(executable: String) -> String {
        """
        # The Attendance heartbeat agent as a systemd user service, started every minute by
        # attendance-agent.timer. Install: copy both files to ~/.config/systemd/user/, then
        # `systemctl --user daemon-reload && systemctl --user enable --now attendance-agent.timer`.
        # The URL and token come from ~/.config/attendance/agent.conf.
        [Unit]
        Description=Attendance heartbeat

        [Service]
        Type=oneshot
        ExecStart=\(executable)
        # Exit 75 (queued: the server was unreachable) is not a failure of the unit.
        SuccessExitStatus=75
        TimeoutStartSec=55

        """
    }

    static func enableTimer(executable: String, paths: AgentPaths) throws -> String {
        // configFile is <config home>/attendance/agent.conf
        let folder = FileText.parent(of: FileText.parent(of: paths.configFile)) + "/systemd/user"
        do throws(AgentError) {
            try FileText.makeDirectories(folder)
            try FileText.replace(folder + "/attendance-agent.service", with: serviceUnit(executable: executable))
            try FileText.replace(folder + "/attendance-agent.timer", with: timerUnit)
        } catch {
            throw fail(error.message, 1)
        }
        guard spawn(["systemctl", "--user", "daemon-reload"], stdout: nil) == 0,
              spawn(["systemctl", "--user", "enable", "--now", "attendance-agent.timer"], stdout: nil) == 0 else {
            throw fail("no cron here, so the systemd user timer was written to \(folder), but `systemctl --user` failed "
                       + "(no user session?); once logged in, run: systemctl --user daemon-reload && "
                       + "systemctl --user enable --now attendance-agent.timer", 1)
        }
        return "Scheduled with a systemd user timer (no cron here): \(folder)/attendance-agent.timer, enabled and started."
    }

    static func isOnPath(_ program: String, _ path: String) -> Bool {
        path.split(separator: ":").contains { access(String($0) + "/" + program, X_OK) == 0 }
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(cString: buffer) : CommandLine.arguments[0]
    }

    /// Runs a program (found on PATH, no shell) and returns its exit status.
    static func spawn(_ arguments: [String], stdout: String?) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdout { posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }
}
