"""Time entries (SPEC §2 rule 1a, §3 /api/entries*, /api/days, /api/days/{date}) through
the real web servers and responder, each figure counted by hand here."""
import csv
import io
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import Stack

BERLIN = ZoneInfo("Europe/Berlin")


def api(stack, method, path, body=None, **kwargs):
    return requests.request(method, stack.url + path, json=body, timeout=30, **kwargs)


def beats(start, minutes):
    return [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "laptop"} for m in range(minutes)]


def at(day, hour, minute=0, tz=BERLIN):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def stack(request):
    running = Stack(web_server=request.param)
    assert api(running, "POST", "/api/settings", {"timezone": "Europe/Berlin", "period_start": "2025-03-01"}).status_code == 200
    yield running
    running.stop()


def entry_count(stack):
    return stack.query("SELECT COUNT(*) FROM entry")[0][0]


def test_the_meeting_counts_once_and_its_removal_restores_the_day(stack):
    """Heartbeats 08:00–12:00 and 13:00–14:30 on Tuesday 2025-06-03, an entry 14:00–16:00:
    by hand, recorded 240 + 90 = 330, manual 16:00 − 14:30 = 90, worked 420; sessions
    08:00–12:00 (240) and 13:00–16:00 (180, 90 of them manual), one gap 12:00–13:00 of 60;
    breaks 16:00 − 08:00 − 7:00 = 60; against 480 expected, −60."""
    day = date(2025, 6, 3)
    assert stack.heartbeat(json={"heartbeats": beats(at(day, 8), 240) + beats(at(day, 13), 90)}).status_code == 200
    meeting = {"start": "2025-06-03T14:00:00+02:00", "end": "2025-06-03T16:00:00+02:00", "note": "Customer meeting"}
    first = api(stack, "POST", "/api/entries", meeting)
    assert first.status_code == 201, first.text
    assert first.json()["minutes"] == 120 and first.json()["source"] == "manual"
    second = api(stack, "POST", "/api/entries", meeting).json()  # the same entry twice
    row = api(stack, "GET", "/api/days/2025-06-03").json()
    assert (row["recorded"], row["manual"], row["worked"], row["effective"], row["expected"]) == (330, 90, 420, 420, 480)
    assert (row["first_start"], row["last_end"], row["breaks"]) == ("2025-06-03T08:00:00+02:00", "2025-06-03T16:00:00+02:00", 60)
    assert row["sessions"] == [
        {"start": "2025-06-03T08:00:00+02:00", "end": "2025-06-03T12:00:00+02:00", "minutes": 240, "manual": 0},
        {"start": "2025-06-03T13:00:00+02:00", "end": "2025-06-03T16:00:00+02:00", "minutes": 180, "manual": 90}]
    assert row["gaps"] == [{"start": "2025-06-03T12:00:00+02:00", "end": "2025-06-03T13:00:00+02:00", "minutes": 60}]
    assert [e["id"] for e in row["entries"]] == [first.json()["id"], second["id"]]
    listed = api(stack, "GET", "/api/days?from=2025-06-03&to=2025-06-03").json()[0]
    assert {k: listed[k] for k in ("recorded", "manual", "worked", "breaks")} == {"recorded": 330, "manual": 90, "worked": 420, "breaks": 60}
    # The cache row is the recount: recorded 330, manual 90.
    assert stack.query("SELECT minutes, manual FROM daily_attendance WHERE date = '2025-06-03'") == [(330, 90)]
    heartbeats = stack.query("SELECT COUNT(*) FROM heartbeat")[0][0]
    for entry in (first.json(), second):
        assert api(stack, "DELETE", f"/api/entries/{entry['id']}").status_code == 204
    row = api(stack, "GET", "/api/days/2025-06-03").json()
    assert (row["recorded"], row["manual"], row["worked"], row["last_end"]) == (330, 0, 330, "2025-06-03T14:30:00+02:00")
    assert row["entries"] == []
    assert stack.query("SELECT COUNT(*) FROM heartbeat")[0][0] == heartbeats
    assert stack.query("SELECT COUNT(*) FROM entry WHERE removed_at IS NOT NULL")[0][0] >= 2  # kept in history
    assert api(stack, "DELETE", f"/api/entries/{second['id']}").status_code == 404


