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

    func presence(logind: [LogindSession]? = nil, x: XIdle? = nil, mutter: UInt64? = nil, saverActive: Bool? = nil,
                  saverIdle: UInt64? = nil) -> Presence {
        decision(logind: logind, x: x, mutter: mutter, saverActive: saverActive, saverIdle: saverIdle).presence
    }

    func decision(logind: [LogindSession]? = nil, x: XIdle? = nil, mutter: UInt64? = nil, saverActive: Bool? = nil,
                  saverIdle: UInt64? = nil) -> IdleDecision {
        IdleCheck.decide(IdleSources(logind: logind, x: x, mutterIdleMilliseconds: mutter, screenSaverActive: saverActive,
                                     screenSaverIdleMilliseconds: saverIdle), limit: limit, now: now)
    }

    @Test func nothingAnsweredMeansSendAsBefore() {
        #expect(decision() == IdleDecision(presence: .unknown, source: nil))
        #expect(presence(logind: [session("tty")]) == .unknown)
        #expect(presence(logind: []) == .unknown)
    }

    @Test func logindLockAndIdleHints() {
        #expect(presence(logind: [session()]) == .present)
        #expect(presence(logind: [session(locked: true)]) == .away(since: nil, reason: "the screen is locked"))
        #expect(presence(logind: [session(idleFor: 300)]) == .pausing)
        #expect(presence(logind: [session(idleFor: 600)]).awaySince == now - 600)
        // One unlocked, active session of two is enough; a tty session says nothing.
        #expect(presence(logind: [session(locked: true), session("wayland"), session("tty", idleFor: 9999)]) == .present)
    }

    @Test func theXServerKnowsTheLastInput() {
        #expect(presence(x: XIdle(idleMilliseconds: 5_000, saverOn: false)) == .present)
        #expect(presence(x: XIdle(idleMilliseconds: 120_000, saverOn: false)) == .pausing)
        #expect(presence(x: XIdle(idleMilliseconds: 700_000, saverOn: false)).awaySince == now - 700)
        #expect(presence(x: XIdle(idleMilliseconds: 1_000, saverOn: true)).awaySince == now - 1)
        // Away wins over present, and the earliest known moment is taken.
        #expect(presence(logind: [session(idleFor: 650)], x: XIdle(idleMilliseconds: 900_000, saverOn: false)).awaySince == now - 900)
        #expect(presence(logind: [session(locked: true)], x: XIdle(idleMilliseconds: 700_000, saverOn: false)).awaySince == now - 700)
    }

    @Test func xwaylandIsNotAskedInAWaylandSession() {
        #expect(IdleCheck.isWaylandOnly([session("wayland")]))
        #expect(IdleCheck.isWaylandOnly([session("wayland"), session("tty")]))
        #expect(!IdleCheck.isWaylandOnly([session("wayland"), session("x11")]))
        #expect(!IdleCheck.isWaylandOnly([session("tty")]))
        #expect(!IdleCheck.isWaylandOnly(nil))
    }

    @Test func gnomeMutterKnowsTheLastInputOnWayland() {
        #expect(decision(mutter: 0) == IdleDecision(presence: .present, source: "GNOME Mutter"))
        #expect(presence(mutter: 59_999) == .present)
        #expect(presence(mutter: 60_000) == .pausing)
        #expect(decision(mutter: 20 * 60_000) == IdleDecision(
            presence: .away(since: now - 1200, reason: "no input in the GNOME session for 20 min"), source: "GNOME Mutter"))
        #expect(presence(mutter: 599_999) == .pausing)
        #expect(presence(mutter: 600_000).awaySince == now - 600)
        // Wayland: logind says present (GNOME never set its idle hint), Mutter says away: away.
        #expect(decision(logind: [session("wayland")], mutter: 20 * 60_000).source == "GNOME Mutter")
        // A lock seen by logind wins over Mutter's recent input.
        #expect(decision(logind: [session("wayland", locked: true)], mutter: 1_000) == IdleDecision(
            presence: .away(since: nil, reason: "the screen is locked"), source: "logind"))
    }

    @Test func theScreenSaverSaysLockedOrBlankedAndOnKDEHowLongIdle() {
        #expect(decision(saverActive: true) == IdleDecision(
            presence: .away(since: nil, reason: "the screen saver is active (locked or blanked)"), source: "screen saver"))
        #expect(presence(saverActive: true, saverIdle: 900_000).awaySince == now - 900)
        #expect(decision(saverActive: false) == IdleDecision(presence: .present, source: "screen saver"))
        #expect(presence(saverActive: false, saverIdle: 120_000) == .pausing)
        #expect(presence(saverActive: false, saverIdle: 700_000).awaySince == now - 700)
        // GetSessionIdleTime alone (GetActive unanswered) still counts.
        #expect(presence(saverIdle: 700_000).awaySince == now - 700)
        // KDE on Wayland: the lock from the screen saver, present from logind: away.
        #expect(decision(logind: [session("wayland")], saverActive: true).source == "screen saver")
    }

    @Test func aPauseFromAnySourceHoldsTheMinuteAndTheEarliestAwayDecides() {
        #expect(decision(logind: [session()], mutter: 120_000) == IdleDecision(presence: .pausing, source: "GNOME Mutter"))
        #expect(decision(x: XIdle(idleMilliseconds: 700_000, saverOn: false), mutter: 800_000, saverActive: false,
                         saverIdle: 650_000).source == "GNOME Mutter")
        #expect(decision(logind: [session(idleFor: 2000)], mutter: 800_000).source == "logind")
    }
}

