"""The printable timesheet and the day page in a real headless Chromium: /report printed
to PDF is one A4 page for a 31-day month with a remark on every day, and its text shows
the totals /api/days gives; /days/… draws its timeline without JavaScript."""
import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import ROOT, Stack
from test_pages import SCREENSHOTS, chromium_paths, make_driver
from selenium.webdriver.common.by import By

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def stack():
    running = Stack()
    requests.post(running.url + "/api/settings", json={"timezone": "Europe/Berlin", "period_start": "2025-01-01",
                                                        "vacation_days_per_year": 30}, timeout=10).raise_for_status()
    # January 2025: work on each weekday from 08:10 for 7 to 9 hours, a remark on every
    # day: a holiday, a vacation week, and a correction with a note on every other day.
    beats = []
    for day in range(1, 32):
        start = datetime(2025, 1, day, 8, 10, tzinfo=BERLIN)
        if start.weekday() < 5:
            beats += [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "pc"} for m in range(420 + day * 4)]
    for first in range(0, len(beats), 5000):
        running.heartbeat(json={"heartbeats": beats[first:first + 5000]}).raise_for_status()
    requests.post(running.url + "/api/holidays", json={"date": "2025-01-01", "name": "New Year"}, timeout=10).raise_for_status()
    requests.post(running.url + "/api/absences", json={"from": "2025-01-13", "to": "2025-01-17", "kind": "vacation"},
                  timeout=10).raise_for_status()
    for day in range(2, 32):
        if not 13 <= day <= 17:
            requests.post(running.url + "/api/corrections", json={
                "date": f"2025-01-{day:02d}", "minutes": 400 + day, "note": f"Day {day}: client workshop, travel and a long note"},
                timeout=10).raise_for_status()
    yield running
    running.stop()


def test_the_timesheet_prints_on_one_a4_page_with_the_api_totals(stack, tmp_path):
    browser, _ = chromium_paths()
    pdf = tmp_path / "report.pdf"
    result = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                             f"--print-to-pdf={pdf}", stack.url + "/report?month=2025-01"],
                            capture_output=True, text=True, timeout=90)
    assert pdf.exists(), result.stderr[-2000:]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 595) < 3 and abs(height - 842) < 3, info  # A4 portrait
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    days = requests.get(stack.url + "/api/days?from=2025-01-01&to=2025-01-31", timeout=10).json()

    def hm(minutes):
        sign = "\u2212" if minutes < 0 else "+" if minutes > 0 else ""
        return f"{sign}{abs(minutes) // 60}:{abs(minutes) % 60:02d}"

    worked = sum(d["effective"] for d in days)
    expected = sum(d["expected"] for d in days)
    totals = re.search(r"^\s*Month\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M)
    assert totals, text
    assert totals.groups() == (hm(worked).lstrip("+"), hm(expected).lstrip("+"), hm(worked - expected)), text
    assert "Timesheet January 2025" in text and "New Year" in text and "Vacation" in text
    assert "Date, employee" in text and "Date, employer or client" in text
    for day in range(1, 32):
        assert f"2025-01-{day:02d}" in text
    assert "Dashboard" not in text  # no navigation on paper
    # The page's own figures: the balance after the month is the API's balance.
    balance = requests.get(stack.url + "/api/balance?as_of=2025-01-31", timeout=10).json()["balance"]
    assert f"on 2025-01-31: {hm(balance)}" in text
    assert "5 of 30 vacation days taken in 2025 through 2025-01-31, 25 left" in text


def test_the_day_page_draws_its_timeline_without_javascript(stack):
    driver = make_driver(javascript=False)
    try:
        driver.get(stack.url + "/days/2025-01-08")
        svg = driver.find_element(By.ID, "timeline")
        blocks = svg.find_elements(By.CSS_SELECTOR, "rect.session")
        assert len(blocks) == 1
        # 08:10 to 08:10 + 7:12 (420 + 8 × 4 minutes) = 15:22; drawn a minute per unit.
        assert blocks[0].get_attribute("x") == str(8 * 60 + 10) and blocks[0].get_attribute("width") == "452"
        assert svg.get_dom_attribute("viewBox").split()[2] == str(1440 + 120)
        assert svg.size["width"] > 300 and svg.size["height"] > 20
        assert driver.find_element(By.ID, "first-start").text == "08:10"
        assert driver.find_element(By.ID, "last-end").text == "15:42"
        assert driver.find_element(By.ID, "day-correction").text == "6:48"
        assert "client workshop" in driver.find_element(By.ID, "day-history").text
        labels = [text.text for text in svg.find_elements(By.TAG_NAME, "text")]
        assert labels == ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "24:00"]
        driver.find_element(By.ID, "next-day").click()
        assert "2025-01-09" in driver.find_element(By.TAG_NAME, "h1").text
        # A spring-forward day is 23 hours wide.
        driver.get(stack.url + "/days/2025-03-30")
        assert driver.find_element(By.ID, "timeline").get_dom_attribute("viewBox").split()[2] == str(1380 + 120)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
            driver.set_window_size(width, height)
            driver.get(stack.url + "/days/2025-01-08")
            assert driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
            driver.save_screenshot(str(SCREENSHOTS / f"day-{name}-no-javascript.png"))
            driver.get(stack.url + "/report?month=2025-01")
            assert driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
            driver.save_screenshot(str(SCREENSHOTS / f"report-{name}-no-javascript.png"))
    finally:
        driver.quit()


