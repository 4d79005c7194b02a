import Foundation
import HTTPMessage
import Mustache

/// The HTML templates of `templates/`, loaded once at start. Every page is its own
/// template rendered from its own view model, then placed in `layout`.
public struct Pages: Sendable {
    let library: MustacheLibrary

    /// Loads every `*.mustache` file of `directory`.
    public init(directory: String) throws {
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        guard !names.isEmpty else { throw HTTPError(500, "no templates in \(directory)") }
        for name in names {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        self.library = library
    }

    /// What the layout needs besides the page's own HTML.
    struct Layout {
        let title: String
        let body: String
        let nav: [NavItem]
        /// `app.js` (the charts, the Print button).
        let script: Bool
        /// Chart.js, for the pages that draw charts.
        let charts: Bool
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
                script: Bool = false, charts: Bool = false) -> Response {
        let body = library.render(model, withTemplate: template) ?? ""
        let nav = Self.navigation.map { NavItem(href: $0.0, label: $0.1, current: $0.0 == path) }
        let page = library.render(Layout(title: title, body: body, nav: nav, script: script, charts: charts), withTemplate: "layout") ?? body
        return Response(status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                        body: Array(page.utf8))
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
