"""The JSON API through the real web server (nginx, then lighttpd) and responder (SPEC §2–§3): a user's week checked
against a hand computation, and every endpoint's errors."""
from datetime import datetime, timedelta, timezone

import sqlite3
import subprocess

import pytest
import requests

from conftest import Stack

CET = timezone(timedelta(hours=1))


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def stack(request):
    """A fresh stack per web server: the user's week needs an empty database."""
    running = Stack(web_server=request.param)
    yield running
    running.stop()


def api(stack, method, path, body=None, **kwargs):
    return requests.request(method, stack.url + path, json=body, timeout=10, **kwargs)


def minutes(start, count, host="laptop"):
    return [{"timestamp": (start + timedelta(minutes=i)).isoformat(), "host": host} for i in range(count)]


def test_a_users_week_matches_the_hand_computation(stack):
    settings = api(stack, "POST", "/api/settings", {
        "timezone": "Europe/Berlin", "period_start": "2025-03-24", "period_end": None,
        "working_days": ["mon", "tue", "wed", "thu", "fri"], "daily_required_minutes": 450})
    assert settings.status_code == 200
    assert settings.json()["daily_required_minutes"] == 450

    beats = []
    beats += minutes(datetime(2025, 3, 24, 8, 0, tzinfo=CET), 480)                    # Mon 480
    beats += minutes(datetime(2025, 3, 24, 12, 0, tzinfo=CET), 60, host="desktop")    # same minutes: once
    beats += minutes(datetime(2025, 3, 25, 9, 0, tzinfo=CET), 420)                    # Tue 420
    beats += minutes(datetime(2025, 3, 26, 8, 30, tzinfo=CET), 450)                   # Wed 450
    beats += minutes(datetime(2025, 3, 27, 10, 0, tzinfo=CET), 60)                    # Thu 60, holiday
    beats += minutes(datetime(2025, 3, 28, 7, 0, tzinfo=CET), 300)                    # Fri 300, corrected
    beats += minutes(datetime(2025, 3, 29, 23, 30, tzinfo=CET), 30)                   # Sat 23:30–23:59
    beats += minutes(datetime(2025, 3, 30, 0, 30, tzinfo=timezone.utc), 60)           # Sun, across 02:00→03:00
    response = stack.heartbeat(json={"heartbeats": beats})
    assert response.json() == {"accepted": len(beats), "duplicates": 0}

    assert api(stack, "POST", "/api/holidays", {"date": "2025-03-27", "name": "Feiertag"}).status_code == 201
    correction = api(stack, "POST", "/api/corrections", {"date": "2025-03-28", "minutes": 450, "note": "agent was off"})
    assert correction.status_code == 201
    assert correction.json()["minutes"] == 450

    days = api(stack, "GET", "/api/days?from=2025-03-23&to=2025-03-31").json()
    assert [d["date"] for d in days][0] == "2025-03-23" and len(days) == 9
    by_date = {d["date"]: d for d in days}
    assert [by_date[f"2025-03-{n}"]["recorded"] for n in range(23, 32)] == [0, 480, 420, 450, 60, 300, 30, 60, 0]
    assert [by_date[f"2025-03-{n}"]["effective"] for n in range(23, 32)] == [0, 480, 420, 450, 60, 450, 30, 60, 0]
    assert [by_date[f"2025-03-{n}"]["expected"] for n in range(23, 32)] == [0, 450, 450, 450, 0, 450, 0, 0, 450]
    assert by_date["2025-03-27"]["holiday"] == "Feiertag"
    assert by_date["2025-03-27"]["working_day"] is True
    assert by_date["2025-03-28"]["correction"] == 450
    assert by_date["2025-03-29"]["working_day"] is False
    assert by_date["2025-03-24"]["correction"] is None and by_date["2025-03-24"]["holiday"] is None

    # Hand computation: effective 480+420+450+60+450+30+60 = 1950; expected 4 × 450 = 1800.
    balance = api(stack, "GET", "/api/balance?as_of=2025-03-30").json()
    assert balance == {"as_of": "2025-03-30", "period_start": "2025-03-24", "period_end": None,
                       "opening": 0, "effective": 1950, "expected": 1800, "bookings": 0, "balance": 150}
    assert api(stack, "GET", "/api/balance?as_of=2025-03-31").json()["balance"] == 150 - 450

    summary = api(stack, "GET", "/api/summary?year=2025").json()
    assert len(summary) == 12
    march = summary[2]
    assert march == {"month": "2025-03", "recorded": 1800, "worked": 1800, "effective": 1950, "expected": 2250,
                     "delta": -300, "bookings": 0, "balance": -300, "signed": False}
    assert summary[0]["expected"] == 0 and summary[0]["balance"] == 0
    # April 2025 has 22 weekdays and nothing recorded.
    assert summary[3]["delta"] == -22 * 450 and summary[3]["balance"] == -300 - 22 * 450

    # Removing the correction restores the recorded 300 on Friday.
    assert api(stack, "DELETE", "/api/corrections/2025-03-28").status_code == 204
    assert api(stack, "GET", "/api/balance?as_of=2025-03-30").json()["balance"] == 0
    assert api(stack, "GET", "/api/corrections?from=2025-03-01&to=2025-03-31").json() == []

    # Moving to New York re-buckets: Saturday's 23:30–23:59 CET is Saturday afternoon there,
    # Sunday's 00:30–01:29 UTC is Saturday evening.
    api(stack, "POST", "/api/settings", {"timezone": "America/New_York"})
    days = {d["date"]: d for d in api(stack, "GET", "/api/days?from=2025-03-29&to=2025-03-30").json()}
    assert days["2025-03-29"]["recorded"] == 90 and days["2025-03-30"]["recorded"] == 0
    api(stack, "POST", "/api/settings", {"timezone": "Europe/Berlin"})
    days = {d["date"]: d for d in api(stack, "GET", "/api/days?from=2025-03-29&to=2025-03-30").json()}
    assert days["2025-03-29"]["recorded"] == 30 and days["2025-03-30"]["recorded"] == 60


