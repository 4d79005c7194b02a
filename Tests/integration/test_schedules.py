"""Schedule versions, the simple form, the opening balance, a fresh database and the
migration of a v1 database, through the real web servers and responder (SPEC §2 rules
5, 7, 10; §3 /api/settings, /api/schedules, /api/balance). Every expectation is counted
by hand here, day by day."""
import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import ROOT, Stack

FIXTURES = Path(__file__).parent / "fixtures"
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def api(stack, method, path, body=None):
    return requests.request(method, stack.url + path, json=body, timeout=30)


def days(stack, start, end):
    response = api(stack, "GET", f"/api/days?from={start}&to={end}")
    assert response.status_code == 200, response.text
    return {d["date"]: d for d in response.json()}


def work(stack, day, minutes):
    """`minutes` recorded from 08:00 local on `day`."""
    start = datetime(day.year, day.month, day.day, 8, tzinfo=BERLIN)
    beats = [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "pc"} for m in range(minutes)]
    assert stack.heartbeat(json={"heartbeats": beats}).status_code == 200


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def stack(request):
    running = Stack(web_server=request.param)
    yield running
    running.stop()


def test_a_fresh_database_starts_at_zero_today(stack):
    """Rule 10, before anything is set: period from today, one version from today, balance 0."""
    settings = api(stack, "GET", "/api/settings").json()
    today = settings["period_start"]
    assert settings["period_end"] is None
    assert settings["opening_balance_minutes"] == 0 and settings["vacation_days_per_year"] == 0
    assert api(stack, "GET", "/api/schedules").json() == [
        {"valid_from": today, "minutes": {"mon": 480, "tue": 480, "wed": 480, "thu": 480, "fri": 480, "sat": 0, "sun": 0},
         "work_rules": "none"}]
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    balance = api(stack, "GET", f"/api/balance?as_of={yesterday}").json()
    assert balance["balance"] == 0 and balance["expected"] == 0
    # The months before the install are not a deficit; only today's month may expect anything.
    summary = api(stack, "GET", "/api/summary").json()
    assert all(row["expected"] == 0 and row["balance"] == 0 for row in summary[:-1])
    page = requests.get(stack.url + "/dashboard", timeout=10).text
    assert 'id="balance">0:00<' in page
    assert 'id="first-run"' in page
    # Only the months from the period's start on.
    assert page.count("<th scope=\"row\">") == 1


def test_a_mid_year_change_leaves_every_earlier_figure_alone(stack):
    assert api(stack, "POST", "/api/settings", {"timezone": "Europe/Berlin", "period_start": "2025-06-02",
                                                "period_end": None, "opening_balance_minutes": 0}).status_code == 200
    # The version of the fresh database is from today (2026): a version from 2025-01-01
    # takes over as the earliest, with the same 8 h Monday to Friday.
    assert api(stack, "POST", "/api/schedules", {"valid_from": "2025-01-01",
                                                 "minutes": {d: 480 for d in WEEKDAYS[:5]}}).status_code == 201
    day = date(2025, 6, 2)
    while day <= date(2025, 7, 13):
        if day.weekday() < 5:
            work(stack, day, 500)  # +20 a day against 8 h
        day += timedelta(days=1)
    before_days = days(stack, "2025-01-01", "2025-06-30")
    before_balance = api(stack, "GET", "/api/balance?as_of=2025-06-30").json()
    before_months = api(stack, "GET", "/api/summary?year=2025").json()[:6]

    # From July: 32 h, Monday to Thursday 8 h, Friday off.
    created = api(stack, "POST", "/api/schedules", {"valid_from": "2025-07-01",
                                                    "minutes": {"mon": 480, "tue": 480, "wed": 480, "thu": 480}})
    assert created.status_code == 201
    assert days(stack, "2025-01-01", "2025-06-30") == before_days
    assert api(stack, "GET", "/api/balance?as_of=2025-06-30").json() == before_balance
    assert api(stack, "GET", "/api/summary?year=2025").json()[:6] == before_months

    # By hand: June has 21 weekdays (+20 each) → +420 on 30 June. 1–13 July: weekdays
    # Tue 1 … Fri 11 = 9 days worked 500; Mon–Thu expect 480 (+20), Fridays 4 and 11 expect 0 (+500).
    assert before_balance["balance"] == 21 * 20
    july = days(stack, "2025-07-01", "2025-07-13")
    assert [july[f"2025-07-{n:02d}"]["expected"] for n in range(1, 14)] == [480, 480, 480, 0, 0, 0, 480, 480, 480, 480, 0, 0, 0]
    assert july["2025-07-04"]["working_day"] is False
    balance = api(stack, "GET", "/api/balance?as_of=2025-07-13").json()
    assert balance["balance"] == 21 * 20 + 7 * 20 + 2 * 500


