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

/// Routes whose bodies may be large (imports): the body goes to an unlinked temporary
/// file in `directory` as it arrives, up to `limit` bytes, and reaches the handler as
/// `Request.upload`, never as one array.
public struct LargeBodies: Sendable {
    public let claims: @Sendable (Request) -> Bool
    public let limit: Int
    /// The answer to a body over `limit`.
    public let tooLarge: Response
    /// The answer when the body cannot be written to `directory` (a full disk).
    public let cannotKeep: Response
    public let directory: String

    public init(claims: @escaping @Sendable (Request) -> Bool, limit: Int, tooLarge: Response, cannotKeep: Response, directory: String) {
        self.claims = claims
        self.limit = limit
        self.tooLarge = tooLarge
        self.cannotKeep = cannotKeep
        self.directory = directory
    }

    /// No route has a large body.
    public static let none = LargeBodies(claims: { _ in false }, limit: 0, tooLarge: Response(status: 413),
                                         cannotKeep: Response(status: 507), directory: ".")
}

/// A FastCGI responder: several threads, each with its own `FCGX_Request`, accept on one
/// listening socket and copy every request into a `Request`. Those `urgent` claims (the
/// heartbeat) are answered at once on the accepting thread; the rest (pages, reports, the
/// API) go to a few page threads, in order of arrival, which run only when nothing else
/// wants the CPU (SCHED_IDLE). However
/// many slow pages are being loaded, a heartbeat never waits for a thread or behind
/// a page render.
public struct FastCGIServer: Sendable {
    public let socket: Int32
    public let threads: Int
    /// Threads that answer what `urgent` does not claim; 0 answers everything on the
    /// accepting thread.
    public let pageThreads: Int
    /// Largest body read; a larger `CONTENT_LENGTH` is answered with `tooLarge` unread.
    public let bodyLimit: Int
    public let tooLarge: Response
    /// The answer when `PageQueue.limit` requests already wait for a page thread.
    public let busy: Response
    public let urgent: @Sendable (Request) -> Bool
    public let largeBodies: LargeBodies
    public let handler: @Sendable (Request) -> Response
    public let log: Log

    public init(socket: Int32, threads: Int, pageThreads: Int = 0, bodyLimit: Int, tooLarge: Response,
                busy: Response = Response(status: 503), log: Log,
                urgent: @escaping @Sendable (Request) -> Bool = { _ in true }, largeBodies: LargeBodies = .none,
                handler: @escaping @Sendable (Request) -> Response) {
        self.socket = socket
        self.threads = max(1, threads)
        self.pageThreads = max(0, pageThreads)
        self.bodyLimit = bodyLimit
        self.tooLarge = tooLarge
        self.busy = busy
        self.log = log
        self.urgent = urgent
        self.largeBodies = largeBodies
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

    /// Serves forever on `threads` accepting threads (the calling one among them) and
    /// `pageThreads` page threads.
    public func run() -> Never {
        let server = self
        let queue = PageQueue()
        for _ in 0..<pageThreads {
            start { server.pageLoop(queue) }
        }
        for _ in 1..<threads {
            start { server.acceptLoop(queue) }
        }
        acceptLoop(queue)
        exit(0)
    }

    private func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 1 << 20
        thread.start()
    }

    func acceptLoop(_ queue: PageQueue) {
        guard var raw = newRequest() else { return }
        while true {
            let status = FCGX_Accept_r(raw)
            if status < 0 {
                // A failed accept (a peer that went away, EMFILE) must not end the loop.
                log("FCGX_Accept_r failed: \(status)")
                usleep(100_000)
                continue
            }
            let (request, bodySize): (Request, Int)
            switch read(raw) {
            case let .request(read, size): (request, bodySize) = (read, size)
            case let .refused(answer):
                write(answer, to: raw.pointee.out)
                FCGX_Finish_r(raw)
                continue
            }
            if pageThreads == 0 || urgent(request) {
                answer(request, bodySize: bodySize, on: raw)
                FCGX_Finish_r(raw)
            } else if let next = newRequest(), queue.push(PageQueue.Job(raw: raw, request: request, bodySize: bodySize)) {
                raw = next  // the page thread finishes and frees the one it took
            } else {
                write(busy, to: raw.pointee.out)
                FCGX_Finish_r(raw)
            }
        }
    }

