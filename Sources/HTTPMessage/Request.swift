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
    /// A large body (an import) kept in a file instead of `body`, which is then empty.
    public var upload: Upload?
    /// The address the web server took the connection on (`SERVER_ADDR`); nil when unknown.
    public var serverAddress: String?
    /// The person the web server's login let in (`REMOTE_USER`); nil without a login.
    public var remoteUser: String?
    /// Whether the request reached the web server over TLS (`REQUEST_SCHEME` https, or `HTTPS` on).
    public var overTLS: Bool

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = [],
                serverAddress: String? = nil, remoteUser: String? = nil, overTLS: Bool = false, upload: Upload? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.serverAddress = serverAddress.flatMap { $0.isEmpty ? nil : $0 }
        self.remoteUser = remoteUser.flatMap { $0.isEmpty ? nil : $0 }
        self.overTLS = overTLS
        self.upload = upload
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}
