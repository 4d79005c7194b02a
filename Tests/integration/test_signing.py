"""Signed months and bookings (SPEC §2 rules 7, 7b, 11; §3 /api/bookings*, /api/months*;
§4 the report) through the real web servers and responder. Every digest is recomputed
here with hashlib and json.dumps, never taken from the product."""
import hashlib
import json
import re
import subprocess
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import Stack

BERLIN = ZoneInfo("Europe/Berlin")
ZEROS = "0" * 64


def api(stack, method, path, body=None, **kwargs):
    return requests.request(method, stack.url + path, json=body, timeout=30, **kwargs)


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(previous, snapshot):
    return hashlib.sha256(previous.encode("ascii") + canonical(snapshot)).hexdigest()


def weekdays(first, last):
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def seed(stack):
    """Period from 2025-10-01 in Berlin; on every weekday of October and November 2025
    four hours of heartbeats from 09:00 local: 23 + 20 weekdays."""
    assert api(stack, "POST", "/api/settings", {"timezone": "Europe/Berlin", "period_start": "2025-10-01"}).status_code == 200
    beats = []
    for day in weekdays(date(2025, 10, 1), date(2025, 11, 30)):
        start = datetime(day.year, day.month, day.day, 9, tzinfo=BERLIN)
        beats += [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "laptop"} for m in range(240)]
    for i in range(0, len(beats), 10000):
        assert stack.heartbeat(json={"heartbeats": beats[i:i + 10000]}).status_code == 200


@pytest.fixture(params=["nginx", "lighttpd"])
def stack(request):
    running = Stack(web_server=request.param)
    seed(running)
    yield running
    running.stop()


def test_digests_recompute_by_hand_and_chain(stack):
    """Text that needs escaping (a quote, a tab, a newline, umlauts, an emoji) in a holiday
    name and a booking note: the snapshot as served, dumped canonically by Python, hashes
    to the stored digest; October's digest is November's previous one."""
    assert api(stack, "POST", "/api/holidays", {"date": "2025-10-03", "name": "Tag der \"Deutschen\" Einheit\t🇩🇪"}).status_code == 201
    assert api(stack, "POST", "/api/bookings", {"date": "2025-10-31", "kind": "payout", "minutes": -90,
                                               "note": "Überstunden\nausgezahlt ✓"}).status_code == 201
    assert api(stack, "POST", "/api/corrections", {"date": "2025-10-14", "minutes": 300, "note": "Dienstreise"}).status_code == 201
    open_rows = api(stack, "GET", "/api/days?from=2025-10-01&to=2025-10-31").json()
    balance_after = api(stack, "GET", "/api/balance?as_of=2025-10-31").json()["balance"]
    signed = api(stack, "POST", "/api/months/2025-10/sign")
    assert signed.status_code == 201, signed.text
    october = api(stack, "GET", "/api/months/2025-10").json()
    snapshot = october["snapshot"]
    assert october["previous_digest"] == ZEROS
    assert digest(ZEROS, snapshot) == october["digest"] == signed.json()["digest"]
    assert re.fullmatch("[0-9a-f]{64}", october["digest"])
    # The snapshot is October's /api/days rows as they were, then totals counted here.
    assert snapshot["days"] == open_rows
    assert snapshot["worked"] == sum(row["worked"] for row in open_rows) == 23 * 240  # 23 weekdays of 4 hours
    assert snapshot["effective"] == sum(row["effective"] for row in open_rows)
    # Rule 5: 23 weekdays minus the holiday on Friday 3 October, 480 each.
    assert snapshot["expected"] == 22 * 480
    assert [b["note"] for b in snapshot["bookings"]] == ["Überstunden\nausgezahlt ✓"]
    assert snapshot["balance_before"] == 0
    assert snapshot["balance_after"] == balance_after == snapshot["effective"] - snapshot["expected"] - 90
    # Frozen now: the same rows, marked.
    assert api(stack, "GET", "/api/days?from=2025-10-01&to=2025-10-31").json() == [dict(row, frozen=True) for row in open_rows]

    assert api(stack, "POST", "/api/months/2025-11/sign").status_code == 201
    november = api(stack, "GET", "/api/months/2025-11").json()
    assert november["previous_digest"] == october["digest"]
    assert digest(october["digest"], november["snapshot"]) == november["digest"]
    assert november["snapshot"]["balance_before"] == balance_after
    # A changed snapshot changes its digest and, through the chain, every later one.
    edited = dict(snapshot, worked=snapshot["worked"] + 1)
    assert digest(ZEROS, edited) != october["digest"]
    assert digest(digest(ZEROS, edited), november["snapshot"]) != november["digest"]
    months = api(stack, "GET", "/api/months?year=2025").json()
    assert [(m["month"], m["signed"], m["digest"]) for m in months] == [
        ("2025-10", True, october["digest"]), ("2025-11", True, november["digest"]), ("2025-12", False, None)]
    summary = {row["month"]: row for row in api(stack, "GET", "/api/summary?year=2025").json()}
    assert summary["2025-10"]["signed"] and summary["2025-10"]["bookings"] == -90
    assert not summary["2025-09"]["signed"]


