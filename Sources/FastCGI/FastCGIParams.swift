import HTTPMessage

/// Turns FastCGI parameters (CGI variables) into a `Request`. Pure, so it is tested
/// without libfcgi.
public enum FastCGIParams {
    /// Copies `NAME=value` strings out of libfcgi's parameter array; a NULL array is empty.
    static func read(_ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        var params: [String: String] = [:]
        guard var cursor = envp else { return params }
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                params[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            cursor += 1
        }
        return params
    }

    /// The request these parameters describe. The path and query come from `REQUEST_URI`
    /// (nginx and lighttpd both send it), undecoded, so routing is exact.
    public static func request(from params: [String: String], body: [UInt8]) -> Request {
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        // The query as the client sent it, from REQUEST_URI too: lighttpd's QUERY_STRING is
        // normalised (an invalid escape re-escaped), and the responder's one decoder must
        // see the same bytes behind either web server.
        let path: String
        var query = params["QUERY_STRING"] ?? ""
        if let mark = uri.firstIndex(of: "?") {
            path = String(uri[..<mark])
            query = String(uri[uri.index(after: mark)...])
        } else {
            path = uri
        }
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers[String(name.dropFirst(5).lowercased().map { $0 == "_" ? "-" : $0 })] = value
        }
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        return Request(method: params["REQUEST_METHOD"] ?? "GET", path: path.isEmpty ? "/" : path,
                       query: query, headers: headers, body: body,
                       serverAddress: params["SERVER_ADDR"], remoteUser: params["REMOTE_USER"],
                       overTLS: params["REQUEST_SCHEME"] == "https" || params["HTTPS"]?.lowercased() == "on")
    }

    /// A header name or value with CR and LF removed, so nothing can start a new header.
    static func headerSafe(_ text: String) -> String {
        // Scalars, not Characters: "\r\n" is a single Character in Swift.
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
    }
}
