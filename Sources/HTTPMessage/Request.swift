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
    /// The port the web server received the request on (`SERVER_PORT`). nginx's stock
    /// `fastcgi_params` passes the Host header without its port, so this fills it in.
    public var serverPort: Int?

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = [],
                serverPort: Int? = nil) {
        self.serverPort = serverPort
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}
