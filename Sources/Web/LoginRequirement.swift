import HTTPMessage

/// Pages and the API hold a person's hours: served beyond this machine, they need a
/// login. Only the web server knows the address it listens on and whether someone logged
/// in, and it tells each request (`SERVER_ADDR`, `REMOTE_USER`), so the check is made
/// here, per request, whatever the web server's configuration says. Routes with their own
/// token (the heartbeat) are outside it: the route table says which.
enum LoginRequirement {
    static func check(_ request: Request, allowWithoutLogin: Bool) throws {
        guard !allowWithoutLogin, request.remoteUser == nil,
              let address = request.serverAddress, !isLocal(address) else { return }
        throw HTTPError(403, """
            This server answers on \(address), beyond this machine, and no login is configured, \
            so it shows nothing. Add a login (README, "Install on a server": htpasswd -B \
            /etc/attendance/htpasswd NAME), or serve on 127.0.0.1 only; to serve without a login \
            on purpose, start the responder with --allow-without-login.
            """)
    }

    /// Loopback (127.0.0.0/8, ::1, an IPv4-mapped 127.x) or a Unix socket.
    static func isLocal(_ address: String) -> Bool {
        let address = address.lowercased()
        if address == "::1" || address.hasPrefix("unix:") { return true }
        let v4 = address.hasPrefix("::ffff:") ? String(address.dropFirst(7)) : address
        return v4.hasPrefix("127.") && v4.split(separator: ".").count == 4
    }
}
