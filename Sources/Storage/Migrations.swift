import GRDB

/// The schema, one named step at a time. Append only: a step that has shipped is never
/// edited; a change is a new step. Steps are plain SQL and know nothing of app types.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-seed") { db in
            try db.execute(sql: """
                -- Raw heartbeats: one row per (UTC minute, host), never updated or deleted.
                CREATE TABLE heartbeat (
                    minute      INTEGER NOT NULL CHECK (minute >= 0),
                    host        TEXT    NOT NULL CHECK (length(host) <= 255),
                    received_at INTEGER NOT NULL,
                    UNIQUE (minute, host)
                );
                CREATE TRIGGER heartbeat_no_update BEFORE UPDATE ON heartbeat
                BEGIN SELECT RAISE(ABORT, 'heartbeats are immutable'); END;
                CREATE TRIGGER heartbeat_no_delete BEFORE DELETE ON heartbeat
                BEGIN SELECT RAISE(ABORT, 'heartbeats are immutable'); END;

                -- Derived: distinct recorded minutes per local date in settings.timezone.
                CREATE TABLE daily_attendance (
                    date    TEXT    PRIMARY KEY NOT NULL
                            CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1500)
                ) WITHOUT ROWID;

                -- Every correction ever made; the newest per date is current.
                -- minutes NULL records a removal (the recorded value applies again).
                CREATE TABLE correction (
                    id         INTEGER PRIMARY KEY,
                    date       TEXT    NOT NULL
                               CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    minutes    INTEGER CHECK (minutes IS NULL OR minutes BETWEEN 0 AND 1500),
                    note       TEXT    NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX correction_by_date ON correction (date, id);

                -- One row: the policy and the zone.
                CREATE TABLE settings (
                    id                     INTEGER PRIMARY KEY CHECK (id = 1),
                    period_start           TEXT    NOT NULL
                                           CHECK (period_start GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    period_end             TEXT    CHECK (period_end IS NULL OR period_end >= period_start),
                    working_days           INTEGER NOT NULL CHECK (working_days BETWEEN 0 AND 127),
                    daily_required_minutes INTEGER NOT NULL CHECK (daily_required_minutes BETWEEN 0 AND 1440),
                    timezone               TEXT    NOT NULL CHECK (timezone <> '')
                );

                CREATE TABLE holiday (
                    date TEXT PRIMARY KEY NOT NULL
                         CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    name TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
