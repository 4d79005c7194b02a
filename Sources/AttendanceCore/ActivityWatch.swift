/// Reasons something was left out of an import, each with how often it happened: the
/// answer stays short however large the file (at most `limit` reasons listed, the rest
/// counted together; every reason at most `textLimit` characters).
public struct SkipTally: Sendable, Equatable {
    public struct Reason: Sendable, Equatable {
        public let why: String
        public var count: Int
    }

    public static let limit = 20
    public static let textLimit = 200
    public private(set) var reasons: [Reason] = []
    /// Skips whose reason was not listed because `limit` reasons were already.
    public private(set) var unlisted = 0

    public init() {}

    public var total: Int { reasons.reduce(unlisted) { $0 + $1.count } }

    public mutating func add(_ why: String, count: Int = 1) {
        guard count > 0 else { return }
        let why = Self.shortened(why, to: Self.textLimit)
        if let index = reasons.firstIndex(where: { $0.why == why }) {
            reasons[index].count += count
        } else if reasons.count < Self.limit {
            reasons.append(Reason(why: why, count: count))
        } else {
            unlisted += count
        }
    }

    /// `text` cut to `limit` characters, with "…" when it was longer.
    public static func shortened(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}

/// An ActivityWatch export (`/api/0/export`: `{"buckets": {"<id>": {"id", "type",
/// "hostname", "events": [{"timestamp", "duration", "data": {"status"}}], …}}}`) read as
/// presence: each UTC minute whose start lies inside a `not-afk` event of an `afkstatus`
/// bucket (`timestamp ≤ 60·m < timestamp + duration`) is one heartbeat from the bucket's
/// `hostname`. Other buckets (windows, web, editors) and `afk` events say nothing about
/// presence and are counted as skipped. Read as a stream, event by event.
public enum ActivityWatch {
    /// An event longer than this is skipped: a watcher that ran on while nobody was there.
    public static let maxEventSeconds: Int64 = 31 * 86_400

    /// What the walk read and left out.
    public struct Report: Sendable, Equatable {
        public var events = 0
        public var skipped = SkipTally()
    }

    /// Not an ActivityWatch export (valid JSON of another shape), saying where.
    public struct FormatError: Error, Equatable, Sendable {
        public let message: String
    }

    /// The minutes of one `not-afk` event, `[first, end)`: from the first minute that
    /// starts at or after the event's start to the last that starts before its end.
    /// Instants are microseconds since the epoch.
    public static func minutes(startMicros: Int64, durationMicros: Int64) -> Range<Int64> {
        let minute: Int64 = 60_000_000
        func ceilDiv(_ a: Int64) -> Int64 { let q = floorDiv(a, minute); return q * minute == a ? q : q + 1 }
        let first = ceilDiv(startMicros), end = ceilDiv(startMicros + durationMicros)
        return first..<max(first, end)
    }

    /// Walks the export, calling `presence(host, minutes)` for each `not-afk` event's
    /// minutes (never past `lastMinute`, the current one); throws `JSONSyntaxError` or
    /// `FormatError` for a file that is not such an export.
    public static func walk<S>(_ reader: JSONPullReader<S>, lastMinute: Int64,
                               presence: (String, Range<Int64>) throws -> Void) throws -> Report {
        var report = Report()
        guard try reader.next() == .objectStart else { throw FormatError(message: "the file is not a JSON object: an ActivityWatch export is {\"buckets\": {…}}") }
        var sawBuckets = false
        while case let .key(name)? = try reader.next() {
            guard name == "buckets" else {
                try reader.skipValue()
                continue
            }
            guard try reader.next() == .objectStart else { throw FormatError(message: "\"buckets\" is not an object of buckets by id") }
            sawBuckets = true
            while case let .key(id)? = try reader.next() {
                try bucket(reader, id: id, lastMinute: lastMinute, report: &report, presence: presence)
            }
        }
        guard sawBuckets else { throw FormatError(message: "the file has no \"buckets\": it is not an ActivityWatch export (/api/0/export)") }
        // Only white space may follow the document (the reader throws otherwise).
        _ = try reader.next()
        return report
    }

    /// One bucket, from its opening brace. Its events are passed on as they are read when
    /// its type and host came before them (as ActivityWatch writes them); otherwise the
    /// `not-afk` spans are kept until the bucket's end tells what it is.
    static func bucket<S>(_ reader: JSONPullReader<S>, id: String, lastMinute: Int64, report: inout Report,
                          presence: (String, Range<Int64>) throws -> Void) throws {
        let shownID = SkipTally.shortened(id, to: 80)
        guard try reader.next() == .objectStart else { throw FormatError(message: "bucket \"\(shownID)\" is not an object") }
        var type: String?, host: String?
        var held: [Range<Int64>] = []
        var heldSkips = SkipTally()
        var eventCount = 0
        while case let .key(name)? = try reader.next() {
            switch name {
            case "type", "hostname":
                guard case let .string(value)? = try reader.scalar() else { throw FormatError(message: "bucket \"\(shownID)\": \(name) is not a string") }
                if name == "type" { type = value } else { host = value }
            case "events":
                guard try reader.next() == .arrayStart else { throw FormatError(message: "bucket \"\(shownID)\": events is not an array") }
                let known = type != nil && host != nil
                while true {
                    guard let event = try reader.next() else { break }
                    if event == .arrayEnd { break }
                    guard event == .objectStart else { throw FormatError(message: "bucket \"\(shownID)\": an event is not an object") }
                    eventCount += 1
                    guard known ? type == "afkstatus" : true else {
                        try skipRest(reader)
                        continue
                    }
                    var skips = SkipTally()
                    let span = try Self.event(reader, lastMinute: lastMinute, skipped: &skips)
                    if known {
                        report.skipped.add(skips)
                        if let span, !span.isEmpty { try presence(host!, span) }
                    } else {
                        heldSkips.add(skips)
                        if let span, !span.isEmpty { held.append(span) }
                    }
                }
            default:
                try reader.skipValue()
            }
        }
        report.events += eventCount
        guard type == "afkstatus" else {
            report.skipped.add("bucket \"\(shownID)\" is of type \(SkipTally.shortened(type ?? "(none)", to: 40)), not afkstatus: its events say nothing about presence",
                               count: eventCount)
            return
        }
        report.skipped.add(heldSkips)
        for span in held { try presence(host ?? "", span) }
    }

