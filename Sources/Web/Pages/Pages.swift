import Foundation
import AttendanceCore
import HTTPMessage
import Mustache

/// The HTML templates of `templates/`, loaded once at start. Every page is its own
/// template rendered from its own view model, then placed in `layout`.
public struct Pages: Sendable {
    let library: MustacheLibrary
    /// Who is looking, for the navigation and the banner (set per request).
    var chrome = Chrome()

    /// What the pages around a page's own content show for who is looking.
    struct Chrome: Sendable {
        /// An admin on a server of several people: the navigation gains "People".
        var people = false
        /// An admin looking at this person's time, read-only.
        var viewing: String?
    }

    /// Loads every `*.mustache` file of `directory`.
    /// The templates of `directory`; the static files' versioned URLs from `staticDirectory`
    /// (by default `htdocs` beside the templates, as installed and in the checkout).
    public init(directory: String, staticDirectory: String? = nil) throws {
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        guard !names.isEmpty else { throw HTTPError(500, "no templates in \(directory)") }
        for name in names {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        self.library = library
        let folder = staticDirectory ?? ((directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("htdocs")
        staticPrefix = Self.staticVersion(of: folder).map { "/static/v/\($0)/" } ?? "/static/"
    }

    /// Where the layout links the static files: `/static/v/VERSION/`, VERSION naming their
    /// contents (the web servers let browsers keep such a URL for a year, `immutable`),
    /// or `/static/` when the files cannot be read.
    let staticPrefix: String

    /// The first 12 hex digits of the SHA-256 of the folder's files (names and contents,
    /// in name order): a new version of any file is a new URL for all of them.
    static func staticVersion(of folder: String) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder).sorted(), !names.isEmpty else { return nil }
        var bytes: [UInt8] = []
        for name in names where !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
            bytes += Array(name.utf8) + [0] + Array(data) + [0]
        }
        return String(sha256Hex(bytes).prefix(12))
    }

    /// What the layout needs besides the page's own HTML.
    struct Layout {
        let title: String
        let body: String
        let nav: [NavItem]
        /// `app.js` (the Print button, the settings' time zone suggestion).
        let script: Bool
        /// Whose time an admin is looking at, read-only.
        let viewing: String?
        /// `/static/v/VERSION/`.
        let staticPrefix: String
    }

    struct NavItem {
        let href: String
        let label: String
        let current: Bool
    }

    static let navigation = [("/dashboard", "Dashboard"), ("/corrections", "Days"), ("/absences", "Absences"),
                             ("/report", "Report"), ("/settings", "Settings")]

    /// `template` rendered with `model`, inside the layout, as a complete HTML response.
    func render(_ template: String, _ model: Any, title: String, path: String, status: Int = 200,
                script: Bool = false) -> Response {
        let body = library.render(model, withTemplate: template) ?? ""
        let items = Self.navigation + (chrome.people ? [("/people", "People")] : [])
        let nav = items.map { NavItem(href: $0.0, label: $0.1, current: $0.0 == path) }
        var page = library.render(Layout(title: title, body: body, nav: nav, script: script, viewing: chrome.viewing, staticPrefix: staticPrefix),
                                  withTemplate: "layout") ?? body
        if let viewing = chrome.viewing { page = Self.linksKeeping(page, viewing) }
        return Response(status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                        body: Array(page.utf8))
    }

    /// Every link and form of `html` to one of this server's pages, with `person=NAME`
    /// added: an admin looking at someone's time stays on it, and a form they send is
    /// refused (403) rather than changing their own.
    static func linksKeeping(_ html: String, _ name: String) -> String {
        var result = ""
        var rest = Substring(html)
        while let found = rest.range(of: "=\"/") {
            let attribute = rest[..<found.lowerBound].suffix(6)
            result += rest[..<found.upperBound]
            rest = rest[found.upperBound...]
            guard attribute.hasSuffix("href") || attribute.hasSuffix("action"), !rest.hasPrefix("static/"), !rest.hasPrefix("/"),
                  let end = rest.firstIndex(of: "\"") else { continue }
            result += withPerson(String(rest[..<end]), name)
            rest = rest[end...]
        }
        return result + rest
    }

    /// `target` (a path with its query and fragment) with `person=NAME` in its query.
    static func withPerson(_ target: String, _ name: String) -> String {
        let fragmentStart = target.firstIndex(of: "#") ?? target.endIndex
        let beforeFragment = target[..<fragmentStart]
        let separator = beforeFragment.contains("?") ? "&amp;" : "?"
        return beforeFragment + separator + "\(Whose.parameter)=\(name)" + target[fragmentStart...]
    }

    /// An answer to an admin looking at `name`'s time: a redirect stays on it.
    static func keepingPerson(_ response: Response, _ name: String) -> Response {
        guard (300..<400).contains(response.status) else { return response }
        var response = response
        response.headers = response.headers.map { header in
            guard header.0 == "Location", header.1.hasPrefix("/") else { return header }
            return (header.0, withPerson(header.1, name).replacingOccurrences(of: "&amp;", with: "&"))
        }
        return response
    }

    /// The friendly error page; says what went wrong in words, never how.
    func error(_ status: Int, _ message: String) -> Response {
        struct Model { let status: Int; let message: String }
        return render("error", Model(status: status, message: message), title: "Error \(status)", path: "", status: status)
    }
}

extension Response {
    /// POST-redirect-GET: 303 to `location`.
    static func seeOther(_ location: String) -> Response {
        Response(status: 303, headers: [("Location", location)])
    }
}

/// An `application/x-www-form-urlencoded` body (decoded by `URLEncoded`; 400 when it
/// cannot be): values by name, repeated names kept.
struct Form {
    let pairs: [(String, String)]

    init(_ request: Request) throws {
        pairs = try URLEncoded.pairs(request.body, of: "form field")
    }

    subscript(_ name: String) -> String { pairs.last { $0.0 == name }?.1 ?? "" }

    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
