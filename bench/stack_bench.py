#!/usr/bin/env python3
"""The stack's numbers, measured against a running nginx + attendance-fcgi (bench/run
starts them): heartbeat ingest next to a no-op route, the dashboard and a year of
/api/days with 1 and 10 years of history, heartbeat latency while 8 clients load the
largest page, the responder's memory, a cold start, and an ActivityWatch import of a
year against the same minutes as heartbeat batches (import_bench.py).

usage: stack_bench.py URL TOKEN DATA_DIR RESPONDER_BINARY [BASELINE_URL]

BASELINE_URL: the same stack running the responder from before the day fields
(bench/baseline), given the same history; a year of /api/days is timed on both, in turn."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests

URL, TOKEN, DATA_DIR, RESPONDER = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
BASELINE_URL = sys.argv[5] if len(sys.argv) > 5 else None
HERE = Path(__file__).resolve().parent
results = {}


def wrk(path, seconds, threads, connections, script=None, url=URL):
    """req/s, p50 ms, p99 ms and non-2xx count of one wrk run."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(HERE / script)]
    out = subprocess.run(command + [url + path], capture_output=True, text=True, check=True,
                         env=dict(os.environ, BENCH_TOKEN=TOKEN)).stdout

    def latency(label):
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, latency(50), latency(99), int(bad.group(1)) if bad else 0


def responder_pid():
    return int((DATA_DIR / "run/responder.pid").read_text())


