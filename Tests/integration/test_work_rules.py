"""Working-time rules (SPEC §2 rules 6, 12; /api/schedules, /api/days; the day page and
report of §4) through nginx and the real responder, every figure worked out by hand."""
import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import Stack
from test_pages import SCREENSHOTS, make_driver

BERLIN = ZoneInfo("Europe/Berlin")


def api(stack, method, path, body=None, **kwargs):
    return requests.request(method, stack.url + path, json=body, timeout=30, **kwargs)


def beats(day, hour, minute, minutes):
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)
    return [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "laptop"} for m in range(minutes)]


@pytest.fixture(scope="module")
def stack():
    """Period from Monday 2025-06-02. Friday 6 June: 8:00 straight from 08:00. Monday 9
    June: 6:10 straight from 08:00. Tuesday 10 June: 08:00–13:00, a 10-minute gap,
    13:10–15:10, a 20-minute break, 15:30–18:30 = 10:00 worked. Wednesday 11 June: 8:00
    straight from 05:00 (10:30 after Tuesday's 18:30). Sunday 15 June: 1:00."""
    running = Stack()
    assert api(running, "POST", "/api/settings", {"timezone": "Europe/Berlin", "period_start": "2025-06-02"}).status_code == 200
    heartbeats = (beats(date(2025, 6, 6), 8, 0, 480) + beats(date(2025, 6, 9), 8, 0, 370)
                  + beats(date(2025, 6, 10), 8, 0, 300) + beats(date(2025, 6, 10), 13, 10, 120) + beats(date(2025, 6, 10), 15, 30, 180)
                  + beats(date(2025, 6, 11), 5, 0, 480) + beats(date(2025, 6, 15), 10, 0, 60))
    assert running.heartbeat(json={"heartbeats": heartbeats}).status_code == 200
    yield running
    running.stop()


def rows(stack, first="2025-06-06", last="2025-06-15"):
    return {row["date"]: row for row in api(stack, "GET", f"/api/days?from={first}&to={last}").json()}


def test_rules_apply_from_their_version_on_and_never_before(stack):
    before = rows(stack)
    assert all(row["rule_deduction"] == 0 and row["warnings"] == [] for row in before.values())
    assert api(stack, "POST", "/api/schedules", {"valid_from": "2025-06-09", "minutes": {"mon": 480}, "work_rules": "klingon"}).status_code == 422
    week = {day: 480 for day in ("mon", "tue", "wed", "thu", "fri")}
    added = api(stack, "POST", "/api/schedules", {"valid_from": "2025-06-09", "minutes": week, "work_rules": "de"})
    assert added.status_code == 201, added.text
    assert added.json()["work_rules"] == "de"
    assert [v["work_rules"] for v in api(stack, "GET", "/api/schedules").json()] == ["none", "de"]
    after = rows(stack)
    assert after["2025-06-06"] == before["2025-06-06"]  # the Friday before: unchanged, 8:00 counts 8:00
    # Monday: 6:10 without a break counts 6:00.
    assert (after["2025-06-09"]["rule_deduction"], after["2025-06-09"]["effective"]) == (10, 360)
    assert after["2025-06-09"]["warnings"] == ["no_break_6h"]
    # Tuesday: the 10-minute gap is no break, the 20-minute one is; 10:00 counts 9:35.
    assert (after["2025-06-10"]["rule_deduction"], after["2025-06-10"]["effective"]) == (25, 575)
    # 08:00–15:10 is 7:00 worked with only the 10-minute gap in between.
    assert after["2025-06-10"]["warnings"] == ["no_break_6h"]
    # Wednesday: 8:00 without a break counts 7:30; 05:00 is 10:30 after 18:30: a short rest.
    assert (after["2025-06-11"]["rule_deduction"], after["2025-06-11"]["effective"]) == (30, 450)
    assert after["2025-06-11"]["warnings"] == ["short_rest", "no_break_6h"]
    assert after["2025-06-15"]["warnings"] == ["sunday_or_holiday"] and after["2025-06-15"]["rule_deduction"] == 0
    # The balance moves by exactly the deductions: 10 + 25 + 30.
    balance = lambda: api(stack, "GET", "/api/balance?as_of=2025-06-15").json()["balance"]
    assert balance() == sum(r["worked"] - r["expected"] for r in rows(stack, "2025-06-02", "2025-06-15").values()) - 65
    # A correction is the user's own statement of the day: no deduction, no warning.
    assert api(stack, "POST", "/api/corrections", {"date": "2025-06-11", "minutes": 480, "note": "worked through"}).status_code == 201
    corrected = rows(stack)["2025-06-11"]
    assert (corrected["rule_deduction"], corrected["effective"], corrected["warnings"]) == (0, 480, [])
    assert balance() == sum(r["worked"] - r["expected"] for r in rows(stack, "2025-06-02", "2025-06-15").values()) - 35
    exported = list(csv.DictReader(io.StringIO(requests.get(stack.url + "/export/days.csv?from=2025-06-09&to=2025-06-10", timeout=30).text)))
    assert [(r["rule_deduction"], r["warnings"], r["effective"]) for r in exported] == [("10", "no_break_6h", "360"), ("25", "no_break_6h", "575")]


def test_the_day_page_and_report_say_it_in_words_at_phone_width(stack):
    assert api(stack, "POST", "/api/schedules", {"valid_from": "2025-06-09", "minutes": {d: 480 for d in ("mon", "tue", "wed", "thu", "fri")},
                                                "work_rules": "de"}).status_code in (200, 201)
    day = requests.get(stack.url + "/days/2025-06-09", timeout=30).text
    assert "10 min break deducted: 6:10 worked without a break of 15 minutes (§4 ArbZG)" in day
    assert "More than 6 hours worked without a break of 15 minutes" in day
    report = requests.get(stack.url + "/report?month=2025-06", timeout=30).text
    assert "25 min break deducted: 10:00 worked with 0:20 of breaks of 15 minutes or more" in report
    assert "Worked on a Sunday or a holiday (§9 ArbZG)" in report and 'id="report-deducted"' in report
    days = requests.get(stack.url + "/corrections?from=2025-06-09&to=2025-06-15", timeout=30).text
    assert 'class="badge rule-mark"' in days
    settings = requests.get(stack.url + "/settings", timeout=30).text
    assert "German ArbZG" in settings and 'name="work_rules"' in settings
    driver = make_driver(javascript=False)
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
            driver.set_window_size(width, height)
            for page, path in (("day-rules", "/days/2025-06-10"), ("report-rules", "/report?month=2025-06")):
                driver.get(stack.url + path)
                assert driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
                driver.save_screenshot(str(SCREENSHOTS / f"{page}-{name}.png"))
            driver.get(stack.url + "/days/2025-06-10")
            rules = driver.find_element(By.ID, "day-rules")
            assert rules.is_displayed() and rules.size["width"] <= width
    finally:
        driver.quit()
