import Agent
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `attendance-agent install`: how the agent gets on this user's schedule (printed), or
/// the agent put on it (`--apply`).
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the crontab line that runs the agent every minute; --apply puts the agent on your schedule.",
        discussion: """
            Without cron (no crontab on PATH) it prints how to use a systemd user timer instead, or, \
            when no systemd user manager answers either, what to install (exit 1). --apply adds the line \
            to your crontab when cron is installed, else writes and enables a systemd user timer.
            """)

    @Flag(help: "Add the agent to your schedule: the crontab line, or a systemd user timer where there is no cron.")
    var apply = false

    func run() throws {
        let executable = Schedule.executablePath()
        let environment = Environment.current()
        guard apply else {
            print(try Schedule.describe(executable: executable, environment: environment))
            return
        }
        if let note = Schedule.pathNote(executable, environment) { print(note) }
        print(try Schedule.add(executable: executable, environment: environment))
    }
}

/// Running the agent every minute: a crontab line where cron is installed (`crontab` on
/// PATH), else a systemd user timer (the files in the repository's systemd/ folder, with
/// this binary's path) where this user's systemd manager answers; else what to install.
enum Schedule {
    /// What can run the agent every minute here.
    enum Scheduler: Equatable {
        case cron
        /// systemctl is installed and this user's manager answers.
        case userSystemd
        /// systemctl is installed, but no user manager answers (no session, no linger).
        case systemdWithoutUserManager
        case nothing
    }

    static func scheduler(_ environment: Environment) -> Scheduler {
        let path = environment.variables["PATH"] ?? "/usr/bin:/bin"
        if isOnPath("crontab", path) { return .cron }
        guard isOnPath("systemctl", path) else { return .nothing }
        return userManagerAnswers() ? .userSystemd : .systemdWithoutUserManager
    }

    /// `systemctl --user show-environment` succeeds only when it reaches this user's
    /// manager. cron, su and ssh without pam_systemd give no XDG_RUNTIME_DIR, which
    /// systemctl needs to find it: the default, /run/user/UID, is used then.
    static func userManagerAnswers() -> Bool {
        defaultRuntimeDirectory()
        return spawn(["systemctl", "--user", "show-environment"], stdout: "/dev/null", stderr: "/dev/null") == 0
    }

    static func defaultRuntimeDirectory() {
        if (getenv("XDG_RUNTIME_DIR").map { String(cString: $0) } ?? "").isEmpty {
            setenv("XDG_RUNTIME_DIR", "/run/user/\(getuid())", 1)
        }
    }

    static func cronLine(_ executable: String) -> String {
        "* * * * * " + (executable.contains(" ") ? "'\(executable)'" : executable)
    }

    /// `install` without --apply: the crontab line only where there is a crontab.
    static func describe(executable: String, environment: Environment) throws -> String {
        let command = commandName(executable, environment)
        switch scheduler(environment) {
        case .cron:
            return cronLine(executable)
        case .userSystemd:
            return "No cron here (no crontab on PATH), but your systemd user manager answers: run the agent every minute "
                + "with a systemd user timer. \(command) install --apply writes attendance-agent.service and "
                + "attendance-agent.timer to \(timerFolder(environment.paths)) and runs: \(enableCommands)"
        case .systemdWithoutUserManager:
            throw fail(unscheduled(command: command, systemd: true, timerFolder: timerFolder(environment.paths),
                                   timerWritten: false, configWritten: nil), 1)
        case .nothing:
            throw fail(unscheduled(command: command, systemd: false, timerFolder: "", timerWritten: false, configWritten: nil), 1)
        }
    }

    /// Adds the agent to the schedule; returns what was done, in a sentence. Where nothing
    /// can run it, ends (exit 1) with what to install or run; `configWritten` is the
    /// config file setup wrote, said in that message.
    static func add(executable: String, environment: Environment, configWritten: String? = nil) throws -> String {
        let command = commandName(executable, environment)
        switch scheduler(environment) {
        case .cron:
            return try addCronLine(cronLine(executable))
        case .userSystemd:
            return try enableTimer(executable: executable, paths: environment.paths, configWritten: configWritten)
        case .systemdWithoutUserManager:
            // The files go in place anyway: once a user manager runs, enabling them is all that is left.
            let folder = try writeTimer(executable: executable, paths: environment.paths)
            throw fail(unscheduled(command: command, systemd: true, timerFolder: folder, timerWritten: true,
                                   configWritten: configWritten), 1)
        case .nothing:
            throw fail(unscheduled(command: command, systemd: false, timerFolder: "", timerWritten: false,
                                   configWritten: configWritten) + ", or run \(executable) every minute another way", 1)
        }
    }

    static let enableCommands = "systemctl --user daemon-reload && systemctl --user enable --now attendance-agent.timer"

