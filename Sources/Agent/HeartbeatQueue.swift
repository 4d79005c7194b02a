/// One heartbeat as the API takes it and as the queue keeps it.
public struct Beat: Sendable, Equatable {
    public var timestamp: String
    public var host: String

    /// Tabs and line breaks are removed: they have no place in a host name or a timestamp,
    /// and the queue file separates fields and entries with them.
    public init(timestamp: String, host: String) {
        self.timestamp = timestamp.filter { $0 != "\t" && !$0.isNewline }
        self.host = host.filter { $0 != "\t" && !$0.isNewline }
    }

    /// The API's JSON for this heartbeat.
    var json: String { "{\"host\":\(JSON.string(host)),\"timestamp\":\(JSON.string(timestamp))}" }
}

/// Heartbeats that could not be delivered yet: one `timestamp<TAB>host` line each,
/// rewritten whole and atomically under a lock, so overlapping runs and power loss never
/// corrupt it.
public struct HeartbeatQueue: Sendable {
    let path: String
    let lockPath: String

    public init(paths: AgentPaths) {
        path = paths.queueFile
        lockPath = paths.queueLock
    }

    /// Everything queued, oldest first. Lines that do not parse are skipped.
    public func load() throws(AgentError) -> [Beat] {
        let lock = try FileLock(lockPath, wait: true)
        defer { withExtendedLifetime(lock) {} }
        return Self.decode(FileText.read(path) ?? "")
    }

    /// Adds `beats` at the end.
    public func append(_ beats: [Beat]) throws(AgentError) {
        try update { $0 + beats }
    }

    /// Removes `delivered` (the oldest entries sent); entries queued meanwhile stay.
    public func remove(_ delivered: [Beat]) throws(AgentError) {
        try update { current in
            if current.starts(with: delivered) { return Array(current.dropFirst(delivered.count)) }
            var left = delivered
            return current.filter { beat in
                guard let index = left.firstIndex(of: beat) else { return true }
                left.remove(at: index)
                return false
            }
        }
    }

    func update(_ change: ([Beat]) -> [Beat]) throws(AgentError) {
        let lock = try FileLock(lockPath, wait: true)
        defer { withExtendedLifetime(lock) {} }
        let beats = change(Self.decode(FileText.read(path) ?? ""))
        try FileText.replace(path, with: Self.encode(beats))
    }

    static func decode(_ text: String) -> [Beat] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard !fields[0].isEmpty else { return nil }
            return Beat(timestamp: String(fields[0]), host: fields.count > 1 ? String(fields[1]) : "")
        }
    }

    static func encode(_ beats: [Beat]) -> String {
        beats.map { "\($0.timestamp)\t\($0.host)\n" }.joined()
    }
}
