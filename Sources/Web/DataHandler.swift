import AttendanceCore
import HTTPMessage
import Storage

/// `GET /api/export` and `POST /api/import` (SPEC §6): everything of this database as one
/// JSON document, and such a document into an empty database.
enum DataHandler {
    /// A download named for today: `attendance-YYYY-MM-DD.json`.
    static func export(_ context: RequestContext) throws -> Response {
        var response = Response(status: 200, headers: [
            ("Content-Type", "application/json"),
            ("Content-Disposition", "attachment; filename=\"attendance-\(try context.today()).json\""),
            ("Cache-Control", "no-store"),
        ])
        let database = context.database, now = context.now
        response.stream = { write in try database.exportDocument(at: now, write: write) }
        return response
    }

    /// The body is the document, up to `App.largeBodyLimit`, read from its spool file as a stream.
    static func importDocument(_ context: RequestContext) throws -> Response {
        .json(try importing(context, UploadSource(try context.request.uploadedFile())))
    }

    /// The import itself, shared with the settings page's upload form.
    static func importing(_ context: RequestContext, _ source: some ByteSource) throws -> ImportSummary {
        defer { context.settingsChanged() }
        do {
            return try context.database.importDocument(source, at: context.now)
        } catch let malformed as MalformedDocument {
            throw HTTPError(400, malformed.message)
        }
    }
}
