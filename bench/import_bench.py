#!/usr/bin/env python3
"""ActivityWatch import of one year (about 60,000 events) against posting the same minutes
as heartbeat batches of 10,000, each into a fresh stack (nginx + the responder, started
by scripts/serve) in the same run, and the import's peak responder RSS (VmHWM of a
responder that did nothing else). A section of stack_bench.py; runs alone too:

usage: import_bench.py RESPONDER_BINARY"""
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-import-token"


def year_of_events(seed=2024):
    """Alternating not-afk / afk events over the weekdays of 2024 (work hours) and long afk
    events at night and on weekends, at fractional seconds, as aw-watcher-afk writes them."""
    rng = random.Random(seed)
    events = []
    t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    end = datetime(2025, 1, 1, tzinfo=timezone.utc)
    while t < end:
        if t.weekday() < 5 and 7 <= t.hour < 17:
            duration = round(rng.uniform(20, 340), 6)
            status = "not-afk" if len(events) % 2 == 0 else "afk"
        else:
            duration, status = round(rng.uniform(600, 3600), 6), "afk"
        events.append({"id": len(events) + 1, "timestamp": t.isoformat(timespec="microseconds"), "duration": duration,
                       "data": {"status": status}})
        t += timedelta(seconds=duration)
    return events


def minutes_of(events):
    """SPEC §6's rule: the minutes m with timestamp ≤ 60·m < timestamp + duration."""
    minutes = []
    for event in events:
        if event["data"]["status"] != "not-afk":
            continue
        start = datetime.fromisoformat(event["timestamp"]).timestamp()
        m = math.ceil(start / 60)
        while 60 * m < start + event["duration"]:
            minutes.append(m)
            m += 1
    return minutes


class FreshStack:
    """scripts/serve with a new data dir on a free port."""

    def __init__(self, responder):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.data_dir = Path(tempfile.mkdtemp(prefix="attendance-import-bench-"))
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PORT=str(self.port), DATA_DIR=str(self.data_dir), BEARER_TOKEN=TOKEN, ATTENDANCE_FCGI=responder)
        self.log = open(self.data_dir / "serve.out", "w")
        self.process = subprocess.Popen([str(ROOT / "scripts/serve")], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        for _ in range(200):
            try:
                if requests.get(self.url + "/api/ping", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        requests.post(self.url + "/api/settings", json={"timezone": "UTC", "period_start": "2024-01-01"}, timeout=10)

    def vm_hwm_mb(self):
        pid = int((self.data_dir / "run/responder.pid").read_text())
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024

    def stop(self):
        os.kill(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)
        self.log.close()
        subprocess.run(["rm", "-rf", str(self.data_dir)], check=False)


def activitywatch_section(responder):
    events = year_of_events()
    minutes = minutes_of(events)
    document = json.dumps({"buckets": {"aw-watcher-afk_bench": {
        "id": "aw-watcher-afk_bench", "created": "2024-01-01T00:00:00.000000+00:00", "name": None, "type": "afkstatus",
        "client": "aw-watcher-afk", "hostname": "bench", "data": {}, "events": events}}}).encode()
    stamps = [datetime.fromtimestamp(m * 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for m in minutes]

    # The same minutes as heartbeat batches, each of 10,000, into a fresh database.
    batches = FreshStack(responder)
    try:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        bodies = [json.dumps({"heartbeats": [{"timestamp": s, "host": "bench"} for s in stamps[i:i + 10_000]]}).encode()
                  for i in range(0, len(stamps), 10_000)]
        started = time.monotonic()
        for body in bodies:
            response = session.post(batches.url + "/api/heartbeat", data=body, headers=headers, timeout=300)
            assert response.status_code == 200, response.text
        batch_seconds = time.monotonic() - started
        batch_rss = batches.vm_hwm_mb()
    finally:
        batches.stop()

    # The export, once, into another fresh database.
    imported = FreshStack(responder)
    try:
        started = time.monotonic()
        response = requests.post(imported.url + "/api/import/activitywatch", data=document,
                                 headers={"Content-Type": "application/json"}, timeout=600)
        import_seconds = time.monotonic() - started
        assert response.status_code == 200, response.text
        summary = response.json()
        assert summary["added"] == len(set(minutes)), (summary, len(set(minutes)))
        import_rss = imported.vm_hwm_mb()
        started = time.monotonic()
        again = requests.post(imported.url + "/api/import/activitywatch", data=document, timeout=600).json()
        again_seconds = time.monotonic() - started
        assert again["added"] == 0
    finally:
        imported.stop()

    ratio = import_seconds / batch_seconds
    print("\n== ActivityWatch import: one year vs the same minutes as heartbeat batches (fresh database each) ==")
    rows = [["export", f"{len(events)} events, {len(document) / 1e6:.1f} MB, {len(minutes)} minutes"],
            ["heartbeat batches of 10,000", f"{batch_seconds:.2f} s ({len(bodies)} requests), responder VmHWM {batch_rss:.1f} MB"],
            ["ActivityWatch import", f"{import_seconds:.2f} s, responder VmHWM {import_rss:.1f} MB"],
            ["the same import again (all duplicates)", f"{again_seconds:.2f} s"]]
    width = max(len(r[0]) for r in rows)
    for what, value in rows:
        print(f"{what.ljust(width)}  {value}")
    print(f"import / batches: {ratio:.2f} (goal: <= 2, same run); import peak RSS: {import_rss:.1f} MB (goal: <= 40)")
    return {"aw_events": len(events), "aw_import_s": round(import_seconds, 2), "aw_batches_s": round(batch_seconds, 2),
            "aw_import_ratio": round(ratio, 2), "aw_import_rss_mb": round(import_rss, 1)}


if __name__ == "__main__":
    figures = activitywatch_section(sys.argv[1])
    print("\n" + " ".join(f"{key}={value}" for key, value in figures.items()))
