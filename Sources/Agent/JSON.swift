import JSONText

/// The two bits of JSON the agent needs, written out by hand: Foundation's coders would
/// more than double what a run costs, and a run happens 1,440 times a day.
enum JSON {
    /// `text` as a JSON string literal (RFC 8259 escaping).
    static func string(_ text: String) -> String { JSONText.quoted(text) }

    /// The message of an API error body `{"error": "..."}` (escapes kept as sent), or nil.
    static func errorMessage(_ body: String) -> String? {
        let marker = Array("\"error\":".utf8)
        let bytes = Array(body.utf8)
        guard let start = (0...max(0, bytes.count - marker.count)).first(where: { bytes[$0...].starts(with: marker) }),
              bytes.count >= marker.count else { return nil }
        let rest = String(decoding: bytes[(start + marker.count)...], as: UTF8.self).drop(while: { $0 == " " })
        guard rest.first == "\"" else { return nil }
        var message = ""
        var escaped = false
        for character in rest.dropFirst() {
            if escaped { message.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { return message }
            message.append(character)
        }
        return nil
    }

    /// The integer after `"name":` in a flat JSON object such as the heartbeat answer, or nil.
    static func integer(_ name: String, in body: String) -> Int? {
        let bytes = Array(body.utf8)
        let marker = Array("\"\(name)\"".utf8)
        guard bytes.count >= marker.count,
              let start = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<($0 + marker.count)].elementsEqual(marker) })
        else { return nil }
        var index = start + marker.count
        while index < bytes.count, bytes[index] == 0x20 { index += 1 }
        guard index < bytes.count, bytes[index] == 0x3A else { return nil }
        index += 1
        while index < bytes.count, bytes[index] == 0x20 { index += 1 }
        let digits = bytes[index...].prefix(while: { $0 >= 0x30 && $0 <= 0x39 })
        guard !digits.isEmpty, digits.count < 10 else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}
