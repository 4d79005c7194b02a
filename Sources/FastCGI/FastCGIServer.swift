import CFastCGI
import Foundation
import HTTPMessage

/// Where the responder takes its FastCGI connections from.
public enum ListenAddress: Sendable, Equatable {
    /// The socket handed over on fd 0 (spawn-fcgi, systemd socket activation).
    case inherited
    /// A unix socket created at this path, mode 0660.
    case unix(String)
    /// A TCP port on one named host address (never all interfaces).
    case tcp(host: String, port: Int)

    /// Parses `unix:/path` or `HOST:PORT`; nil for anything else, including a bare `:PORT`.
    public init?(_ text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") || path.hasPrefix(".") else { return nil }
            self = .unix(path)
            return
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        self = .tcp(host: host, port: port)
    }
}

/// Errors met while setting up the listening socket.
public enum FastCGIError: Error, CustomStringConvertible {
    case notASocket
    case cannotListen(String)

    public var description: String {
        switch self {
        case .notASocket:
            return "fd 0 is not a socket: start under spawn-fcgi or systemd, or pass --listen unix:/path or --listen 127.0.0.1:PORT"
        case .cannotListen(let address): return "cannot listen on \(address)"
        }
    }
}

/// A FastCGI responder: several threads, each with its own `FCGX_Request`, accept on one
/// listening socket and hand every request, copied into a `Request`, to `handler`.
public struct FastCGIServer: Sendable {
    public let socket: Int32
    public let threads: Int
    /// Largest body read; a larger `CONTENT_LENGTH` is answered with `tooLarge` unread.
    public let bodyLimit: Int
    public let tooLarge: Response
    public let handler: @Sendable (Request) -> Response
    public let log: Log

    public init(socket: Int32, threads: Int, bodyLimit: Int, tooLarge: Response, log: Log,
                handler: @escaping @Sendable (Request) -> Response) {
        self.socket = socket
        self.threads = max(1, threads)
        self.bodyLimit = bodyLimit
        self.tooLarge = tooLarge
        self.log = log
        self.handler = handler
    }

    /// Initialises libfcgi and opens (or checks) the listening socket.
    public static func listen(on address: ListenAddress) throws -> Int32 {
        // One malloc arena per accept thread would keep each thread's freed memory apart.
        mallopt(M_ARENA_MAX, 2)
        guard FCGX_Init() == 0 else { throw FastCGIError.cannotListen("libfcgi init") }
        installSignalHandlers()
        switch address {
        case .inherited:
            var info = stat()
            guard fstat(0, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { throw FastCGIError.notASocket }
            return 0
        case .unix(let path):
            // Mode 0660: only this user and group may talk FastCGI to the responder.
            let old = umask(0o117)
            defer { umask(old) }
            let fd = FCGX_OpenSocket(path, 128)
            guard fd >= 0 else { throw FastCGIError.cannotListen(path) }
            return fd
        case .tcp(let host, let port):
            let fd = FCGX_OpenSocket("\(host):\(port)", 128)
            guard fd >= 0 else { throw FastCGIError.cannotListen("\(host):\(port)") }
            return fd
        }
    }

    /// libfcgi's own SIGTERM handler only sets a flag, so a thread blocked in accept keeps
    /// serving. Committed transactions are durable, so stopping at once loses nothing.
    static func installSignalHandlers() {
        signal(SIGTERM) { _ in _exit(0) }
        signal(SIGINT) { _ in _exit(0) }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Serves forever on `threads` threads (the calling one among them).
    public func run() -> Never {
        for _ in 1..<threads {
            let server = self
            let thread = Thread { server.acceptLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
        acceptLoop()
        exit(0)
    }

    func acceptLoop() {
        var request = FCGX_Request()
        guard FCGX_InitRequest(&request, socket, 0) == 0 else {
            log("FCGX_InitRequest failed")
            return
        }
        while true {
            let status = FCGX_Accept_r(&request)
            if status < 0 {
                // A failed accept (a peer that went away, EMFILE) must not end the loop.
                log("FCGX_Accept_r failed: \(status)")
                usleep(100_000)
                continue
            }
            serve(&request)
            FCGX_Finish_r(&request)
        }
    }

    /// Copies one request out of libfcgi, runs the handler, writes its response.
    func serve(_ raw: inout FCGX_Request) {
        let params = FastCGIParams.read(raw.envp)
        let response: Response
        var bodySize = 0
        if let declared = Int(params["CONTENT_LENGTH"] ?? ""), declared > bodyLimit {
            response = tooLarge
        } else if let body = readBody(raw.in) {
            bodySize = body.count
            response = handler(FastCGIParams.request(from: params, body: body))
        } else {
            response = tooLarge
        }
        write(response, to: raw.out)
        // A large batch leaves megabytes of freed heap behind; hand them back to the OS
        // so the responder stays small between back-fills.
        if bodySize > 64 * 1024 { malloc_trim(0) }
    }

    /// Reads stdin to its end; nil when it is longer than `bodyLimit`.
    func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?) -> [UInt8]? {
        var body: [UInt8] = []
        var chunk = [CChar](repeating: 0, count: 64 * 1024)
        while true {
            let count = Int(FCGX_GetStr(&chunk, Int32(chunk.count), stream))
            if count <= 0 { return body }
            body.append(contentsOf: chunk[0..<count].lazy.map { UInt8(bitPattern: $0) })
            if body.count > bodyLimit { return nil }
        }
    }

    func write(_ response: Response, to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        var head = "Status: \(response.status) \(response.reason)\r\n"
        for (name, value) in response.headers {
            head += "\(FastCGIParams.headerSafe(name)): \(FastCGIParams.headerSafe(value))\r\n"
        }
        if response.status != 204 && response.status != 304 {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), stream)
            }
        }
    }
}