    /// The rest of an event object that is not read.
    static func skipRest<S>(_ reader: JSONPullReader<S>) throws {
        while case .key? = try reader.next() { try reader.skipValue() }
    }

    /// One event of an afkstatus bucket after its opening brace: its minutes when it is
    /// `not-afk` and readable, nil (with the reason in `skipped`) otherwise.
    static func event<S>(_ reader: JSONPullReader<S>, lastMinute: Int64, skipped: inout SkipTally) throws -> Range<Int64>? {
        var timestamp: String?, duration: String?, status: String?
        while case let .key(name)? = try reader.next() {
            switch name {
            case "timestamp":
                if case let .string(text)? = try reader.scalar() { timestamp = text }
            case "duration":
                if case let .number(text)? = try reader.scalar() { duration = text }
            case "data":
                let data = try reader.next()
                if data == .arrayStart { try reader.skipToEnd() }
                guard data == .objectStart else { continue }
                while case let .key(field)? = try reader.next() {
                    if field == "status" {
                        if case let .string(text)? = try reader.scalar() { status = text }
                    } else {
                        try reader.skipValue()
                    }
                }
            default:
                try reader.skipValue()
            }
        }
        switch status {
        case "not-afk": break
        case "afk":
            skipped.add("afk events (away from the computer)")
            return nil
        default:
            skipped.add("events whose data.status is neither not-afk nor afk")
            return nil
        }
        guard let timestamp, let start = microseconds(timestamp: timestamp) else {
            skipped.add("not-afk events whose timestamp is not an RFC 3339 time with an offset")
            return nil
        }
        guard let duration, let length = microseconds(decimal: duration), length >= 0 else {
            skipped.add("not-afk events without a duration of 0 seconds or more")
            return nil
        }
        guard length <= maxEventSeconds * 1_000_000 else {
            skipped.add("not-afk events longer than 31 days")
            return nil
        }
        guard start >= 0 else {
            skipped.add("not-afk events before 1970")
            return nil
        }
        let span = minutes(startMicros: start, durationMicros: length)
        guard span.upperBound > lastMinute + 1 else { return span }
        skipped.add("not-afk events reaching past the current minute: their later minutes are left out")
        return span.lowerBound..<max(span.lowerBound, min(span.upperBound, lastMinute + 1))
    }

    /// An RFC 3339 timestamp with an offset (ActivityWatch writes `…+00:00` with
    /// microseconds) as microseconds since the epoch.
    static func microseconds(timestamp text: String) -> Int64? {
        guard let seconds = Timestamp.epochSeconds(text) else { return nil }
        var micros: Int64 = 0
        let bytes = Array(text.utf8)
        if bytes.count > 20, bytes[19] == UInt8(ascii: ".") {
            var scale: Int64 = 100_000
            for byte in bytes[20...] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { break }
                micros += Int64(byte - UInt8(ascii: "0")) * scale
                scale /= 10
            }
        }
        return seconds * 1_000_000 + micros
    }

    /// A JSON number of seconds (`61.25`, `3e2`) as whole microseconds, digits beyond the
    /// sixth decimal dropped; nil when negative or beyond about 290,000 years.
    static func microseconds(decimal text: String) -> Int64? {
        var mantissa: [UInt8] = [], exponent = 0, negative = false
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes = bytes.dropFirst() }
        var pointSeen = false, fractionDigits = 0
        while let byte = bytes.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if byte == UInt8(ascii: ".") { pointSeen = true; continue }
            mantissa.append(byte - UInt8(ascii: "0"))
            if pointSeen { fractionDigits += 1 }
        }
        if !bytes.isEmpty {
            guard let value = Int(String(Substring(bytes.dropFirst()))), abs(value) < 1000 else { return nil }
            exponent = value
        }
        // value = mantissa · 10^(exponent − fractionDigits); in microseconds: + 6.
        let shift = exponent - fractionDigits + 6
        var digits = mantissa
        if shift >= 0 {
            guard digits.count + shift <= 18 else { return digits.allSatisfy { $0 == 0 } ? 0 : nil }
            digits += Array(repeating: 0, count: shift)
        } else {
            digits = Array(digits.dropLast(min(digits.count, -shift)))
        }
        while digits.first == 0 { digits.removeFirst() }
        guard digits.count <= 18 else { return nil }
        let value = digits.reduce(Int64(0)) { $0 * 10 + Int64($1) }
        if negative && value != 0 { return -value }
        return value
    }
}

extension SkipTally {
    /// Adds every reason of `other`.
    public mutating func add(_ other: SkipTally) {
        for reason in other.reasons { add(reason.why, count: reason.count) }
        if other.unlisted > 0 { unlisted += other.unlisted }
    }
}