def test_a_signed_month_prints_on_one_page_with_its_digest_and_passes_axe(stack, tmp_path):
    """January signed, with three bookings and heartbeats that came after: the paper shows
    the signature, the digest's first 16 hex digits, the bookings and the late minutes, and
    no form; still one A4 page. On screen, at laptop and phone width in both schemes, the
    signed report, a frozen day and the settings (bookings, history) have no serious axe
    violation and never scroll sideways."""
    from axe_selenium_python import Axe
    from test_pages import color_scheme
    for n, minutes in enumerate((-600, 120, -45)):
        requests.post(stack.url + "/api/bookings", json={"date": f"2025-01-{n + 29}", "kind": "adjustment" if minutes > 0 else "payout",
                                                         "minutes": minutes, "note": f"Booking {n}: a note of some length"},
                      timeout=10).raise_for_status()
    signed = requests.post(stack.url + "/api/months/2025-01/sign", timeout=30)
    assert signed.status_code == 201, signed.text
    time.sleep(1.1)  # heartbeats are stamped with the second they arrive: a later one
    stack.heartbeat(json={"heartbeats": [{"timestamp": f"2025-01-08T21:{m:02d}:00+01:00"} for m in range(15)]}).raise_for_status()
    browser, _ = chromium_paths()
    pdf = tmp_path / "signed.pdf"
    subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", stack.url + "/report?month=2025-01"], capture_output=True, timeout=90)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"digest {signed.json()['digest'][:16]}" in text and "Signed on " in text, text
    assert "Payout −10:00" in text and "0:15 worked on its dates arrived after signing" in text
    assert "Unsign" not in text and "Reopen" not in text
    driver = make_driver(javascript=True)
    found = []
    try:
        for scheme in ("light", "dark"):
            color_scheme(driver, scheme)
            for width, height, size in ((1280, 900, "desktop"), (390, 844, "phone")):
                driver.set_window_size(width, height)
                for name, path in (("report-signed", "/report?month=2025-01"), ("day-frozen", "/days/2025-01-08"),
                                   ("settings-bookings", "/settings")):
                    driver.get(stack.url + path)
                    assert driver.execute_script(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0, (path, width)
                    axe = Axe(driver)
                    axe.inject()
                    for violation in axe.run()["violations"]:
                        if violation["impact"] in ("serious", "critical"):
                            found.append(f"{path} {scheme} {width}px: {violation['id']}")
                    driver.save_screenshot(str(SCREENSHOTS / f"{name}-{size}{'' if scheme == 'light' else '-dark'}.png"))
        # What a frozen day offers: no form that would only be refused.
        driver.get(stack.url + "/days/2025-01-08")
        assert driver.find_elements(By.CSS_SELECTOR, "form[action$='/entries']") == []
        assert "January 2025, which is signed" in driver.find_element(By.ID, "day-frozen").text
        # The late heartbeats are neither counted nor drawn: one session, as signed.
        assert len(driver.find_elements(By.CSS_SELECTOR, "#timeline rect.session")) == 1
    finally:
        driver.quit()
    assert not found, "\n".join(found)


def test_a_timesheet_says_whose_it_is_and_what_each_row_is(tmp_path):
    """A month that begins before the period, with a 25-hour day, a holiday and a vacation
    day: the paper names the person, when it was printed, marks the rows outside the
    period (not counted) and the long day, says "carried over" for the opening balance,
    and has a legend for its tints; still one A4 page, and the totals are the period's."""
    stack = Stack()
    try:
        requests.post(stack.url + "/api/settings", json={
            "timezone": "Europe/Berlin", "period_start": "2025-10-15", "opening_balance_minutes": 150,
            "name": "Anna Example"}, timeout=10).raise_for_status()
        beats = []
        for day in range(1, 32):
            start = datetime(2025, 10, day, 9, 0, tzinfo=BERLIN)
            if start.weekday() < 5:
                beats += [{"timestamp": (start + timedelta(minutes=m)).isoformat(), "host": "pc"} for m in range(480)]
        for first in range(0, len(beats), 5000):
            stack.heartbeat(json={"heartbeats": beats[first:first + 5000]}).raise_for_status()
        requests.post(stack.url + "/api/holidays", json={"date": "2025-10-31", "name": "Reformation Day"},
                      timeout=10).raise_for_status()
        requests.post(stack.url + "/api/absences", json={"from": "2025-10-20", "to": "2025-10-20", "kind": "vacation"},
                      timeout=10).raise_for_status()
        browser, _ = chromium_paths()
        pdf = tmp_path / "report.pdf"
        subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", stack.url + "/report?month=2025-10"], capture_output=True, timeout=90)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M), info
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        flat = " ".join(text.split())
        assert "Timesheet October 2025 · Anna Example" in flat
        assert re.search(r"Printed on \d{4}-\d{2}-\d{2} \d{2}:\d{2}\.", flat), flat
        for day in range(1, 15):
            line = next(l for l in text.splitlines() if f"2025-10-{day:02d}" in l)
            assert "before the period: not counted" in line, line
        long_day = next(l for l in text.splitlines() if "2025-10-26" in l)
        assert "25-hour day: clocks went back" in long_day, long_day
        assert "Carried over into the period (it starts 2025-10-15): +2:30" in flat
        assert "Holiday Absence (vacation, sick, leave) Outside the period: not counted" in flat
        # The totals count the period's days only (15–31 October), as /api/days gives them.
        days = requests.get(stack.url + "/api/days?from=2025-10-15&to=2025-10-31", timeout=10).json()
        worked = sum(d["effective"] for d in days)
        expected = sum(d["expected"] for d in days)
        assert f"Month {worked // 60}:{worked % 60:02d} {expected // 60}:{expected % 60:02d}" in flat, flat
    finally:
        stack.stop()
