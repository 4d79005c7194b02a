/// Bytes read in pieces: an uploaded file, a part of one, or an array in a test.
public protocol ByteSource {
    /// Fills the start of `buffer` with the next bytes and says how many; 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// An array as a `ByteSource`.
public struct BytesSource: ByteSource {
    let bytes: [UInt8]
    var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { all in
            buffer.baseAddress!.copyMemory(from: all.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// JSON that is not RFC 8259 JSON, with the byte offset where that was seen.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let message: String
    public var description: String { "\(message) at byte \(offset)" }
}

/// What the reader met next in the document.
public enum JSONEvent: Equatable, Sendable {
    case objectStart, objectEnd, arrayStart, arrayEnd
    /// A member's name; its value follows.
    case key(String)
    case string(String)
    /// A number's text, exactly as written (its grammar checked).
    case number(String)
    case bool(Bool)
    case null
}

/// A strict incremental (pull) reader of one JSON document (RFC 8259) over a
/// `ByteSource`: the caller asks for one event at a time, so a document of any size is
/// read in constant memory — only the current string (at most `maxStringBytes`) and the
/// nesting (at most `maxDepth`) are held. Anything RFC 8259 forbids is a `JSONSyntaxError`:
/// trailing commas, single quotes, leading zeros, control characters in strings, lone
/// surrogates, bytes that are not UTF-8, anything after the document.
public final class JSONPullReader<Source: ByteSource> {
    private var source: Source
    private var buffer: [UInt8]
    private var position = 0, count = 0
    /// Bytes consumed before `buffer`'s start.
    private var consumed = 0
    private var atSourceEnd = false

    private enum Container { case object, array }
    private enum Expect { case value, firstValueOrEnd, key, firstKeyOrEnd, commaOrEnd, done }
    private var stack: [Container] = []
    private var expect = Expect.value

    public let maxStringBytes: Int
    public let maxDepth: Int

    public init(_ source: Source, maxStringBytes: Int = 1 << 20, maxDepth: Int = 64, bufferSize: Int = 64 * 1024) {
        self.source = source
        self.maxStringBytes = maxStringBytes
        self.maxDepth = maxDepth
        buffer = [UInt8](repeating: 0, count: max(16, bufferSize))
    }

    /// Bytes read so far: where the next event starts, for messages.
    public var offset: Int { consumed + position }

    /// How deep the next event is: 0 at the top, 1 inside the top object or array.
    public var depth: Int { stack.count }

    /// The next event; nil once the document has ended (and only white space followed it).
    public func next() throws -> JSONEvent? { try next(materialize: true) }

    /// Skips the next value whole (an object or array with everything in it) without
    /// building its strings, checking its syntax all the same.
    public func skipValue() throws {
        var depth = 0
        repeat {
            guard let event = try next(materialize: false) else { throw error("the document ends where a value was expected") }
            switch event {
            case .objectStart, .arrayStart: depth += 1
            case .objectEnd, .arrayEnd: depth -= 1
            default: break
            }
        } while depth > 0
    }

    /// Skips the rest of the object or array the reader is in, its closing bracket too.
    public func skipToEnd() throws {
        var depth = 1
        repeat {
            guard let event = try next(materialize: false) else { throw error("the document ends inside a value") }
            switch event {
            case .objectStart, .arrayStart: depth += 1
            case .objectEnd, .arrayEnd: depth -= 1
            default: break
            }
        } while depth > 0
    }

    /// The next value when it is a string, number, boolean or null; an object or array is
    /// skipped whole and its start returned, so the caller can say it was not expected.
    public func scalar() throws -> JSONEvent? {
        let event = try next()
        if event == .objectStart || event == .arrayStart { try skipToEnd() }
        return event
    }

    // MARK: Events

    private func next(materialize: Bool) throws -> JSONEvent? {
        while true {
            skipWhitespace()
            let byte = try peek()
            switch expect {
            case .done:
                guard byte == nil else { throw error("more text after the end of the document") }
                return nil
            case .firstKeyOrEnd where byte == UInt8(ascii: "}"), .commaOrEnd where byte == UInt8(ascii: "}") && stack.last == .object:
                return close()
            case .firstValueOrEnd where byte == UInt8(ascii: "]"), .commaOrEnd where byte == UInt8(ascii: "]") && stack.last == .array:
                return close()
            case .commaOrEnd:
                guard byte == UInt8(ascii: ",") else {
                    throw error(byte == nil ? "the document ends inside \(stack.last == .object ? "an object" : "an array")"
                                             : "expected , or \(stack.last == .object ? "}" : "]")")
                }
                advance()
                expect = stack.last == .object ? .key : .value
            case .key, .firstKeyOrEnd:
                guard byte == UInt8(ascii: "\"") else { throw error(byte == nil ? "the document ends inside an object" : "expected a member name in double quotes") }
                let name = try string(materialize: materialize)
                skipWhitespace()
                guard try peek() == UInt8(ascii: ":") else { throw error("expected : after a member name") }
                advance()
                expect = .value
                return .key(name)
            case .value, .firstValueOrEnd:
                guard let byte else { throw error("the document ends where a value was expected") }
                return try value(byte, materialize: materialize)
            }
        }
    }

    private func close() -> JSONEvent {
        advance()
        let container = stack.removeLast()
        expect = stack.isEmpty ? .done : .commaOrEnd
        return container == .object ? .objectEnd : .arrayEnd
    }

