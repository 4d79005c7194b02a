#if canImport(Glibc)
import Glibc
#endif

/// One heartbeat as the API takes it and as the queue keeps it.
public struct Beat: Sendable, Equatable {
    public var timestamp: String
    public var host: String
    /// Stamped by this computer's clock before any answer said how far it is off: put in
    /// the server's time once one does (the queue line's third field, `local`).
    public var unchecked: Bool

    /// Tabs and line breaks are removed: they have no place in a host name or a timestamp,
    /// and the queue file separates fields and entries with them.
    public init(timestamp: String, host: String, unchecked: Bool = false) {
        self.timestamp = timestamp.filter { $0 != "\t" && !$0.isNewline }
        self.host = host.filter { $0 != "\t" && !$0.isNewline }
        self.unchecked = unchecked
    }

    /// In the server's time by `correction` (this clock ahead: positive), when unchecked.
    func corrected(by correction: Int64?) -> Beat {
        guard unchecked, let correction, let seconds = Clock.parse(timestamp) else { return self }
        return Beat(timestamp: Clock.rfc3339(seconds - correction), host: host)
    }

    /// The API's JSON for this heartbeat.
    public var json: String { "{\"host\":\(JSON.string(host)),\"timestamp\":\(JSON.string(timestamp))}" }

    /// The API's JSON for a heartbeat from `host` that the server stamps with its own clock.
    public static func stampedByServer(host: String) -> String { "{\"host\":\(JSON.string(host))}" }

    /// The queue's line for it.
    var line: String { "\(timestamp)\t\(host)\(unchecked ? "\tlocal" : "")\n" }

    /// A queue line's heartbeat, or nil for a line that cannot be one (it is then dropped
    /// without being sent): an RFC 3339 date-time with an offset, a host of at most 255
    /// bytes without control characters.
    static func parse(_ line: ArraySlice<UInt8>) -> Beat? {
        let tab = line.firstIndex(of: 0x09) ?? line.endIndex
        let timestamp = line[line.startIndex..<tab]
        var host = tab < line.endIndex ? line[(tab + 1)...] : []
        var unchecked = false
        if let mark = host.firstIndex(of: 0x09) {
            guard host[(mark + 1)...].elementsEqual("local".utf8) else { return nil }
            unchecked = true
            host = host[..<mark]
        }
        guard Self.isTimestamp(timestamp), host.count <= 255, !host.contains(where: { $0 < 0x20 || $0 == 0x7F }),
              let hostText = String(validating: host, as: UTF8.self) else { return nil }
        return Beat(timestamp: String(decoding: timestamp, as: UTF8.self), host: hostText, unchecked: unchecked)
    }

    /// `YYYY-MM-DDTHH:MM[:SS[.fraction]]` then `Z` or `±HH:MM`: the shape, not the calendar
    /// (the server checks that and answers 422 for a date that does not exist).
    static func isTimestamp(_ bytes: ArraySlice<UInt8>) -> Bool {
        let text = Array(bytes)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= text.count && text[range].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard text.count >= 17, text.count <= 40, digits(0..<4), text[4] == 0x2D, digits(5..<7), text[7] == 0x2D, digits(8..<10),
              text[10] == 0x54 || text[10] == 0x74, digits(11..<13), text[13] == 0x3A, digits(14..<16) else { return false }
        var index = 16
        if index < text.count, text[index] == 0x3A {
            guard digits(17..<19) else { return false }
            index = 19
            if index < text.count, text[index] == 0x2E {
                index += 1
                let start = index
                while index < text.count, text[index] >= 0x30 && text[index] <= 0x39 { index += 1 }
                guard index > start else { return false }
            }
        }
        let zone = text[index...]
        if zone.count == 1 { return zone.first == 0x5A || zone.first == 0x7A }
        return zone.count == 6 && (zone.first == 0x2B || zone.first == 0x2D) && digits(index + 1..<index + 3)
            && text[index + 3] == 0x3A && digits(index + 4..<index + 6)
    }
}

/// Heartbeats waiting in a file, one `timestamp<TAB>host` line each. Runs add lines at the
/// end (appended and synced under `queue.lock`); the run that sends them reads the file
/// in bounded pieces and rewrites it once at its end, keeping whatever it did not settle
/// and whatever was added meanwhile. A line cut short by a crash, or junk, is dropped
/// when read, never sent.
public struct HeartbeatQueue: Sendable {
    public let path: String
    let lockPath: String
    /// How long a run waits for another one to finish with the queue file.
    static let lockWaitSeconds = 10

    public init(paths: AgentPaths) {
        self.init(path: paths.queueFile, lockPath: paths.queueLock)
    }

    init(path: String, lockPath: String) {
        self.path = path
        self.lockPath = lockPath
    }

    /// Everything queued, oldest first (for tests and small files).
    public func load() throws(AgentError) -> [Beat] {
        var beats: [Beat] = []
        var reader = QueueReader(path: path)
        defer { reader.close() }
        while let piece = reader.next(limit: .max) { beats += piece.beats }
        return beats
    }