def counts(stack):
    return {table: stack.query(f"SELECT COUNT(*) FROM {table}")[0][0]
            for table in ["correction", "absence", "entry", "booking", "holiday", "schedule", "change_log", "signed_month"]} | {
        "settings": stack.query("SELECT * FROM settings")}


REFUSED = [
    ("POST", "/api/corrections", {"date": "2025-10-14", "minutes": 60, "note": "x"}),
    ("POST", "/api/absences", {"from": "2025-10-30", "to": "2025-11-04", "kind": "vacation"}),
    ("POST", "/api/entries", {"start": "2025-10-14T19:00:00+02:00", "end": "2025-10-14T20:00:00+02:00"}),
    ("POST", "/api/bookings", {"date": "2025-10-31", "kind": "adjustment", "minutes": 60, "note": "fix"}),
    ("POST", "/api/holidays", {"date": "2025-10-31", "name": "Reformationstag"}),
    ("DELETE", "/api/holidays/2025-10-03", None),
    ("POST", "/api/schedules", {"valid_from": "2025-10-20", "minutes": {"mon": 240}}),
    ("POST", "/api/schedules", {"valid_from": "2025-09-01", "minutes": {"mon": 240}}),
    ("DELETE", "/api/schedules/2025-10-01", None),
    ("POST", "/api/settings", {"opening_balance_minutes": 600}),
    ("POST", "/api/settings", {"period_start": "2025-09-01"}),
    ("POST", "/api/settings", {"period_start": "2025-11-01"}),
    ("POST", "/api/settings", {"period_end": "2025-10-15"}),
    ("POST", "/api/settings", {"daily_required_minutes": 420}),
]


