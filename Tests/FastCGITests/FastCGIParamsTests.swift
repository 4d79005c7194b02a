import HTTPMessage
import Testing
@testable import FastCGI

@Suite struct FastCGIParamsTests {
    @Test func requestIsBuiltFromCGIVariables() {
        let request = FastCGIParams.request(from: [
            "REQUEST_METHOD": "POST", "REQUEST_URI": "/api/days?from=2024-01-01&to=2024-01-31",
            "QUERY_STRING": "from=2024-01-01&to=2024-01-31", "HTTP_AUTHORIZATION": "Bearer x",
            "HTTP_SEC_FETCH_SITE": "same-origin", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "",
            "SERVER_ADDR": "192.0.2.7", "REMOTE_USER": "alice",
        ], body: [1, 2])
        #expect(request.method == "POST")
        #expect(request.path == "/api/days")
        #expect(request.query == "from=2024-01-01&to=2024-01-31")
        #expect(request.header("Authorization") == "Bearer x")
        #expect(request.header("sec-fetch-site") == "same-origin")
        #expect(request.header("content-type") == "application/json")
        #expect(request.body == [1, 2])
        #expect(request.serverAddress == "192.0.2.7")
        #expect(request.remoteUser == "alice")
        #expect(!request.overTLS)
        #expect(FastCGIParams.request(from: ["REQUEST_SCHEME": "https"], body: []).overTLS)
        #expect(FastCGIParams.request(from: ["HTTPS": "on"], body: []).overTLS)
    }

    @Test func missingParamsGiveASafeRequest() {
        let request = FastCGIParams.request(from: [:], body: [])
        #expect(request.method == "GET")
        #expect(request.path == "/")
        #expect(request.serverAddress == nil)
        #expect(request.remoteUser == nil)
    }

    @Test func anEmptyRemoteUserIsNoLogin() {
        // nginx passes REMOTE_USER="" when no login took place.
        let request = FastCGIParams.request(from: ["REMOTE_USER": "", "SERVER_ADDR": ""], body: [])
        #expect(request.remoteUser == nil)
        #expect(request.serverAddress == nil)
    }

    @Test func pathIsNotDecoded() {
        let request = FastCGIParams.request(from: ["REQUEST_URI": "/api/heart%62eat"], body: [])
        #expect(request.path == "/api/heart%62eat")
    }

    @Test func headerValuesCannotStartNewHeaders() {
        #expect(FastCGIParams.headerSafe("a\r\nSet-Cookie: x") == "aSet-Cookie: x")
    }

    @Test func listenAddressesNeedAHost() {
        #expect(ListenAddress("127.0.0.1:9000") == .tcp(host: "127.0.0.1", port: 9000))
        #expect(ListenAddress("unix:/run/a.sock") == .unix("/run/a.sock"))
        #expect(ListenAddress(":9000") == nil)
        #expect(ListenAddress("127.0.0.1:0") == nil)
        #expect(ListenAddress("unix:") == nil)
    }
}
