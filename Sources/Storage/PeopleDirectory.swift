import AttendanceCore
import Foundation

/// The people a running responder serves, read from the registry and read again at most
/// once a second when its file changed (a person added, a token renewed, a removal), and
/// their open databases. Up to `capacity` stay open — enough for every agent of a small
/// office to write without opening its database each minute (opening checks the file) —
/// and the least recently used beyond that are closed; only the `hot` most recently used
/// keep their reader connections (the pages read, up to 1 MiB each), the others close
/// them, so memory stays small however many people read their pages. Every open database
/// keeps its writer (with the few pages heartbeats touch).
public final class PeopleDirectory: @unchecked Sendable {
    public let registry: PeopleRegistry
    /// How many people's databases stay open at once.
    let capacity: Int
    /// How many of them keep their reader connections.
    let hot: Int
    private let fresh: Settings
    private let lock = NSLock()
    private var everyone: [Person] = []
    private var byToken: [String: Person] = [:]
    private var byName: [String: Person] = [:]
    /// Each person's database path, as compared with the open ones (made once per reading).
    private var paths: [String: String] = [:]
    private var version: FileVersion?
    private var lastLook: Int64 = .min
    /// Open databases by path, most recently used last.
    private var open: [(path: String, database: AppDatabase)] = []
    /// The database the server was started on: open for good, never closed here.
    private let pinned: (path: String, database: AppDatabase)?

    /// Reads the registry of `registry`; `pinned` is the database already opened for the
    /// server's own file, shared rather than opened twice.
    public init(registry: PeopleRegistry, fresh: Settings, pinned: AppDatabase?, capacity: Int = 100, hot: Int = 8) throws {
        self.registry = registry
        self.fresh = fresh
        self.capacity = capacity
        self.hot = hot
        self.pinned = pinned.map { (Self.canonical(registry.database), $0) }
        try reload()
    }

    /// How many people there are (as last read).
    public var count: Int { lock.withLock { everyone.count } }

    /// Everyone, by name (as last read).
    public var people: [Person] { lock.withLock { everyone } }

    public func person(named name: String) -> Person? { lock.withLock { byName[name] } }

    public func person(token: String) -> Person? { lock.withLock { byToken[token] } }

    /// Reads the registry again when its file changed since the last look, looking at
    /// most once a second. Returns whether it was read.
    @discardableResult
    public func refresh(now: Int64) -> Bool {
        let due: Bool = lock.withLock {
            guard now >= lastLook + 1 || now < lastLook else { return false }
            lastLook = now
            return FileVersion(registry.path) != version
        }
        guard due else { return false }
        return (try? reload()) != nil
    }

    private func reload() throws {
        let seen = FileVersion(registry.path)
        let people = try registry.people()
        lock.withLock {
            everyone = people
            byToken = Dictionary(people.map { ($0.token, $0) }, uniquingKeysWith: { first, _ in first })
            byName = Dictionary(people.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            version = seen
            paths = Dictionary(people.map { ($0.name, Self.canonical(registry.databasePath(of: $0))) }, uniquingKeysWith: { first, _ in first })
            // A removed person's database is closed.
            let kept = Set(paths.values)
            open.removeAll { !kept.contains($0.path) }
        }
    }

    /// The person's database, opened (and checked, as at start) when it is not open yet.
    /// Returns what to log of opening it.
    public func database(of person: Person) throws -> (AppDatabase, [String]) {
        let path = lock.withLock { paths[person.name] } ?? Self.canonical(registry.databasePath(of: person))
        if let pinned, pinned.path == path { return (pinned.database, []) }
        if let database: AppDatabase = lock.withLock({
            guard let index = open.firstIndex(where: { $0.path == path }) else { return nil }
            let entry = open.remove(at: index)
            open.append(entry)
            coolDown(from: index)
            return entry.database
        }) { return (database, []) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw PeopleRefusal("the database of \(person.name) is missing (\(path))")
        }
        let (database, said) = try AppDatabase.openServing(path: path, fresh: fresh)
        return lock.withLock {
            if let index = open.firstIndex(where: { $0.path == path }) { return (open[index].database, said) }
            open.append((path, database))
            // Closed when the last request using it is answered.
            if open.count > capacity { open.removeFirst(open.count - capacity) }
            coolDown(from: 0)
            return (database, said)
        }
    }

    /// The database that has just left the `hot` most recently used closes its readers
    /// and its writer's page cache (when the one used was among the cold ones, nothing
    /// moved in the hot set but the one pushed out of it). Called with the lock held.
    private func coolDown(from index: Int) {
        let boundary = open.count - hot - 1
        guard boundary >= 0, index <= boundary else { return }
        open[boundary].database.releaseMemoryEventually()
    }

    /// How many databases are open besides the pinned one (for tests and the bench).
    public var openCount: Int { lock.withLock { open.count } }

    static func canonical(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}

/// Which version of a file is there: a rewrite in place changes its size or time, a
/// replacement its inode.
struct FileVersion: Equatable {
    var inode: UInt64
    var size: Int64
    var seconds: Int
    var nanoseconds: Int

    init?(_ path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        seconds = status.st_mtim.tv_sec
        nanoseconds = status.st_mtim.tv_nsec
    }
}
