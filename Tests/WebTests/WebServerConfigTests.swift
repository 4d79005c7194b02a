import Foundation
import Testing
@testable import Web

/// The web servers' static files repeat what the responder says itself: the security
/// headers and the 2 MiB limit. The responder's values are the owner; every copy must
/// say the same, or this fails (lighttpd's own error answers included).
@Suite struct WebServerConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }

    @Test func everyCopyOfTheSecurityHeadersIsTheResponders() throws {
        let headers = Dictionary(uniqueKeysWithValues: App.securityHeaders)
        let csp = try #require(headers["Content-Security-Policy"])
        // nginx: one file, included wherever a location adds headers.
        let nginx = try Self.read("nginx/security-headers.conf")
        for (name, value) in App.securityHeaders {
            let quoted = value.contains(" ") ? "\"\(value)\"" : value
            #expect(nginx.contains("add_header \(name) \(quoted) always;"), "nginx: \(name)")
        }
        // lighttpd: static files, and the answers its Lua scripts make themselves.
        let site = try Self.read("lighttpd/attendance.conf")
        for (name, value) in App.securityHeaders { #expect(site.contains("\"\(name)\" => \"\(value)\""), "lighttpd: \(name)") }
        for script in ["lighttpd/heartbeat-auth.lua", "lighttpd/errors.lua"] {
            let text = try Self.read(script)
            #expect(text.contains("r.resp_header[\"Content-Security-Policy\"] = \"\(csp)\""), "\(script)")
            for (name, value) in App.securityHeaders where name != "Content-Security-Policy" {
                #expect(text.contains("r.resp_header[\"\(name)\"] = \"\(value)\""), "\(script): \(name)")
            }
        }
    }

    @Test func everyCopyOfTheBodyLimitsIsTheResponders() throws {
        #expect(App.bodyLimit == 2 * 1024 * 1024 && App.largeBodyLimit == 512 * 1024 * 1024)
        let server = try Self.read("nginx/server.conf")
        #expect(server.contains("client_max_body_size 2m;") && server.contains("client_body_buffer_size 2m;"))
        #expect(server.contains("client_max_body_size 512m;"))
        #expect(server.contains(#"'{"error":"request body is larger than 2 MiB"}\n'"#))
        let lua = try Self.read("lighttpd/heartbeat-auth.lua")
        #expect(lua.contains("local limit = 2 * 1024 * 1024") && lua.contains("512 * 1024 * 1024"))
        #expect(String(decoding: App.tooLarge.body, as: UTF8.self).contains("request body is larger than 2 MiB"))
        #expect(try Self.read("lighttpd/attendance.conf").contains("server.max-request-size = 524288"))
        // The import paths, where the larger limit holds, are the routes marked largeBody.
        let large = Router.routes.filter(\.largeBody).map { $0.pattern.joined(separator: "/") }.sorted()
        #expect(large == ["/api/import", "/api/import/activitywatch", "/api/import/csv",
                          "/settings/import", "/settings/import/activitywatch", "/settings/import/csv"])
        #expect(server.contains("location ~ ^/(api|settings)/import(/activitywatch|/csv)?$ {"))
        for path in large { #expect(lua.contains("[\"\(path)\"] = true"), "\(path)") }
    }
}
