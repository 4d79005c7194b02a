#if canImport(Glibc)
import Glibc
#endif

/// Named text values (the environment, the config file's lines), kept in order: the last
/// one set wins. Not a `Dictionary`: building one makes the Swift runtime look up
/// `String: Hashable` by scanning every protocol conformance in the binary, which pages in
/// about a megabyte of it on every run (measured with the agent's `make bench` RSS).
public struct Variables: ExpressibleByDictionaryLiteral, Sendable {
    private var pairs: [(name: String, value: String)]

    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { (name: $0.0, value: $0.1) }
    }

    public subscript(name: String) -> String? {
        get { pairs.last(where: { $0.name == name })?.value }
        set {
            pairs.removeAll { $0.name == name }
            if let newValue { pairs.append((name: name, value: newValue)) }
        }
    }
}

/// Where the agent keeps its files, all under the user's home.
public struct AgentPaths: Sendable {
    public let configFile: String
    public let stateDirectory: String
    public let logFile: String

    public var queueFile: String { stateDirectory + "/queue" }
    public var runLock: String { stateDirectory + "/run.lock" }
    public var queueLock: String { stateDirectory + "/queue.lock" }
    public var statusFile: String { stateDirectory + "/status" }
    public var heldFile: String { stateDirectory + "/held" }
    /// The clock correction last measured (`ClockState`).
    public var clockFile: String { stateDirectory + "/clock" }
    /// The absence in progress, for the nudge on return (`AwayNudge`).
    public var awayFile: String { stateDirectory + "/away" }
    /// What the log was told today, for the lines said once a day (`AgentLog.once`).
    public var saidFile: String { stateDirectory + "/said" }

    /// `~/.config/attendance/agent.conf`, `~/.local/state/attendance/`, `~/.heartbeat_agent.log`
    /// (XDG_CONFIG_HOME and XDG_STATE_HOME are honoured).
    public init(environment: Variables) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/state"
        configFile = config + "/attendance/agent.conf"
        stateDirectory = state + "/attendance"
        logFile = home + "/.heartbeat_agent.log"
    }
}

/// The heartbeat URL and token: from `HEARTBEAT_URL` / `BEARER_TOKEN`, else from the
/// config file (`KEY=value` lines, `#` comments, optional quotes).
public struct AgentConfig: Sendable, Equatable {
    public var url: String
    public var token: String
    /// IDLE_MINUTES: a run sends nothing after this long without input, or with the screen
    /// locked (0: off).
    public var idleMinutes: Int
    /// DISPLAY: an X display to ask for the time since the last input, besides logind.
    public var display: String?

    /// NOTIFY_AWAY_MINUTES: back after at least this many minutes skipped for being away,
    /// one desktop notification offers to count them as work (0: never).
    public var notifyAwayMinutes: Int

    public init(url: String, token: String, idleMinutes: Int = 10, display: String? = nil, notifyAwayMinutes: Int = 30) {
        self.url = url
        self.token = token
        self.idleMinutes = idleMinutes
        self.display = display
        self.notifyAwayMinutes = notifyAwayMinutes
    }

    /// The configuration, or an error that says what to set and where.
    public static func load(environment: Variables, paths: AgentPaths) throws(AgentError) -> AgentConfig {
        var values = FileText.read(paths.configFile).map(parse) ?? [:]
        for key in ["HEARTBEAT_URL", "BEARER_TOKEN", "IDLE_MINUTES", "DISPLAY", "NOTIFY_AWAY_MINUTES"] {
            if let value = environment[key], !value.isEmpty { values[key] = value }
        }
        guard values["HEARTBEAT_URL"] != nil, values["BEARER_TOKEN"] != nil else {
            let missing = ["HEARTBEAT_URL", "BEARER_TOKEN"].filter { values[$0] == nil }.concatenated(separator: " and ")
            throw .configuration("\(missing) not set: put them in the environment or in \(paths.configFile) as KEY=value lines")
        }
        return try validated(values)
    }

    /// The configuration `values` name (HEARTBEAT_URL and BEARER_TOKEN present), or what
    /// is wrong with it.
    public static func validated(_ values: Variables) throws(AgentError) -> AgentConfig {
        let url = values["HEARTBEAT_URL"] ?? "", token = values["BEARER_TOKEN"] ?? ""
        guard !url.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw .configuration("HEARTBEAT_URL must not contain spaces or line breaks")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .configuration("HEARTBEAT_URL must start with http:// or https://, e.g. http://127.0.0.1:8080/api/heartbeat")
        }
        guard !token.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            throw .configuration("BEARER_TOKEN must not contain spaces or line breaks")
        }
        guard !token.isEmpty else {
            throw .configuration("BEARER_TOKEN is empty: set it to the server's token (attendance-agent setup --token-file FILE)")
        }
        func minutes(_ name: String, default value: Int) throws(AgentError) -> Int {
            guard let text = values[name] else { return value }
            guard let minutes = Int(text), (0...1440).contains(minutes) else {
                throw .configuration("\(name) must be a whole number of minutes from 0 (off) to 1440, not \"\(text)\"")
            }
            return minutes
        }
        return AgentConfig(url: url, token: token, idleMinutes: try minutes("IDLE_MINUTES", default: 10),
                           display: values["DISPLAY"].flatMap { $0.isEmpty ? nil : $0 },
                           notifyAwayMinutes: try minutes("NOTIFY_AWAY_MINUTES", default: 30))
    }

    /// The config file's text for this configuration.
    public var fileText: String {
        var text = "# attendance-agent: KEY=value lines; # starts a comment. Written by `attendance-agent setup`.\n"
            + "HEARTBEAT_URL=\(url)\nBEARER_TOKEN=\(token)\nIDLE_MINUTES=\(idleMinutes)\n"
        if let display { text += "DISPLAY=\(display)\n" }
        if notifyAwayMinutes != 30 { text += "NOTIFY_AWAY_MINUTES=\(notifyAwayMinutes)\n" }
        return text
    }

    static func parse(_ text: String) -> Variables {
        var values: Variables = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop(while: \.isWhitespace)
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingSpaces
            var value = trimmed[trimmed.index(after: equals)...].trimmingSpaces
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }
}

/// What stops a run, with the words to say and the exit code to give.
public enum AgentError: Error, Equatable {
    case configuration(String)
    case failure(String)

    public var message: String {
        switch self {
        case .configuration(let text), .failure(let text): return text
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