def test_holiday_endpoints(stack):
    assert api(stack, "POST", "/api/holidays", {"date": "2030-01-01", "name": "New Year"}).status_code == 201
    assert api(stack, "POST", "/api/holidays", {"date": "2030-01-01", "name": "Neujahr"}).status_code == 200
    assert api(stack, "GET", "/api/holidays?from=2030-01-01&to=2030-12-31").json() == [{"date": "2030-01-01", "name": "Neujahr"}]
    assert api(stack, "DELETE", "/api/holidays/2030-01-01").status_code == 204
    assert api(stack, "DELETE", "/api/holidays/2030-01-01").status_code == 404


@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/api/nope", None, 404),
    ("GET", "/api/holidays/2024-01-01", None, 405),
    ("PUT", "/api/settings", {}, 405),
    ("DELETE", "/api/days", None, 405),
    ("POST", "/api/settings", "{oops", 400),
    ("POST", "/api/settings", {"daily_required_minutes": "8h"}, 400),
    ("POST", "/api/settings", {"daily_required_minutes": 1441}, 422),
    ("POST", "/api/settings", {"working_days": ["mon", "funday"]}, 422),
    ("POST", "/api/settings", {"timezone": "Europe/Atlantis"}, 422),
    ("POST", "/api/settings", {"period_start": "2025-06-01", "period_end": "2025-05-31"}, 422),
    ("POST", "/api/holidays", {"date": "2025-02-29", "name": "x"}, 422),
    ("POST", "/api/holidays", {"date": 20250101, "name": "x"}, 400),
    ("DELETE", "/api/holidays/2031-05-05", None, 404),
    ("POST", "/api/corrections", {"date": "2025-01-06", "minutes": -1}, 422),
    ("POST", "/api/corrections", {"date": "2025-01-06", "minutes": 1441}, 422),
    ("POST", "/api/corrections", {"date": "2025-03-30", "minutes": 1381}, 422),
    ("POST", "/api/corrections", {"date": "2025-01-06", "minutes": 60.5}, 400),
    ("DELETE", "/api/corrections/2031-05-05", None, 404),
    ("DELETE", "/api/corrections/2031-02-31", None, 422),
    ("GET", "/api/days?from=2025-01-01", None, 400),
    ("GET", "/api/days?from=2025-02-01&to=2025-01-01", None, 422),
    ("GET", "/api/days?from=2000-01-01&to=2025-01-01", None, 422),
    ("GET", "/api/balance?as_of=2025-02-30", None, 422),
    ("GET", "/api/summary?year=twenty", None, 400),
    ("GET", "/api/summary?year=10000", None, 422),
    ("GET", "/api/corrections?from=2025-13-01", None, 422),
])
def test_errors(stack, method, path, body, status):
    before = api(stack, "GET", "/api/settings").json()
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = requests.request(method, stack.url + path, timeout=10, **kwargs)
    assert response.status_code == status, response.text
    assert isinstance(response.json()["error"], str)
    assert api(stack, "GET", "/api/settings").json() == before


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://127.0.0.1:1"},
])
def test_cross_site_writes_are_403(stack, headers):
    response = api(stack, "POST", "/api/holidays", {"date": "2032-01-01", "name": "x"}, headers=headers)
    assert response.status_code == 403
    assert api(stack, "GET", "/api/holidays?from=2032-01-01&to=2032-01-01").json() == []
    assert api(stack, "DELETE", "/api/corrections/2032-01-01", headers=headers).status_code == 403


def test_same_origin_writes_work(stack):
    response = api(stack, "POST", "/api/holidays", {"date": "2033-01-01", "name": "x"},
                   headers={"Origin": stack.url, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 201


def test_foreign_host_is_refused(stack):
    response = requests.get(stack.url + "/api/settings", headers={"Host": "rebind.example"})
    assert response.status_code == 403


def test_rebuild_cache_command_recomputes_while_serving(stack):
    stack.heartbeat(json={"heartbeats": minutes(datetime(2025, 5, 5, 9, 0, tzinfo=CET), 10, host="rebuild")})
    with sqlite3.connect(stack.data_dir / "attendance.sqlite") as db:
        db.execute("UPDATE daily_attendance SET minutes = 999 WHERE date = '2025-05-05'")
    subprocess.run([stack.binary, "rebuild-cache", "--database", str(stack.data_dir / "attendance.sqlite")],
                   check=True, timeout=60)
    assert stack.query("SELECT minutes FROM daily_attendance WHERE date = '2025-05-05'") == [(10,)]
