"""Imports from other tools (SPEC §6: POST /api/import/activitywatch, POST /api/import/csv)
and the bounded holiday import, through the real web servers and responder. The minutes
an ActivityWatch export gives are computed here from the spec's rule with exact
fractions, and the CSV entries with zoneinfo, never taken from the product."""
import json
import math
import os
import random
import socket
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import Stack

BERLIN = ZoneInfo("Europe/Berlin")


def api(stack, method, path, body=None, **kwargs):
    return requests.request(method, stack.url + path, json=body, timeout=120, **kwargs)


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def stack(request):
    running = Stack(web_server=request.param)
    assert api(running, "POST", "/api/settings", {"timezone": "Europe/Berlin", "period_start": "2025-01-01"}).status_code == 200
    # January 2025 is signed before anything is imported: its figures stay 0.
    assert api(running, "POST", "/api/months/2025-01/sign").status_code == 201
    yield running
    running.stop()


# MARK: ActivityWatch

def iso(instant):
    """ActivityWatch's own spelling: microseconds and +00:00."""
    return instant.astimezone(timezone.utc).isoformat(timespec="microseconds")


def afk_events(rng, start, days):
    """Alternating not-afk / afk events over `days` working days from `start`, at
    fractional seconds, so that events start and end inside minutes."""
    events = []
    for day in range(days):
        t = datetime(start.year, start.month, start.day, 7, tzinfo=timezone.utc) + timedelta(days=day, seconds=rng.uniform(0, 3600))
        for _ in range(rng.randint(4, 9)):
            duration = round(rng.uniform(1, 5400), 6)
            events.append({"id": len(events) + 1, "timestamp": iso(t), "duration": duration, "data": {"status": "not-afk"}})
            t += timedelta(seconds=duration)
            gap = round(rng.uniform(30, 2400), 3)
            events.append({"id": len(events) + 1, "timestamp": iso(t), "duration": gap, "data": {"status": "afk"}})
            t += timedelta(seconds=gap)
    return events


def rule_minutes(events):
    """SPEC §6: minute m when timestamp ≤ 60·m < timestamp + duration, in exact fractions."""
    minutes = set()
    for event in events:
        if event["data"]["status"] != "not-afk":
            continue
        moment = datetime.fromisoformat(event["timestamp"])
        start = Fraction(int(moment.timestamp())) + Fraction(moment.microsecond, 1_000_000)
        end = start + Fraction(str(event["duration"]))
        m = math.ceil(start / 60)
        while 60 * m < end:
            minutes.add(m)
            m += 1
    return minutes


def export_document(buckets):
    return {"buckets": {b["id"]: b for b in buckets}}


def afk_bucket(host, events):
    return {"id": f"aw-watcher-afk_{host}", "created": "2025-01-01T08:00:00.000000+00:00", "name": None, "type": "afkstatus",
            "client": "aw-watcher-afk", "hostname": host, "data": {}, "events": events}