    func pageLoop(_ queue: PageQueue) {
        // SCHED_IDLE: a page renders only when no heartbeat (nor nginx) wants the CPU.
        if attendance_yield_to_others() != 0 { log("page thread: cannot lower its priority (errno \(errno))") }
        while true {
            let job = queue.pop()
            answer(job.request, bodySize: job.bodySize, on: job.raw)
            FCGX_Finish_r(job.raw)
            job.raw.deallocate()
        }
    }

    func newRequest() -> UnsafeMutablePointer<FCGX_Request>? {
        let raw = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        raw.initialize(to: FCGX_Request())
        guard FCGX_InitRequest(raw, socket, 0) == 0 else {
            log("FCGX_InitRequest failed")
            raw.deallocate()
            return nil
        }
        return raw
    }

    /// A request read, or the answer that refuses it unread.
    enum Read {
        case request(Request, bodySize: Int)
        case refused(Response)
    }

    /// Copies one request out of libfcgi: its body in memory, at most `bodyLimit` bytes,
    /// or for a route `largeBodies` claims in a spool file, at most its `limit`.
    func read(_ raw: UnsafeMutablePointer<FCGX_Request>) -> Read {
        let params = FastCGIParams.read(raw.pointee.envp)
        let declared = Int(params["CONTENT_LENGTH"] ?? "")
        var request = FastCGIParams.request(from: params, body: [])
        if largeBodies.claims(request) {
            if let declared, declared > largeBodies.limit { return .refused(largeBodies.tooLarge) }
            do {
                guard let upload = try spool(raw.pointee.in) else { return .refused(largeBodies.tooLarge) }
                request.upload = upload
                return .request(request, bodySize: upload.size)
            } catch {
                log("cannot keep an upload in \(largeBodies.directory): \(error)")
                return .refused(largeBodies.cannotKeep)
            }
        }
        if let declared, declared > bodyLimit { return .refused(tooLarge) }
        guard let body = readBody(raw.pointee.in) else { return .refused(tooLarge) }
        request.body = body
        return .request(request, bodySize: body.count)
    }

    /// Writes stdin to an unlinked spool file; nil when it is longer than the limit.
    func spool(_ stream: UnsafeMutablePointer<FCGX_Stream>?) throws -> Upload? {
        let file = try UploadFile(in: largeBodies.directory)
        var chunk = [CChar](repeating: 0, count: 64 * 1024)
        while true {
            let count = Int(FCGX_GetStr(&chunk, Int32(chunk.count), stream))
            if count <= 0 { return file.finish() }
            try chunk.withUnsafeBytes { try file.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if file.size > largeBodies.limit { return nil }
        }
    }

    /// Runs the handler and writes its response.
    func answer(_ request: Request, bodySize: Int, on raw: UnsafeMutablePointer<FCGX_Request>) {
        write(handler(request), to: raw.pointee.out)
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
        if response.status != 204 && response.status != 304 && response.stream == nil {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        put(bytes, to: stream)
        if let body = response.stream {
            do {
                try body { piece in Self.put(piece, to: stream) }
            } catch {
                log("a streamed answer ended early: \(error)")
            }
        }
    }

    private func put(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>?) { Self.put(bytes, to: stream) }

    private static func put(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), stream)
            }
        }
    }
}

/// Requests waiting for a page thread, oldest first, at most `limit` of them.
final class PageQueue: @unchecked Sendable {
    struct Job: @unchecked Sendable {
        let raw: UnsafeMutablePointer<FCGX_Request>
        let request: Request
        let bodySize: Int
    }

    /// Beyond this many waiting, a request is answered `busy` at once.
    static let limit = 256
    private var jobs: [Job] = []
    private var head = 0
    private let condition = NSCondition()

    /// False when the queue is full.
    func push(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard jobs.count - head < Self.limit else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func pop() -> Job {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count { condition.wait() }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }
}
