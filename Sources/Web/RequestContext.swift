import AttendanceCore
import HTTPMessage
import Storage

/// What every handler is given: the request, its path parameters by name, and the
/// moment it is answered at — one `now` for the whole request, so every figure of one
/// answer is of the same minute — with the settings, the zone and today read once, when
/// first asked for (a heartbeat never needs them).
final class RequestContext {
    let app: App
    let request: Request
    let parameters: Parameters
    /// Whose time this is: the person and their database (SPEC rule 13).
    let whose: Whose
    /// Seconds since the epoch, taken once when the request arrived.
    let now: Int64
    private var loadedSettings: Settings?

    init(app: App, request: Request, parameters: Parameters = Parameters([:]), whose: Whose? = nil) {
        self.app = app
        self.request = request
        self.parameters = parameters
        self.whose = whose ?? .onlyPerson(of: app)
        now = app.config.now()
    }

    /// The person's own database: the only one a handler reaches.
    var database: AppDatabase { whose.database }
    var config: AppConfig { app.config }
    /// The current UTC minute.
    var nowMinute: Int64 { now >= 0 ? now / 60 : (now - 59) / 60 }

    /// The stored settings, read once per request.
    func settings() throws -> Settings {
        if let loadedSettings { return loadedSettings }
        let settings = try database.settings()
        loadedSettings = settings
        return settings
    }

    /// Forgets the settings read so far (after a change to them).
    func settingsChanged() { loadedSettings = nil }

    /// The configured zone.
    func zone() throws -> Zone { try settings().timezone }

    /// Today's date in the configured zone.
    func today() throws -> LocalDate { try zone().localDate(ofMinute: nowMinute) }

    /// The ledger of [from, to] at this request's minute.
    func ledger(from: LocalDate, to: LocalDate) throws -> Ledger {
        try database.ledger(from: from, to: to, nowMinute: nowMinute)
    }

    /// The pages, dressed for who is looking: an admin's "People" link, and while an
    /// admin looks at someone else's time, a read-only banner and links that stay on it.
    func requirePages() throws -> Pages {
        var pages = try app.requirePages()
        pages.chrome = Pages.Chrome(people: whose.seesEveryone, viewing: whose.readOnly ? whose.person?.name : nil)
        return pages
    }

    /// Applies a change through storage's one write path, at this request's moment.
    @discardableResult
    func apply<C: Change>(_ change: C) throws -> C.Outcome {
        guard !whose.readOnly else { throw HTTPError(403, "this time is read-only to an admin: nothing was changed") }
        defer { settingsChanged() }
        return try database.apply(change, at: now)
    }
}

/// A path parameter's type: how a path segment becomes a value, or the error that says why not.
protocol PathParameter {
    init(pathSegment text: String, name: String) throws
}

extension LocalDate: PathParameter {
    /// 422 naming the parameter when the segment is no real date.
    init(pathSegment text: String, name: String) throws {
        self = try Input.date(text, field: Field(rawValue: name) ?? .date)
    }
}

extension Int64: PathParameter {
    /// An id: anything else names no record (404).
    init(pathSegment text: String, name: String) throws {
        guard let value = Int64(text), value > 0, String(value) == text else { throw HTTPError(404, "no \(name) \(text)") }
        self = value
    }
}

/// The `{name}` segments of a route's pattern, by name (Hummingbird's `Parameters`).
struct Parameters {
    private let values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    /// The raw segment; a name the route does not have is a programming error, reported as a 500.
    func require(_ name: String) throws -> String {
        guard let value = values[name] else { throw RouteError.noParameter(name) }
        return value
    }

    func require<T: PathParameter>(_ name: String, as: T.Type) throws -> T {
        try T(pathSegment: try require(name), name: name)
    }

    enum RouteError: Error { case noParameter(String) }
}