    private func value(_ byte: UInt8, materialize: Bool) throws -> JSONEvent {
        let event: JSONEvent
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard stack.count < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
            advance()
            let isObject = byte == UInt8(ascii: "{")
            stack.append(isObject ? .object : .array)
            expect = isObject ? .firstKeyOrEnd : .firstValueOrEnd
            return isObject ? .objectStart : .arrayStart
        case UInt8(ascii: "\""): event = .string(try string(materialize: materialize))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): event = .number(try number())
        case UInt8(ascii: "t"): try literal("true"); event = .bool(true)
        case UInt8(ascii: "f"): try literal("false"); event = .bool(false)
        case UInt8(ascii: "n"): try literal("null"); event = .null
        default: throw error("expected a value")
        }
        expect = stack.isEmpty ? .done : .commaOrEnd
        return event
    }

    private func literal(_ word: StaticString) throws {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for expected in bytes {
            guard try peek() == expected else { throw error("expected \(word)") }
            advance()
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private func number() throws -> String {
        var text: [UInt8] = []
        func take() throws -> UInt8? {
            let byte = try peek()
            if let byte {
                guard text.count < 400 else { throw error("a number longer than 400 characters") }
                text.append(byte)
                advance()
            }
            return byte
        }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
        func digits() throws {
            guard isDigit(try peek()) else { throw error("expected a digit in a number") }
            while isDigit(try peek()) { _ = try take() }
        }
        if try peek() == UInt8(ascii: "-") { _ = try take() }
        if try peek() == UInt8(ascii: "0") {
            _ = try take()
            if isDigit(try peek()) { throw error("a number with a leading zero") }
        } else {
            try digits()
        }
        if try peek() == UInt8(ascii: ".") {
            _ = try take()
            try digits()
        }
        if let byte = try peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            _ = try take()
            if let sign = try peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { _ = try take() }
            try digits()
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A string from its opening quote; its text only when `materialize`.
    private func string(materialize: Bool) throws -> String {
        advance()  // "
        var bytes: [UInt8] = []
        var utf8 = UTF8Check()
        func append(_ byte: UInt8) throws {
            guard materialize else { return }
            guard bytes.count < maxStringBytes else { throw error("a string longer than \(maxStringBytes) bytes") }
            bytes.append(byte)
        }
        func appendScalar(_ value: UInt32) throws {
            guard let scalar = Unicode.Scalar(value) else { throw error("an escape that is no Unicode character") }
            for unit in UTF8.encode(scalar)! { try append(unit) }
        }
        while true {
            guard let byte = try peek() else { throw error("the document ends inside a string") }
            advance()
            if !utf8.isComplete {
                guard utf8.accept(byte) else { throw error("a string that is not UTF-8") }
                try append(byte)
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                return materialize ? String(decoding: bytes, as: UTF8.self) : ""
            case UInt8(ascii: "\\"):
                guard let escaped = try peek() else { throw error("the document ends inside a string") }
                advance()
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): try append(escaped)
                case UInt8(ascii: "b"): try append(8)
                case UInt8(ascii: "f"): try append(12)
                case UInt8(ascii: "n"): try append(10)
                case UInt8(ascii: "r"): try append(13)
                case UInt8(ascii: "t"): try append(9)
                case UInt8(ascii: "u"):
                    let unit = try hex4()
                    if (0xD800...0xDBFF).contains(unit) {
                        guard try peek() == UInt8(ascii: "\\") else { throw error("a lone surrogate escape") }
                        advance()
                        guard try peek() == UInt8(ascii: "u") else { throw error("a lone surrogate escape") }
                        advance()
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate escape") }
                        try appendScalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        guard !(0xDC00...0xDFFF).contains(unit) else { throw error("a lone surrogate escape") }
                        try appendScalar(unit)
                    }
                default: throw error("an unknown escape \\\(Unicode.Scalar(escaped))")
                }
            case 0..<0x20:
                throw error("a control character inside a string (it must be escaped)")
            default:
                guard utf8.accept(byte) else { throw error("a string that is not UTF-8") }
                try append(byte)
            }
        }
    }

    private func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = try peek() else { throw error("the document ends inside a string") }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("\\u needs four hex digits")
            }
            advance()
            value = value << 4 | digit
        }
        return value
    }

    // MARK: Bytes

    private func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: offset, message: message) }

    @inline(__always) private func peek() throws -> UInt8? {
        if position < count { return buffer[position] }
        return try refill() ? buffer[position] : nil
    }

    @inline(__always) private func advance() { position += 1 }

    private func refill() throws -> Bool {
        guard !atSourceEnd else { return false }
        consumed += count
        position = 0
        count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if count == 0 { atSourceEnd = true }
        return count > 0
    }

    private func skipWhitespace() {
        while true {
            guard let byte = try? peek() else { return }
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            advance()
        }
    }
}

/// Checks UTF-8 one byte at a time (RFC 3629: no overlong forms, no surrogates, nothing
/// above U+10FFFF).
struct UTF8Check {
    private var needed = 0
    private var low: UInt8 = 0x80, high: UInt8 = 0xBF

    var isComplete: Bool { needed == 0 }

    mutating func accept(_ byte: UInt8) -> Bool {
        if needed > 0 {
            guard (low...high).contains(byte) else { return false }
            needed -= 1
            (low, high) = (0x80, 0xBF)
            return true
        }
        switch byte {
        case 0..<0x80: return true
        case 0xC2...0xDF: needed = 1
        case 0xE0: (needed, low) = (2, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: needed = 2
        case 0xED: (needed, high) = (2, 0x9F)
        case 0xF0: (needed, low) = (3, 0x90)
        case 0xF1...0xF3: needed = 3
        case 0xF4: (needed, high) = (3, 0x8F)
        default: return false
        }
        return true
    }
}