def test_an_entry_over_midnight_and_the_fall_back_night(stack):
    """Saturday 2025-10-25 23:00 (+02:00) to Sunday 03:00 (+01:00): 60 minutes on the
    25th, and on the 26th 00:00–03:00 on the clock, which is 4 real hours (02:00–03:00
    comes twice): 240."""
    entry = api(stack, "POST", "/api/entries", {"start": "2025-10-25T23:00:00+02:00", "end": "2025-10-26T03:00:00+01:00"})
    assert entry.status_code == 201 and entry.json()["minutes"] == 300
    days = {d["date"]: d for d in api(stack, "GET", "/api/days?from=2025-10-25&to=2025-10-26").json()}
    assert days["2025-10-25"]["manual"] == 60 and days["2025-10-26"]["manual"] == 240
    assert days["2025-10-26"]["first_start"] == "2025-10-26T00:00:00+02:00"
    assert days["2025-10-26"]["last_end"] == "2025-10-26T03:00:00+01:00"
    both = api(stack, "GET", "/api/entries?from=2025-10-26&to=2025-10-26").json()
    assert [e["start"] for e in both] == ["2025-10-25T23:00:00+02:00"]
    # The CSV has the manual minutes in their own column.
    text = requests.get(stack.url + "/export/days.csv?from=2025-10-25&to=2025-10-26", timeout=30).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["recorded"], r["manual"], r["worked"], r["effective"]) for r in rows] == [("0", "60", "60", "60"), ("0", "240", "240", "240")]
    assert api(stack, "DELETE", f"/api/entries/{entry.json()['id']}").status_code == 204


def test_a_running_entry_starts_once_and_stops(stack):
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = (now - timedelta(minutes=20)).isoformat()
    running = api(stack, "POST", "/api/entries", {"start": start, "note": "on the phone"})
    assert running.status_code == 201 and running.json()["end"] is None
    assert running.json()["minutes"] in (20, 21)  # the minute may turn between the two clocks
    again = api(stack, "POST", "/api/entries", {"start": start})
    assert again.status_code == 409 and "stop it first" in again.json()["error"]
    stopped = api(stack, "POST", f"/api/entries/{running.json()['id']}/stop")
    assert stopped.status_code == 200 and stopped.json()["end"] is not None and stopped.json()["minutes"] in (20, 21)
    assert api(stack, "POST", f"/api/entries/{running.json()['id']}/stop").status_code == 409
    assert api(stack, "DELETE", f"/api/entries/{running.json()['id']}").status_code == 204


@pytest.mark.parametrize("body, field", [
    ({"start": "2025-06-04T09:00:00", "end": "2025-06-04T10:00:00+02:00"}, "start"),
    ({"start": "2025-06-04T09:00:15+02:00", "end": "2025-06-04T10:00:00+02:00"}, "seconds must be 0"),
    ({"start": "2025-06-04T10:00:00+02:00", "end": "2025-06-04T09:00:00+02:00"}, "end must be after start"),
    ({"start": "2025-06-04T09:00:00+02:00", "end": "2025-06-05T09:01:00+02:00"}, "at most 24:00"),
    ({"start": "2025-06-04T09:00:00+02:00", "end": "2999-01-01T00:00:00Z"}, "future"),
    ({"start": "2025-06-04T09:00:00+02:00", "end": "2025-06-04T10:00:00+02:00", "note": "x" * 501}, "note"),
])
def test_a_refused_entry_is_a_422_naming_its_field_and_stores_nothing(stack, body, field):
    before = entry_count(stack)
    response = api(stack, "POST", "/api/entries", body)
    assert response.status_code == 422 and field in response.json()["error"], response.text
    assert entry_count(stack) == before


def test_entries_refuse_bad_requests_and_other_sites(stack):
    before = entry_count(stack)
    assert api(stack, "POST", "/api/entries", {"end": "2025-06-04T10:00:00+02:00"}).status_code == 400
    assert requests.post(stack.url + "/api/entries", data="{", timeout=10).status_code == 400
    evil = api(stack, "POST", "/api/entries", {"start": "2025-06-04T09:00:00+02:00", "end": "2025-06-04T10:00:00+02:00"},
               headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    assert api(stack, "GET", "/api/entries").status_code == 400
    assert api(stack, "DELETE", "/api/entries/notanumber").status_code == 404
    assert api(stack, "PUT", "/api/entries/1").status_code == 405
    assert entry_count(stack) == before
