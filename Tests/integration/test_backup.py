"""SPEC §6 on the real stack: backups while agents write, restores with the responder
running, kill -9 and a full disk midway, a damaged database said (and healed when only
derived data is damaged), and the storage troubles that used to be silent."""
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT, Stack
from test_faults import tmpfs

BINARY = os.environ.get("ATTENDANCE_FCGI", str(ROOT / ".build/debug/attendance-fcgi"))
NOW = int(time.time()) // 60


def cli(*args, timeout=300):
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def seed(path, days=500):
    """A database with `days` working days of heartbeats (8 hours each, two hosts now and
    then) before today, written straight into the file, then the cache rebuilt by the
    product itself."""
    assert cli("migrate", "--database", path).returncode == 0
    first = (NOW - days * 1440) // 1440 * 1440
    rows = []
    for day in range(days):
        start = first + day * 1440 + 420
        rows += [(start + m, "laptop" if m % 7 else "desktop", (start + m) * 60 + 3) for m in range(480) if m % 61 != 60]
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO heartbeat (minute, host, received_at) VALUES (?, ?, ?)", rows)
    done = cli("rebuild-cache", "--database", path)
    assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {(m, h) for m, h, _ in rows}


def listed(folder):
    """The backups and anything else a backup left in the folder, but its lock file."""
    return sorted(n for n in os.listdir(folder) if n != ".attendance-backup.lock")


def heartbeats(path):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return set(db.execute("SELECT minute, host FROM heartbeat"))


def integrity(path):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def stamp(minute):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minute * 60))


def post_beats(stack, minutes, host="after"):
    body = json.dumps({"heartbeats": [{"timestamp": stamp(m), "host": host} for m in minutes]})
    response = stack.heartbeat(body)
    assert response.status_code == 200, response.text
    return {(m, host) for m in minutes}


