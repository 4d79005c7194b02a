/// What a handler answers: status, headers, body.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// A body too large to hold (a download of everything): written piece by piece by
    /// calling `write` when the response is sent, instead of `body`, with no
    /// Content-Length. An error it throws ends the body early.
    public var stream: (@Sendable (_ write: ([UInt8]) -> Void) throws -> Void)?

    /// The whole body, `stream` run into memory (for tests and small answers).
    public func collected() throws -> [UInt8] {
        guard let stream else { return body }
        let sink = Sink()
        try stream { sink.bytes += $0 }
        return sink.bytes
    }

    private final class Sink: @unchecked Sendable { var bytes: [UInt8] = [] }

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The reason phrase written after the status code.
    public var reason: String { Response.reasons[status] ?? "Status" }

    static let reasons: [Int: String] = [
        200: "OK", 201: "Created", 204: "No Content", 302: "Found", 303: "See Other",
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
        422: "Unprocessable Content", 500: "Internal Server Error", 503: "Service Unavailable", 507: "Insufficient Storage",
    ]
}

/// An error that knows the HTTP status and message it becomes. The router turns these
/// into responses in one place; any other error is logged and becomes a 500.
public struct HTTPError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public var headers: [String: String]

    public init(_ status: Int, _ message: String, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }
}
