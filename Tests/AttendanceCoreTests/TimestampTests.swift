import Testing
@testable import AttendanceCore

@Suite struct TimestampTests {
    @Test func acceptsRFC3339WithOffsetOrZ() {
        #expect(Timestamp.epochSeconds("1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.epochSeconds("1970-01-01T01:00:00+01:00") == 0)
        #expect(Timestamp.epochSeconds("1969-12-31T19:00:00-05:00") == 0)
        #expect(Timestamp.epochSeconds("2024-02-29T12:34:56.789Z") == 1_709_210_096)
        #expect(Timestamp.epochSeconds("2024-02-29t12:34:56z") == 1_709_210_096)
        #expect(Timestamp.epochSeconds("2024-02-29 12:34:56+00:00") == 1_709_210_096)
        // A leap second stays in its minute.
        #expect(Timestamp.epochSeconds("2016-12-31T23:59:60Z") == 1_483_228_799)
    }

    @Test func refusesAmbiguousOrImpossibleTimestamps() {
        for text in ["2024-02-29T12:34:56", "2024-02-29T12:34:56.5", "2023-02-29T12:00:00Z",
                     "2024-01-01T24:00:00Z", "2024-01-01T10:60:00Z", "2024-01-01T10:00:00+0100",
                     "2024-01-01T10:00:00+24:00", "2024-01-01T10:00:00.Z", "2024-01-01", "",
                     "2024-01-01T10:00:00Zjunk", "１９７０-01-01T00:00:00Z"] {
            #expect(Timestamp.epochSeconds(text) == nil, "\(text)")
        }
    }
}
