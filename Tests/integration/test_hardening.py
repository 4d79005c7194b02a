"""Several writers at once, and an online backup while heartbeats flow."""
import sqlite3
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import requests

from conftest import Stack


def test_concurrent_writers_never_see_a_500_or_a_locked_database():
    stack = Stack()
    problems, counts = [], {"heartbeat": 0, "correction": 0, "settings": 0, "holiday": 0}
    lock = threading.Lock()
    stop = time.monotonic() + 6

    def record(kind, response):
        with lock:
            counts[kind] += 1
            if response.status_code >= 500 or "locked" in response.text:
                problems.append((kind, response.status_code, response.text[:200]))

    def heartbeats(worker):
        session, n = requests.Session(), 0
        while time.monotonic() < stop:
            start = datetime(2023, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=worker * 100_000 + n * 100)
            beats = [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": f"w{worker}"} for m in range(100)]
            record("heartbeat", session.post(stack.url + "/api/heartbeat", json={"heartbeats": beats},
                                             headers={"Authorization": f"Bearer {stack.token}"}))
            n += 1

    def corrections():
        session, n = requests.Session(), 0
        while time.monotonic() < stop:
            day = (datetime(2023, 1, 1) + timedelta(days=n % 300)).date().isoformat()
            record("correction", session.post(stack.url + "/api/corrections", json={"date": day, "minutes": n % 600}))
            n += 1

    def settings():
        session, zones = requests.Session(), ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]
        n = 0
        while time.monotonic() < stop:  # each change re-buckets the whole history in one transaction
            record("settings", session.post(stack.url + "/api/settings", json={"timezone": zones[n % 4]}))
            n += 1
            time.sleep(0.05)

    def holidays():
        session, n = requests.Session(), 0
        while time.monotonic() < stop:
            day = (datetime(2023, 6, 1) + timedelta(days=n % 50)).date().isoformat()
            record("holiday", session.post(stack.url + "/api/holidays", json={"date": day, "name": f"h{n}"}))
            record("holiday", session.get(stack.url + f"/api/days?from=2023-01-01&to=2023-12-31"))
            n += 1

    def rebuild_from_another_process():
        while time.monotonic() < stop:
            subprocess.run([stack.binary, "rebuild-cache", "--database", str(stack.data_dir / "attendance.sqlite")],
                           check=True, timeout=30, capture_output=True)
            time.sleep(0.2)

    try:
        workers = [threading.Thread(target=heartbeats, args=(w,)) for w in range(3)]
        workers += [threading.Thread(target=f) for f in (corrections, settings, holidays, rebuild_from_another_process)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert problems == []
        assert all(count > 3 for count in counts.values()), counts
        cached = stack.query("SELECT SUM(minutes) FROM daily_attendance")[0][0]
        assert cached == stack.query("SELECT COUNT(DISTINCT minute) FROM heartbeat")[0][0]
    finally:
        stack.stop()


def test_online_backup_while_heartbeats_flow(tmp_path):
    stack = Stack()
    stop = threading.Event()
    sent = [0]

    def load():
        session, n = requests.Session(), 0
        while not stop.is_set():
            start = datetime(2022, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n * 50)
            beats = [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "live"} for m in range(50)]
            response = session.post(stack.url + "/api/heartbeat", json={"heartbeats": beats},
                                    headers={"Authorization": f"Bearer {stack.token}"})
            assert response.status_code == 200
            sent[0] += 50
            n += 1

    try:
        writer = threading.Thread(target=load)
        writer.start()
        time.sleep(1)
        backup = tmp_path / "backup.sqlite"
        before = sent[0]
        subprocess.run(["sqlite3", str(stack.data_dir / "attendance.sqlite"), f".backup '{backup}'"], check=True, timeout=60)
        after = sent[0]
        time.sleep(0.5)
        stop.set()
        writer.join()
        with sqlite3.connect(backup) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = db.execute("SELECT COUNT(*) FROM heartbeat").fetchone()[0]
            assert before <= rows <= after + 50
            # A consistent snapshot: the cache matches the heartbeats it holds.
            cached = db.execute("SELECT COALESCE(SUM(minutes), 0) FROM daily_attendance").fetchone()[0]
            assert cached == db.execute("SELECT COUNT(DISTINCT minute) FROM heartbeat").fetchone()[0]
        # The live database kept everything that was acknowledged.
        assert stack.query("SELECT COUNT(*) FROM heartbeat WHERE host = 'live'")[0][0] == sent[0]
    finally:
        stop.set()
        stack.stop()
