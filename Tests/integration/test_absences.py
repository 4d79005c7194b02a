"""Absences, the vacation counter and the holiday import through the real web servers and
responder (SPEC §2 rules 5a and 7a; §3 /api/absences, /api/vacation,
/api/holidays/import, /api/days). Every figure is counted by hand here."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import Stack

BERLIN = ZoneInfo("Europe/Berlin")


def api(stack, method, path, body=None, **kwargs):
    return requests.request(method, stack.url + path, json=body, timeout=30, **kwargs)


def everything(stack):
    """What a refused request must leave as it was."""
    return [api(stack, "GET", path).json() for path in ("/api/absences", "/api/holidays", "/api/vacation?year=2025")]


@pytest.fixture(scope="module", params=["nginx", "lighttpd"])
def stack(request):
    running = Stack(web_server=request.param)
    assert api(running, "POST", "/api/settings", {"timezone": "Europe/Berlin", "period_start": "2025-01-01",
                                                  "vacation_days_per_year": 30}).status_code == 200
    # 7:30 Monday to Friday from the period's start.
    assert api(running, "POST", "/api/settings", {"working_days": ["mon", "tue", "wed", "thu", "fri"],
                                                  "daily_required_minutes": 450}).status_code == 200
    yield running
    running.stop()


def test_a_vacation_week_with_a_holiday_and_a_half_day(stack):
    assert api(stack, "POST", "/api/holidays", {"date": "2025-05-01", "name": "Labour Day"}).status_code == 201
    # 9:00 recorded on Tuesday 29 April, while on vacation.
    start = datetime(2025, 4, 29, 8, tzinfo=BERLIN)
    beats = [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "pc"} for m in range(540)]
    assert stack.heartbeat(json={"heartbeats": beats}).status_code == 200

    booked = api(stack, "POST", "/api/absences", {"from": "2025-04-28", "to": "2025-05-04", "kind": "vacation", "note": "Rügen"})
    assert booked.status_code == 201
    assert booked.json() == {"booked": ["2025-04-28", "2025-04-29", "2025-04-30", "2025-05-02"],
                             "skipped": ["2025-05-01", "2025-05-03", "2025-05-04"]}
    half = api(stack, "POST", "/api/absences", {"from": "2025-05-05", "kind": "vacation", "half_day": True})
    assert half.status_code == 201 and half.json() == {"booked": ["2025-05-05"], "skipped": []}

    days = {d["date"]: d for d in api(stack, "GET", "/api/days?from=2025-04-28&to=2025-05-05").json()}
    assert [days[f"2025-04-{n}"]["expected"] for n in (28, 29, 30)] == [0, 0, 0]
    assert days["2025-05-01"]["expected"] == 0 and days["2025-05-01"]["absence"] is None
    assert days["2025-05-05"]["expected"] == 225  # 450 − 225
    assert days["2025-05-05"]["absence"] == {"kind": "vacation", "half_day": True}
    assert days["2025-04-29"]["absence"] == {"kind": "vacation", "half_day": False}
    assert days["2025-04-29"]["effective"] == 540  # worked minutes on an absence day count

    assert api(stack, "GET", "/api/absences?from=2025-04-28&to=2025-04-28").json() == [
        {"date": "2025-04-28", "kind": "vacation", "half_day": False, "note": "Rügen"}]
    # 4.5 days taken (all in the past), none planned.
    assert api(stack, "GET", "/api/vacation?year=2025").json() == {
        "year": 2025, "allowance": 30, "taken": 4.5, "planned": 0, "remaining": 25.5}
    # The week's balance by hand: expected 0 + 0 + 0 + 0 (holiday) + 0 + 225 on Monday 5 May;
    # worked 540 on Tuesday: +540 − 225.
    week = api(stack, "GET", "/api/balance?as_of=2025-05-05").json()
    before = api(stack, "GET", "/api/balance?as_of=2025-04-27").json()
    assert week["balance"] - before["balance"] == 540 - 225


def test_sick_comp_and_unpaid(stack):
    assert api(stack, "POST", "/api/absences", {"from": "2025-06-02", "kind": "sick"}).status_code == 201
    assert api(stack, "POST", "/api/absences", {"from": "2025-06-03", "kind": "comp"}).status_code == 201
    assert api(stack, "POST", "/api/absences", {"from": "2025-06-04", "kind": "unpaid", "half_day": True}).status_code == 201
    days = {d["date"]: d for d in api(stack, "GET", "/api/days?from=2025-06-02&to=2025-06-04").json()}
    assert [days[d]["expected"] for d in ("2025-06-02", "2025-06-03", "2025-06-04")] == [0, 450, 225]
    # A booking replaces: the comp day becomes a half day of leave.
    assert api(stack, "POST", "/api/absences", {"from": "2025-06-03", "kind": "leave", "half_day": True}).status_code == 201
    assert api(stack, "GET", "/api/days?from=2025-06-03&to=2025-06-03").json()[0]["expected"] == 225
    # Only vacation counts against the allowance.
    assert api(stack, "GET", "/api/vacation?year=2025").json()["taken"] == 4.5


def test_a_later_schedule_change_keeps_absences_consistent(stack):
    """A vacation day expects nothing under any version; a half day half of the version in force."""
    assert api(stack, "POST", "/api/schedules", {"valid_from": "2025-06-01", "minutes": {
        "mon": 480, "tue": 480, "wed": 480, "thu": 480, "fri": 480}}).status_code == 201
    days = {d["date"]: d for d in api(stack, "GET", "/api/days?from=2025-06-02&to=2025-06-04").json()}
    assert [days[d]["expected"] for d in ("2025-06-02", "2025-06-03", "2025-06-04")] == [0, 240, 240]
    assert api(stack, "DELETE", "/api/schedules/2025-06-01").status_code == 204


@pytest.mark.parametrize("body,status", [
    ({"from": "2025-07-01", "kind": "holiday"}, 422),
    ({"from": "2025-07-05", "to": "2025-07-06", "kind": "vacation"}, 422),   # a weekend: nothing to book
    ({"from": "2024-12-30", "kind": "vacation"}, 422),                       # before the period
    ({"from": "2025-07-10", "to": "2025-07-01", "kind": "vacation"}, 422),   # inverted
    ({"from": "2025-01-01", "to": "2026-01-02", "kind": "vacation"}, 422),   # 367 days
    ({"from": "2025-02-29", "kind": "vacation"}, 422),
    ({"from": "2025-07-01", "kind": "vacation", "half_day": "yes"}, 400),
    ({"kind": "vacation"}, 400),
    ("{oops", 400),
])
def test_refused_bookings_store_nothing(stack, body, status):
    before = everything(stack)
    if isinstance(body, str):
        response = requests.post(stack.url + "/api/absences", data=body, timeout=10)
    else:
        response = api(stack, "POST", "/api/absences", body)
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)
    assert everything(stack) == before


def test_delete_twice_and_bad_dates(stack):
    assert api(stack, "POST", "/api/absences", {"from": "2025-07-01", "kind": "sick"}).status_code == 201
    assert api(stack, "DELETE", "/api/absences/2025-07-01").status_code == 204
    second = api(stack, "DELETE", "/api/absences/2025-07-01")
    assert second.status_code == 404 and "no absence" in second.json()["error"]
    assert api(stack, "DELETE", "/api/absences/2025-13-01").status_code == 422
    assert api(stack, "PUT", "/api/absences").status_code == 405
    assert api(stack, "GET", "/api/vacation?year=abc").status_code == 400
    assert api(stack, "GET", "/api/vacation?year=0").status_code == 422
    assert api(stack, "GET", "/api/absences?from=2025-07-02&to=2025-07-01").status_code == 422


CALENDAR = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//Example//Public holidays//EN\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:1@example\r\n"
    "DTSTART;VALUE=DATE:20251003\r\n"
    "DTEND;VALUE=DATE:20251004\r\n"
    "SUMMARY;LANGUAGE=de:Tag der Deutschen Einheit\\, national holiday\\; closed for a very long time and a fo\r\n"
    " lded line\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:2@example\r\n"
    "DTSTART;VALUE=DATE:20251225\r\n"
    "SUMMARY:Christmas Day\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:3@example\r\n"
    "DTSTART;TZID=Europe/Berlin:20251105T140000\r\n"
    "DTEND;TZID=Europe/Berlin:20251105T150000\r\n"
    "SUMMARY:Team meeting\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:4@example\r\n"
    "DTSTART;VALUE=DATE:20250101\r\n"
    "RRULE:FREQ=YEARLY\r\n"
    "SUMMARY:New Year\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_an_icalendar_file_is_imported_in_one_go(stack):
    assert api(stack, "POST", "/api/holidays", {"date": "2025-12-25", "name": "Weihnachten"}).status_code in (200, 201)
    response = requests.post(stack.url + "/api/holidays/import", data=CALENDAR.encode(),
                             headers={"Content-Type": "text/calendar"}, timeout=10)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["added"] == 1 and result["renamed"] == 1
    assert [item["summary"] for item in result["skipped"]] == ["Team meeting", "New Year"]
    assert "timed" in result["skipped"][0]["why"] and "RRULE" in result["skipped"][1]["why"]
    holidays = {h["date"]: h["name"] for h in api(stack, "GET", "/api/holidays?from=2025-10-01&to=2025-12-31").json()}
    assert holidays["2025-10-03"] == "Tag der Deutschen Einheit, national holiday; closed for a very long time and a folded line"
    assert holidays["2025-12-25"] == "Christmas Day"
    assert api(stack, "GET", "/api/days?from=2025-10-03&to=2025-10-03").json()[0]["expected"] == 0
    # Again: nothing new.
    again = requests.post(stack.url + "/api/holidays/import", data=CALENDAR.encode(), timeout=10).json()
    assert again["added"] == 0 and again["renamed"] == 0


@pytest.mark.parametrize("body", [b"", b"Subject: hello\r\n\r\nnot a calendar", b"BEGIN:VCARD\r\nEND:VCARD\r\n",
                                  b"BEGIN:VCALENDAR\r\n\xff\xfe"])
def test_a_file_that_is_not_icalendar_stores_nothing(stack, body):
    before = everything(stack)
    response = requests.post(stack.url + "/api/holidays/import", data=body, headers={"Content-Type": "text/calendar"}, timeout=10)
    assert response.status_code == 422
    assert "iCalendar" in response.json()["error"]
    assert everything(stack) == before
