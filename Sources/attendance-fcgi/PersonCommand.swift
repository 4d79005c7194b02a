import ArgumentParser
import AttendanceCore
import Foundation
import Storage

/// `person add | list | token | rename | remove`: who keeps their time on this server
/// (SPEC rule 13). Each change rewrites the web servers' token maps and login files
/// (`WebServerFiles`) in the registry's web folder.
struct PersonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "person",
        abstract: "Add, list, rename or remove the people whose time this server keeps, or give one a new heartbeat token.",
        discussion: """
            Each person has their own heartbeat token, login (the web server's htpasswd, under the same \
            name), database and figures. The database the server was given is the first person's, \
            named owner (an admin). Run as root, the files made belong to the data folder's owner. \
            --database names the same file serve is given.
            """,
        subcommands: [Add.self, List.self, Token.self, Rename.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a person with a new database and heartbeat token (printed as the last line).")

        @Argument(help: "Their name, also their login: 1–32 of a-z 0-9 . _ -")
        var name: String

        @Flag(help: "An admin may read (never change) everyone's pages and has the overview /people.")
        var admin = false

        @Option(help: "When the server has no people yet: the folder the web servers' token maps and login files go to (default: the database's folder; the package: /etc/attendance).")
        var webFolder: String?

        @OptionGroup var storage: DatabaseOptions

        func run() throws {
            try attempt {
                let registry = try storage.peopleRegistry(webFolder: webFolder)
                let person = try registry.add(name, admin: admin, fresh: storage.fresh, now: Int64(Date().timeIntervalSince1970))
                let written = try rewriteWebFiles(registry)
                let count = try registry.people().count
                print("added \(person.name)\(person.admin ? " (admin)" : ""): their own database \(registry.databasePath(of: person)); \(count) people keep their time here")
                print("their login: htpasswd -B HTPASSWD \(person.name)   (the package: /etc/attendance/htpasswd; make run: the file HTPASSWD names)")
                print("their agent: attendance-agent setup --url URL with the token below")
                if !written.isEmpty { print("the web servers' token maps are rewritten in \(try registry.webFolder() ?? "?"); the token works once nginx has reloaded (seconds)") }
                print(person.token)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everyone, one line each: name, admin, database.")

        @OptionGroup var storage: DatabaseOptions

        func run() throws {
            let registry = PeopleRegistry(database: storage.database)
            try attempt {
                let people = try registry.people()
                guard !people.isEmpty else {
                    print("one person keeps their time here (\(storage.database)); person add NAME adds another")
                    return
                }
                for person in people {
                    print("\(person.name)\t\(person.admin ? "admin" : "-")\t\(registry.databasePath(of: person))")
                }
            }
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a person a new heartbeat token (printed as the last line); the old one stops working.")

        @Argument(help: "The person.")
        var name: String

        @OptionGroup var storage: DatabaseOptions

        func run() throws {
            try attempt {
                let registry = try storage.peopleRegistry()
                let person = try registry.newToken(for: name)
                try rewriteWebFiles(registry)
                // A one-person server is given its token at start (the package: the token
                // file of the web folder): that file says the new one too.
                if try registry.people().count == 1 {
                    let file = try registry.webFolder().map { $0 + "/token" }
                    if let file, FileManager.default.fileExists(atPath: file) {
                        try WebServerFiles.replace(file, with: person.token + "\n", groupFrom: file)
                    } else {
                        print("note: a one-person server takes its token from BEARER_TOKEN (make run: the token file of its data folder) at each start; put the new one there too")
                    }
                }
                print("a new heartbeat token for \(person.name); the old one is refused once nginx has reloaded (seconds) — give this one to their agent (attendance-agent setup)")
                print(person.token)
            }
        }
    }

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a person another name (their login); their data stays.")

        @Argument(help: "The person's name now.")
        var name: String

        @Argument(help: "Their new name: 1–32 of a-z 0-9 . _ -")
        var newName: String

        @OptionGroup var storage: DatabaseOptions

        func run() throws {
            try attempt {
                let registry = try storage.peopleRegistry()
                try registry.rename(name, to: newName)
                try rewriteWebFiles(registry)
                print("\(name) is now \(newName): their login is \(newName) (htpasswd -B HTPASSWD \(newName))")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a person: their token and login stop working; their database is kept aside unless --purge.")

        @Argument(help: "The person.")
        var name: String

        @Flag(help: "Delete their database instead of keeping it aside.")
        var purge = false

        @OptionGroup var storage: DatabaseOptions

        func run() throws {
            let registry = PeopleRegistry(database: storage.database)
            try attempt {
                let keptAt = try registry.remove(name, purge: purge)
                try rewriteWebFiles(registry)
                print("removed \(name): their token is refused once nginx has reloaded (seconds); "
                      + (keptAt.map { "their data is kept aside in \($0)" } ?? "their data is deleted")
                      + "; remove their login too: htpasswd -D HTPASSWD \(name)")
            }
        }
    }
}

/// `web-config`: the people registry made when missing (the database's person becomes
/// `owner`, with the token it had) and the web servers' token maps and login files
/// written from it. `make run` and the package run it before the web server starts.
struct WebConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web-config",
        abstract: "Write the web servers' token maps and login files from the people registry (made when missing).",
        discussion: """
            Writes nginx-token.conf, nginx-login.conf, lighttpd-token.lua and lighttpd-login.conf (0640) \
            into --web-folder. With one person, their heartbeat token is BEARER_TOKEN (or --token-file) \
            when given, as before; a file whose content is unchanged is left alone.
            """)

    @Option(help: "Where the files go (remembered; the person commands write there too).")
    var webFolder: String

    @Option(help: "A file holding the heartbeat token of a one-person server (BEARER_TOKEN in the environment wins).")
    var tokenFile: String?

    @OptionGroup var storage: DatabaseOptions

    func run() throws {
        let registry = PeopleRegistry(database: storage.database)
        try attempt {
            let token = try ownerToken(tokenFile)
            let people: [Person]
            do {
                people = try registry.setUp(token: token, webFolder: absolute(webFolder), now: Int64(Date().timeIntervalSince1970))
            } catch where StorageFault(error) == .readOnly {
                // A database on a read-only mount is served read-only: its people as they are,
                // or its one person with the token given.
                if registry.exists {
                    people = try registry.people()
                } else if let token {
                    people = [Person(name: "owner", admin: true, token: token, file: storage.database, createdAt: 0)]
                } else {
                    throw error
                }
                print("note: the people registry \(registry.path) cannot be written; serving its people as they are")
            }
            let written = try WebServerFiles.write(for: people, into: absolute(webFolder))
            print("\(people.count) \(people.count == 1 ? "person" : "people"); \(written.isEmpty ? "the web server files are up to date" : "wrote \(written.joined(separator: ", "))")")
        }
    }
}

/// The heartbeat token a one-person server had: BEARER_TOKEN, else the file, else none.
func ownerToken(_ file: String?) throws -> String? {
    if let token = ProcessInfo.processInfo.environment["BEARER_TOKEN"], !token.isEmpty { return token }
    guard let file, FileManager.default.fileExists(atPath: file) else { return nil }
    let token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    return token.isEmpty ? nil : token
}

extension DatabaseOptions {
    /// The people registry of this database, made when missing: the server had one
    /// person, who becomes `owner` with the token they had (BEARER_TOKEN, or the `token`
    /// file of `webFolder`, by default the database's folder).
    func peopleRegistry(webFolder: String? = nil) throws -> PeopleRegistry {
        let registry = PeopleRegistry(database: database)
        guard !registry.exists else { return registry }
        let webFolder = absolute(webFolder ?? folder(of: database))
        // The first person's database exists (and is of this version) before anyone is added.
        try open().close()
        let token = try ownerToken(webFolder + "/token")
        if token == nil {
            print("note: no heartbeat token of the first person was found (BEARER_TOKEN, \(webFolder)/token): owner gets a new one (person token owner prints another)")
        }
        try registry.setUp(token: token, webFolder: webFolder, now: Int64(Date().timeIntervalSince1970))
        return registry
    }
}

/// The web servers' files rewritten from the registry; returns the files written.
@discardableResult
func rewriteWebFiles(_ registry: PeopleRegistry) throws -> [String] {
    guard let folder = try registry.webFolder() else { return [] }
    return try WebServerFiles.write(for: try registry.people(), into: folder)
}

func folder(of path: String) -> String {
    let folder = (absolute(path) as NSString).deletingLastPathComponent
    return folder.isEmpty ? "." : folder
}

func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

/// Runs `body`; a refusal or error is one line and exit status 1.
func attempt(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let refusal as PeopleRefusal {
        print("refused: \(refusal.description)")
        throw ExitCode.failure
    } catch let exit as ExitCode {
        throw exit
    } catch {
        print("failed: \(error)")
        throw ExitCode.failure
    }
}