def test_every_change_to_a_frozen_figure_is_409_naming_the_month(stack):
    assert api(stack, "POST", "/api/holidays", {"date": "2025-10-03", "name": "Tag der Deutschen Einheit"}).status_code == 201
    assert api(stack, "POST", "/api/months/2025-10/sign").status_code == 201
    before, days = counts(stack), api(stack, "GET", "/api/days?from=2025-09-25&to=2025-11-05").text
    for method, path, body in REFUSED:
        response = api(stack, method, path, body)
        assert response.status_code == 409, (method, path, body, response.text)
        message = response.json()["error"]
        assert "October 2025 (2025-10)" in message and "adjustment" in message and "2025-11-01" in message, message
        assert counts(stack) == before, (method, path, body)
    assert api(stack, "GET", "/api/days?from=2025-09-25&to=2025-11-05").text == days
    # The same holidays through a calendar import: the frozen one is skipped and said so.
    calendar = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20251031\r\nSUMMARY:Reformationstag\r\n"
                "END:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20251225\r\nSUMMARY:Weihnachten\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    imported = requests.post(stack.url + "/api/holidays/import", data=calendar.encode(),
                             headers={"Content-Type": "text/calendar"}, timeout=30).json()
    assert imported["added"] == 1 and len(imported["skipped"]) == 1 and "2025-10" in imported["skipped"][0]["why"]
    assert stack.query("SELECT date FROM holiday ORDER BY date") == [("2025-10-03",), ("2025-12-25",)]
    # What is open still changes, and the fix is a booking on an open date.
    assert api(stack, "POST", "/api/corrections", {"date": "2025-11-04", "minutes": 60}).status_code == 201
    assert api(stack, "POST", "/api/bookings", {"date": "2025-11-03", "kind": "adjustment", "minutes": 60,
                                               "note": "14 Oct: a trip not counted"}).status_code == 201
    october = api(stack, "GET", "/api/days?from=2025-10-01&to=2025-10-31").text
    balance = api(stack, "GET", "/api/balance?as_of=2025-10-31").json()["balance"]
    assert api(stack, "POST", "/api/settings", {"timezone": "Asia/Tokyo"}).status_code == 200
    assert api(stack, "GET", "/api/days?from=2025-10-01&to=2025-10-31").text == october
    assert api(stack, "GET", "/api/balance?as_of=2025-10-31").json()["balance"] == balance
    # The pages keep the clock it was signed on (09:00–13:00 in Berlin), not Tokyo's.
    report = requests.get(stack.url + "/report?month=2025-10", timeout=30).text
    assert '<tr id="report-2025-10-14" class=""><td>2025-10-14</td><td>Tue</td><td>09:00</td><td>13:00</td>' in report
    exported = requests.get(stack.url + "/export/days.csv?from=2025-10-14&to=2025-10-14", timeout=30).text
    assert "2025-10-14,tue,09:00,13:00," in exported
    history = requests.get(stack.url + "/settings", timeout=30).text
    assert "History of changes" in history and "Europe/Berlin → Asia/Tokyo" in history


def test_late_heartbeats_are_stored_acknowledged_and_counted_nowhere(stack):
    assert api(stack, "POST", "/api/months/2025-10/sign").status_code == 201
    row = api(stack, "GET", "/api/days?from=2025-10-14&to=2025-10-14").json()[0]
    balance = api(stack, "GET", "/api/balance").json()
    late = [{"timestamp": f"2025-10-14T20:{m:02d}:00+02:00", "host": "desktop"} for m in range(30)]
    response = stack.heartbeat(json={"heartbeats": late})
    assert response.status_code == 200 and response.json() == {"accepted": 30, "duplicates": 0}
    assert stack.query("SELECT COUNT(*) FROM heartbeat WHERE host = 'desktop'")[0][0] == 30
    assert api(stack, "GET", "/api/days?from=2025-10-14&to=2025-10-14").json()[0] == row
    assert api(stack, "GET", "/api/balance").json() == balance
    assert api(stack, "GET", "/api/months?year=2025").json()[0]["late_minutes"] == 30
    assert api(stack, "GET", "/api/months/2025-10").json()["late_minutes"] == 30
    report = requests.get(stack.url + "/report?month=2025-10", timeout=30).text
    assert "0:30 worked on its dates arrived after signing" in report


