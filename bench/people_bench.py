#!/usr/bin/env python3
"""Several people on one server (bench/run calls it): 50 people with a year of history
each behind nginx, 50 agents posting at once next to the no-op route, one person's
dashboard next to a one-person server with the same year (same run, in turns), and the
responder's peak RSS after every person's dashboard was read once.

usage: people_bench.py RESPONDER_BINARY   (prints a table and, last, key=value results)"""
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESPONDER = sys.argv[1]
PEOPLE = 50
PASSWORD = "bench pass"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """scripts/serve on a data dir of its own."""

    def __init__(self, data_dir, token, logins=None):
        self.data_dir, self.port = Path(data_dir), free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PORT=str(self.port), DATA_DIR=str(data_dir), BEARER_TOKEN=token, ATTENDANCE_FCGI=RESPONDER)
        if logins:
            env["HTPASSWD"] = str(logins)
        self.log = open(Path(data_dir) / "serve.out", "w")
        self.process = subprocess.Popen([str(ROOT / "scripts/serve")], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        for _ in range(200):
            try:
                requests.get(self.url + "/api/ping", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise SystemExit("people bench: the stack did not come up")

    def person(self, *args):
        return subprocess.run([RESPONDER, "person", *args, "--database", str(self.data_dir / "attendance.sqlite")],
                              capture_output=True, text=True, check=True).stdout

    def peak_rss_mb(self):
        pid = int((self.data_dir / "run/responder.pid").read_text())
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)
        self.log.close()


def a_year(token, url):
    """8 h (09:00–17:00 UTC) on every weekday of the last year, by the batch API."""
    today = datetime.now(timezone.utc).date()
    day, batch = today - timedelta(days=365), []
    session = requests.Session()
    while day < today:
        if day.weekday() < 5:
            start = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)
            batch += [{"timestamp": (start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ"), "host": "history"} for m in range(480)]
        if len(batch) >= 9000 or day == today - timedelta(days=1):
            session.post(url + "/api/heartbeat", json={"heartbeats": batch}, headers={"Authorization": f"Bearer {token}"},
                         timeout=120).raise_for_status()
            batch = []
        day += timedelta(days=1)
    return today - timedelta(days=365)


def wrk(url, path, seconds, connections, script=None, env=None, auth=None):
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(HERE / script)]
    if auth:
        import base64
        command += ["-H", "Authorization: Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()]
    out = subprocess.run(command + [url + path], capture_output=True, text=True, check=True, env=dict(os.environ, **(env or {}))).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p50_ms = float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    return rate, p50_ms, int(bad.group(1)) if bad else 0


def main():
    scratch = Path(tempfile.mkdtemp(prefix="attendance-people-bench-"))
    try:
        logins = scratch / "htpasswd"
        names = [f"p{n:02d}" for n in range(PEOPLE)]
        # apr1 (MD5) logins: what a login costs nginx per request stays small beside a page
        # (bcrypt, htpasswd -B, costs a few ms per request and is what a real server should use).
        for index, name in enumerate(["owner"] + names):
            subprocess.run(["htpasswd", "-bm" + ("c" if index == 0 else ""), str(logins), name, PASSWORD], check=True,
                           capture_output=True)
        many = Served(scratch / "many", "owner-token", logins)
        tokens = {name: many.person("add", name).strip().splitlines()[-1] for name in names}
        started = time.time()
        first_day = a_year(tokens["p00"], many.url)
        # Everyone gets the same year: p00's file copied into theirs before the responder opened them.
        source = many.data_dir / "attendance.people/p00.sqlite"
        with sqlite3.connect(source) as db:
            for name in names[1:]:
                with sqlite3.connect(many.data_dir / f"attendance.people/{name}.sqlite") as target:
                    db.backup(target)
        loaded = time.time() - started
        for name in names:
            requests.post(many.url + "/api/settings", json={"period_start": first_day.isoformat(), "timezone": "UTC"},
                          auth=(name, PASSWORD), timeout=30).raise_for_status()
        # A one-person server with the same year, for the dashboard.
        (scratch / "one").mkdir()  # (the copy goes in before the server starts)
        shutil.copyfile(source, scratch / "one/attendance.sqlite")
        one = Served(scratch / "one", "one-token")
        requests.post(one.url + "/api/settings", json={"period_start": first_day.isoformat(), "timezone": "UTC"}).raise_for_status()

        # Every person's dashboard read once, then the responder's peak memory.
        for name in names + ["owner"]:
            assert requests.get(many.url + "/dashboard", auth=(name, PASSWORD), timeout=60).status_code == 200
        peak = many.peak_rss_mb()

        # 50 agents posting at once (50 connections, each request another person's token) next to the no-op.
        token_list = ",".join(tokens[name] for name in names)
        ingest = wrk(many.url, "/api/heartbeat", 10, PEOPLE, "heartbeat.lua", env={"BENCH_TOKENS": token_list})
        noop = wrk(many.url, "/api/ping", 10, PEOPLE, auth=("p00", PASSWORD))
        # The same 50 connections all under one person's token: what 50 databases cost beside one.
        one_person = wrk(many.url, "/api/heartbeat", 10, PEOPLE, "heartbeat.lua", env={"BENCH_TOKENS": tokens["p00"], "BENCH_START": "25000000"})
        assert ingest[2] == 0 and noop[2] == 0, (ingest, noop)

        # One person's dashboard, and the one-person server's, in turns.
        runs = {"many": [], "one": []}
        for which in ("many", "one", "many", "one"):
            if which == "many":
                runs[which].append(wrk(many.url, "/dashboard", 5, 1, auth=("p07", PASSWORD)))
            else:
                runs[which].append(wrk(one.url, "/dashboard", 5, 1))
        dashboard_many = sum(run[1] for run in runs["many"]) / 2
        dashboard_one = sum(run[1] for run in runs["one"]) / 2
        one.stop()
        many.stop()

        print(f"\n== several people: {PEOPLE} people with a year each (loaded in {loaded:.0f} s) ==")
        print(f"POST /api/heartbeat, {PEOPLE} agents at once   {ingest[0]:8.0f} req/s  p50 {ingest[1]:.2f} ms")
        print(f"GET /api/ping (no-op, with a login)       {noop[0]:8.0f} req/s  p50 {noop[1]:.2f} ms")
        print(f"POST /api/heartbeat, 50 connections, one person's token  {one_person[0]:8.0f} req/s  p50 {one_person[1]:.2f} ms")
        print(f"ingest / no-op: {ingest[0] / noop[0]:.2f} (goal: >= 0.60, same run)")
        print(f"one person's dashboard p50 {dashboard_many:.2f} ms vs a one-person server {dashboard_one:.2f} ms: "
              f"{dashboard_many / dashboard_one:.2f}x (goal: <= 1.2x, same run)")
        print(f"responder peak RSS after every dashboard once: {peak:.1f} MB (goal: <= 64 MB)")
        print(" ".join(f"{key}={value}" for key, value in {
            "people_ingest_rps": round(ingest[0]), "people_noop_rps": round(noop[0]),
            "people_ingest_noop_ratio": round(ingest[0] / noop[0], 2), "people_one_token_rps": round(one_person[0]),
            "people_dashboard_ratio": round(dashboard_many / dashboard_one, 2),
            "people_peak_rss_mb": round(peak, 1)}.items()))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