def rss_mb(field):
    status = Path(f"/proc/{responder_pid()}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) / 1024


def load_years(first_day, last_day, url=URL):
    """8 h (09:00–17:00 UTC) on every weekday of [first_day, last_day], by the batch API."""
    batch, day, sent = [], first_day, 0
    session = requests.Session()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def flush():
        response = session.post(url + "/api/heartbeat", json={"heartbeats": batch}, headers=headers, timeout=120)
        assert response.status_code == 200, response.text

    while day <= last_day:
        if day.weekday() < 5:
            start = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)
            for minute in range(480):
                batch.append({"timestamp": (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "host": "history"})
                if len(batch) == 10_000:
                    flush()
                    sent += len(batch)
                    batch = []
        day += timedelta(days=1)
    if batch:
        flush()
        sent += len(batch)
    return sent


def table(title, header, rows):
    print(f"\n== {title} ==")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for row in [header] + rows:
        print("  ".join(str(cell).rjust(width) if i else str(cell).ljust(width) for i, (cell, width) in enumerate(zip(row, widths))))


# -- ingest next to a no-op through the same nginx and responder
ingest = wrk("/api/heartbeat", 10, 2, 16, "heartbeat.lua")
noop = wrk("/api/ping", 10, 2, 16)
table("requests through nginx (wrk -t2 -c16, 10 s each)", ["route", "req/s", "p50 ms", "p99 ms", "non-2xx"], [
    ["POST /api/heartbeat (new minute each)", f"{ingest[0]:.0f}", f"{ingest[1]:.2f}", f"{ingest[2]:.2f}", ingest[3]],
    ["GET /api/ping (no-op)", f"{noop[0]:.0f}", f"{noop[1]:.2f}", f"{noop[2]:.2f}", noop[3]],
])
ingest_ratio = ingest[0] / noop[0]
print(f"ingest / no-op: {ingest_ratio:.2f} (goal: >= 0.60, same run)")
print("goal: ingest >= 5000 req/s, p99 <= 10 ms")
results.update(ingest_rps=round(ingest[0]), ingest_p99_ms=ingest[2], noop_rps=round(noop[0]), noop_p99_ms=noop[2],
               ingest_noop_ratio=round(ingest_ratio, 2))

# -- pages and a year of days, with 1 and then 10 years of history
today = datetime.now(timezone.utc).date()
year_ago = today - timedelta(days=365)
rows = []
for years in (1, 10):
    first = today - timedelta(days=365 * years)
    started = time.time()
    last = today - timedelta(days=1) if years == 1 else year_ago - timedelta(days=1)
    loaded = 0
    for url in [URL] + ([BASELINE_URL] if BASELINE_URL else []):
        loaded = load_years(first, last, url)
        requests.post(url + "/api/settings", json={"period_start": first.isoformat(), "timezone": "UTC"}).raise_for_status()
    load_seconds = time.time() - started
    for label, path in (("GET /dashboard", "/dashboard"),
                        ("GET /api/days (a year)", f"/api/days?from={year_ago}&to={today}")):
        key = "dashboard" if "dashboard" in path else "days"
        if BASELINE_URL:
            # now, before, now, before: the two responders take turns on the same machine
            runs = {URL: [], BASELINE_URL: []}
            for url in [URL, BASELINE_URL, URL, BASELINE_URL]:
                runs[url].append(wrk(path, 5, 1, 1, url=url))
            before = " before the day fields" if key == "days" else " of the baseline (Chart.js data)"
            for url, name in ((URL, label), (BASELINE_URL, label + before)):
                assert all(run[3] == 0 for run in runs[url]), f"{url}{path} answered errors"
                rate, p50, p99 = (sum(run[i] for run in runs[url]) / 2 for i in range(3))
                rows.append([f"{name}, {years} y of history", f"{p50:.2f}", f"{p99:.2f}", f"{rate:.0f}"])
                results[f"{key}{'' if url == URL else '_before'}_{years}y_p50_ms"] = round(p50, 2)
                if url == URL:
                    results[f"{key}_{years}y_p99_ms"] = round(p99, 2)
            continue
        rate, p50, p99, bad = wrk(path, 5, 1, 1)
        assert bad == 0, f"{path} answered errors"
        rows.append([f"{label}, {years} y of history", f"{p50:.2f}", f"{p99:.2f}", f"{rate:.0f}"])
        results[f"{key}_{years}y_p50_ms"] = p50
        results[f"{key}_{years}y_p99_ms"] = p99
    print(f"(loaded {loaded} heartbeats for {years} y in {load_seconds:.0f} s)")

# The same 10 years with a policy that changed: 40 schedule versions, 300 holidays and
# 1,000 corrections spread over the history, each stored through the API.
first = today - timedelta(days=3650)
session = requests.Session()
for n in range(40):
    valid_from = first + timedelta(days=n * 91 + 1)
    minutes = {day: 420 + (n * 7 + i * 13) % 120 for i, day in enumerate(["mon", "tue", "wed", "thu", "fri"])}
    session.post(URL + "/api/schedules", json={"valid_from": valid_from.isoformat(), "minutes": minutes}).raise_for_status()
for n in range(300):
    session.post(URL + "/api/holidays", json={"date": (first + timedelta(days=n * 12 + 3)).isoformat(),
                                             "name": f"Holiday {n}"}).raise_for_status()
for n in range(1000):
    session.post(URL + "/api/corrections", json={"date": (first + timedelta(days=n * 3 + 1)).isoformat(),
                                                "minutes": 300 + n % 200, "note": f"correction {n}"}).raise_for_status()
def time_reads(history, suffix):
    """The dashboard and a year of /api/days on the history as it is now: one row each,
    and their medians as results `dashboard_{suffix}_p50_ms` and `days_{suffix}_p50_ms`."""
    for label, path in (("GET /dashboard", "/dashboard"), ("GET /api/days (a year)", f"/api/days?from={year_ago}&to={today}")):
        rate, p50, p99, bad = wrk(path, 5, 1, 1)
        assert bad == 0, f"{path} answered errors"
        rows.append([f"{label}, {history}", f"{p50:.2f}", f"{p99:.2f}", f"{rate:.0f}"])
        results[f"{'dashboard' if 'dashboard' in path else 'days'}_{suffix}_p50_ms"] = p50


time_reads("10 y + 40 versions, 300 holidays, 1000 corrections", "10y_policy")

# The same 10 years plus 2,000 entries over them (a third overlapping the heartbeats'
# 09:00–17:00, the rest in the evening or on weekends), each stored through the API.
def timed(call, count):
    """The median seconds of `count` calls of `call(n)`."""
    spent = []
    for n in range(count):
        started = time.perf_counter()
        call(n)
        spent.append(time.perf_counter() - started)
    return sorted(spent)[count // 2]


for n in range(2000):
    day = first + timedelta(days=n * 1.8 + 0.5)
    start = datetime(day.year, day.month, day.day, 16 if n % 3 == 0 else 18, 0, tzinfo=timezone.utc)
    session.post(URL + "/api/entries", json={"start": start.isoformat(), "end": (start + timedelta(minutes=90)).isoformat(),
                                            "note": f"entry {n}"}).raise_for_status()
time_reads("the same + 2000 entries", "10y_entries")
# One change on the 10-year database: a correction, against adding and removing an entry
# (each must recount only its own dates).
old = first + timedelta(days=1500)
correction = timed(lambda n: session.post(URL + "/api/corrections", json={
    "date": (old + timedelta(days=n)).isoformat(), "minutes": 400}).raise_for_status(), 41)
added = []
def add_entry(n):
    start = datetime(old.year, old.month, old.day, 10, 0, tzinfo=timezone.utc) + timedelta(days=n)
    response = session.post(URL + "/api/entries", json={"start": start.isoformat(), "end": (start + timedelta(minutes=60)).isoformat()})
    response.raise_for_status()
    added.append(response.json()["id"])
entry_add = timed(add_entry, 41)
entry_remove = timed(lambda n: session.delete(URL + f"/api/entries/{added[n]}").raise_for_status(), 41)
results.update(correction_ms=round(correction * 1000, 2), entry_add_ms=round(entry_add * 1000, 2),
               entry_remove_ms=round(entry_remove * 1000, 2))
table("reading through nginx (wrk -t1 -c1, 5 s each)", ["request", "median ms", "p99 ms", "req/s"], rows)
table("one change on the 10-year database (median of 41, through nginx)", ["change", "median ms"], [
    ["POST /api/corrections", f"{correction * 1000:.2f}"], ["POST /api/entries", f"{entry_add * 1000:.2f}"],
    ["DELETE /api/entries/{id}", f"{entry_remove * 1000:.2f}"]])

# -- heartbeats while pages load: one client sending heartbeats, alone and then while 8
# clients load the largest days page (/corrections, a full year) on the same 10 years.
# For reference, the same 8 clients fetching a static file: nginx and the load generator
# alone keep both cores busy, the responder is idle. That is the floor any load sets here.
heavy = f"/corrections?from={year_ago}&to={today}"
page_alone = wrk(heavy, 5, 1, 1)
alone = wrk("/api/heartbeat", 5, 1, 1, "heartbeat.lua")


def heartbeats_while(path):
    """Heartbeat figures while 8 clients load `path`, and those clients' req/s."""
    load = subprocess.Popen(["wrk", "-t2", "-c8", "-d8s", "--latency", URL + path], stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)  # the 8 clients are under way
    during = wrk("/api/heartbeat", 5, 1, 1, "heartbeat.lua")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", load.communicate()[0]).group(1))
    return during, rate


loaded, page_rate = heartbeats_while(heavy)
static, static_rate = heartbeats_while("/static/style.css")
assert alone[3] == 0 and loaded[3] == 0 and page_alone[3] == 0 and static[3] == 0, "heartbeats or pages answered errors"
starve = loaded[2] / alone[2]
table("heartbeats while pages load (heartbeats: wrk -t1 -c1, 5 s; pages: wrk -t2 -c8)",
      ["what", "median ms", "p99 ms", "req/s"], [
    [f"GET {heavy.split('?')[0]} (a year of days, 10 y of history), alone", f"{page_alone[1]:.2f}", f"{page_alone[2]:.2f}",
     f"{page_alone[0]:.0f}"],
    ["POST /api/heartbeat, nothing else running", f"{alone[1]:.2f}", f"{alone[2]:.2f}", f"{alone[0]:.0f}"],
    ["POST /api/heartbeat, 8 clients loading that page", f"{loaded[1]:.2f}", f"{loaded[2]:.2f}", f"{loaded[0]:.0f}"],
    ["(the 8 page clients meanwhile)", "", "", f"{page_rate:.0f}"],
    ["POST /api/heartbeat, 8 clients fetching a static file instead", f"{static[1]:.2f}", f"{static[2]:.2f}", f"{static[0]:.0f}"],
    ["(the 8 static clients meanwhile)", "", "", f"{static_rate:.0f}"],
])
print(f"heartbeat p99 with 8 page clients / alone: {starve:.2f} (goal: <= 5, same run); "
      f"/ with 8 static-file clients: {loaded[2] / static[2]:.2f}")
results.update(corrections_year_p50_ms=page_alone[1], heartbeat_alone_p99_ms=alone[2],
               heartbeat_under_pages_p99_ms=loaded[2], heartbeat_under_static_p99_ms=static[2],
               heartbeat_under_pages_ratio=round(starve, 2), heartbeat_pages_static_ratio=round(loaded[2] / static[2], 2))
ratio = results["dashboard_10y_p50_ms"] / results["dashboard_1y_p50_ms"]
results["dashboard_10y_1y_ratio"] = round(ratio, 2)
print(f"dashboard 10 y / 1 y median: {ratio:.2f} (goal: median <= 2 ms at 10 y, ratio <= 1.5)")
if BASELINE_URL:
    for years in (1, 10):
        before = results[f"days_{years}y_p50_ms"] / results[f"days_before_{years}y_p50_ms"]
        results[f"days_fields_{years}y_ratio"] = round(before, 2)
        print(f"a year of /api/days with first start, last end, breaks / before them, {years} y median: {before:.2f} (goal: <= 1.2)")
        svg = results[f"dashboard_{years}y_p50_ms"] / results[f"dashboard_before_{years}y_p50_ms"]
        results[f"dashboard_svg_{years}y_ratio"] = round(svg, 2)
        print(f"/dashboard drawing its charts as SVG / the baseline's sending their data for Chart.js, {years} y median: "
              f"{svg:.2f} (goal: <= 1.3; the baseline also lacks every later feature)")
for key in ("dashboard", "days"):
    policy_ratio = results[f"{key}_10y_policy_p50_ms"] / results[f"{key}_10y_p50_ms"]
    results[f"{key}_policy_ratio"] = round(policy_ratio, 2)
    print(f"{key}: with 40 versions, 300 holidays, 1000 corrections / without, 10 y median: {policy_ratio:.2f} (goal: <= 1.5)")

for key in ("dashboard", "days"):
    entries_ratio = results[f"{key}_10y_entries_p50_ms"] / results[f"{key}_10y_policy_p50_ms"]
    results[f"{key}_entries_ratio"] = round(entries_ratio, 2)
    print(f"{key}: with 2000 entries / without, 10 y median: {entries_ratio:.2f} (goal: <= 1.5)")
for change in ("entry_add", "entry_remove"):
    results[f"{change}_correction_ratio"] = round(results[f"{change}_ms"] / results["correction_ms"], 2)
    print(f"{change.replace('_', ' ')} / one correction, median: {results[f'{change}_correction_ratio']:.2f} (goal: < 5)")

# -- working-time rules: a version from a year ago with "de" against the same version
# with "none", in turn (none, de, none, de), on the same 10 years.
rules_version = {"valid_from": year_ago.isoformat(), "minutes": {d: 480 for d in ("mon", "tue", "wed", "thu", "fri")}}
rows = []
for turn, rules in enumerate(("none", "de", "none", "de")):
    session.post(URL + "/api/schedules", json=dict(rules_version, work_rules=rules)).raise_for_status()
    time_reads(f"10 y, work_rules {rules} for the last year", f"10y_rules_{rules}_{turn // 2}")
for key in ("dashboard", "days"):
    de = results[f"{key}_10y_rules_de_0_p50_ms"] + results[f"{key}_10y_rules_de_1_p50_ms"]
    none = results[f"{key}_10y_rules_none_0_p50_ms"] + results[f"{key}_10y_rules_none_1_p50_ms"]
    results[f"{key}_rules_ratio"] = round(de / none, 2)
table("working-time rules (wrk -t1 -c1, 5 s each)", ["request", "median ms", "p99 ms", "req/s"], rows)
for key in ("dashboard", "days"):
    print(f"{key}: work_rules de / none for the last year, 10 y median of two turns each: {results[f'{key}_rules_ratio']:.2f} (goal: <= 1.3)")
session.delete(URL + f"/api/schedules/{year_ago}").raise_for_status()

# -- signed months on the same 10 years: every month up to half a year ago signed (half
# of a year of /api/days frozen, half open), timed against the same history unsigned, in
# turn: unsigned, signed, unsigned again (each month reopened with a reason), signed again.
rows = []
months = []
month = date(first.year, first.month, 1)
half_year_ago = today - timedelta(days=182)
while (month.replace(day=28) + timedelta(days=4)).replace(day=1) <= half_year_ago:
    months.append(f"{month:%Y-%m}")
    month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
sign_times = []


def sign_all():
    for name in months:
        started = time.perf_counter()
        session.post(URL + f"/api/months/{name}/sign").raise_for_status()
        sign_times.append(time.perf_counter() - started)


def unsign_all():
    for name in reversed(months):
        session.post(URL + f"/api/months/{name}/unsign", json={"reason": "timing the same history unsigned"}).raise_for_status()


time_reads("10 y, no month signed", "10y_unsigned_a")
sign_all()
time_reads(f"10 y, {len(months)} months signed", "10y_signed_a")
unsign_all()
time_reads("10 y, no month signed (again)", "10y_unsigned_b")
sign_all()
time_reads(f"10 y, {len(months)} months signed (again)", "10y_signed_b")
started = time.perf_counter()
verified = subprocess.run([RESPONDER, "verify", "--database", str(DATA_DIR / "attendance.sqlite")], capture_output=True, text=True)
verify_seconds = time.perf_counter() - started
assert verified.returncode == 0, verified.stdout + verified.stderr
sign_ms = sorted(sign_times)[len(sign_times) // 2] * 1000
table("signed months (wrk -t1 -c1, 5 s each; signing and verify through the real stack)",
      ["what", "median ms", "p99 ms", "req/s"], rows + [
    [f"POST /api/months/M/sign, median of {len(sign_times)}", f"{sign_ms:.2f}", "", ""],
    [f"attendance-fcgi verify, {len(months)} months", f"{verify_seconds * 1000:.0f}", "", ""]])
for key in ("dashboard", "days"):
    signed = results[f"{key}_10y_signed_a_p50_ms"] + results[f"{key}_10y_signed_b_p50_ms"]
    unsigned = results[f"{key}_10y_unsigned_a_p50_ms"] + results[f"{key}_10y_unsigned_b_p50_ms"]
    results[f"{key}_signed_ratio"] = round(signed / unsigned, 2)
    print(f"{key}: {len(months)} months signed / none, 10 y median of two turns each: {signed / unsigned:.2f} (goal: <= 1.2)")
results.update(signed_months=len(months), sign_ms=round(sign_ms, 2), verify_ms=round(verify_seconds * 1000, 1))
print(f"signing one month, median: {sign_ms:.1f} ms (goal: < 50); verify of {len(months)} months: "
      f"{verify_seconds:.2f} s (goal: < 2)")

# -- backups of the same 10 years (signed months and all), in turn: sqlite3's .backup of
# the file, then attendance-fcgi backup (the snapshot and its checks: integrity_check, the
# cache recounted, every digest), three times each; medians.
def timed_run(command):
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


database_file = DATA_DIR / "attendance.sqlite"
with tempfile.TemporaryDirectory(dir=DATA_DIR) as scratch:
    plain, checked = [], []
    for turn in range(3):
        plain.append(timed_run(["sqlite3", str(database_file), f".backup '{scratch}/plain-{turn}.sqlite'"]))
        checked.append(timed_run([RESPONDER, "backup", "--database", str(database_file), "--to", f"{scratch}/backups", "--keep", "1"]))
        time.sleep(1.05)  # one backup name per second
    size_mb = database_file.stat().st_size / 1e6
    # Where the time goes: the same checks one by one on the last plain copy.
    copy = f"{scratch}/plain-2.sqlite"
    integrity_s = timed_run(["sqlite3", copy, "PRAGMA integrity_check"])
    verify_s = timed_run([RESPONDER, "verify", "--database", copy])
    recount_s = timed_run([RESPONDER, "rebuild-cache", "--database", copy])
plain_s, checked_s = sorted(plain)[1], sorted(checked)[1]
results.update(backup_sqlite3_s=round(plain_s, 2), backup_checked_s=round(checked_s, 2), backup_ratio=round(checked_s / plain_s, 2),
               backup_sqlite3_checked_s=round(plain_s + integrity_s, 2))
table(f"backup of the 10-year database ({size_mb:.0f} MB), median of 3 each, in turn", ["what", "seconds"], [
    ["sqlite3 .backup", f"{plain_s:.2f}"],
    ["attendance-fcgi backup (online backup + integrity_check beside cache recount + digests)", f"{checked_s:.2f}"],
    ["  of which alone: integrity_check of the copy (sqlite3)", f"{integrity_s:.2f}"],
    ["  of which alone: verify of the signed months", f"{verify_s:.2f}"],
    ["  of which alone: the cache recounted (rebuild-cache, writing it too)", f"{recount_s:.2f}"],
])
print(f"backup / sqlite3 .backup: {checked_s / plain_s:.2f} (goal: <= 1.5); "
      f"/ sqlite3 .backup + its integrity_check: {checked_s / (plain_s + integrity_s):.2f}")

# -- memory and a cold start
results["responder_max_rss_mb"] = round(rss_mb("VmHWM"), 1)
with tempfile.TemporaryDirectory() as scratch:
    socket_path = f"{scratch}/cold.sock"
    started = time.monotonic()
    process = subprocess.Popen([RESPONDER, "serve", "--listen", f"unix:{socket_path}", "--database", f"{scratch}/cold.sqlite",
                                "--templates", str(HERE.parent / "templates")], stderr=subprocess.DEVNULL)
    env = dict(os.environ, REQUEST_METHOD="GET", REQUEST_URI="/api/ping", CONTENT_LENGTH="0")
    while True:
        answer = subprocess.run(["cgi-fcgi", "-bind", "-connect", socket_path], env=env, capture_output=True)
        if answer.stdout.startswith(b"Status: 200"):
            break
        time.sleep(0.002)
    cold = (time.monotonic() - started) * 1000
    process.terminate()
    process.wait()
results["cold_start_ms"] = round(cold, 1)
table("responder", ["what", "value"], [
    ["max RSS during the run (VmHWM)", f"{results['responder_max_rss_mb']} MB"],
    ["cold start to first answer (new database)", f"{cold:.0f} ms"],
])
print("goal: RSS <= 30 MB")

# -- ActivityWatch import of a year vs the same minutes as heartbeat batches (bench/import_bench.py)
sys.path.insert(0, str(HERE))
from import_bench import activitywatch_section  # noqa: E402

results.update(activitywatch_section(RESPONDER))
print("\n" + " ".join(f"{key}={value}" for key, value in results.items()))
