import AttendanceCore
import Testing

/// The pull reader against RFC 8259: what it yields for valid documents, in any buffer
/// size, and that it refuses everything the RFC forbids.
@Suite struct JSONPullReaderTests {
    func events(_ text: String, bufferSize: Int = 64 * 1024) throws -> [JSONEvent] {
        let reader = JSONPullReader(BytesSource(Array(text.utf8)), bufferSize: bufferSize)
        var events: [JSONEvent] = []
        while let event = try reader.next() { events.append(event) }
        return events
    }

    @Test(arguments: [16, 17, 64 * 1024])
    func aDocumentIsReadEventByEvent(bufferSize: Int) throws {
        let text = #" {"a": [1, -2.5e+3, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", true, false, null], "b": {}, "c": []} "#
        #expect(try events(text, bufferSize: bufferSize) == [
            .objectStart, .key("a"), .arrayStart, .number("1"), .number("-2.5e+3"),
            .string("x\"\\/\u{8}\u{c}\n\r\té😀"), .bool(true), .bool(false), .null, .arrayEnd,
            .key("b"), .objectStart, .objectEnd, .key("c"), .arrayStart, .arrayEnd, .objectEnd,
        ])
    }

    @Test func scalarsAtTheTopAndRawUTF8() throws {
        #expect(try events("0") == [.number("0")])
        #expect(try events(#""grüß 😀""#) == [.string("grüß 😀")])
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", #"{"a":1,}"#, "[01]", "[1.]", "[.5]", "[-]", "[1e]", "['x']", "[tru]", "[nul]",
        #"{"a" 1}"#, #"{a:1}"#, "[1 2]", "{} {}", "[1]]", #"["\x"]"#, #"["\u12"]"#, #"["\ud800"]"#, #"["\udc00x"]"#,
        "[\"tab\there\"]", "[\"line\nbreak\"]", "[+1]", "[NaN]", "[Infinity]", #"{"a":}"#, "[,1]",
    ])
    func forbiddenDocumentsAreRefused(text: String) {
        #expect(throws: JSONSyntaxError.self) { try events(text) }
    }

    @Test(arguments: [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] as [[UInt8]])
    func bytesThatAreNotUTF8AreRefused(bytes: [UInt8]) {
        #expect(throws: JSONSyntaxError.self) {
            let reader = JSONPullReader(BytesSource(bytes))
            while try reader.next() != nil {}
        }
    }

    @Test func skipValueSkipsWholeValuesAndStillChecksThem() throws {
        let reader = JSONPullReader(BytesSource(Array(#"{"big": {"x": [1, {"y": "z"}]}, "keep": 2}"#.utf8)), bufferSize: 16)
        #expect(try reader.next() == .objectStart)
        #expect(try reader.next() == .key("big"))
        try reader.skipValue()
        #expect(try reader.next() == .key("keep"))
        #expect(try reader.next() == .number("2"))
        #expect(try reader.next() == .objectEnd)
        #expect(try reader.next() == nil)
        let broken = JSONPullReader(BytesSource(Array(#"{"big": [1, 2,], "keep": 2}"#.utf8)))
        _ = try broken.next(); _ = try broken.next()
        #expect(throws: JSONSyntaxError.self) { try broken.skipValue() }
    }

    @Test func aLongStringIsRefusedAndAnErrorSaysWhere() throws {
        let reader = JSONPullReader(BytesSource(Array(("[\"" + String(repeating: "a", count: 100) + "\"]").utf8)), maxStringBytes: 10)
        _ = try reader.next()
        #expect(throws: JSONSyntaxError.self) { try reader.next() }
        do {
            _ = try events("[1,\n 2,]")
            Issue.record("no error")
        } catch let error as JSONSyntaxError {
            #expect(error.offset == 7)
        }
    }

    @Test func deepNestingIsRefused() {
        #expect(throws: JSONSyntaxError.self) { try events(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) }
        #expect((try? events(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))?.count == 128)
    }
}
