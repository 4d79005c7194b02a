import AttendanceCore
import Foundation
import Testing
@testable import Storage

/// A throw-away folder with the first person's database in it.
func peopleFolder() throws -> (folder: String, database: String) {
    let folder = NSTemporaryDirectory() + "people-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return (folder, folder + "/attendance.sqlite")
}

let peopleFresh = Settings.fresh(today: LocalDate("2024-06-03")!, timezone: Zone(identifier: "Europe/Berlin")!)

@Suite struct PeopleTests {
    @Test func namesAreLoginsSafeEverywhere() {
        for name in ["owner", "anna", "a.b_c-9", String(repeating: "x", count: 32)] { #expect(Person.validName(name), "\(name)") }
        for name in ["", "Anna", "anna smith", "../x", ".", "..", "a/b", "ä", String(repeating: "x", count: 33), "a:b", "a\"b"] {
            #expect(!Person.validName(name), "\(name)")
        }
        let token = Person.newToken()
        #expect(token.count == 32 && Person.validToken(token))
        #expect(Set((0..<50).map { _ in Person.newToken() }).count == 50)
    }

    @Test func anExistingDatabaseBecomesOwnersWithItsTokenAndTheOthersGetTheirOwnFiles() throws {
        let (folder, path) = try peopleFolder()
        let first = try AppDatabase.open(path: path, fresh: peopleFresh)
        _ = try first.recordHeartbeats([HeartbeatMinute(minute: 28_623_480, host: "")], receivedAt: 0)
        try first.close()
        let registry = PeopleRegistry(database: path)
        #expect(registry.path == folder + "/attendance.people.sqlite")
        let everyone = try registry.setUp(token: "the-old-token", webFolder: folder, now: 1)
        #expect(everyone == [Person(name: "owner", admin: true, token: "the-old-token", file: "attendance.sqlite", createdAt: 1)])
        #expect(registry.databasePath(of: everyone[0]) == path)
        // A one-person server keeps the token it is started with; the setup is idempotent.
        #expect(try registry.setUp(token: "a-newer-token", webFolder: folder, now: 2).map(\.token) == ["a-newer-token"])

        let anna = try registry.add("anna", admin: false, fresh: peopleFresh, now: 3)
        #expect(anna.file == "attendance.people/anna.sqlite")
        let annasFile = folder + "/attendance.people/anna.sqlite"
        #expect(FileManager.default.fileExists(atPath: annasFile))
        #expect(!FileManager.default.fileExists(atPath: annasFile + "-wal"))
        #expect(try AppDatabase.open(path: annasFile, fresh: nil).heartbeatCount() == 0)
        #expect(try AppDatabase.open(path: path, fresh: nil).heartbeatCount() == 1)
        // With two people, the token of the start no longer rewrites anyone's.
        #expect(try registry.setUp(token: "a-third-token", webFolder: folder, now: 4).map(\.token) == [anna.token, "a-newer-token"])

        #expect(throws: PeopleRefusal.self) { try registry.add("anna", admin: true, fresh: peopleFresh, now: 5) }
        #expect(throws: PeopleRefusal.self) { try registry.add("Anna", admin: true, fresh: peopleFresh, now: 5) }
        // A refused change stores nothing: the same people, the same files.
        #expect(try registry.people().map(\.name) == ["anna", "owner"])
        #expect(try registry.people().first { $0.name == "anna" } == anna)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/attendance.people") == ["anna.sqlite"])
        let renewed = try registry.newToken(for: "anna")
        #expect(renewed.token != anna.token && Person.validToken(renewed.token))
        #expect(throws: PeopleRefusal.self) { try registry.newToken(for: "nobody") }

        try registry.rename("owner", to: "olga")
        #expect(try registry.people().map(\.name) == ["anna", "olga"])
        #expect(try registry.people().first { $0.name == "olga" }?.file == "attendance.sqlite")
        #expect(throws: PeopleRefusal.self) { try registry.rename("olga", to: "anna") }
        #expect(throws: PeopleRefusal.self) { try registry.rename("olga", to: "Olga") }
        #expect(try registry.people().map(\.name) == ["anna", "olga"])
        // The only admin stays while others remain; the last person always stays.
        #expect(throws: PeopleRefusal.self) { _ = try registry.remove("olga", purge: false) }

        let keptAt = try #require(try registry.remove("anna", purge: false, now: Date(timeIntervalSince1970: 1_717_408_800)))
        #expect(keptAt == folder + "/attendance.people/removed/anna-20240603-100000Z.sqlite")
        #expect(FileManager.default.fileExists(atPath: keptAt) && !FileManager.default.fileExists(atPath: annasFile))
        #expect(try registry.people().map(\.name) == ["olga"])
        #expect(throws: PeopleRefusal.self) { _ = try registry.remove("olga", purge: true) }

        // A person of a removed name comes back with a new, empty database.
        let again = try registry.add("anna", admin: false, fresh: peopleFresh, now: 6)
        #expect(again.token != renewed.token)
        #expect(try registry.remove("anna", purge: true) == nil)
        #expect(!FileManager.default.fileExists(atPath: annasFile))
        #expect(FileManager.default.fileExists(atPath: keptAt))
        #expect(fileMode(registry.path).mode & 0o077 == 0)
    }

    @Test func theWebServerFilesSayEachTokenExactlyAndWhoMustLogIn() throws {
        let owner = Person(name: "owner", admin: true, token: "tok.en+/=~-1", file: "a.sqlite", createdAt: 0)
        let one = WebServerFiles.contents(for: [owner])
        #expect(one["nginx-token.conf"]!.contains(#"if ($http_authorization = "Bearer tok.en+/=~-1") {"#))
        #expect(one["nginx-token.conf"]!.contains(#"set $attendance_token_person "owner";"#))
        #expect(one["nginx-token.conf"]!.hasSuffix("if ($attendance_token_person = \"\") {\n    return 401;\n}\n"))
        #expect(one["lighttpd-token.lua"]!.contains(#"["tok.en+/=~-1"] = "owner","#))
        #expect(one["nginx-login.conf"]!.contains("allow 127.0.0.0/8;\nallow ::1;"))
        #expect(one["lighttpd-login.conf"]!.contains(#"$HTTP["remote-ip"] != "127.0.0.0/8""#))

        let anna = Person(name: "anna", admin: false, token: "t2", file: "p/anna.sqlite", createdAt: 0)
        let two = WebServerFiles.contents(for: [anna, owner])
        #expect(two["nginx-token.conf"]!.components(separatedBy: "$http_authorization = ").count == 3)
        #expect(!two["nginx-login.conf"]!.contains("allow"))
        #expect(!two["lighttpd-login.conf"]!.contains("remote-ip"))
        #expect(two["lighttpd-login.conf"]!.contains(#"$HTTP["url"] != "/api/heartbeat" {"#))

        let (folder, _) = try peopleFolder()
        #expect(try WebServerFiles.write(for: [owner], into: folder).count == 4)
        #expect(try WebServerFiles.write(for: [owner], into: folder).isEmpty)  // unchanged: left alone
        #expect(try WebServerFiles.write(for: [anna, owner], into: folder).count == 4)
        for name in WebServerFiles.names { #expect(fileMode(folder + "/" + name).mode == 0o640, "\(name)") }
    }

    @Test func aRunningDirectoryReadsTheRegistryAgainAndKeepsFewDatabasesOpen() throws {
        let (_, path) = try peopleFolder()
        let registry = PeopleRegistry(database: path)
        let first = try AppDatabase.open(path: path, fresh: peopleFresh)
        try registry.setUp(token: "t-owner", webFolder: "/nonexistent", now: 0)
        let directory = try PeopleDirectory(registry: registry, fresh: peopleFresh, pinned: first, capacity: 2)
        #expect(directory.count == 1 && directory.person(token: "t-owner")?.name == "owner")
        let names = ["p1", "p2", "p3"]
        for name in names { _ = try registry.add(name, admin: false, fresh: peopleFresh, now: 0) }
        #expect(directory.count == 1)  // not read yet
        #expect(directory.refresh(now: 100))
        #expect(directory.count == 4)
        #expect(!directory.refresh(now: 100))  // at most once a second
        #expect(!directory.refresh(now: 101))  // unchanged
        let owner = try #require(directory.person(named: "owner"))
        let (ownersDatabase, _) = try directory.database(of: owner)
        #expect(ownersDatabase.store === first.store)  // shared, not opened twice
        for name in names {
            let person = try #require(directory.person(named: name))
            let (database, _) = try directory.database(of: person)
            _ = try database.recordHeartbeats([HeartbeatMinute(minute: 28_623_480, host: name)], receivedAt: 0)
        }
        #expect(directory.openCount == 2)
        let renewed = try registry.newToken(for: "p1")
        _ = try registry.remove("p3", purge: true)
        #expect(directory.refresh(now: 102))
        #expect(directory.person(token: renewed.token)?.name == "p1")
        #expect(directory.people.map(\.name) == ["owner", "p1", "p2"])
        #expect(directory.openCount == 1)  // p3's was closed with its removal
        #expect(try directory.database(of: directory.person(named: "p1")!).0.heartbeatCount() == 1)
    }
}

/// The permission bits and size of a file.
func fileMode(_ path: String) -> (mode: Int, size: Int) {
    let attributes = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
    return ((attributes[.posixPermissions] as? Int) ?? -1, (attributes[.size] as? Int) ?? -1)
}
