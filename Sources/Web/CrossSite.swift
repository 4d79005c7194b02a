import Foundation
import HTTPMessage

/// Refuses requests that a browser made on behalf of another site (a browser sends a
/// login it knows with them, so a login does not stop these),
/// and requests for a host name this server does not serve (DNS rebinding).
enum CrossSite {
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    static func check(_ request: Request, allowedHosts: Set<String>) throws {
        if let host = request.header("host"), !host.isEmpty {
            let name = authority(host).host
            // The address the connection came in on, as a literal, is no rebinding: that
            // needs a name the attacker's DNS points here.
            guard allowedHosts.contains(name) || name == request.serverAddress?.lowercased() else {
                throw HTTPError(403, "host \(name) is not served here; add it to the responder's --allowed-host")
            }
        }
        guard !safeMethods.contains(request.method) else { return }
        if request.header("sec-fetch-site")?.lowercased() == "cross-site" {
            throw HTTPError(403, "cross-site request refused")
        }
        guard let origin = request.header("origin") else { return }
        // The scheme the browser used: a proxy's X-Forwarded-Proto, else https when the
        // request came over TLS; over plain HTTP without the header it may be either (a
        // TLS-terminating proxy that does not say so).
        let scheme = request.header("x-forwarded-proto") ?? (request.overTLS ? "https" : nil)
        guard isSameOrigin(origin, host: request.header("host") ?? "", forwardedProto: scheme) else {
            throw HTTPError(403, "cross-site request refused: Origin \(origin) is not this server")
        }
    }

    /// Whether `origin` (`scheme://host[:port]`) names the host and port of the request's
    /// Host header as the browser sent it; a missing port on either side is the default
    /// port of the Origin's scheme (so `https://attendance.example` matches `Host:
    /// attendance.example` behind a TLS-terminating proxy). A proxy's `X-Forwarded-Proto`,
    /// when present, must be the Origin's scheme. `null` never matches.
    static func isSameOrigin(_ origin: String, host: String, forwardedProto: String? = nil) -> Bool {
        let parts = origin.lowercased().split(separator: "://", maxSplits: 1)
        guard parts.count == 2, !host.isEmpty else { return false }
        let scheme = String(parts[0])
        let defaultPort = scheme == "https" ? 443 : scheme == "http" ? 80 : nil
        guard let defaultPort, !parts[1].contains("/") else { return false }
        if let forwardedProto, !forwardedProto.isEmpty {
            // A chain of proxies lists one scheme each; the first is the browser's.
            let first = forwardedProto.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard first == scheme else { return false }
        }
        let (originHost, originPort) = authority(String(parts[1]))
        let (requestHost, requestPort) = authority(host.lowercased())
        return originHost == requestHost && (originPort ?? defaultPort) == (requestPort ?? defaultPort)
    }

    /// Splits `host[:port]` or `[v6]:port`; the host lower-cased, brackets removed.
    static func authority(_ text: String) -> (host: String, port: Int?) {
        var host = Substring(text.lowercased())
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return (String(host), nil) }
            let rest = host[host.index(after: close)...]
            if rest.hasPrefix(":") { port = Int(rest.dropFirst()) }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            port = Int(host[host.index(after: colon)...])
            host = host[..<colon]
        }
        return (String(host), port)
    }
}