@Suite struct SessionBusTests {
    @Test func theBusIsFoundWithoutAShell() {
        #expect(SessionBus.address(environment: ["DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/x"], uid: 1000) == "unix:path=/tmp/x")
        #expect(SessionBus.address(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"], uid: 1000) == "unix:path=/run/user/1000/bus")
        // Cron sets neither: the standard runtime folder of this user.
        #expect(SessionBus.address(environment: [:], uid: 1234) == "unix:path=/run/user/1234/bus")
        #expect(SessionBus.address(environment: ["DBUS_SESSION_BUS_ADDRESS": "", "XDG_RUNTIME_DIR": ""], uid: 7)
                == "unix:path=/run/user/7/bus")
        // A folder with characters an address must escape.
        #expect(SessionBus.address(environment: ["XDG_RUNTIME_DIR": "/tmp/my run;x=1,é"], uid: 0)
                == "unix:path=/tmp/my%20run%3bx%3d1%2c%c3%a9/bus")
    }

    @Test func aBusThatIsNotThereSaysSo() {
        guard case .failure(let failure) = SessionBus.open(environment: ["DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"]) else {
            Issue.record("a bus at a missing socket opened")
            return
        }
        #expect(failure.message.contains("cannot reach the session bus unix:path=/nonexistent/bus"))
    }
}

@Suite struct ClockTests {
    @Test func theCorrectionIsWholeMinutesAndNothingWithinAMinute() {
        #expect(ClockOffset.correction(offset: 0) == 0)
        #expect(ClockOffset.correction(offset: 60) == 0)
        #expect(ClockOffset.correction(offset: -60) == 0)
        #expect(ClockOffset.correction(offset: 61) == 60)
        #expect(ClockOffset.correction(offset: 361) == 360)
        #expect(ClockOffset.correction(offset: 389) == 360)
        #expect(ClockOffset.correction(offset: 391) == 420)
        #expect(ClockOffset.correction(offset: -400 * 86_400 - 7) == -400 * 86_400)
        #expect(ClockOffset.describe(360) == "6 min ahead of")
        #expect(ClockOffset.describe(-400 * 86_400) == "400 days behind")
        #expect(ClockOffset.describe(-3 * 3600) == "3 h behind")
    }

