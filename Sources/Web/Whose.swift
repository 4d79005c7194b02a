import HTTPMessage
import Storage

/// Whose time a request is about, decided once per request before any handler runs
/// (SPEC rule 13): the person, their database, and what the one asking may do with it.
/// Handlers see only `context.database`, the person's own, so no id, date or parameter
/// can reach another person's data.
struct Whose {
    /// The person; nil on a server without a people registry (one person, as before).
    let person: Person?
    let database: AppDatabase
    /// An admin looking at someone else's pages (`?person=NAME`): every write is refused.
    let readOnly: Bool
    /// The one asking is an admin on a server of several people: `/people` is theirs.
    let seesEveryone: Bool

    /// The query parameter an admin names another person with.
    static let parameter = "person"

    /// Who `request` is from and about. The heartbeat's person is its token's; a page's or
    /// the API's is the login's once two or more people are kept here, else the one person's.
    static func resolve(_ request: Request, route: Router.Route?, app: App) throws -> Whose {
        let people = app.people
        if let people { people.refresh(now: app.config.now()) }
        if route?.access == .token {
            guard let people, people.count > 0 else {
                try HeartbeatHandler.checkToken(request, app.config.bearerToken)
                return .onlyPerson(of: app)
            }
            let header = request.header("authorization") ?? ""
            guard header.hasPrefix("Bearer "), let person = people.person(token: String(header.dropFirst(7))) else {
                throw HTTPError(401, "missing or wrong bearer token", headers: ["WWW-Authenticate": "Bearer"])
            }
            return try Whose(person, of: people, readOnly: false, seesEveryone: false, app: app)
        }
        guard let people, people.count > 1 else {
            try LoginRequirement.check(request, allowWithoutLogin: app.config.allowWithoutLogin)
            guard let people, let only = people.people.first else {
                return .onlyPerson(of: app)
            }
            return try Whose(only, of: people, readOnly: false, seesEveryone: false, app: app)
        }
        // Several people: a login, always (a reverse proxy on this machine must not let anyone in).
        guard let login = request.remoteUser else {
            throw HTTPError(401, "several people keep their time on this server: log in with your name and password",
                            headers: ["WWW-Authenticate": "Basic realm=\"Attendance\", charset=\"UTF-8\""])
        }
        guard let me = people.person(named: login) else {
            throw HTTPError(403, "the login \(login) names no person on this server, so it shows nothing: "
                + "an admin adds one with attendance-fcgi person add \(login) (or renames one: person rename OLD \(login))")
        }
        guard let asked = try request.queryItems[parameter], !asked.isEmpty, asked != me.name else {
            return try Whose(me, of: people, readOnly: false, seesEveryone: me.admin, app: app)
        }
        guard me.admin else { throw HTTPError(403, "only an admin may see another person's pages; these are \(me.name)'s") }
        guard let other = people.person(named: asked) else { throw HTTPError(404, "there is no person \(asked) on this server") }
        guard request.method == "GET" || request.method == "HEAD" else {
            throw HTTPError(403, "\(other.name)'s time is read-only to an admin: nothing was changed")
        }
        return try Whose(other, of: people, readOnly: true, seesEveryone: true, app: app)
    }

    /// A server without a people registry: its one person, as before.
    static func onlyPerson(of app: App) -> Whose {
        Whose(person: nil, database: app.database, readOnly: false, seesEveryone: false)
    }

    init(person: Person?, database: AppDatabase, readOnly: Bool, seesEveryone: Bool) {
        self.person = person
        self.database = database
        self.readOnly = readOnly
        self.seesEveryone = seesEveryone
    }

    init(_ person: Person, of people: PeopleDirectory, readOnly: Bool, seesEveryone: Bool, app: App) throws {
        let database: AppDatabase, said: [String]
        do {
            (database, said) = try people.database(of: person)
        } catch let refusal as PeopleRefusal {
            throw HTTPError(503, "\(refusal.description): nothing can be shown or stored for \(person.name) now")
        }
        said.forEach { app.log("\(person.name): \($0)") }
        self.init(person: person, database: database, readOnly: readOnly, seesEveryone: seesEveryone)
    }
}
