import Testing
@testable import Agent
#if canImport(Glibc)
import Glibc
#endif

/// A fresh home for one test: config, state and log live under it.
func temporaryHome() -> AgentPaths {
    var template = Array("/tmp/agent-test-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    return AgentPaths(environment: ["HOME": path])
}

/// A server stand-in that answers from a script and records what it was sent.
final class FakeServer {
    var answers: [PostResult]
    var received: [String] = []

    init(_ answers: [PostResult]) { self.answers = answers }

    /// In a script: answer as Attendance does, every heartbeat sent accepted.
    static let ok = PostResult.status(200, body: "ok")

    func send(_ body: [UInt8]) -> PostResult {
        let text = String(decoding: body, as: UTF8.self)
        received.append(text)
        let answer = answers.isEmpty ? Self.ok : answers.removeFirst()
        guard answer == Self.ok else { return answer }
        let count = text.ranges(of: "\"timestamp\"").count
        return .status(200, body: #"{"accepted":\#(count),"duplicates":0}"#)
    }
}

/// `count` valid queue entries, a minute apart from 2026-11-23T00:00Z.
func minutes(_ count: Int, host: String = "h") -> [Beat] {
    (0..<count).map { Beat(timestamp: Clock.rfc3339(1_795_392_000 + Int64($0) * 60), host: host) }
}

func run(_ paths: AgentPaths, _ server: FakeServer, at minute: Int, deadline: Int64 = .max,
         presence: Presence = .unknown) throws -> (Outcome, Bool) {
    let beat = Beat(timestamp: "2026-11-24T10:\(minute < 10 ? "0" : "")\(minute):00Z", host: "laptop")
    let run = AgentRun(paths: paths, beat: beat, log: AgentLog(path: paths.logFile), deadline: deadline,
                       presence: presence, clock: { 0 }, send: server.send)
    let result = try run.run()
    return (result.outcome, result.news)
}

let unreachable = PostResult.transport(kind: .unreachable, message: "Connection refused")

// Serialized: a run whose state folder works forgets the process-wide "said once" marker
// that another test's unwritable-folder runs depend on.
@Suite(.serialized) struct AgentRunTests {
    @Test func deliveredRunIsSilentAndQueuesNothing() throws {
        let paths = temporaryHome()
        let server = FakeServer([])
        #expect(try run(paths, server, at: 0) == (.delivered, false))
        #expect(server.received == [#"{"host":"laptop","timestamp":"2026-11-24T10:00:00Z"}"#])
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
    }

    @Test func unreachableServerQueuesAndTheNextRunDeliversTheQueueOnce() throws {
        let paths = temporaryHome()
        let down = FakeServer([unreachable, unreachable, .status(502, body: "")])
        for minute in 0..<3 {
            let (outcome, news) = try run(paths, down, at: minute)
            #expect(outcome.exitCode == 75)
            #expect(!news || minute == 0)
        }
        #expect(try HeartbeatQueue(paths: paths).load().map(\.timestamp) ==
                ["2026-11-24T10:00:00Z", "2026-11-24T10:01:00Z", "2026-11-24T10:02:00Z"])
        let up = FakeServer([])
        #expect(try run(paths, up, at: 3).0 == .delivered)
        #expect(up.received.count == 2)
        #expect(up.received[1] == #"{"heartbeats":[{"host":"laptop","timestamp":"2026-11-24T10:00:00Z"},{"host":"laptop","timestamp":"2026-11-24T10:01:00Z"},{"host":"laptop","timestamp":"2026-11-24T10:02:00Z"}]}"#)
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
        let log = try #require(FileText.read(paths.logFile))
        #expect(log.contains("delivered 3 queued heartbeats"))
        #expect(log.contains("recovered"))
        #expect(log.split(separator: "\n").count == 5)  // three failures, the delivery, the recovery
    }

    @Test func aRefusedTokenKeepsTheHeartbeatsAndIsNewsOnce() throws {
        let paths = temporaryHome()
        let server = FakeServer([.status(401, body: #"{"error":"missing or wrong bearer token"}"#),
                                 .status(401, body: "")])
        let first = try run(paths, server, at: 0)
        #expect(first.0.exitCode == 77)
        #expect(first.1)
        #expect(try run(paths, server, at: 1) == (.refused("the server answered 401; the heartbeat is queued"), false))
        #expect(try HeartbeatQueue(paths: paths).load().count == 2)
    }

    @Test func aBadQueuedItemIsFoundByHalvingAndDroppedAlone() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        try HeartbeatQueue(paths: paths).append([Beat(timestamp: "2026-11-24T09:00:00Z", host: "a"),
                                                 Beat(timestamp: "2026-02-30T09:01:00Z", host: "a"),
                                                 Beat(timestamp: "2026-11-24T09:02:00Z", host: "a")])
        // This minute: ok; the batch of 3: 422; its halves [a]: ok, [bad, c]: 422; then [bad]: 422, [c]: ok.
        let refused = PostResult.status(422, body: #"{"error":"heartbeats[0].timestamp 2026-02-30 does not exist"}"#)
        let server = FakeServer([FakeServer.ok, refused, FakeServer.ok, refused, refused, FakeServer.ok])
        #expect(try run(paths, server, at: 5).0 == .delivered)
        #expect(server.received.count == 6)
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
        #expect(try #require(FileText.read(paths.logFile)).contains("dropped queued heartbeat 2026-02-30T09:01:00Z"))
    }

    @Test func theQueueIsSentInBatchesAndStopsWhenTheServerGoesAway() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        let many = minutes(2500)
        try HeartbeatQueue(paths: paths).append(many)
        let server = FakeServer([FakeServer.ok, FakeServer.ok, unreachable])
        #expect(try run(paths, server, at: 0).0 == .delivered)
        #expect(server.received.count == 3)
        #expect(try HeartbeatQueue(paths: paths).load() == Array(many[1000...]))
    }

    @Test func a200ThatIsNotAttendancesAnswerDeliversNothing() throws {
        let paths = temporaryHome()
        let portal = FakeServer([.status(200, body: "<html>Please log in to the hotel Wi-Fi</html>"),
                                 .status(200, body: #"{"accepted":1}"#), .status(200, body: #"{"accepted":0,"duplicates":0}"#)])
        for minute in 0..<3 {
            let (outcome, _) = try run(paths, portal, at: minute)
            #expect(outcome.exitCode == 75)
        }
        #expect(try HeartbeatQueue(paths: paths).load().count == 3)
        #expect(try #require(FileText.read(paths.logFile)).contains("not as Attendance does"))
        let up = FakeServer([])
        #expect(try run(paths, up, at: 3).0 == .delivered)
        #expect(up.received.count == 2)
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
    }

    @Test func busyAndTooLargeAnswersKeepTheHeartbeats() throws {
        let paths = temporaryHome()
        for (minute, answer) in [(0, PostResult.status(408, body: "")), (1, .status(429, body: "")), (2, .status(413, body: ""))] {
            let (outcome, _) = try run(paths, FakeServer([answer]), at: minute)
            #expect(outcome.exitCode == 75)
        }
        #expect(try HeartbeatQueue(paths: paths).load().count == 3)
        // A proxy that takes at most one heartbeat per request: the batch is split until it passes.
        let small = FakeServer([FakeServer.ok, .status(413, body: ""), FakeServer.ok, .status(413, body: ""), FakeServer.ok, FakeServer.ok])
        #expect(try run(paths, small, at: 3).0 == .delivered)
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
        // 429 in the middle of the queue: what was not sent stays, in order.
        try HeartbeatQueue(paths: paths).append(minutes(3))
        let busy = FakeServer([FakeServer.ok, .status(422, body: ""), FakeServer.ok, .status(429, body: "")])
        #expect(try run(paths, busy, at: 4).0 == .delivered)
        #expect(try HeartbeatQueue(paths: paths).load() == Array(minutes(3)[1...]))
    }

    @Test func junkInTheQueueIsDroppedUnsentAndTheRestDelivered() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        var text = String(repeating: "x", count: 300_000) + "\n"  // one long line
        for beat in minutes(5) { text += "junk\u{0}line\n" + beat.line + "2026-11-24T10:00:00Z\thost\u{1}\n" }
        try FileText.replace(paths.queueFile, with: text + "2026-11-24T10:00:00Z\tcut sh")
        let server = FakeServer([])
        #expect(try run(paths, server, at: 9).0 == .delivered)
        #expect(server.received.count == 2)
        #expect(server.received[1].ranges(of: "timestamp").count == 5)
        // The unfinished last line stays (it may still be being written); the next append completes it safely.
        #expect(FileText.read(paths.queueFile) == "2026-11-24T10:00:00Z\tcut sh")
        try HeartbeatQueue(paths: paths).append(minutes(1, host: "next"))
        #expect(try HeartbeatQueue(paths: paths).load() == [Beat(timestamp: "2026-11-24T10:00:00Z", host: "cut sh")] + minutes(1, host: "next"))
        let log = try #require(FileText.read(paths.logFile))
        #expect(log.contains("dropped 11 queue lines that were not heartbeats"))
        #expect(!log.contains("\u{0}") && log.utf8.count < 1000)
    }

    @Test func anUnwritableStateFolderStillSendsThisMinuteAndSaysSoOnce() throws {
        let home = temporaryHome()
        // A state folder below a regular file cannot be created, even by root.
        try FileText.makeDirectories(FileText.parent(of: home.stateDirectory))
        try FileText.replace(home.stateDirectory + "-file", with: "")
        let paths = AgentPaths(environment: ["HOME": FileText.parent(of: home.logFile), "XDG_STATE_HOME": home.stateDirectory + "-file"])
        AgentRun.forgetStateProblem()
        let server = FakeServer([FakeServer.ok, unreachable, FakeServer.ok])
        let first = try run(paths, server, at: 0)
        #expect(first.0.exitCode == 0)
        #expect(first.1)
        let second = try run(paths, server, at: 1)
        #expect(second.0.exitCode == 75)
        #expect(!second.1)
        guard case .withoutState(let message, delivered: false) = second.0 else { Issue.record("\(second.0)"); return }
        #expect(message.contains("is lost"))
        #expect(server.received.count == 2)
        AgentRun.forgetStateProblem()
    }

    @Test func aPauseIsHeldThenSentOrDroppedByWhatFollows() throws {
        let paths = temporaryHome()
        let server = FakeServer([])
        // 10:00 present; 10:01–10:03 no input for a while: held, nothing sent.
        _ = try run(paths, server, at: 0, presence: .present)
        for minute in 1...3 { _ = try run(paths, server, at: minute, presence: .pausing) }
        #expect(server.received.count == 1)
        #expect(try HeartbeatQueue(path: paths.heldFile, lockPath: paths.queueLock).load().count == 3)
        // Back at 10:04: the pause was short, its minutes count.
        _ = try run(paths, server, at: 4, presence: .present)
        #expect(server.received.count == 3)
        #expect(server.received[2].contains("10:01:00Z") && server.received[2].contains("10:03:00Z"))
        // 10:05–10:07 held; at 10:08 away since 10:06 (the last input): 10:05 counts, 10:06 and 10:07 do not.
        for minute in 5...7 { _ = try run(paths, server, at: minute, presence: .pausing) }
        let since = Int64(1_795_514_400 + 6 * 60)  // 2026-11-24T10:06:00Z
        #expect(Clock.rfc3339(since) == "2026-11-24T10:06:00Z")
        _ = try run(paths, server, at: 8, presence: .away(since: since, reason: "idle"))
        #expect(server.received.count == 4)
        #expect(server.received[3] == #"{"host":"laptop","timestamp":"2026-11-24T10:05:00Z"}"#)
        #expect(try HeartbeatQueue(path: paths.heldFile, lockPath: paths.queueLock).load().isEmpty)
        // Locked: nothing sent, nothing held.
        _ = try run(paths, server, at: 9, presence: .away(since: nil, reason: "locked"))
        #expect(server.received.count == 4)
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
    }

    @Test func anOverlappingRunHandsItsHeartbeatToTheQueue() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        let held = try #require(try FileLock(paths.runLock, waitSeconds: 0))
        let server = FakeServer([])
        #expect(try run(paths, server, at: 7) == (.handedOver, false))
        #expect(server.received.isEmpty)
        #expect(try HeartbeatQueue(paths: paths).load().map(\.timestamp) == ["2026-11-24T10:07:00Z"])
        withExtendedLifetime(held) {}
    }

    @Test func aHeartbeatTheServerRefusesIsDroppedNotQueued() throws {
        let paths = temporaryHome()
        let server = FakeServer([.status(422, body: #"{"error":"more than 5 minutes in the future"}"#)])
        let (outcome, news) = try run(paths, server, at: 0)
        #expect(outcome.exitCode == 65)
        #expect(news)
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
    }

    @Test func pastTheDeadlineTheQueueWaits() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        try HeartbeatQueue(paths: paths).append([Beat(timestamp: "2026-11-24T09:00:00Z", host: "a")])
        let server = FakeServer([])
        #expect(try run(paths, server, at: 1, deadline: 0).0 == .delivered)
        #expect(server.received.count == 1)
        #expect(try HeartbeatQueue(paths: paths).load().count == 1)
    }
}

@Suite struct AgentConfigTests {
    @Test func environmentWinsOverTheFile() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(FileText.parent(of: paths.configFile))
        try FileText.replace(paths.configFile, with: "# agent\nHEARTBEAT_URL = \"http://10.0.0.1:8080/api/heartbeat\"\nBEARER_TOKEN=from-file\n")
        #expect(try AgentConfig.load(environment: [:], paths: paths) ==
                AgentConfig(url: "http://10.0.0.1:8080/api/heartbeat", token: "from-file"))
        #expect(try AgentConfig.load(environment: ["IDLE_MINUTES": "0", "DISPLAY": ":1"], paths: paths).idleMinutes == 0)
        #expect(try AgentConfig.load(environment: ["DISPLAY": ":1"], paths: paths).display == ":1")
        #expect(try AgentConfig.load(environment: ["BEARER_TOKEN": "from-env"], paths: paths).token == "from-env")
    }

    @Test func missingOrBadSettingsSayWhatToDo() {
        let paths = temporaryHome()
        #expect(throws: AgentError.configuration("HEARTBEAT_URL and BEARER_TOKEN not set: put them in the environment or in \(paths.configFile) as KEY=value lines")) {
            try AgentConfig.load(environment: [:], paths: paths)
        }
        #expect(throws: (any Error).self) {
            try AgentConfig.load(environment: ["HEARTBEAT_URL": "127.0.0.1:8080", "BEARER_TOKEN": "x"], paths: paths)
        }
        try? FileText.makeDirectories(FileText.parent(of: paths.configFile))
        try? FileText.replace(paths.configFile, with: "HEARTBEAT_URL=http://127.0.0.1:8080/api/heartbeat\nBEARER_TOKEN=\n")
        #expect(throws: (any Error).self) { try AgentConfig.load(environment: [:], paths: paths) }
        #expect(throws: (any Error).self) {
            try AgentConfig.load(environment: ["BEARER_TOKEN": "x", "IDLE_MINUTES": "ten"], paths: paths)
        }
    }

    @Test func theLogIsBounded() {
        let paths = temporaryHome()
        let log = AgentLog(path: paths.logFile, limit: 1000)
        for n in 0..<200 { log.write("failure number \(n)", now: 0) }
        #expect((FileText.read(paths.logFile)?.utf8.count ?? 0) < 1100)
        #expect((FileText.read(paths.logFile + ".1")?.utf8.count ?? 0) < 1100)
    }
}

