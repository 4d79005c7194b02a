import Agent
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `attendance-agent install`: the crontab line (printed, or added with `--apply`).
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the crontab line that runs the agent every minute; --apply adds it to your crontab.",
        discussion: "A systemd user timer is the alternative: see systemd/attendance-agent.timer and the README.")

    @Flag(help: "Add the line to this user's crontab (unless it is there already).")
    var apply = false

    func run() throws {
        let line = "* * * * * \(Self.executablePath())"
        guard apply else {
            print(line)
            return
        }
        let scratch = "/tmp/attendance-agent-crontab.\(getpid())"
        defer { unlink(scratch) }
        // No crontab yet makes `crontab -l` fail; that is an empty one.
        _ = Self.spawn(["crontab", "-l"], stdout: scratch)
        var current = FileText.read(scratch) ?? ""
        if current.split(separator: "\n").contains(where: { $0 == line }) {
            print("already in your crontab: \(line)")
            return
        }
        if !current.isEmpty && !current.hasSuffix("\n") { current += "\n" }
        do {
            try FileText.replace(scratch, with: current + line + "\n")
        } catch {
            throw fail(error.message, 1)
        }
        guard Self.spawn(["crontab", scratch], stdout: nil) == 0 else {
            throw fail("crontab refused the new table; add this line by hand (crontab -e): \(line)", 1)
        }
        print("added to your crontab: \(line)")
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
