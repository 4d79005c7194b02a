import CCurl

/// What one POST came back with: an HTTP status, or a transport failure (no answer).
public enum PostResult: Sendable, Equatable {
    case status(Int, body: String)
    case transport(kind: TransportFailure, message: String)
}

/// Why no HTTP answer came back.
public enum TransportFailure: Sendable, Equatable {
    case unreachable
    case tls
    case timeout
    case other
}

/// One POST's answer and what it said of the server's clock.
public struct Exchange: Sendable, Equatable {
    public var result: PostResult
    /// This computer's clock minus the server's, in seconds, from the answer's HTTP `Date`
    /// (nil without an answer or a `Date`).
    public var offset: Int64?

    public init(_ result: PostResult, offset: Int64? = nil) {
        self.result = result
        self.offset = offset
    }
}

/// Posts JSON with libcurl: no shell, no curl process, one connection per run.
public struct HTTPPost: Sendable {
    public let url: String
    public let token: String
    /// Whole-request limit, connect included.
    public let timeoutMilliseconds: Int

    public init(url: String, token: String, timeoutMilliseconds: Int) {
        self.url = url
        self.token = token
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Sends `body` with `Authorization: Bearer <token>`.
    public func send(_ body: [UInt8]) -> PostResult { exchange(body).result }

    /// The same, with the clock offset the answer shows.
    public func exchange(_ body: [UInt8]) -> Exchange {
        guard let handle = curl_easy_init() else { return Exchange(.transport(kind: .other, message: "libcurl could not start")) }
        defer { curl_easy_cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Content-Type: application/json")
        headers = curl_slist_append(headers, "Authorization: Bearer \(token)")
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }

        var response = ResponseBuffer()
        var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = body.withUnsafeBufferPointer { bytes in
            withUnsafeMutablePointer(to: &response) { buffer in
                errorText.withUnsafeMutableBufferPointer { errorBuffer in
                    _ = attendance_curl_setopt_string(handle, CURLOPT_URL, url)
                    _ = attendance_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers)
                    _ = attendance_curl_setopt_long(handle, CURLOPT_POST, 1)
                    _ = attendance_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    _ = attendance_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count)
                    _ = attendance_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
                    _ = attendance_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMilliseconds, 5000))
                    _ = attendance_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                    _ = attendance_curl_setopt_string(handle, CURLOPT_USERAGENT, "attendance-agent")
                    // A heartbeat to loopback never goes through a proxy set for the rest.
                    _ = attendance_curl_setopt_string(handle, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1")
                    _ = attendance_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer.baseAddress)
                    _ = attendance_curl_setopt_write(handle) { data, size, count, user in
                        let length = size * count
                        guard let data, let user else { return length }
                        let buffer = user.assumingMemoryBound(to: ResponseBuffer.self)
                        if buffer.pointee.bytes.count < 4096 {
                            buffer.pointee.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
                        }
                        return length
                    }
                    _ = attendance_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, UnsafeMutableRawPointer(buffer))
                    _ = attendance_curl_setopt_header(handle) { data, size, count, user in
                        let length = size * count
                        guard let data, let user, length > 5, length < 128 else { return length }
                        let line = UnsafeRawBufferPointer(start: data, count: length)
                        // "Date:" in any case; the rest of the line is the date.
                        guard zip(line.prefix(5), Array("date:".utf8)).allSatisfy({ $0 | 0x20 == $1 }) else { return length }
                        let text = String(decoding: line.dropFirst(5).filter { $0 >= 0x20 }, as: UTF8.self)
                        let seconds = attendance_curl_date(text)
                        if seconds >= 0 { user.assumingMemoryBound(to: ResponseBuffer.self).pointee.serverDate = Int64(seconds) }
                        return length
                    }
                    _ = attendance_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, UnsafeMutableRawPointer(buffer))
                    return curl_easy_perform(handle)
                }
            }
        }
        guard code == CURLE_OK else {
            let detail = errorText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return Exchange(.transport(kind: Self.kind(of: code), message: message))
        }
        var status = 0
        _ = attendance_curl_response_code(handle, &status)
        return Exchange(.status(status, body: String(decoding: response.bytes, as: UTF8.self)),
                        offset: response.serverDate.map { Clock.now() - $0 })
    }

    static func kind(of code: CURLcode) -> TransportFailure {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_GOT_NOTHING,
             CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            return .unreachable
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .tls
        default:
            return .other
        }
    }
}

/// The first 4 KiB of a response body, enough for an error message.
struct ResponseBuffer {
    var bytes: [UInt8] = []
    /// The answer's `Date`, seconds since the epoch.
    var serverDate: Int64?
}