@Suite struct AgentJSONTests {
    @Test func stringsAreEscaped() {
        #expect(JSON.string("plain") == "\"plain\"")
        #expect(JSON.string("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\u0001""#)
        #expect(JSON.string("Zürich-💻") == "\"Zürich-💻\"")
    }

    @Test func errorMessagesAreRead() {
        #expect(JSON.errorMessage(#"{"error":"missing or wrong bearer token"}"#) == "missing or wrong bearer token")
        #expect(JSON.errorMessage(#"{"error": "say \"hi\""}"#) == #"say "hi""#)
        #expect(JSON.errorMessage("<html>502</html>") == nil)
        #expect(JSON.errorMessage("") == nil)
    }

    @Test func queueLinesSurviveOddHostNames() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        let beats = [Beat(timestamp: "2026-11-24T10:00:00Z", host: "tab\there"), Beat(timestamp: "2026-11-24T10:01:00+01:00", host: ""),
                     Beat(timestamp: "2026-11-24T10:02:00.5Z", host: "Zürich-💻")]
        try HeartbeatQueue(paths: paths).append(beats)
        #expect(try HeartbeatQueue(paths: paths).load() == beats)
        #expect(beats[0].host == "tabhere")
    }

    @Test func onlyTimestampShapedLinesAreHeartbeats() {
        for good in ["2026-11-24T10:00Z", "2026-11-24T10:00:00Z", "2026-11-24t10:00:00.123z", "2026-11-24T10:00:00-05:30"] {
            #expect(Beat.isTimestamp(ArraySlice(good.utf8)), "\(good)")
        }
        for bad in ["", "not a time", "2026-11-24 10:00:00Z", "2026-11-24T10:00:00", "2026-11-24T10:00:00+0100", "2026-11-24T10:00:00.Z"] {
            #expect(!Beat.isTimestamp(ArraySlice(bad.utf8)), "\(bad)")
        }
    }

    @Test func answersAreReadForTheirCounts() {
        #expect(JSON.integer("accepted", in: #"{"accepted":12,"duplicates":3}"#) == 12)
        #expect(JSON.integer("duplicates", in: #"{"accepted": 12, "duplicates" : 3}"#) == 3)
        #expect(JSON.integer("accepted", in: "<html>accepted</html>") == nil)
        #expect(AgentRun.classify(.status(200, body: #"{"accepted":2,"duplicates":1}"#), count: 3) == .delivered)
        #expect(AgentRun.classify(.status(200, body: #"{"accepted":2,"duplicates":1}"#), count: 4) != .delivered)
    }
}