    /// Why nothing runs the agent, and exactly what to do about it.
    static func unscheduled(command: String, systemd: Bool, timerFolder: String, timerWritten: Bool,
                            configWritten: String?) -> String {
        let user = userName()
        let sudo = getuid() == 0 ? "" : "sudo "
        var text = "nothing runs the agent every minute yet: "
        text += systemd
            ? "there is no cron here (no crontab on PATH), and `systemctl --user` reaches no systemd user manager for "
                + "\(user) (no user session)."
            : "neither cron (crontab) nor systemd (systemctl) is installed here."
        if let configWritten { text += " The configuration is written (\(configWritten)); only the schedule is missing." }
        text += " To schedule the agent, "
        text += systemd ? "either\n  " : ""
        text += "install cron: \(sudo)apt-get install cron (Debian, Ubuntu) or \(sudo)dnf install cronie (Fedora), "
            + "then run: \(command) install --apply"
        guard systemd else { return text }
        let linger = "\(sudo)loginctl enable-linger \(user) (\(user)'s systemd user manager then runs from boot on)"
        if timerWritten {
            text += "\n  or use the systemd user timer written to \(timerFolder) (attendance-agent.service and "
                + "attendance-agent.timer): \(linger), log in again, then run: \(enableCommands) "
                + "(or, without logging in again: \(command) install --apply)"
        } else {
            text += "\n  or use a systemd user timer: \(linger), then run: \(command) install --apply "
                + "(it writes attendance-agent.service and attendance-agent.timer to \(timerFolder) and runs: \(enableCommands))"
        }
        return text
    }

    /// The note setup (and install --apply) print first, so that a failed step after it cannot hide it.
    static func pathNote(_ executable: String, _ environment: Environment) -> String? {
        guard !isInPathFolder(executable, environment) else { return nil }
        let folder = FileText.parent(of: executable)
        return "Note: \(folder) is not on your PATH. The schedule uses the full path; to type `attendance-agent` "
            + "yourself, add it (e.g. export PATH=\"\(folder):$PATH\" in ~/.profile)."
    }

    static func isInPathFolder(_ executable: String, _ environment: Environment) -> Bool {
        let folder = FileText.parent(of: executable)
        return (environment.variables["PATH"] ?? "").split(separator: ":").contains { String($0) == folder }
    }

    /// How to type this binary in the commands suggested: its name when its folder is on PATH.
    static func commandName(_ executable: String, _ environment: Environment) -> String {
        if isInPathFolder(executable, environment) { return "attendance-agent" }
        return executable.contains(" ") ? "'\(executable)'" : executable
    }

    static func userName() -> String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return String(getuid())
    }

    static func addCronLine(_ line: String) throws -> String {
        let scratch = "/tmp/attendance-agent-crontab.\(getpid())"
        defer { unlink(scratch) }
        // No crontab yet makes `crontab -l` fail ("no crontab for USER"); that is an empty one.
        _ = spawn(["crontab", "-l"], stdout: scratch, stderr: "/dev/null")
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

    /// configFile is <config home>/attendance/agent.conf; the units go to <config home>/systemd/user.
    static func timerFolder(_ paths: AgentPaths) -> String {
        FileText.parent(of: FileText.parent(of: paths.configFile)) + "/systemd/user"
    }

    /// Writes attendance-agent.service and .timer; returns their folder.
    static func writeTimer(executable: String, paths: AgentPaths) throws -> String {
        let folder = timerFolder(paths)
        do throws(AgentError) {
            try FileText.makeDirectories(folder)
            try FileText.replace(folder + "/attendance-agent.service", with: serviceUnit(executable: executable))
            try FileText.replace(folder + "/attendance-agent.timer", with: timerUnit)
        } catch {
            throw fail(error.message, 1)
        }
        return folder
    }

    static func enableTimer(executable: String, paths: AgentPaths, configWritten: String?) throws -> String {
        let folder = try writeTimer(executable: executable, paths: paths)
        let reload = spawn(["systemctl", "--user", "daemon-reload"], stdout: nil)
        let enable = reload == 0 ? spawn(["systemctl", "--user", "enable", "--now", "attendance-agent.timer"], stdout: nil) : -1
        guard reload == 0, enable == 0 else {
            let failed = reload != 0 ? "systemctl --user daemon-reload" : "systemctl --user enable --now attendance-agent.timer"
            throw fail("no cron here, so the systemd user timer was written to \(folder), but `\(failed)` failed"
                       + (configWritten.map { " (the configuration is written: \($0))" } ?? "")
                       + "; once that is fixed, run: \(enableCommands)", 1)
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
    static func spawn(_ arguments: [String], stdout: String?, stderr: String? = nil) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdout { posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        if let stderr { posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }
}
