import AttendanceCore
import HTTPMessage

/// `POST /api/import/activitywatch` and `POST /api/import/csv` (SPEC §6): the body is the
/// file itself, up to `App.largeBodyLimit`, read from its spool file as a stream.
enum ImportHandler {
    static func activityWatch(_ context: RequestContext) throws -> Response {
        let upload = try context.request.uploadedFile()
        return .json(try Imports.activityWatch(context, UploadSource(upload)))
    }

    /// `?timezone=` names the zone of the file's local times (default: the settings').
    static func csv(_ context: RequestContext) throws -> Response {
        let zone = try Imports.zone(context, named: try context.request.queryItems["timezone"])
        let upload = try context.request.uploadedFile()
        return .json(try Imports.csv(context, UploadSource(upload), zone: zone))
    }
}