def test_an_activitywatch_export_gives_exactly_the_rules_minutes(stack):
    rng = random.Random(24)
    laptop = afk_events(rng, date(2025, 3, 3), 10)
    desk = afk_events(rng, date(2025, 3, 5), 10)  # overlaps the laptop's days
    # A minute of the signed January: stored, counts for nothing there.
    january = [{"id": 999, "timestamp": "2025-01-15T09:00:00.000000+00:00", "duration": 600.0, "data": {"status": "not-afk"}}]
    window = {"id": "aw-watcher-window_desk", "type": "currentwindow", "hostname": "desk", "client": "aw-watcher-window",
              "created": "2025-01-01T08:00:00+00:00", "data": {},
              "events": [{"id": 1, "timestamp": "2025-03-05T08:00:00+00:00", "duration": 3600, "data": {"app": "vim", "title": "x" * 5000}}]}
    document = export_document([afk_bucket("laptop", laptop), afk_bucket("desk", desk + january), window])
    response = requests.post(stack.url + "/api/import/activitywatch", data=json.dumps(document),
                             headers={"Content-Type": "application/json"}, timeout=120)
    assert response.status_code == 200, response.text
    summary = response.json()

    expected = {(m, "laptop") for m in rule_minutes(laptop)} | {(m, "desk") for m in rule_minutes(desk + january)}
    stored = set(stack.query("SELECT minute, host FROM heartbeat"))
    assert stored == expected
    assert summary["added"] == len(expected) and summary["duplicates"] == 0
    assert summary["events"] == len(laptop) + len(desk) + 1 + 1
    reasons = {s["why"]: s["count"] for s in summary["skipped"]}
    assert any("currentwindow" in why and count == 1 for why, count in reasons.items())
    assert sum(count for why, count in reasons.items() if why.startswith("afk events")) == sum(
        1 for e in laptop + desk if e["data"]["status"] == "afk")
    assert len(response.content) < 4000  # the 5000-character title is not echoed

    # Recorded minutes per Berlin date: the union of both hosts (rule 1).
    by_date = defaultdict(set)
    for minute, _ in expected:
        by_date[datetime.fromtimestamp(minute * 60, BERLIN).date()].add(minute)
    days = {d["date"]: d for d in api(stack, "GET", "/api/days?from=2025-01-01&to=2025-03-31").json()}
    for day, row in days.items():
        want = 0 if day.startswith("2025-01") else len(by_date.get(date.fromisoformat(day), ()))
        assert row["recorded"] == want, day
    assert days["2025-01-15"]["frozen"] is True

    # The second time adds nothing.
    again = requests.post(stack.url + "/api/import/activitywatch", data=json.dumps(document), timeout=120).json()
    assert again["added"] == 0 and again["duplicates"] == len(expected)
    assert set(stack.query("SELECT minute, host FROM heartbeat")) == expected


@pytest.mark.parametrize("body,status", [
    (b"", 400), (b"{", 400), (b"[]", 422), (b'{"buckets": []}', 422),
    (b'{"buckets": {"a": {"type": "afkstatus", "hostname": "h", '
     b'"events": [{"timestamp": "2025-04-01T08:00:00Z", "duration": 600, "data": {"status": "not-afk"}}]}},}', 400),
    ("{\"buckets\": {\"a\": {\"hostname\": \"\xff\"}}}".encode("latin-1"), 400),
    (b'{"buckets": {"a": {"type": "afkstatus", "hostname": "h", "events": {}}}}', 422)])
def test_a_bad_document_stores_nothing(stack, body, status):
    """JSON that does not parse is 400, JSON of another shape 422; neither stores anything,
    even when valid events came before the fault."""
    before = stack.query("SELECT COUNT(*) FROM heartbeat")[0][0]
    response = requests.post(stack.url + "/api/import/activitywatch", data=body, timeout=30)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert stack.query("SELECT COUNT(*) FROM heartbeat")[0][0] == before


# MARK: Toggl and Clockify

def local(day, clock, fmt="%Y-%m-%d %H:%M:%S"):
    """A local time in Berlin as the product must read it: zoneinfo with fold=0 — in a
    spring-forward gap the offset before the change, in a fall-back hour the first."""
    return datetime.strptime(f"{day} {clock}", fmt).replace(tzinfo=BERLIN, fold=0)


TOGGL = [  # (date, start, end, description)
    ("2025-03-30", "01:30:00", "03:30:00", "Spring forward night"),   # 02:00–03:00 does not exist: 60 min
    ("2025-10-26", "02:10:00", "02:50:00", "Fall back, first 02:10"),  # the first of the two 02:xx: 40 min
    ("2025-04-02", "09:00:27", "12:15:59", "Design review, \"v2\""),  # seconds dropped: 09:00–12:15
    ("2025-04-03", "23:30:00", "01:15:00", "Across midnight"),        # ends the next day
    ("2025-01-20", "09:00:00", "10:00:00", "In the signed January"),  # skipped
    ("2025-04-04", "11:00:00", "10:00:00", "Ends before it starts"),  # skipped
]


