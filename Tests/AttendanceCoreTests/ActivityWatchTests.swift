import AttendanceCore
import Testing

/// The minute rule of SPEC §6 (timestamp ≤ 60·m < timestamp + duration) and the walk over
/// an export's buckets, against minutes counted by hand.
@Suite struct ActivityWatchTests {
    let minute: Int64 = 60_000_000

    @Test func theMinutesWhoseStartLiesInsideAnEvent() {
        // 10:00:30 for 90 s: only 10:01 starts inside (10:02 is its end, excluded).
        let base: Int64 = 29_000_000 * minute  // some whole minute
        #expect(ActivityWatch.minutes(startMicros: base + 30_000_000, durationMicros: 90_000_000) == (29_000_001)..<(29_000_002))
        // From a minute's start for exactly 2 minutes: that minute and the next.
        #expect(ActivityWatch.minutes(startMicros: base, durationMicros: 2 * minute) == 29_000_000..<29_000_002)
        // Ending one microsecond after a minute's start takes that minute.
        #expect(ActivityWatch.minutes(startMicros: base, durationMicros: 2 * minute + 1) == 29_000_000..<29_000_003)
        // Short events inside one minute hold no minute start.
        #expect(ActivityWatch.minutes(startMicros: base + 1, durationMicros: 59_000_000).isEmpty)
        #expect(ActivityWatch.minutes(startMicros: base, durationMicros: 0).isEmpty)
    }

    func walk(_ text: String, lastMinute: Int64 = .max - 1) throws -> ([String], ActivityWatch.Report) {
        var seen: [String] = []
        let report = try ActivityWatch.walk(JSONPullReader(BytesSource(Array(text.utf8)), bufferSize: 32), lastMinute: lastMinute) { host, minutes in
            seen.append("\(host) \(minutes.lowerBound)..<\(minutes.upperBound)")
        }
        return (seen, report)
    }

    @Test func afkBucketsGiveMinutesAndEverythingElseIsCounted() throws {
        // 00:00:30 for 150.5 s ends at 00:03:00.5: the minutes 00:01, 00:02 and 00:03 start
        // inside. The laptop's bucket gives its events before its type: 00:59 (+01:00 is
        // 01:59 local) for 61 s holds 00:59 and 01:00.
        let export = #"""
        {"buckets": {
          "aw-watcher-window_desk": {"id": "aw-watcher-window_desk", "type": "currentwindow", "hostname": "desk", "client": "aw-watcher-window",
            "created": "2024-01-01T00:00:00+00:00", "events": [{"timestamp": "1970-01-01T00:00:00+00:00", "duration": 600, "data": {"app": "x", "title": "y"}}]},
          "aw-watcher-afk_desk": {"id": "aw-watcher-afk_desk", "created": "2024-01-01T00:00:00.000000+00:00", "name": null, "type": "afkstatus",
            "client": "aw-watcher-afk", "hostname": "desk", "data": {}, "events": [
              {"id": 1, "timestamp": "1970-01-01T00:00:30.000000+00:00", "duration": 150.5, "data": {"status": "not-afk"}},
              {"id": 2, "timestamp": "1970-01-01T00:03:00.500000+00:00", "duration": 600.0, "data": {"status": "afk"}},
              {"id": 3, "timestamp": "1970-01-01T01:00:00Z", "duration": 120, "data": {"status": "not-afk"}}]},
          "laptop-afk": {"events": [{"timestamp": "1970-01-01T01:59:00+01:00", "duration": 61, "data": {"status": "not-afk"}}],
            "type": "afkstatus", "hostname": "laptop"}
        }, "version": 1}
        """#
        let (seen, report) = try walk(export)
        #expect(seen == ["desk 1..<4", "desk 60..<62", "laptop 59..<61"])
        #expect(report.events == 5)
        #expect(report.skipped.reasons.map(\.count) == [1, 1])
        #expect(report.skipped.reasons[0].why.contains("currentwindow"))
        #expect(report.skipped.reasons[1].why.contains("afk events"))
    }

    @Test func badEventsAreSkippedWithTheirReasonAndTheFutureIsCut() throws {
        let export = #"""
        {"buckets": {"a": {"type": "afkstatus", "hostname": "h", "events": [
          {"timestamp": "yesterday", "duration": 60, "data": {"status": "not-afk"}},
          {"timestamp": "1970-01-01T00:00:00Z", "duration": -1, "data": {"status": "not-afk"}},
          {"timestamp": "1970-01-01T00:00:00Z", "duration": 2700000, "data": {"status": "not-afk"}},
          {"timestamp": "1970-01-01T00:00:00Z", "duration": 600, "data": {"status": "not-afk"}}]}}}
        """#
        let (seen, report) = try walk(export, lastMinute: 4)
        #expect(seen == ["h 0..<5"])
        #expect(report.skipped.total == 4)
    }

    @Test(arguments: ["[]", #"{"version": 1}"#, #"{"buckets": []}"#, #"{"buckets": {"a": {"type": "afkstatus", "events": {}}}}"#])
    func otherShapesAreNoExport(text: String) {
        #expect(throws: ActivityWatch.FormatError.self) { try walk(text) }
    }

    @Test func textAfterTheDocumentIsRefused() {
        #expect(throws: JSONSyntaxError.self) { try walk(#"{"buckets": {}} {"#) }
        #expect(throws: Never.self) { try walk("{\"buckets\": {}}\n") }
    }

    @Test func theSkipTallyStaysShort() {
        var tally = SkipTally()
        for index in 0..<100 { tally.add("reason \(index) " + String(repeating: "x", count: 1000)) }
        #expect(tally.reasons.count == SkipTally.limit && tally.unlisted == 80 && tally.total == 100)
        #expect(tally.reasons.allSatisfy { $0.why.count <= SkipTally.textLimit })
    }
}
