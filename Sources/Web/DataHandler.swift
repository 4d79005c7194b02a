import AttendanceCore
import HTTPMessage
import Storage

/// `GET /api/export` and `POST /api/import` (SPEC §6): everything of this database as one
/// JSON document, and such a document into an empty database.
enum DataHandler {
    /// A download named for today: `attendance-YYYY-MM-DD.json`.
    static func export(_ context: RequestContext) throws -> Response {
        let document = try context.database.exportDocument(at: context.now)
        return Response(status: 200, headers: [
            ("Content-Type", "application/json"),
            ("Content-Disposition", "attachment; filename=\"attendance-\(try context.today()).json\""),
            ("Cache-Control", "no-store"),
        ], body: Array(document))
    }

    static func importDocument(_ context: RequestContext) throws -> Response {
        .json(try importing(context, context.request.body))
    }

    /// The import itself, shared with the settings page's upload form.
    static func importing(_ context: RequestContext, _ bytes: [UInt8]) throws -> ImportSummary {
        defer { context.settingsChanged() }
        do {
            return try context.database.importDocument(bytes, at: context.now)
        } catch let malformed as MalformedDocument {
            throw HTTPError(400, malformed.message)
        }
    }
}