def toggl_csv():
    lines = ["User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,Amount ()"]
    for day, start, end, note in TOGGL:
        end_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat() if note == "Across midnight" else day
        quoted = '"' + note.replace('"', '""') + '"'
        lines.append(f"Ann,ann@example.org,,Website,,{quoted},No,{day},{start},{end_day},{end},,,")
    return ("\n".join(lines) + "\n").encode()


def clockify_csv():
    header = ("Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,"
              "Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD)")
    rows = ["Site,,Planning,,Ann,,ann@example.org,,No,04/07/2025,08:45:00 AM,04/07/2025,01:05:00 PM,04:20:00,4.33,0,0",
            "Site,,Late call,,Ann,,ann@example.org,,No,04/08/2025,11:30:00 PM,04/09/2025,12:30:00 AM,01:00:00,1.00,0,0",
            "Site,,Spring gap,,Ann,,ann@example.org,,No,03/30/2025,02:30:00 AM,03/30/2025,04:00:00 AM,01:30:00,1.50,0,0"]
    return ("\ufeff" + header + "\r\n" + "\r\n".join(rows) + "\r\n").encode()


def entries(stack, first, last):
    return api(stack, "GET", f"/api/entries?from={first}&to={last}").json()


def test_toggl_and_clockify_exports_give_the_right_entries(stack):
    response = requests.post(stack.url + "/api/import/csv?timezone=Europe/Berlin", data=toggl_csv(),
                             headers={"Content-Type": "text/csv"}, timeout=60)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["added"] == 4 and summary["rows"] == 6
    reasons = " | ".join(s["why"] for s in summary["skipped"])
    assert "signed" in reasons and "not after" in reasons
    got = {e["note"]: e for e in entries(stack, "2025-03-01", "2025-10-31") if e["source"] == "import"}
    for day, start, end, note in TOGGL[:4]:
        begin = local(day, start).replace(second=0)
        end_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat() if note == "Across midnight" else day
        finish = local(end_day, end).replace(second=0)
        entry = got[note]
        # Instants compared as timestamps (PEP 495: an ambiguous time never equals one of another zone).
        assert datetime.fromisoformat(entry["start"]).timestamp() == begin.timestamp(), note
        assert datetime.fromisoformat(entry["end"]).timestamp() == finish.timestamp(), note
        assert entry["minutes"] == int(finish.timestamp() - begin.timestamp()) // 60, note  # real elapsed time
    assert got["Spring forward night"]["minutes"] == 60 and got["Fall back, first 02:10"]["minutes"] == 40
    assert got["Fall back, first 02:10"]["start"] == "2025-10-26T02:10:00+02:00"
    assert got["Spring forward night"]["end"] == "2025-03-30T03:30:00+02:00"
    assert not [e for e in entries(stack, "2025-01-01", "2025-01-31") if e["note"] == "In the signed January"]

    # Clockify, MM/DD/YYYY and 12-hour times, with a byte-order mark and CRLF; the zone
    # from the settings (no ?timezone=).
    response = requests.post(stack.url + "/api/import/csv", data=clockify_csv(), timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 3
    got = {e["note"]: e for e in entries(stack, "2025-03-01", "2025-04-30") if e["source"] == "import"}
    assert (got["Planning"]["start"], got["Planning"]["end"]) == ("2025-04-07T08:45:00+02:00", "2025-04-07T13:05:00+02:00")
    assert (got["Late call"]["start"], got["Late call"]["minutes"]) == ("2025-04-08T23:30:00+02:00", 60)
    # 02:30 does not exist that night: read with +01:00, it is 03:30 CEST; to 04:00, 30 minutes.
    assert (got["Spring gap"]["start"], got["Spring gap"]["minutes"]) == ("2025-03-30T03:30:00+02:00", 30)

    # The days count them (rule 1a): 2025-04-07 has 260 manual minutes.
    day = api(stack, "GET", "/api/days/2025-04-07").json()
    assert day["manual"] == 260 and day["worked"] == 260

    # Both again: nothing added.
    for path, body in (("/api/import/csv?timezone=Europe/Berlin", toggl_csv()), ("/api/import/csv", clockify_csv())):
        again = requests.post(stack.url + path, data=body, timeout=60).json()
        assert again["added"] == 0 and again["duplicates"] >= 3


@pytest.mark.parametrize("body,query", [(b"just some text\n", ""), (b"date,hours\n2025-04-01,8\n", ""),
                                        (b'{"buckets": {}}', ""), (b"\xff\xfe\x00garbage", ""),
                                        (b"Start date,Start time,End date,End time\n", "?timezone=Mars/Olympus")])
def test_a_file_of_neither_tool_stores_nothing(stack, body, query):
    before = stack.query("SELECT COUNT(*) FROM entry")[0][0]
    response = requests.post(stack.url + "/api/import/csv" + query, data=body, timeout=30)
    assert response.status_code == 422, response.text
    assert stack.query("SELECT COUNT(*) FROM entry")[0][0] == before


# MARK: Limits

def test_the_import_routes_take_more_than_2_mib_and_the_others_do_not(stack):
    """The one exception to the 2 MiB limit, in nginx and lighttpd alike."""
    padding = {"id": "pad", "type": "currentwindow", "hostname": "x",
               "events": [{"timestamp": "2025-04-01T08:00:00Z", "duration": 1, "data": {"title": "t" * 1000}}] * 6000}
    big = json.dumps(export_document([padding])).encode()
    assert len(big) > 5 * 1024 * 1024  # beyond lighttpd's global 4 MiB hard stop too
    response = requests.post(stack.url + "/api/import/activitywatch", data=big, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["events"] == 6000
    refused = requests.post(stack.url + "/api/holidays/import", data=big, timeout=60)
    assert refused.status_code == 413 and "2 MiB" in refused.json()["error"]


def test_an_import_declared_over_512_mib_is_refused_by_the_web_server(stack):
    """The web server refuses it before any of it is sent, in the API's JSON."""
    host, port = stack.url.removeprefix("http://").split(":")
    for path in ("/api/import/activitywatch", "/settings/import/csv"):
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                               f"Content-Length: {513 * 1024 * 1024}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == b"413", head
        assert b"512 MiB" in body, body


def test_a_calendar_of_many_long_events_is_answered_quickly_and_shortly(stack):
    """A 2 MB file of year-long events with long names: bounded work, a short answer."""
    lines = ["BEGIN:VCALENDAR"]
    for index in range(17_000):
        name = "y" * (50_000 if index == 0 else 10)
        lines += ["BEGIN:VEVENT", f"DTSTART;VALUE=DATE:{2030 + index % 50}0101", f"DTEND;VALUE=DATE:{2031 + index % 50}0101",
                  f"SUMMARY:Year {index} {name}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    body = ("\r\n".join(lines) + "\r\n").encode()
    assert len(body) < 2 * 1024 * 1024
    started = time.monotonic()
    response = requests.post(stack.url + "/api/holidays/import", data=body, headers={"Content-Type": "text/calendar"}, timeout=60)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["added"] == 0 and len(summary["skipped"]) == 50 and summary["skipped_more"] == 17_000 - 50
    assert "31" in summary["skipped"][0]["why"] and len(summary["skipped"][0]["summary"]) <= 80
    assert len(response.content) < 20_000
    assert elapsed < 5, elapsed


def test_the_settings_page_imports_without_javascript(stack):
    page = requests.get(stack.url + "/settings", timeout=30).text
    assert 'action="/settings/import/activitywatch#imports"' in page and 'action="/settings/import/csv#imports"' in page
    document = export_document([afk_bucket("tablet", [{"id": 1, "timestamp": "2025-04-10T08:00:00.000000+00:00",
                                                         "duration": 300.0, "data": {"status": "not-afk"}}])])
    response = requests.post(stack.url + "/settings/import/activitywatch",
                             files={"export": ("aw-export.json", json.dumps(document), "application/json")}, timeout=60)
    assert response.status_code == 200 and 'id="activitywatch-result"' in response.text and "5 added" in response.text
    assert stack.query("SELECT COUNT(*) FROM heartbeat WHERE host = 'tablet'")[0][0] == 5
    csv = b"Start date,Start time,End date,End time,Description\n2025-04-11,09:00,2025-04-11,09:30,Page upload\n"
    response = requests.post(stack.url + "/settings/import/csv", files={"csv": ("t.csv", csv, "text/csv")},
                             data={"timezone": "Europe/Berlin"}, timeout=60)
    assert response.status_code == 200 and 'id="csv-result"' in response.text and "1 added" in response.text
    bad = requests.post(stack.url + "/settings/import/csv", files={"csv": ("t.csv", b"nope", "text/csv")}, timeout=60)
    assert bad.status_code == 422 and 'id="csv-error"' in bad.text


def vm_hwm_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def write_big_export(path, rng, target_bytes):
    """A year of AFK events and enough window events to reach `target_bytes`, written as
    a stream so the test does not hold it either."""
    with open(path, "w") as out:
        out.write('{"buckets": {"aw-watcher-afk_big": {"id": "aw-watcher-afk_big", "type": "afkstatus", "hostname": "big", '
                  '"client": "aw-watcher-afk", "created": "2024-01-01T00:00:00+00:00", "data": {}, "events": [')
        first = True
        t = datetime(2024, 1, 1, 7, tzinfo=timezone.utc)
        while t < datetime(2025, 1, 1, tzinfo=timezone.utc):
            if t.weekday() < 5 and 7 <= t.hour < 17:
                duration = round(rng.uniform(60, 1800), 6)
                status = "not-afk" if rng.random() < 0.6 else "afk"
            else:
                duration, status = 3600.0, "afk"
            out.write(("" if first else ",") + json.dumps({"timestamp": iso(t), "duration": duration, "data": {"status": status}}))
            first = False
            t += timedelta(seconds=duration)
        out.write(']}, "aw-watcher-window_big": {"id": "aw-watcher-window_big", "type": "currentwindow", "hostname": "big", "events": [')
        first = True
        while out.tell() < target_bytes:
            out.write(("" if first else ",") + json.dumps({"timestamp": "2024-06-01T10:00:00+00:00", "duration": 5.0,
                                                          "data": {"app": "firefox", "title": "t" * rng.randint(50, 400)}}))
            first = False
        out.write("]}}}")


def test_a_big_export_streams_through_a_small_responder(tmp_path):
    """50 MB through nginx: the responder's peak RSS stays at most 40 MB."""
    running = Stack()
    try:
        path = tmp_path / "big.json"
        write_big_export(path, random.Random(7), 50 * 1024 * 1024)
        assert path.stat().st_size >= 50 * 1024 * 1024
        pid = running.responder_pid()
        with open(path, "rb") as body:
            response = requests.post(running.url + "/api/import/activitywatch", data=body,
                                     headers={"Content-Type": "application/json"}, timeout=600)
        assert response.status_code == 200, response.text
        assert response.json()["added"] > 50_000
        peak = vm_hwm_kib(pid)
        print(f"responder VmHWM after a {path.stat().st_size / 1e6:.0f} MB import: {peak / 1024:.1f} MiB")
        assert peak <= 40 * 1024, f"peak RSS {peak} KiB"
    finally:
        running.stop()
