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

    public static let localHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

    public init(bearerToken: String?, allowedHosts: Set<String> = localHosts,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.bearerToken = bearerToken.flatMap { $0.isEmpty ? nil : $0 }
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.now = now
    }
}

/// The web application: routes a `Request` to its handler and turns every outcome,
/// errors included, into a `Response`. Knows nothing of FastCGI.
public struct App: Sendable {
    public let database: AppDatabase
    public let config: AppConfig
    let log: Log

    /// Request bodies larger than this are refused with 413 (SPEC §3).
    public static let bodyLimit = 2 * 1024 * 1024

    public init(database: AppDatabase, config: AppConfig, log: Log = .standardError) {
        self.database = database
        self.config = config
        self.log = log
    }

    /// The one place errors become HTTP: an `HTTPError` gives its own status, anything
    /// else is logged and becomes a 500 that leaks nothing.
    public func respond(to request: Request) -> Response {
        do {
            try CrossSite.check(request, allowedHosts: config.allowedHosts)
            return try Router.route(request, in: self)
        } catch let error as HTTPError {
            var response = Response.error(error.status, error.message)
            response.headers.append(contentsOf: error.headers.sorted { $0.key < $1.key })
            return response
        } catch {
            log("500 \(request.method) \(request.path): \(error)")
            return .error(500, "internal error; the server log has the details")
        }
    }

    /// The configured zone, as stored in the settings.
    func zone() throws -> Zone {
        let identifier = try database.settings().timezone
        return Zone(identifier: identifier) ?? Zone(identifier: "UTC")!
    }

    /// Today's date in the configured zone.
    func today() throws -> LocalDate {
        try zone().localDate(ofMinute: config.now() / 60)
    }

    /// The answer to a body over `bodyLimit`.
    public static let tooLarge = Response.error(413, "request body is larger than 2 MiB")
}