    @Test func timestampsParse() {
        #expect(Clock.parse("2026-11-24T10:00:00Z") == 1_795_514_400)
        #expect(Clock.parse("2026-11-24T10:00Z") == 1_795_514_400)
        #expect(Clock.parse("2026-11-24T11:00:00+01:00") == 1_795_514_400)
        #expect(Clock.parse("2026-11-24T08:30:00.5-01:30") == 1_795_514_400)
        #expect(Clock.parse("yesterday") == nil)
        for seconds: Int64 in [0, 1_795_514_401, 1_700_000_000] { #expect(Clock.parse(Clock.rfc3339(seconds)) == seconds) }
    }

    @Test func theCorrectionSavedHoldsInThisBootUntilTheClockIsSet() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        #expect(ClockState.load(paths) == nil)
        try ClockState.save(360, paths)
        #expect(ClockState.load(paths) == 360)
        let (boot, base) = ClockState.current()
        // Another boot, or the wall clock set by more than a minute since: unknown again.
        try FileText.replace(paths.clockFile, with: "360 another-boot \(base)\n")
        #expect(ClockState.load(paths) == nil)
        try FileText.replace(paths.clockFile, with: "360 \(boot) \(base - 120)\n")
        #expect(ClockState.load(paths) == nil)
        try FileText.replace(paths.clockFile, with: "360 \(boot) \(base - 30)\n")
        #expect(ClockState.load(paths) == 360)
        try FileText.replace(paths.clockFile, with: "junk\n")
        #expect(ClockState.load(paths) == nil)
    }
}

/// A server with a clock of its own: a time more than 5 minutes ahead of it is refused as
/// Attendance refuses it (the whole request, 422), a heartbeat without one is stamped with
/// its clock; every answer carries the offset of the agent's clock (`Date`).
final class ClockServer {
    let now: Int64
    /// The agent's clock minus this one.
    let offset: Int64
    var stored: [Int64] = []
    var requests = 0
    var reachable = true

    init(now: Int64, offset: Int64) {
        self.now = now
        self.offset = offset
    }