def test_only_the_latest_signed_month_is_unsigned_with_a_reason(stack):
    assert api(stack, "POST", "/api/months/2025-11/sign").status_code == 409  # October first
    assert api(stack, "POST", "/api/months/2025-09/sign").status_code == 409  # before the period
    assert api(stack, "POST", "/api/months/2025-10/sign").status_code == 201
    assert api(stack, "POST", "/api/months/2025-10/sign").status_code == 409  # signed already
    assert api(stack, "POST", f"/api/months/{date.today():%Y-%m}/sign").status_code == 409  # not ended
    assert api(stack, "POST", "/api/months/2025-11/sign").status_code == 201
    assert api(stack, "POST", "/api/months/2025-10/unsign", {"reason": "a reason long enough"}).status_code == 409
    assert api(stack, "POST", "/api/months/2025-11/unsign", {"reason": "too short"}).status_code == 422
    assert api(stack, "POST", "/api/months/2025-11/unsign", {"reason": "x" * 501}).status_code == 422
    assert api(stack, "POST", "/api/months/2025-11/unsign", {}).status_code == 400
    assert stack.query("SELECT COUNT(*) FROM signed_month")[0][0] == 2
    reopened = api(stack, "POST", "/api/months/2025-11/unsign", {"reason": "a trip on 12 November was missing"})
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert body["signed"] is False and body["snapshot"] is None and body["digest"] is None
    assert [(e["event"], e["reason"]) for e in body["history"]] == [("signed", None), ("unsigned", "a trip on 12 November was missing")]
    assert body["history"][0]["digest"] == body["history"][1]["digest"]
    assert api(stack, "POST", "/api/corrections", {"date": "2025-11-12", "minutes": 540}).status_code == 201
    again = api(stack, "POST", "/api/months/2025-11/sign").json()
    assert [e["event"] for e in again["history"]] == ["signed", "unsigned", "signed"]
    report = requests.get(stack.url + "/report?month=2025-11", timeout=30).text
    assert "Signing history" in report and "Unsigned on " in report and ": a trip on 12 November was missing" in report
    assert again["snapshot"]["days"][11]["effective"] == 540


@pytest.mark.parametrize("body", [
    {"date": "2025-11-10", "kind": "payout", "minutes": 60, "note": "a payout adds nothing"},
    {"date": "2025-11-10", "kind": "payout", "minutes": -60},
    {"date": "2025-11-10", "kind": "payout", "minutes": -60, "note": ""},
    {"date": "2025-11-10", "kind": "payout", "minutes": -60, "note": "x" * 501},
    {"date": "2025-11-10", "kind": "bonus", "minutes": -60, "note": "x"},
    {"date": "2025-11-10", "kind": "adjustment", "minutes": 0, "note": "x"},
    {"date": "2025-11-10", "kind": "adjustment", "minutes": -1000001, "note": "x"},
    {"date": "2025-09-30", "kind": "adjustment", "minutes": 60, "note": "before the period"},
    {"date": "2025-11-31", "kind": "adjustment", "minutes": 60, "note": "x"},
])
def test_a_booking_out_of_bounds_is_422_and_stores_nothing(stack, body):
    response = api(stack, "POST", "/api/bookings", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]
    assert stack.query("SELECT COUNT(*) FROM booking")[0][0] == 0


def test_a_booking_moves_the_balance_from_its_date_and_no_day(stack):
    days = api(stack, "GET", "/api/days?from=2025-11-01&to=2025-11-30").text
    before = {d: api(stack, "GET", f"/api/balance?as_of={d}").json()["balance"] for d in ["2025-11-09", "2025-11-10"]}
    booked = api(stack, "POST", "/api/bookings", {"date": "2025-11-10", "kind": "payout", "minutes": -600, "note": "paid"})
    assert booked.status_code == 201 and booked.json()["minutes"] == -600
    assert api(stack, "GET", "/api/days?from=2025-11-01&to=2025-11-30").text == days
    assert api(stack, "GET", "/api/balance?as_of=2025-11-09").json()["balance"] == before["2025-11-09"]
    on = api(stack, "GET", "/api/balance?as_of=2025-11-10").json()
    assert on["balance"] == before["2025-11-10"] - 600 and on["bookings"] == -600
    assert on["balance"] == on["opening"] + on["effective"] - on["expected"] + on["bookings"]
    assert api(stack, "GET", "/api/bookings?from=2025-11-01&to=2025-11-30").json() == [booked.json()]
    assert api(stack, "DELETE", f"/api/bookings/{booked.json()['id']}").status_code == 204
    assert api(stack, "DELETE", f"/api/bookings/{booked.json()['id']}").status_code == 404
    assert stack.query("SELECT removed_at IS NOT NULL FROM booking") == [(1,)]  # kept in history


