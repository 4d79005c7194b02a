import AttendanceCore
import Foundation
import HTTPMessage
import Storage

/// What the web layer is told at start: built once in `main` and passed down.
public struct AppConfig: Sendable {
    /// When set, `POST /api/heartbeat` also checks `Authorization: Bearer <token>` here,
    /// so a web server that forgot the check does not open the endpoint.
    public var bearerToken: String?
    /// The current time in seconds since the epoch.
    public var now: @Sendable () -> Int64
    /// Host names (without port) requests may be addressed to; others get 403, so a
    /// rebinding DNS name cannot reach the UI through a browser.
    public var allowedHosts: Set<String>
    /// Serve pages and the API on an address beyond loopback to people the web server did
    /// not log in (see `LoginRequirement`); off unless asked for.
    public var allowWithoutLogin: Bool

    public static let localHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

    public init(bearerToken: String?, allowedHosts: Set<String> = localHosts, allowWithoutLogin: Bool = false,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.bearerToken = bearerToken.flatMap { $0.isEmpty ? nil : $0 }
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.allowWithoutLogin = allowWithoutLogin
        self.now = now
    }
}

/// The web application: routes a `Request` to its handler and turns every outcome,
/// errors included, into a `Response`. Knows nothing of FastCGI.
public struct App: Sendable {
    /// The database the server was started on: the one person's, or (with a people
    /// registry) the first person's.
    public let database: AppDatabase
    /// The people kept here, when the server has a registry (`person add`).
    public let people: PeopleDirectory?
    public let config: AppConfig
    /// The HTML pages; nil serves the API alone (pages then answer 500).
    let pages: Pages?
    let log: Log

    /// Request bodies larger than this are refused with 413 (SPEC §3).
    public static let bodyLimit = 2 * 1024 * 1024

    let faultLog = FaultLog()

    public init(database: AppDatabase, people: PeopleDirectory? = nil, config: AppConfig, pages: Pages? = nil, log: Log = .standardError) {
        self.database = database
        self.people = people
        self.config = config
        self.pages = pages
        self.log = log
    }