    func exchange(_ body: [UInt8]) -> Exchange {
        requests += 1
        guard reachable else { return Exchange(unreachable) }
        let text = String(decoding: body, as: UTF8.self)
        var times: [Int64] = []
        let parts = text.split(separator: "\"timestamp\":\"", omittingEmptySubsequences: false).dropFirst()
        for part in parts { times.append(Clock.parse(String(part.prefix { $0 != "\"" }))!) }
        if parts.isEmpty { times = [now] }
        if let late = times.first(where: { $0 > now + 300 }) {
            return Exchange(.status(422, body: #"{"error":"timestamp \#(Clock.rfc3339(late)) is more than 5 minutes in the future"}"#),
                            offset: offset)
        }
        let fresh = times.map { $0 / 60 }.filter { !stored.contains($0) }
        stored += fresh
        return Exchange(.status(200, body: #"{"accepted":\#(fresh.count),"duplicates":\#(times.count - fresh.count)}"#), offset: offset)
    }
}

@Suite(.serialized) struct ClockSkewTests {
    let serverNow: Int64 = 1_795_514_400

    func run(_ paths: AgentPaths, _ server: ClockServer, local: Int64, correction: Int64?) throws -> Outcome {
        let stamp = Stamp(localTime: local, correction: correction)
        let beat = Beat(timestamp: stamp.timestamp(), host: "laptop", unchecked: correction == nil)
        let run = AgentRun(paths: paths, beat: beat, log: AgentLog(path: paths.logFile), deadline: .max, stamp: stamp,
                           clock: { local }, exchange: server.exchange)
        return try run.run().outcome
    }

    @Test func aFastClockWithNothingKnownLetsTheServerStampAndKeepsTheCorrection() throws {
        let paths = temporaryHome()
        let server = ClockServer(now: serverNow, offset: 360)
        #expect(try run(paths, server, local: serverNow + 360, correction: nil) == .delivered)
        #expect(server.stored == [serverNow / 60] && server.requests == 1)
        #expect(ClockState.load(paths) == 360)
        #expect(FileText.read(paths.logFile)!.contains("clock is 6 min ahead of the server's: heartbeats are stamped in the server's time"))
        // The next minute is stamped in the server's time: stored, one request.
        let next = ClockServer(now: serverNow + 60, offset: 360)
        #expect(try run(paths, next, local: serverNow + 420, correction: ClockState.load(paths)) == .delivered)
        #expect(next.stored == [serverNow / 60 + 1] && next.requests == 1)
    }

    @Test func aCorrectionThatNoLongerHoldsIsMeasuredAgainAndTheMinuteSentInTheServersTime() throws {
        let paths = temporaryHome()
        // Saved: within a minute; now 6 minutes fast: 422, then the same minute in server time.
        let fast = ClockServer(now: serverNow, offset: 360)
        #expect(try run(paths, fast, local: serverNow + 360, correction: 0) == .delivered)
        #expect(fast.stored == [serverNow / 60] && fast.requests == 2)
        #expect(!FileText.read(paths.logFile)!.contains("dropped"))
        // 400 days slow: the stray minute is stored (past times are taken), then the right one.
        let slow = ClockServer(now: serverNow, offset: -400 * 86_400)
        #expect(try run(paths, slow, local: serverNow - 400 * 86_400, correction: 0) == .delivered)
        #expect(slow.stored.contains(serverNow / 60) && slow.requests == 2)
        #expect(ClockState.load(paths) == -400 * 86_400)
    }

    @Test func minutesQueuedBeforeTheClockWasKnownAreSentInTheServersTime() throws {
        let paths = temporaryHome()
        let server = ClockServer(now: serverNow + 600, offset: 360)
        server.reachable = false
        for minute: Int64 in 0..<10 {
            #expect(try run(paths, server, local: serverNow + 360 + minute * 60, correction: nil) == .queued("cannot reach the server (Connection refused); the heartbeat is queued"))
        }
        #expect(try HeartbeatQueue(paths: paths).load().allSatisfy(\.unchecked))
        #expect(FileText.read(paths.queueFile)!.hasSuffix("\tlaptop\tlocal\n"))
        server.reachable = true
        #expect(try run(paths, server, local: serverNow + 960, correction: nil) == .delivered)
        // Each minute where it belongs in the server's clock; none six minutes late.
        #expect(server.stored.sorted() == (0...10).map { serverNow / 60 + $0 })
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
    }

    @Test func aQueuedMinuteTheServerFindsInTheFutureIsSentAgainInItsTime() throws {
        let paths = temporaryHome()
        // Stamped with a correction that held then (none), queued, the clock since 6 min fast.
        try FileText.makeDirectories(paths.stateDirectory)
        try HeartbeatQueue(paths: paths).append([Beat(timestamp: Clock.rfc3339(serverNow + 360), host: "laptop"),
                                                 Beat(timestamp: Clock.rfc3339(serverNow - 60), host: "laptop")])
        let server = ClockServer(now: serverNow, offset: 360)
        #expect(try run(paths, server, local: serverNow + 420, correction: 360) == .delivered)
        #expect(server.stored.sorted() == [serverNow / 60 - 1, serverNow / 60, serverNow / 60 + 1])
        #expect(!FileText.read(paths.logFile)!.contains("dropped"))
    }
}

@Suite struct AwayNudgeTests {
    let now: Int64 = 1_795_514_400  // 2026-11-24T10:00:00Z

    @Test func oneNudgeAfterALongAbsenceNoneAfterAShortOne() {
        var absence: AwayNudge.Absence?
        var told: [(Int64, Int64)] = []
        func step(_ presence: Presence, _ at: Int64, minutes: Int = 30) {
            let result = AwayNudge.step(absence, presence, now: at, minutes: minutes)
            absence = result.keep
            if let tell = result.tell { told.append(tell) }
        }
        // Away from 09:20 (input stopped then, seen at 09:30), back at 10:00: 40 minutes.
        step(.present, now - 3600)
        step(.away(since: now - 2400, reason: "idle"), now - 1800)
        step(.away(since: now - 2400, reason: "idle"), now - 1740)
        step(.pausing, now - 1680)
        #expect(absence == AwayNudge.Absence(start: now - 2400, last: now - 1740))
        step(.present, now)
        #expect(told.count == 1 && told[0] == (now - 2400, now) && absence == nil)
        // Once per absence: the next minutes say nothing.
        step(.present, now + 60)
        #expect(told.count == 1)
        // A lock says nothing of when the input stopped: the first away run starts it.
        step(.away(since: nil, reason: "locked"), now + 120)
        step(.present, now + 120 + 10 * 60)
        #expect(told.count == 1)
        // Off, or a session gone (logged out), tells nothing.
        step(.away(since: nil, reason: "locked"), now + 3600)
        step(.present, now + 7200, minutes: 0)
        step(.away(since: nil, reason: "locked"), now + 7300)
        step(.unknown, now + 7400)
        step(.present, now + 9999)
        #expect(told.count == 1)
    }

    @Test func theMessageNamesTheTimesAndTheDayPage() {
        #expect(AwayNudge.dayPage(heartbeatURL: "http://127.0.0.1:8080/api/heartbeat", date: "2026-11-24")
                == "http://127.0.0.1:8080/days/2026-11-24")
        #expect(AwayNudge.dayPage(heartbeatURL: "https://example.org/attendance/api/heartbeat?x=1", date: "2026-11-24")
                == "https://example.org/attendance/days/2026-11-24")
        let message = AwayNudge.message(start: now - 6300, end: now, heartbeatURL: "http://h/api/heartbeat")
        #expect(message.summary == "Away \(Clock.localTime(now - 6300))–\(Clock.localTime(now)) — open the day to count it as work")
        #expect(message.body == "http://h/days/\(Clock.localDate(now - 6300))")
    }
}

@Suite struct BacklogTests {
    @Test func heartbeatsOlderThanADayAreCountedWithTheOldest() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        let queue = HeartbeatQueue(paths: paths)
        let now: Int64 = 1_795_514_400
        #expect(queue.backlog(now: now) == nil)
        try queue.append([Beat(timestamp: Clock.rfc3339(now - 3 * 86_400), host: "a"),
                          Beat(timestamp: Clock.rfc3339(now - 3 * 86_400 + 60), host: "a"),
                          Beat(timestamp: Clock.rfc3339(now - 3600), host: "a")])
        let backlog = try #require(queue.backlog(now: now))
        #expect(backlog.count == 2 && backlog.oldest == now - 3 * 86_400)
        #expect(AgentRun.describeBacklog(backlog) == "the queue holds 2 heartbeats older than a day, the oldest from 2026-11-21")
        // A run that cannot deliver them says so in the log once a day.
        let server = FakeServer([unreachable, unreachable, unreachable])
        for minute in 0..<2 {
            let beat = Beat(timestamp: Clock.rfc3339(now + Int64(minute) * 60), host: "laptop")
            _ = try AgentRun(paths: paths, beat: beat, log: AgentLog(path: paths.logFile), deadline: .max,
                             clock: { now + Int64(minute) * 60 }, send: server.send).run()
        }
        let log = FileText.read(paths.logFile)!
        #expect(log.ranges(of: "older than a day").count == 1)
        #expect(log.contains("the queue holds 2 heartbeats older than a day, the oldest from 2026-11-21; they are sent when the server takes heartbeats again"))
    }
}