    /// Heartbeats stamped more than `age` seconds before `now`: how many, and the oldest
    /// one's time; nil when there are none (spec §5: the agent notices what it could not
    /// send). Reads the whole file in bounded pieces.
    public func backlog(now: Int64, age: Int64 = 86_400) -> (count: Int, oldest: Int64)? {
        var reader = QueueReader(path: path)
        defer { reader.close() }
        var count = 0
        var oldest = Int64.max
        while let piece = reader.next(limit: 1000) {
            for beat in piece.beats {
                guard let seconds = Clock.parse(beat.timestamp), seconds < now - age else { continue }
                count += 1
                oldest = min(oldest, seconds)
            }
        }
        return count > 0 ? (count, oldest) : nil
    }

    /// Adds `beats` at the end. When the lock cannot be had in time (another process
    /// hangs holding it), appends anyway: a single short `write` with `O_APPEND`.
    public func append(_ beats: [Beat]) throws(AgentError) {
        guard !beats.isEmpty else { return }
        let lock = try FileLock(lockPath, waitSeconds: Self.lockWaitSeconds)
        defer { withExtendedLifetime(lock) {} }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failure("cannot write \(path): \(FileText.errorText())") }
        defer { close(fd) }
        var text = beats.map(\.line).concatenated()
        // A line left unfinished (a crash in the middle of a write) must not swallow ours.
        var last: UInt8 = 0x0A
        if lseek(fd, -1, SEEK_END) >= 0, read(fd, &last, 1) == 1, last != 0x0A { text = "\n" + text }
        try FileText.write(fd, Array(text.utf8), path: path)
        guard fsync(fd) == 0 else { throw .failure("cannot sync \(path): \(FileText.errorText())") }
    }

    /// Replaces the file with `kept` followed by its bytes from `offset` to its end (lines
    /// added since the run began included), atomically and under the lock.
    func rewrite(keeping kept: [Beat], from offset: Int) throws(AgentError) {
        guard let lock = try FileLock(lockPath, waitSeconds: Self.lockWaitSeconds) else {
            throw .failure("\(lockPath) is held by another process; the queue is left as it was")
        }
        defer { withExtendedLifetime(lock) {} }
        try FileText.replace(path) { (fd: Int32) throws(AgentError) in
            try FileText.write(fd, Array(kept.map(\.line).concatenated().utf8), path: path)
            let source = open(path, O_RDONLY | O_CLOEXEC)
            guard source >= 0 else { return }
            defer { close(source) }
            guard lseek(source, off_t(offset), SEEK_SET) >= 0 else { return }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { Glibc.read(source, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                try FileText.write(fd, Array(chunk[0..<count]), path: path)
            }
        }
    }
}

/// Reads a queue file front to back in pieces of bounded size.
struct QueueReader {
    /// A line longer than this cannot be a heartbeat (40 bytes of timestamp, 255 of host).
    static let lineLimit = 512

    struct Piece {
        var beats: [Beat]
        /// Lines that could not be heartbeats, skipped.
        var junk: Int
        /// The file offset just past the last line read.
        var end: Int
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var offset = 0
    private var atEnd = false
    /// Inside a line that already ran past `lineLimit`: skip to its end.
    private var skipping = false

    init(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        atEnd = fd < 0
    }

    func close() { if fd >= 0 { Glibc.close(fd) } }

    /// Up to `limit` heartbeats from where the last piece ended; nil at the end of the file.
    /// A last line without its line break is left for later: it may still be being written.
    mutating func next(limit: Int) -> Piece? {
        var piece = Piece(beats: [], junk: 0, end: offset)
        while piece.beats.count < limit {
            if let newline = buffer[bufferStart...].firstIndex(of: 0x0A) {
                let line = buffer[bufferStart..<newline]
                offset += newline + 1 - bufferStart
                bufferStart = newline + 1
                if skipping {
                    skipping = false
                    piece.junk += 1
                } else if line.isEmpty {
                    // blank lines are nothing
                } else if let beat = line.count <= Self.lineLimit ? Beat.parse(line) : nil {
                    piece.beats.append(beat)
                } else {
                    piece.junk += 1
                }
                piece.end = offset
                continue
            }
            // No whole line left in the buffer: a long one is skipped, not kept.
            if buffer.count - bufferStart > Self.lineLimit {
                offset += buffer.count - bufferStart
                skipping = true
                buffer.removeAll(keepingCapacity: true)
                bufferStart = 0
            }
            guard !atEnd, fill() else { break }
        }
        return piece.beats.isEmpty && piece.junk == 0 && piece.end == offset && atEnd ? nil : piece
    }

    private mutating func fill() -> Bool {
        buffer.removeFirst(bufferStart)
        bufferStart = 0
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                atEnd = true
                return false
            }
            buffer += chunk[0..<count]
            return true
        }
    }
}