def test_friday_four_hours_is_240_on_fridays_only(stack):
    assert api(stack, "POST", "/api/schedules", {"valid_from": "2025-09-01", "minutes": {
        "mon": 540, "tue": 540, "wed": 540, "thu": 540, "fri": 240}}).status_code == 201
    september = days(stack, "2025-09-01", "2025-09-30")
    for text, row in september.items():
        weekday = date.fromisoformat(text).weekday()
        assert row["expected"] == [540, 540, 540, 540, 240, 0, 0][weekday], text
    assert api(stack, "GET", "/api/summary?year=2025").json()[8]["expected"] == 18 * 540 + 4 * 240


def test_settings_rewrite_only_the_version_in_force_today(stack):
    before = api(stack, "GET", "/api/schedules").json()
    today = datetime.now(BERLIN).date().isoformat()
    today_version = max((v for v in before if v["valid_from"] <= today), key=lambda v: v["valid_from"])
    response = api(stack, "POST", "/api/settings", {"working_days": ["mon", "tue", "wed"], "daily_required_minutes": 420})
    assert response.status_code == 200
    assert response.json()["working_days"] == ["mon", "tue", "wed"]
    after = api(stack, "GET", "/api/schedules").json()
    assert [v["valid_from"] for v in after] == [v["valid_from"] for v in before]
    for old, new in zip(before, after):
        if old["valid_from"] == today_version["valid_from"]:
            assert new["minutes"] == {"mon": 420, "tue": 420, "wed": 420, "thu": 0, "fri": 0, "sat": 0, "sun": 0}
        else:
            assert new == old


@pytest.mark.parametrize("method,path,body,status", [
    ("POST", "/api/schedules", {"valid_from": "2025-10-01", "minutes": {"monday": 480}}, 422),
    ("POST", "/api/schedules", {"valid_from": "2025-10-01", "minutes": {"mon": 1441}}, 422),
    ("POST", "/api/schedules", {"valid_from": "2025-02-29", "minutes": {"mon": 480}}, 422),
    ("POST", "/api/schedules", {"valid_from": "2025-10-01", "minutes": {"mon": "8:00"}}, 400),
    ("POST", "/api/schedules", {"valid_from": "2025-10-01"}, 400),
    ("DELETE", "/api/schedules/2025-10-02", None, 404),
    ("DELETE", "/api/schedules/2025-13-01", None, 422),
    ("PUT", "/api/schedules", {}, 405),
    ("POST", "/api/settings", {"opening_balance_minutes": 1000001}, 422),
    ("POST", "/api/settings", {"vacation_days_per_year": 0.25}, 422),
])
def test_refused_schedule_changes_store_nothing(stack, method, path, body, status):
    before = (api(stack, "GET", "/api/schedules").json(), api(stack, "GET", "/api/settings").json())
    response = api(stack, method, path, body)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["error"], str)
    assert (api(stack, "GET", "/api/schedules").json(), api(stack, "GET", "/api/settings").json()) == before


