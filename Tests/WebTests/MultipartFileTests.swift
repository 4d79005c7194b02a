import Foundation
import HTTPMessage
import Testing
@testable import Web

/// Finding the parts of a large multipart upload in its spool file, window by window.
@Suite struct MultipartFileTests {
    @Test(arguments: [0, 1, 7, 256 * 1024 - 9, 256 * 1024 - 4, 256 * 1024, 256 * 1024 + 3])
    func aDelimiterIsFoundWhereverTheWindowsSplitIt(at position: Int) throws {
        let needle = Array("--boundary".utf8)
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 600 * 1024)
        bytes.replaceSubrange(position..<(position + needle.count), with: needle)
        bytes.replaceSubrange(500_000..<(500_000 + needle.count), with: needle)
        let upload = try Upload.spooled(bytes, in: NSTemporaryDirectory())
        #expect(try MultipartFile.find(needle, in: upload) == [position, 500_000])
    }

    @Test func theFieldsOfALargeFormAreRangesOfTheFile() throws {
        let file = String(repeating: "{\"k\": 1}\n", count: 100_000)
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"timezone\"\r\n\r\nEurope/Berlin\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"export\"; filename=\"a.json\"\r\nContent-Type: application/json\r\n\r\n"
            + file + "\r\n--XyZ--\r\n"
        let upload = try Upload.spooled(Array(body.utf8), in: NSTemporaryDirectory())
        let fields = try #require(try MultipartFile.fields(upload, contentType: "multipart/form-data; boundary=XyZ"))
        #expect(String(decoding: try UploadSource.bytes(upload, fields["timezone"]!, limit: 100), as: UTF8.self) == "Europe/Berlin")
        #expect(fields["export"]!.count == file.utf8.count)
        #expect(String(decoding: try UploadSource.bytes(upload, fields["export"]!, limit: 20), as: UTF8.self) == String(file.prefix(20)))
        #expect(try MultipartFile.fields(upload, contentType: "text/plain") == nil)
    }
}