def damage(path, table, pages=2):
    """Random bytes over leaf pages of `table` in the file itself (a bad disk, a bad copy)."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = db.execute("PRAGMA page_size").fetchone()[0]
        leaves = [row[0] for row in db.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,))]
    assert leaves, table
    noise = random.Random(7)
    with open(path, "r+b") as file:
        for page in leaves[len(leaves) // 2:len(leaves) // 2 + pages]:
            file.seek((page - 1) * size + 8)
            file.write(bytes(noise.randrange(256) for _ in range(size - 16)))


@pytest.fixture
def folder():
    path = Path(tempfile.mkdtemp(prefix="attendance-backup-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_a_backup_under_eight_writers_holds_every_acknowledged_heartbeat_and_they_keep_flowing(web_server, folder):
    database = folder / "attendance.sqlite"
    seed(database, days=700)
    stack = Stack(web_server=web_server, env={"DATABASE": str(database)})
    try:
        acknowledged = []  # (time the answer came, minute, host)
        latencies = []  # (time sent, seconds)
        stop = threading.Event()

        def writer(n):
            session = requests.Session()
            minute = NOW - 3 * 1440 + n * 200
            while not stop.is_set():
                sent = time.time()
                response = session.post(stack.url + "/api/heartbeat", data=json.dumps({"timestamp": stamp(minute), "host": f"w{n}"}),
                                        headers={"Authorization": f"Bearer {stack.token}"}, timeout=30)
                done = time.time()
                assert response.status_code == 200, response.text
                acknowledged.append((done, minute, f"w{n}"))
                latencies.append((sent, done - sent))
                minute += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        started = time.time()
        backup = cli("backup", "--database", database, "--to", folder / "backups")
        finished = time.time()
        time.sleep(1)
        stop.set()
        for thread in threads:
            thread.join()
        assert backup.returncode == 0, backup.stdout + backup.stderr
        assert backup.stdout.startswith("backup ") and backup.stdout.count("\n") == 1
        [name] = listed(folder / "backups")
        copy = heartbeats(folder / "backups" / name)
        before = {(m, h) for t, m, h in acknowledged if t < started}
        assert before and before <= copy
        during = sorted(s for t, s in latencies if started <= t <= finished)
        without = sorted(s for t, s in latencies if t < started - 0.5)
        assert len(during) >= 10, "heartbeats stopped flowing during the backup"
        p99 = lambda values: values[min(len(values) - 1, int(len(values) * 0.99))]
        assert p99(during) <= 3 * max(p99(without), 0.02), (p99(during), p99(without), finished - started)
        assert {(m, h) for _, m, h in acknowledged} <= heartbeats(database)
    finally:
        stack.stop()


def test_backups_rotate_are_private_and_a_check_failure_keeps_the_earlier_ones(folder):
    database = folder / "attendance.sqlite"
    seed(database, days=30)
    for _ in range(4):
        done = cli("backup", "--database", database, "--to", folder / "backups", "--keep", "3")
        assert done.returncode == 0, done.stdout + done.stderr
        time.sleep(1.05)
    names = sorted(listed(folder / "backups"))
    assert len(names) == 3 and "3 kept, 1 older removed" in done.stdout
    assert oct(os.stat(folder / "backups").st_mode & 0o777) == "0o700"
    assert {oct(os.stat(folder / "backups" / n).st_mode & 0o777) for n in names} == {"0o600"}
    # A damaged database: exit 1, one line saying why, the earlier backups untouched.
    damage(database, "heartbeat")
    failed = cli("backup", "--database", database, "--to", folder / "backups", "--keep", "3")
    assert failed.returncode == 1 and failed.stdout.startswith("backup failed: ") and "damaged" in failed.stdout
    assert failed.stdout.count("\n") == 1
    assert sorted(listed(folder / "backups")) == names
    assert all(integrity(folder / "backups" / n) for n in names)


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_a_restore_with_the_responder_running_keeps_what_agents_sent_since(web_server, folder):
    database = folder / "attendance.sqlite"
    seeded = seed(database, days=60)
    stack = Stack(web_server=web_server, env={"DATABASE": str(database)})
    try:
        pid = stack.responder_pid()
        origin = {"Origin": stack.url}
        assert requests.post(stack.url + "/api/holidays", json={"date": "2026-01-06", "name": "Before"}, headers=origin).status_code == 201
        before = post_beats(stack, range(NOW - 2000, NOW - 1900), host="before")
        backup = cli("backup", "--database", database, "--to", folder / "backups")
        assert backup.returncode == 0, backup.stdout
        [name] = listed(folder / "backups")
        since = post_beats(stack, range(NOW - 300, NOW - 200))
        assert requests.post(stack.url + "/api/holidays", json={"date": "2026-05-01", "name": "After"}, headers=origin).status_code == 201
        days_before = requests.get(stack.url + "/api/days", params={"from": "2026-01-01", "to": "2026-01-31"}).json()

        done = cli("restore", folder / "backups" / name, "--database", database)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"kept {len(since)} heartbeats the live database received after the backup" in done.stdout
        # The running responder answers from the restored database at once.
        assert requests.get(stack.url + "/api/holidays").json() == [{"date": "2026-01-06", "name": "Before"}]
        assert seeded | before | since <= heartbeats(database)
        today = time.strftime("%Y-%m-%d", time.gmtime((NOW - 250) * 60))
        day = requests.get(stack.url + "/api/days", params={"from": today, "to": today}).json()[0]
        assert day["recorded"] >= 100
        assert requests.get(stack.url + "/api/days", params={"from": "2026-01-01", "to": "2026-01-31"}).json() == days_before
        assert stack.responder_pid() == pid
        assert post_beats(stack, [NOW - 1]) and (NOW - 1, "after") in heartbeats(database)

        # A file that fails its check changes nothing, and says so.
        bad = folder / "bad.sqlite"
        shutil.copyfile(folder / "backups" / name, bad)
        damage(bad, "heartbeat")
        refused = cli("restore", bad, "--database", database)
        assert refused.returncode == 1 and "nothing was changed" in refused.stdout, refused.stdout
        assert requests.get(stack.url + "/api/holidays").json() == [{"date": "2026-01-06", "name": "Before"}]
        assert not any(p.name.endswith(".partial") for p in folder.iterdir())
    finally:
        stack.stop()


def test_kill_9_of_backup_or_restore_midway_leaves_the_database_and_the_backups_intact(folder):
    database = folder / "attendance.sqlite"
    seeded = seed(database, days=900)
    assert cli("backup", "--database", database, "--to", folder / "backups").returncode == 0
    [first] = listed(folder / "backups")
    noise = random.Random(3)
    for attempt in range(4):
        process = subprocess.Popen([BINARY, "backup", "--database", database, "--to", folder / "backups"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.05 + noise.random() * 0.6)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert integrity(folder / "backups" / first) and heartbeats(folder / "backups" / first) == seeded
    assert integrity(database)
    done = cli("backup", "--database", database, "--to", folder / "backups")
    assert done.returncode == 0, done.stdout
    assert not [n for n in listed(folder / "backups") if n.endswith(".partial")]
    # Restores killed midway: the live database is the old one or the restored one, whole.
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO holiday (date, name) VALUES ('2026-04-06', 'Added after the backup')")
        db.execute("INSERT INTO heartbeat (minute, host, received_at) VALUES (?, 'late', 1)", (NOW - 5,))
    for attempt in range(4):
        process = subprocess.Popen([BINARY, "restore", folder / "backups" / first, "--database", database],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.1 + noise.random() * 1.2)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert integrity(database)
        assert seeded | {(NOW - 5, "late")} <= heartbeats(database)
        with sqlite3.connect(database) as db:
            holidays = db.execute("SELECT name FROM holiday").fetchall()
        assert holidays in ([("Added after the backup",)], [])
    done = cli("restore", folder / "backups" / first, "--database", database)
    assert done.returncode == 0 and "kept 1 heartbeats" in done.stdout, done.stdout


def test_a_full_disk_during_a_backup_keeps_the_previous_ones_and_says_why(folder):
    database = folder / "attendance.sqlite"
    seed(database, days=120)
    size = os.path.getsize(database)
    with tmpfs(f"{size * 4 // 1024 + 256}k") as mount:
        backups = mount / "backups"
        assert cli("backup", "--database", database, "--to", backups).returncode == 0
        [first] = listed(backups)
        with open(mount / "filler", "wb") as filler:  # all but a little of what is left
            filler.write(b"\0" * (shutil.disk_usage(mount).free - size // 2))
        time.sleep(1.05)
        failed = cli("backup", "--database", database, "--to", backups)
        assert failed.returncode == 2, failed.stdout + failed.stderr
        assert failed.stdout.startswith("backup failed: the disk is full") and failed.stdout.count("\n") == 1
        assert listed(backups) == [first] and integrity(backups / first)


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_a_damaged_database_is_said_on_every_answer_until_a_restore_while_running(web_server, folder):
    database = folder / "attendance.sqlite"
    seeded = seed(database, days=200)
    assert cli("backup", "--database", database, "--to", folder / "backups").returncode == 0
    [name] = listed(folder / "backups")
    damage(database, "heartbeat", pages=3)
    stack = Stack(web_server=web_server, env={"DATABASE": str(database)}, ready=(503,))
    try:
        pid = stack.responder_pid()
        for path in ("/api/settings", "/api/days?from=2026-01-01&to=2026-01-02", "/api/ping"):
            response = requests.get(stack.url + path)
            assert response.status_code == 503 and response.headers["Content-Type"].startswith("application/json")
            assert "database is damaged" in response.json()["error"] and "attendance-fcgi restore" in response.json()["error"]
        page = requests.get(stack.url + "/dashboard")
        assert page.status_code == 503 and "text/html" in page.headers["Content-Type"] and "database is damaged" in page.text
        beat = stack.heartbeat(json.dumps({"timestamp": stamp(NOW - 10), "host": "queued"}))
        assert beat.status_code == 503 and beat.headers["Retry-After"]
        log = (stack.data_dir / "responder.log").read_text()
        assert "quick_check failed" in log and "beyond derived data" in log, log[-3000:]

        done = cli("restore", folder / "backups" / name, "--database", database)
        assert done.returncode == 0 and "the damaged database is kept as" in done.stdout, done.stdout
        deadline = time.time() + 25
        while time.time() < deadline and requests.get(stack.url + "/api/settings").status_code != 200:
            time.sleep(0.5)
        assert requests.get(stack.url + "/api/settings").status_code == 200
        assert stack.heartbeat(json.dumps({"timestamp": stamp(NOW - 10), "host": "queued"})).status_code == 200
        assert seeded <= heartbeats(database) and stack.responder_pid() == pid
        assert list(folder.glob("attendance.sqlite.damaged-*"))
    finally:
        stack.stop()


def test_damage_to_derived_data_only_is_rebuilt_at_start_and_by_rebuild_cache(folder):
    database = folder / "attendance.sqlite"
    seed(database, days=400)
    stack = Stack(env={"DATABASE": str(database)})
    try:
        days = requests.get(stack.url + "/api/days", params={"from": "2025-06-01", "to": "2026-11-30"}).json()
    finally:
        stack.stop()
    damage(database, "daily_attendance")
    stack = Stack(env={"DATABASE": str(database)})
    try:
        assert requests.get(stack.url + "/api/days", params={"from": "2025-06-01", "to": "2026-11-30"}).json() == days
        log = (stack.data_dir / "responder.log").read_text()
        assert "quick_check failed" in log and "only derived data was damaged: rebuilt" in log, log[-2000:]
        assert "cannot start" not in log
    finally:
        stack.stop()
    assert integrity(database) and list(folder.glob("attendance.sqlite.damaged-*"))
    damage(database, "daily_attendance")
    done = cli("rebuild-cache", "--database", database)
    assert done.returncode == 0 and "rebuilt" in done.stdout, done.stdout + done.stderr
    assert integrity(database)


def test_a_write_ahead_log_deleted_under_the_responder_loses_nothing_and_is_logged(folder):
    database = folder / "attendance.sqlite"
    stack = Stack(env={"DATABASE": str(database)})
    try:
        acknowledged = post_beats(stack, range(NOW - 500, NOW - 450))
        os.unlink(f"{database}-wal")
        acknowledged |= post_beats(stack, range(NOW - 400, NOW - 350))
        time.sleep(10.5)
        acknowledged |= post_beats(stack, [NOW - 300])  # the look at the file comes with a request
        log = (stack.data_dir / "responder.log").read_text()
        assert "write-ahead log (-wal) was deleted while open" in log, log[-2000:]
        acknowledged |= post_beats(stack, range(NOW - 200, NOW - 150))
        os.kill(stack.responder_pid(), signal.SIGKILL)
        time.sleep(0.5)
        assert acknowledged <= heartbeats(database)
    finally:
        stack.stop()


def test_a_file_that_cannot_be_written_while_serving_is_said_and_refused_until_it_can(folder):
    database = folder / "attendance.sqlite"
    stack = Stack(env={"DATABASE": str(database)})
    try:
        acknowledged = post_beats(stack, range(NOW - 500, NOW - 490))
        subprocess.run(["chattr", "+i", str(database)], check=True)
        try:
            time.sleep(10.5)
            refused = stack.heartbeat(json.dumps({"timestamp": stamp(NOW - 100), "host": "after"}))
            assert refused.status_code == 503 and "cannot be written" in refused.json()["error"]
            assert requests.get(stack.url + "/api/settings").status_code == 200
            log = (stack.data_dir / "responder.log").read_text()
            assert "cannot be written any more" in log, log[-2000:]
        finally:
            subprocess.run(["chattr", "-i", str(database)], check=True)
        time.sleep(5.2)
        acknowledged |= post_beats(stack, range(NOW - 90, NOW - 80))
        assert acknowledged <= heartbeats(database)
    finally:
        stack.stop()