@Suite struct IdleCheckTests {
    let now: Int64 = 1_795_428_000
    let limit: Int64 = 600

    func session(_ type: String = "x11", locked: Bool = false, idleFor: Int64? = nil) -> LogindSession {
        LogindSession(type: type, locked: locked, idle: idleFor != nil, idleSince: idleFor.map { now - $0 } ?? 0)
    }

    @Test func nothingAnsweredMeansSendAsBefore() {
        #expect(IdleCheck.presence(logind: nil, x: nil, limit: limit, now: now) == .unknown)
        #expect(IdleCheck.presence(logind: [session("tty")], x: nil, limit: limit, now: now) == .unknown)
    }

    @Test func logindLockAndIdleHints() {
        #expect(IdleCheck.presence(logind: [session()], x: nil, limit: limit, now: now) == .present)
        #expect(IdleCheck.presence(logind: [session(locked: true)], x: nil, limit: limit, now: now)
                == .away(since: nil, reason: "the screen is locked"))
        #expect(IdleCheck.presence(logind: [session(idleFor: 300)], x: nil, limit: limit, now: now) == .pausing)
        #expect(IdleCheck.presence(logind: [session(idleFor: 600)], x: nil, limit: limit, now: now).awaySince == now - 600)
        // One unlocked, active session of two is enough; a tty session says nothing.
        #expect(IdleCheck.presence(logind: [session(locked: true), session("wayland"), session("tty", idleFor: 9999)],
                                   x: nil, limit: limit, now: now) == .present)
    }

    @Test func theXServerKnowsTheLastInput() {
        #expect(IdleCheck.presence(logind: nil, x: XIdle(idleMilliseconds: 5_000, saverOn: false), limit: limit, now: now) == .present)
        #expect(IdleCheck.presence(logind: nil, x: XIdle(idleMilliseconds: 120_000, saverOn: false), limit: limit, now: now) == .pausing)
        #expect(IdleCheck.presence(logind: nil, x: XIdle(idleMilliseconds: 700_000, saverOn: false), limit: limit, now: now).awaySince == now - 700)
        #expect(IdleCheck.presence(logind: nil, x: XIdle(idleMilliseconds: 1_000, saverOn: true), limit: limit, now: now).awaySince == now - 1)
        // Away wins over present, and the earliest known moment is taken.
        #expect(IdleCheck.presence(logind: [session(idleFor: 650)], x: XIdle(idleMilliseconds: 900_000, saverOn: false),
                                   limit: limit, now: now).awaySince == now - 900)
        #expect(IdleCheck.presence(logind: [session(locked: true)], x: XIdle(idleMilliseconds: 700_000, saverOn: false),
                                   limit: limit, now: now).awaySince == now - 700)
    }
}
