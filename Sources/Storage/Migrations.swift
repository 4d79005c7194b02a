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
        migrator.registerMigration("v2-schedule") { db in
            try db.execute(sql: """
                -- Dated versions of the schedule: minutes per weekday, in force from valid_from
                -- until the next version; the earliest also covers the dates before it.
                CREATE TABLE schedule (
                    valid_from TEXT    PRIMARY KEY NOT NULL
                               CHECK (valid_from GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    mon        INTEGER NOT NULL CHECK (mon BETWEEN 0 AND 1440),
                    tue        INTEGER NOT NULL CHECK (tue BETWEEN 0 AND 1440),
                    wed        INTEGER NOT NULL CHECK (wed BETWEEN 0 AND 1440),
                    thu        INTEGER NOT NULL CHECK (thu BETWEEN 0 AND 1440),
                    fri        INTEGER NOT NULL CHECK (fri BETWEEN 0 AND 1440),
                    sat        INTEGER NOT NULL CHECK (sat BETWEEN 0 AND 1440),
                    sun        INTEGER NOT NULL CHECK (sun BETWEEN 0 AND 1440)
                ) WITHOUT ROWID;
                CREATE TRIGGER schedule_keeps_a_version BEFORE DELETE ON schedule
                WHEN (SELECT COUNT(*) FROM schedule) = 1
                BEGIN SELECT RAISE(ABORT, 'the schedule keeps at least one version'); END;

                -- The v1 policy (working days as bits, Monday = 1, and one daily figure)
                -- becomes the first version, valid from the period's start: being the
                -- earliest, it covers every date, so no figure changes.
                INSERT INTO schedule (valid_from, mon, tue, wed, thu, fri, sat, sun)
                SELECT period_start,
                       CASE WHEN working_days &  1 THEN daily_required_minutes ELSE 0 END,
                       CASE WHEN working_days &  2 THEN daily_required_minutes ELSE 0 END,
                       CASE WHEN working_days &  4 THEN daily_required_minutes ELSE 0 END,
                       CASE WHEN working_days &  8 THEN daily_required_minutes ELSE 0 END,
                       CASE WHEN working_days & 16 THEN daily_required_minutes ELSE 0 END,
                       CASE WHEN working_days & 32 THEN daily_required_minutes ELSE 0 END,
                       CASE WHEN working_days & 64 THEN daily_required_minutes ELSE 0 END
                FROM settings;

                -- working_days and daily_required_minutes stay: the simple form of the schedule.
                ALTER TABLE settings ADD COLUMN opening_balance_minutes INTEGER NOT NULL DEFAULT 0
                    CHECK (opening_balance_minutes BETWEEN -1000000 AND 1000000);
                ALTER TABLE settings ADD COLUMN vacation_half_days INTEGER NOT NULL DEFAULT 0
                    CHECK (vacation_half_days BETWEEN 0 AND 732);
                -- 0 until the settings were saved once; a database in use before is taken as set up.
                ALTER TABLE settings ADD COLUMN saved INTEGER NOT NULL DEFAULT 1 CHECK (saved IN (0, 1));

                -- Derived: the current correction of each date, i.e. its newest entry unless
                -- that is a removal. Kept by the trigger in the same transaction as each
                -- entry, so summing corrections over years needs no search for the newest.
                CREATE TABLE current_correction (
                    date       TEXT    PRIMARY KEY NOT NULL,
                    minutes    INTEGER NOT NULL,
                    note       TEXT    NOT NULL,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO current_correction (date, minutes, note, created_at)
                SELECT date, minutes, note, created_at FROM correction AS c
                WHERE minutes IS NOT NULL AND id = (SELECT MAX(id) FROM correction WHERE date = c.date);
                CREATE TRIGGER correction_sets_current AFTER INSERT ON correction
                BEGIN
                    DELETE FROM current_correction WHERE date = NEW.date;
                    INSERT INTO current_correction (date, minutes, note, created_at)
                    SELECT NEW.date, NEW.minutes, NEW.note, NEW.created_at WHERE NEW.minutes IS NOT NULL;
                END;
                -- The history of corrections is append-only, like the heartbeats.
                CREATE TRIGGER correction_no_update BEFORE UPDATE ON correction
                BEGIN SELECT RAISE(ABORT, 'corrections are kept as history; add a new one'); END;
                CREATE TRIGGER correction_no_delete BEFORE DELETE ON correction
                BEGIN SELECT RAISE(ABORT, 'corrections are kept as history; add a removal'); END;
                """)
        }
        migrator.registerMigration("v3-absence") { db in
            try db.execute(sql: """
                -- At most one absence per date (rule 5a): a kind, a full or half day, a note.
                CREATE TABLE absence (
                    date     TEXT    PRIMARY KEY NOT NULL
                             CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    kind     TEXT    NOT NULL CHECK (kind IN ('vacation', 'sick', 'leave', 'unpaid', 'comp')),
                    half_day INTEGER NOT NULL CHECK (half_day IN (0, 1)),
                    note     TEXT    NOT NULL DEFAULT ''
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v4-day-span") { db in
            try db.execute(sql: """
                -- The first and last recorded minute (UTC minutes) of each local date, beside
                -- its count: first start, last end and breaks without reading heartbeats.
                -- Filled by rebuilding the cache from the raw heartbeats when the database
                -- is opened (AppDatabase), since the local date needs the zone's rules.
                ALTER TABLE daily_attendance ADD COLUMN first_minute INTEGER;
                ALTER TABLE daily_attendance ADD COLUMN last_minute INTEGER;
                """)
        }
        migrator.registerMigration("v5-heartbeat-without-rowid") { db in
            try db.execute(sql: """
                -- The heartbeat table keyed by (minute, host) itself: one B-tree instead of a
                -- table and its UNIQUE index, so storing a heartbeat writes one page less.
                -- Rows, checks and the immutability triggers are the same as before.
                CREATE TABLE heartbeat_keyed (
                    minute      INTEGER NOT NULL CHECK (minute >= 0),
                    host        TEXT    NOT NULL CHECK (length(host) <= 255),
                    received_at INTEGER NOT NULL,
                    PRIMARY KEY (minute, host)
                ) WITHOUT ROWID;
                INSERT INTO heartbeat_keyed (minute, host, received_at)
                    SELECT minute, host, received_at FROM heartbeat ORDER BY minute, host;
                DROP TRIGGER heartbeat_no_update;
                DROP TRIGGER heartbeat_no_delete;
                DROP TABLE heartbeat;
                ALTER TABLE heartbeat_keyed RENAME TO heartbeat;
                CREATE TRIGGER heartbeat_no_update BEFORE UPDATE ON heartbeat
                BEGIN SELECT RAISE(ABORT, 'heartbeats are immutable'); END;
                CREATE TRIGGER heartbeat_no_delete BEFORE DELETE ON heartbeat
                BEGIN SELECT RAISE(ABORT, 'heartbeats are immutable'); END;
                """)
        }
        migrator.registerMigration("v6-entries") { db in
            try db.execute(sql: """
                -- Time entries (rule 1a): work the agent could not see. start and end are UTC
                -- minutes, end exclusive; end NULL while it runs. History: a row is never
                -- deleted, and only its end (once, when it stops) and its removal (once) are
                -- set after it was made.
                CREATE TABLE entry (
                    id           INTEGER PRIMARY KEY,
                    start_minute INTEGER NOT NULL CHECK (start_minute >= 0),
                    end_minute   INTEGER CHECK (end_minute IS NULL OR
                                                (end_minute > start_minute AND end_minute - start_minute <= 1440)),
                    note         TEXT    NOT NULL DEFAULT '' CHECK (length(note) <= 500),
                    source       TEXT    NOT NULL CHECK (source IN ('manual', 'import')),
                    created_at   INTEGER NOT NULL,
                    stopped_at   INTEGER,
                    removed_at   INTEGER
                );
                CREATE INDEX entry_by_start ON entry (start_minute) WHERE removed_at IS NULL;
                -- At most one entry runs at a time.
                CREATE UNIQUE INDEX entry_one_running ON entry ((end_minute IS NULL))
                    WHERE end_minute IS NULL AND removed_at IS NULL;
                CREATE TRIGGER entry_no_delete BEFORE DELETE ON entry
                BEGIN SELECT RAISE(ABORT, 'entries are kept as history; mark one removed'); END;
                CREATE TRIGGER entry_set_once BEFORE UPDATE ON entry
                WHEN NEW.id IS NOT OLD.id OR NEW.start_minute IS NOT OLD.start_minute OR NEW.note IS NOT OLD.note
                    OR NEW.source IS NOT OLD.source OR NEW.created_at IS NOT OLD.created_at
                    OR (OLD.end_minute IS NOT NULL AND NEW.end_minute IS NOT OLD.end_minute)
                    OR (OLD.stopped_at IS NOT NULL AND NEW.stopped_at IS NOT OLD.stopped_at)
                    OR (OLD.removed_at IS NOT NULL AND NEW.removed_at IS NOT OLD.removed_at)
                BEGIN SELECT RAISE(ABORT, 'an entry is history: only its end and its removal are set later, once each'); END;

                -- The per-day cache now counts worked minutes (recorded ∪ entries): minutes
                -- stays the recorded count, manual the worked minutes no heartbeat recorded,
                -- and first_minute / last_minute the first and last worked minute. A date may
                -- have only manual minutes, so recorded may be 0. Without entries so far the
                -- rows carry over as they are.
                CREATE TABLE daily_attendance_v6 (
                    date         TEXT    PRIMARY KEY NOT NULL
                                 CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    minutes      INTEGER NOT NULL CHECK (minutes BETWEEN 0 AND 1500),
                    manual       INTEGER NOT NULL DEFAULT 0 CHECK (manual BETWEEN 0 AND 1500),
                    first_minute INTEGER,
                    last_minute  INTEGER,
                    CHECK (minutes + manual BETWEEN 1 AND 1500)
                ) WITHOUT ROWID;
                INSERT INTO daily_attendance_v6 (date, minutes, manual, first_minute, last_minute)
                    SELECT date, minutes, 0, first_minute, last_minute FROM daily_attendance;
                DROP TABLE daily_attendance;
                ALTER TABLE daily_attendance_v6 RENAME TO daily_attendance;
                """)
        }
        migrator.registerMigration("v7-signed-months") { db in
            try db.execute(sql: """
                -- Bookings on the time account (rule 7b). History: a row is never deleted, and
                -- only its removal is set, once.
                CREATE TABLE booking (
                    id         INTEGER PRIMARY KEY,
                    date       TEXT    NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    kind       TEXT    NOT NULL CHECK (kind IN ('payout', 'adjustment')),
                    minutes    INTEGER NOT NULL CHECK (minutes <> 0 AND minutes BETWEEN -1000000 AND 1000000
                                                       AND (kind <> 'payout' OR minutes < 0)),
                    note       TEXT    NOT NULL CHECK (length(note) BETWEEN 1 AND 500),
                    created_at INTEGER NOT NULL,
                    removed_at INTEGER
                );
                CREATE INDEX booking_by_date ON booking (date) WHERE removed_at IS NULL;
                CREATE TRIGGER booking_no_delete BEFORE DELETE ON booking
                BEGIN SELECT RAISE(ABORT, 'bookings are kept as history; mark one removed'); END;
                CREATE TRIGGER booking_set_once BEFORE UPDATE ON booking
                WHEN NEW.id IS NOT OLD.id OR NEW.date IS NOT OLD.date OR NEW.kind IS NOT OLD.kind
                    OR NEW.minutes IS NOT OLD.minutes OR NEW.note IS NOT OLD.note OR NEW.created_at IS NOT OLD.created_at
                    OR OLD.removed_at IS NOT NULL
                BEGIN SELECT RAISE(ABORT, 'a booking is history: only its removal is set later, once'); END;

                -- The signed months (rule 11), a run from the period's first month: the digest,
                -- chained to the previous one; end_minute, the first UTC minute after last_date
                -- in the zone of the day it was signed; and the snapshot's totals (effective,
                -- expected, the bookings' minutes, the balance after it), the checkpoint later
                -- balances start from. A row is never changed; unsigning (the latest only)
                -- deletes it, and month_event keeps both events.
                CREATE TABLE signed_month (
                    month           TEXT    PRIMARY KEY NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
                    digest          TEXT    NOT NULL CHECK (length(digest) = 64),
                    previous_digest TEXT    NOT NULL CHECK (length(previous_digest) = 64),
                    signed_at       INTEGER NOT NULL,
                    last_date       TEXT    NOT NULL,
                    end_minute      INTEGER NOT NULL,
                    effective       INTEGER NOT NULL,
                    expected        INTEGER NOT NULL,
                    bookings        INTEGER NOT NULL,
                    balance_after   INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TRIGGER signed_month_no_update BEFORE UPDATE ON signed_month
                BEGIN SELECT RAISE(ABORT, 'a signed month is never changed; unsign it'); END;

                -- Each signed month's snapshot: exactly the canonical JSON bytes its digest was
                -- made of. Apart from the figures, so reading them never reads these bytes.
                CREATE TABLE signed_snapshot (
                    month    TEXT PRIMARY KEY NOT NULL REFERENCES signed_month (month) ON DELETE CASCADE,
                    snapshot BLOB NOT NULL
                );
                CREATE TRIGGER signed_snapshot_no_update BEFORE UPDATE ON signed_snapshot
                BEGIN SELECT RAISE(ABORT, 'a signed month is never changed; unsign it'); END;

                -- The snapshot's days, one row each, as the pages read them: the row as
                -- /api/days serves it now ("frozen":true) and its figures. Derived from the
                -- snapshot (verify compares them).
                CREATE TABLE signed_day (
                    date        TEXT    PRIMARY KEY NOT NULL,
                    month       TEXT    NOT NULL REFERENCES signed_month (month) ON DELETE CASCADE,
                    row         TEXT    NOT NULL,
                    recorded    INTEGER NOT NULL,
                    manual      INTEGER NOT NULL,
                    correction  INTEGER,
                    correction_note TEXT,
                    effective   INTEGER NOT NULL,
                    expected    INTEGER NOT NULL,
                    holiday     TEXT,
                    absence_kind TEXT,
                    half_day    INTEGER NOT NULL DEFAULT 0,
                    first_start TEXT,
                    last_end    TEXT,
                    working_day INTEGER NOT NULL,
                    rule_deduction INTEGER NOT NULL DEFAULT 0,
                    warnings    TEXT    NOT NULL DEFAULT ''
                ) WITHOUT ROWID;
                CREATE INDEX signed_day_by_month ON signed_day (month);
                CREATE TRIGGER signed_day_no_update BEFORE UPDATE ON signed_day
                BEGIN SELECT RAISE(ABORT, 'a signed month is never changed; unsign it'); END;

                -- Signing and unsigning, kept for good.
                CREATE TABLE month_event (
                    id     INTEGER PRIMARY KEY,
                    month  TEXT    NOT NULL,
                    event  TEXT    NOT NULL CHECK (event IN ('signed', 'unsigned')),
                    at     INTEGER NOT NULL,
                    digest TEXT    NOT NULL,
                    reason TEXT
                );
                CREATE TRIGGER month_event_no_update BEFORE UPDATE ON month_event
                BEGIN SELECT RAISE(ABORT, 'the signing history is never changed'); END;
                CREATE TRIGGER month_event_no_delete BEFORE DELETE ON month_event
                BEGIN SELECT RAISE(ABORT, 'the signing history is never changed'); END;

                -- Changes that moved figures of past days: what, when, before and after.
                CREATE TABLE change_log (
                    id      INTEGER PRIMARY KEY,
                    at      INTEGER NOT NULL,
                    subject TEXT    NOT NULL,
                    before  TEXT    NOT NULL,
                    after   TEXT    NOT NULL
                );
                CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
                BEGIN SELECT RAISE(ABORT, 'the history of changes is never changed'); END;
                CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
                BEGIN SELECT RAISE(ABORT, 'the history of changes is never changed'); END;
                """)
        }
        migrator.registerMigration("v8-work-rules") { db in
            try db.execute(sql: """
                -- Rule 12: each schedule version's working-time rules, from its valid_from on.
                ALTER TABLE schedule ADD COLUMN work_rules TEXT NOT NULL DEFAULT 'none' CHECK (work_rules IN ('none', 'de'));
                -- The cache also keeps what rule 12 reads off a day's worked minutes: the sum
                -- of its gaps of 15 minutes or more, the most worked minutes with no such gap
                -- between them, and the run it ends with. NULL until the cache is rebuilt
                -- once, on the next start (AppDatabase.init).
                ALTER TABLE daily_attendance ADD COLUMN long_breaks INTEGER;
                ALTER TABLE daily_attendance ADD COLUMN longest_run INTEGER;
                ALTER TABLE daily_attendance ADD COLUMN trailing_run INTEGER;
                """)
        }
        migrator.registerMigration("v9-settings-name") { db in
            try db.execute(sql: """
                -- Whose time this is, as the timesheet names it (SPEC §3 `name`).
                ALTER TABLE settings ADD COLUMN name TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 100);
                """)
        }
        return migrator
    }
}