    /// Headers on every response: no inline script or style may run, no framing, no sniffing.
    static let securityHeaders = [
        ("Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ]

    /// The one place errors become HTTP: an `HTTPError` gives its own status, a
    /// `ValidationError` is a 422, anything else is logged and becomes a 500 that leaks nothing.
    public func respond(to request: Request) -> Response {
        var response = route(request)
        response.headers.append(contentsOf: Self.securityHeaders)
        return response
    }

    func route(_ request: Request, retried: Bool = false) -> Response {
        var database = self.database
        do {
            try CrossSite.check(request, allowedHosts: config.allowedHosts)
            let match = Router.match(request)
            // Only a route with its own token goes without a login; an unknown path tells
            // nobody from elsewhere whether it exists.
            var route: Router.Route?
            if case let .route(found, _) = match { route = found }
            let whose = try Whose.resolve(request, route: route, app: self)
            database = whose.database
            if let trouble = database.probe(now: config.now()) { log(trouble.said) }
            if database.damage != nil { return damagedResponse(for: request) }
            switch match {
            case let .route(route, parameters):
                let response = try route.handler(RequestContext(app: self, request: request, parameters: parameters, whose: whose))
                guard whose.readOnly, let name = whose.person?.name else { return response }
                return Pages.keepingPerson(response, name)
            case let .otherMethods(allowed):
                throw HTTPError(405, "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: ", "))",
                                headers: ["Allow": allowed.joined(separator: ", ")])
            case .none:
                throw HTTPError(404, "no such path: \(request.path)")
            }
        } catch let error as HTTPError {
            var response = errorResponse(error.status, error.message, for: request)
            response.headers.append(contentsOf: error.headers.sorted { $0.key < $1.key })
            return response
        } catch let error as ValidationError {
            return errorResponse(422, error.message, for: request)
        } catch let error as InvalidValue {
            return errorResponse(422, error.message, for: request)
        } catch let refusal as FrozenRefusal {
            return errorResponse(409, refusal.message, for: request)
        } catch let refusal as ConflictRefusal {
            return errorResponse(409, refusal.message, for: request)
        } catch where Health.isCorruption(error) {
            log("\(request.method) \(request.path): SQLite reports the database damaged: \(error)")
            for line in database.damaged("\(error)") { log(line) }
            // Healed (only derived data was damaged): the same request once more.
            if database.damage == nil, !retried { return route(request, retried: true) }
            return damagedResponse(for: request)
        } catch {
            guard let fault = StorageFault(error) else {
                log("500 \(request.method) \(request.path): \(error)")
                return errorResponse(500, "Something went wrong on the server. The server log has the details.", for: request)
            }
            // Writable again (a remount, a fixed owner): the same request once more.
            if fault == .readOnly, database.reopenIfWritable(now: config.now()) {
                log("the database can be written again; writes are taken")
                return route(request)
            }
            return faultResponse(fault, for: request)
        }
    }

    /// A disk fault as a client can act on it: nothing was stored, try again later. Logged
    /// at most once a minute per kind, however many requests meet it.
    func faultResponse(_ fault: StorageFault, for request: Request) -> Response {
        let status: Int, message: String
        switch fault {
        case .readOnly:
            (status, message) = (503, "the database cannot be written (a read-only file or mount): nothing was stored; reading works")
        case .full:
            (status, message) = (507, "the disk is full: nothing was stored; try again once there is space")
        case .busy:
            (status, message) = (503, "the database is busy (a restore or another long write): nothing was stored; try again in a few seconds")
        }
        if faultLog.shouldLog("\(fault)", now: config.now()) {
            log("\(status) \(request.method) \(request.path): \(message) (said at most once a minute)")
        }
        var response = errorResponse(status, message, for: request)
        response.headers.append(("Retry-After", "60"))
        return response
    }

    /// Every answer while the database is damaged (SPEC §6): 503, saying so and how to
    /// restore; heartbeats too, so agents keep them queued.
    func damagedResponse(for request: Request) -> Response {
        var response = errorResponse(503, App.damagedMessage, for: request)
        response.headers.append(("Retry-After", "60"))
        return response
    }

    static let damagedMessage = "The database is damaged, so nothing can be shown or stored now (heartbeats stay queued in the agents). "
        + "Restore the latest backup: attendance-fcgi restore FILE --database DATABASE (the daily backups are in "
        + "/var/lib/attendance/backups). The server log says which check failed."

    /// JSON for the API, the friendly error page for everything else.
    func errorResponse(_ status: Int, _ message: String, for request: Request) -> Response {
        guard !request.path.hasPrefix("/api/"), let pages else { return .error(status, message) }
        return pages.error(status, message)
    }

    /// The page templates, or a 500 when the responder was started without them.
    func requirePages() throws -> Pages {
        guard let pages else { throw HTTPError(500, "the page templates are not loaded (--templates)") }
        return pages
    }

    /// The answer to a body over `bodyLimit`.
    public static let tooLarge = Response.error(413, "request body is larger than 2 MiB")

    /// The answer when hundreds of page requests already wait for a thread.
    public static let busy: Response = {
        var response = Response.error(503, "the server is busy with other pages; try again shortly")
        response.headers.append(("Retry-After", "2"))
        return response
    }()

    /// The larger limit of the routes marked `largeBody` (imports): 512 MiB, kept in a
    /// spool file as it arrives. The web servers' configurations allow the same on these paths.
    public static let largeBodyLimit = 512 * 1024 * 1024

    /// The answer to an import over `largeBodyLimit`.
    public static let largeTooLarge = Response.error(413, "an import is limited to 512 MiB")

    /// The answer when an upload cannot be written to the spool folder.
    public static let uploadCannotKeep = Response.error(507, "the upload could not be kept on the server's disk (full?): nothing was stored")

    /// Requests whose bodies go to a spool file: the routes marked `largeBody`.
    @Sendable public static func hasLargeBody(_ request: Request) -> Bool { Router.hasLargeBody(request) }

    /// Requests answered at once, never queued behind pages: the routes marked `urgent`.
    @Sendable public static func isUrgent(_ request: Request) -> Bool { Router.isUrgent(request) }
}

/// When each disk fault was last logged.
final class FaultLog: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [String: Int64] = [:]

    func shouldLog(_ fault: String, now: Int64) -> Bool {
        lock.withLock {
            guard now >= (last[fault] ?? .min) + 60 else { return false }
            last[fault] = now
            return true
        }
    }
}