def test_the_report_signs_with_a_confirmation_and_no_javascript(stack):
    """A plain form post, as a browser without JavaScript sends it: first the question,
    then the signature, printed with its digest and how to check it."""
    page = requests.get(stack.url + "/report?month=2025-10", timeout=30).text
    assert 'action="/report/sign"' in page and "Sign this month" in page
    asked = requests.post(stack.url + "/report/sign", data={"month": "2025-10"}, allow_redirects=False, timeout=30)
    assert asked.status_code == 303
    assert stack.query("SELECT COUNT(*) FROM signed_month")[0][0] == 0  # nothing signed before the confirmation
    question = requests.get(stack.url + asked.headers["Location"], timeout=30).text
    assert "Yes, sign October 2025" in question and 'name="confirm" value="yes"' in question
    done = requests.post(stack.url + "/report/sign", data={"month": "2025-10", "confirm": "yes"}, allow_redirects=False, timeout=30)
    assert done.status_code == 303
    signed = requests.get(stack.url + done.headers["Location"], timeout=30).text
    digest_hex = api(stack, "GET", "/api/months/2025-10").json()["digest"]
    assert f'<code id="signed-digest">{digest_hex[:16]}</code>' in signed and "Signed on " in signed
    assert "GET /api/months/2025-10" in signed and 'id="unsign-form"' in signed
    assert "Sign this month" not in signed
    # November is next; December of this year has not ended.
    assert "Sign this month" in requests.get(stack.url + "/report?month=2025-11", timeout=30).text
    assert "Sign this month" not in requests.get(stack.url + f"/report?month={date.today():%Y-%m}", timeout=30).text
    short = requests.post(stack.url + "/report/unsign", data={"month": "2025-10", "reason": "short"}, timeout=30)
    assert short.status_code == 422 and "10 to 500 characters" in short.text
    reopened = requests.post(stack.url + "/report/unsign", data={"month": "2025-10", "reason": "the trip of 14 October"},
                             allow_redirects=False, timeout=30)
    assert reopened.status_code == 303
    assert stack.query("SELECT COUNT(*) FROM signed_month")[0][0] == 0
    # A frozen day page offers no edit and names its month.
    assert api(stack, "POST", "/api/months/2025-10/sign").status_code == 201
    day = requests.get(stack.url + "/days/2025-10-14", timeout=30).text
    assert "October 2025, which is signed" in day and 'id="entry-form"' not in day and "Count as work" not in day


def test_verify_finds_a_snapshot_edited_with_sqlite3(stack):
    assert api(stack, "POST", "/api/months/2025-10/sign").status_code == 201
    assert api(stack, "POST", "/api/months/2025-11/sign").status_code == 201
    verify = [stack.binary, "verify", "--database", str(stack.database)]
    clean = subprocess.run(verify, capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0 and "2 signed months verified" in clean.stdout, clean.stdout + clean.stderr
    # A plain UPDATE is refused by the schema; someone who drops that guard is still found.
    blocked = subprocess.run(["sqlite3", str(stack.database), "UPDATE signed_month SET signed_at = 0"],
                             capture_output=True, text=True, timeout=60)
    assert blocked.returncode != 0 and "never changed" in blocked.stderr
    edit = ("DROP TRIGGER signed_snapshot_no_update; "
            "UPDATE signed_snapshot SET snapshot = CAST(replace(CAST(snapshot AS TEXT), '\"effective\":240', '\"effective\":480') AS BLOB) "
            "WHERE month = '2025-10';")
    subprocess.run(["sqlite3", str(stack.database), edit], check=True, timeout=60)
    found = subprocess.run(verify, capture_output=True, text=True, timeout=60)
    assert found.returncode == 1, found.stdout
    assert found.stdout.startswith("2025-10: FAILED"), found.stdout
