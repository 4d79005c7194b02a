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

    func send(_ body: [UInt8]) -> PostResult {
        received.append(String(decoding: body, as: UTF8.self))
        return answers.isEmpty ? .status(200, body: "") : answers.removeFirst()
    }
}

func run(_ paths: AgentPaths, _ server: FakeServer, at minute: Int, deadline: Int64 = .max) throws -> (Outcome, Bool) {
    let beat = Beat(timestamp: "2026-11-24T10:\(minute < 10 ? "0" : "")\(minute):00Z", host: "laptop")
    let run = AgentRun(paths: paths, beat: beat, log: AgentLog(path: paths.logFile), deadline: deadline,
                       clock: { 0 }, send: server.send)
    let result = try run.run()
    return (result.outcome, result.news)
}

let unreachable = PostResult.transport(kind: .unreachable, message: "Connection refused")

@Suite struct AgentRunTests {
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

    @Test func aBadQueuedItemIsDroppedAloneAndDoesNotBlockTheQueue() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        try HeartbeatQueue(paths: paths).append([Beat(timestamp: "2026-11-24T09:00:00Z", host: "a"),
                                                 Beat(timestamp: "not a time", host: "a"),
                                                 Beat(timestamp: "2026-11-24T09:02:00Z", host: "a")])
        // This minute: 200; the batch: 422; then item by item: 200, 422, 200.
        let server = FakeServer([.status(200, body: ""), .status(422, body: #"{"error":"heartbeats[1].timestamp"}"#),
                                 .status(200, body: ""), .status(422, body: #"{"error":"bad timestamp"}"#), .status(200, body: "")])
        #expect(try run(paths, server, at: 5).0 == .delivered)
        #expect(server.received.count == 5)
        #expect(try HeartbeatQueue(paths: paths).load().isEmpty)
        #expect(try #require(FileText.read(paths.logFile)).contains("dropped queued heartbeat not a time"))
    }

    @Test func theQueueIsSentInBatchesAndStopsWhenTheServerGoesAway() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        let many = (0..<2500).map { Beat(timestamp: "2026-11-23T00:00:00Z+\($0)", host: "h") }
        try HeartbeatQueue(paths: paths).append(many)
        let server = FakeServer([.status(200, body: ""), .status(200, body: ""), unreachable])
        #expect(try run(paths, server, at: 0).0 == .delivered)
        #expect(server.received.count == 3)
        #expect(try HeartbeatQueue(paths: paths).load() == Array(many[1000...]))
    }

    @Test func anOverlappingRunHandsItsHeartbeatToTheQueue() throws {
        let paths = temporaryHome()
        try FileText.makeDirectories(paths.stateDirectory)
        let held = try #require(try FileLock(paths.runLock, wait: false))
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
        let beats = [Beat(timestamp: "2026-11-24T10:00:00Z", host: "tab\there"), Beat(timestamp: "2026-11-24T10:01:00Z", host: "")]
        #expect(HeartbeatQueue.decode(HeartbeatQueue.encode(beats)) == beats)
        #expect(beats[0].host == "tabhere")
    }
}