def test_the_last_version_cannot_be_removed(stack):
    versions = api(stack, "GET", "/api/schedules").json()
    for version in versions[1:]:
        assert api(stack, "DELETE", f"/api/schedules/{version['valid_from']}").status_code == 204
    last = api(stack, "DELETE", f"/api/schedules/{versions[0]['valid_from']}")
    assert last.status_code == 409
    assert "only" in last.json()["error"]
    assert api(stack, "GET", "/api/schedules").json() == versions[:1]


def test_the_opening_balance_is_in_every_balance(stack):
    assert api(stack, "POST", "/api/settings", {"opening_balance_minutes": -750}).status_code == 200
    balance = api(stack, "GET", "/api/balance?as_of=2024-12-31").json()
    assert balance["opening"] == -750 and balance["balance"] == -750  # before the period: the opening alone
    june = api(stack, "GET", "/api/balance?as_of=2025-06-30").json()
    assert june["opening"] == -750
    assert june["balance"] == -750 + june["effective"] - june["expected"]
    summary = api(stack, "GET", "/api/summary?year=2025").json()
    assert summary[5]["balance"] == june["balance"]
    assert api(stack, "GET", "/api/summary?year=2024").json()[-1]["balance"] == -750
    today = datetime.now(BERLIN).date()
    yesterday = api(stack, "GET", f"/api/balance?as_of={(today - timedelta(days=1)).isoformat()}").json()
    page = requests.get(stack.url + "/dashboard", timeout=10).text
    minutes = yesterday["balance"]
    shown = ("+" if minutes > 0 else "\u2212" if minutes < 0 else "") + f"{abs(minutes) // 60}:{abs(minutes) % 60:02d}"
    assert f'id="balance">{shown}<' in page
    assert "\u221212:30 carried over" in page


@pytest.mark.parametrize("web_server", ["nginx", "lighttpd"])
def test_a_v1_database_keeps_every_figure_after_the_migration(tmp_path, web_server):
    """The v1 database of fixtures/v1-database.sql, migrated by this responder, gives the
    figures v1 gave (fixtures/v1-figures.json, computed by v1 from the same file)."""
    database = tmp_path / "v1.sqlite"
    with sqlite3.connect(database) as db:
        db.executescript((FIXTURES / "v1-database.sql").read_text())
        heartbeats = db.execute("SELECT COUNT(*) FROM heartbeat").fetchone()[0]
        cache = db.execute("SELECT date, minutes FROM daily_attendance ORDER BY date").fetchall()
    running = Stack(web_server=web_server, database=database)
    try:
        expected = json.loads((FIXTURES / "v1-figures.json").read_text())
        for path, figures in expected.items():
            actual = api(running, "GET", path).json()
            if isinstance(figures, list):
                assert len(actual) == len(figures), path
                for old, new in zip(figures, actual):
                    assert {key: new[key] for key in old} == old, f"{path} {old.get('date') or old.get('month')}"
            else:
                assert {key: actual[key] for key in figures} == figures, path
                assert actual.get("opening", 0) == 0
        # The v1 policy became one version from the period's start: Monday–Thursday and Saturday, 7:30.
        assert api(running, "GET", "/api/schedules").json() == [{"valid_from": "2025-02-03", "minutes": {
            "mon": 450, "tue": 450, "wed": 450, "thu": 450, "fri": 0, "sat": 450, "sun": 0}, "work_rules": "none"}]
        settings = api(running, "GET", "/api/settings").json()
        assert settings["working_days"] == ["mon", "tue", "wed", "thu", "sat"] and settings["daily_required_minutes"] == 450
        # Taken as set up: no first-run notice.
        assert 'id="first-run"' not in requests.get(running.url + "/dashboard", timeout=10).text
        # Nothing recorded was touched.
        assert running.query("SELECT COUNT(*) FROM heartbeat") == [(heartbeats,)]
        assert running.query("SELECT date, minutes FROM daily_attendance ORDER BY date") == cache
        migrated = [row[0] for row in running.query("SELECT identifier FROM grdb_migrations ORDER BY identifier")]
        assert migrated[:2] == ["v1-seed", "v2-schedule"] and len(migrated) >= 3
    finally:
        running.stop()
