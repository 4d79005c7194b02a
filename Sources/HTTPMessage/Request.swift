/// One HTTP request as the responder received it, copied out of the web server's
/// parameters into plain values.
public struct Request: Sendable {
    public var method: String
    /// The path of `REQUEST_URI`, exactly as sent (not decoded, not normalised).
    public var path: String
    /// The raw query string, without `?`.
    public var query: String
    /// Request headers, names lower-cased with `-` (`authorization`, `sec-fetch-site`).
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}
