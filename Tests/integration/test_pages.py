"""The three pages in a real headless Chromium through nginx, with JavaScript on and off:
settings, holidays and corrections changed through the forms, each time checking the
figures the pages show against a hand computation."""
import os
import shutil
import subprocess
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, Stack

SCREENSHOTS = ROOT / "test-output" / "screenshots"
ZONE = "Europe/Berlin"
WORKED = 540  # 9 h recorded on every weekday: +1:00 against 8 h
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def chromium_paths():
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    assert Path(browser).exists() and Path(driver).exists(), "chromium and chromium-driver are not installed (make test-deps)"
    return browser, driver


def make_driver(javascript):
    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--lang=en-US", "--window-size=1280,900"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def minutes(text):
    """`+12:30` / `−1:05` / `0:00` → signed minutes."""
    text = text.strip()
    sign = -1 if text.startswith("\u2212") else 1
    hours, mins = text.lstrip("+\u2212").split(":")
    return sign * (int(hours) * 60 + int(mins))


def typed_date(day):
    """What a person types into an en-US date field."""
    return day.strftime("%m%d%Y")


class Setup:
    """Today in the zone; the period starts on Monday of last week; 9 h on each weekday
    before today. Hand computation: every weekday before today adds +1:00."""

    def __init__(self, stack):
        self.stack = stack
        self.today = datetime.now(ZoneInfo(ZONE)).date()
        self.start = self.today - timedelta(days=self.today.weekday() + 7)
        self.tuesday = self.start + timedelta(days=1)
        self.wednesday = self.start + timedelta(days=2)
        self.weekdays = [self.start + timedelta(days=n) for n in range((self.today - self.start).days)
                         if (self.start + timedelta(days=n)).weekday() < 5]
        self.base = len(self.weekdays) * (WORKED - 480)
        settings = requests.post(stack.url + "/api/settings", json={
            "timezone": ZONE, "period_start": self.start.isoformat(), "period_end": None,
            "working_days": ["mon", "tue", "wed", "thu", "fri"], "daily_required_minutes": 480})
        assert settings.status_code == 200
        beats = []
        for day in self.weekdays:
            first = datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZoneInfo(ZONE))
            beats += [{"timestamp": (first + timedelta(minutes=m)).isoformat(), "host": "laptop"} for m in range(WORKED)]
        response = stack.heartbeat(json={"heartbeats": beats})
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module", params=[(True, "nginx"), (False, "nginx"), (True, "lighttpd")],
                ids=["javascript", "no-javascript", "javascript-lighttpd"])
def site(request):
    javascript, web_server = request.param
    stack = Stack(web_server=web_server)
    setup = Setup(stack)
    driver = make_driver(javascript)
    driver.javascript = javascript
    yield stack, setup, driver
    driver.quit()
    stack.stop()


def open_page(driver, stack, path):
    driver.get(stack.url + path)
    assert "Attendance" in driver.title
    if driver.javascript:
        # A form shown again with its errors is answered 422 on purpose; anything else
        # severe (a script error, a missing file) fails the test.
        severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
                  and "status of 422" not in entry["message"]]
        assert severe == [], severe


def dashboard_balance(driver, stack):
    open_page(driver, stack, "/dashboard")
    return minutes(driver.find_element(By.ID, "balance").text)


def click_and_wait(element):
    """Clicks, then waits for the next page to replace this one (POST-redirect-GET)."""
    driver = element.parent
    element.click()

    def replaced(_):
        try:
            element.tag_name
            return False
        except WebDriverException:  # stale, or (Chromium) "node does not belong to the document"
            return True

    WebDriverWait(driver, 10).until(replaced)


def submit(form):
    click_and_wait(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def test_dashboard_shows_the_hand_computed_balance_and_draws_charts(site):
    stack, setup, driver = site
    assert dashboard_balance(driver, stack) == setup.base
    rows = driver.find_elements(By.CSS_SELECTOR, "#months tbody tr")
    # No month before the period's start (Monday of last week).
    first_month = setup.start.month if setup.start.year == setup.today.year else 1
    assert len(rows) == setup.today.month - first_month + 1
    # The charts are drawn on the server, with or without JavaScript: every bar and every
    # point of the line against /api/days, and the line against a day-by-day sum.
    days = {row["date"]: row for row in requests.get(stack.url + "/api/days", params={
        "from": (setup.today - timedelta(days=400)).isoformat(), "to": setup.today.isoformat()}).json()}
    bars = driver.find_elements(By.CSS_SELECTOR, "#daily-chart g.bar")
    assert [bar.get_attribute("data-date") for bar in bars] == \
        [(setup.today - timedelta(days=27 - n)).isoformat() for n in range(28)]
    for bar in bars:
        row = days[bar.get_attribute("data-date")]
        assert (int(bar.get_attribute("data-effective")), int(bar.get_attribute("data-expected"))) == \
            (row["effective"], row["expected"]), row
        worked = float(bar.find_element(By.CSS_SELECTOR, "rect.worked").get_attribute("height"))
        assert (worked > 0) == (row["effective"] > 0)
    line = driver.find_element(By.CSS_SELECTOR, "#balance-chart polyline.balance")
    values = [int(v) for v in line.get_attribute("data-values").split(",")]
    assert line.get_attribute("data-first") == setup.start.isoformat()
    expected, balance, day = [], 0, setup.start
    while day < setup.today:
        balance += days[day.isoformat()]["effective"] - days[day.isoformat()]["expected"]
        expected.append(balance)
        day += timedelta(days=1)
    assert values == expected and values[-1] == setup.base
    assert len(line.get_attribute("points").split()) == len(values)


def test_the_charts_are_svg_with_readable_labels_and_no_chart_library(site):
    """Drawn on the server: no Chart.js to download; every label at least 11 px tall on a
    phone and on a laptop, none cut at the figure's edge, each bar a link to its day."""
    stack, setup, driver = site
    for width, height in SIZES.values():
        driver.set_window_size(width, height)
        open_page(driver, stack, "/dashboard")
        assert driver.execute_script("return [...document.scripts].filter(s => /chart/i.test(s.src)).length") == 0
        measured = driver.execute_script("""
            return ['daily-chart', 'balance-chart'].map(id => {
                const svg = document.getElementById(id), box = svg.getBoundingClientRect();
                return [...svg.querySelectorAll('text')].map(t => {
                    const r = t.getBoundingClientRect();
                    return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a,
                            r.left >= box.left - 0.5 && r.right <= box.right + 0.5];
                });
            });""")
        for texts in measured:
            assert texts, "a chart without labels"
            for text, size, inside in texts:
                assert size >= 11, f"{text!r} is {size:.1f} px at {width} px"
                assert inside, f"{text!r} is cut at the edge at {width} px"
    driver.set_window_size(*SIZES["desktop"])
    first = driver.find_element(By.CSS_SELECTOR, "#daily-chart a")
    assert first.get_dom_attribute("href") == "/days/" + (setup.today - timedelta(days=27)).isoformat()


def test_working_hours_form_changes_the_figures(site):
    stack, setup, driver = site
    open_page(driver, stack, "/settings")
    hours = driver.find_element(By.ID, "daily_hours")
    assert hours.get_attribute("value") == "8:00"
    hours.clear()
    hours.send_keys("7:30")
    submit(driver.find_element(By.ID, "simple-schedule-form"))
    assert "Schedule saved." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    assert driver.find_element(By.ID, "daily_hours").get_attribute("value") == "7:30"
    # Hand computation: the only version changes, so each weekday now gives 9:00 − 7:30 = +1:30.
    assert dashboard_balance(driver, stack) == len(setup.weekdays) * 90

    open_page(driver, stack, "/settings")
    hours = driver.find_element(By.ID, "daily_hours")
    hours.clear()
    hours.send_keys("eight")
    submit(driver.find_element(By.ID, "simple-schedule-form"))
    assert "7:30 or 7.5" in driver.find_element(By.ID, "daily_hours-error").text
    assert driver.find_element(By.ID, "daily_hours").get_attribute("value") == "eight"
    hours = driver.find_element(By.ID, "daily_hours")
    hours.clear()
    hours.send_keys("8")
    submit(driver.find_element(By.ID, "simple-schedule-form"))
    assert dashboard_balance(driver, stack) == setup.base


def test_a_schedule_change_from_a_date_through_the_settings_page(site):
    """From last week's Wednesday: Monday to Thursday 9 h, Friday 4 h. Earlier days keep
    8 h; then removing the change brings every figure back."""
    stack, setup, driver = site
    versions_before = requests.get(stack.url + "/api/schedules", timeout=10).json()
    open_page(driver, stack, "/settings")
    form = driver.find_element(By.ID, "schedule-change-form")
    form.find_element(By.ID, "valid_from").send_keys(typed_date(setup.wednesday))
    for day, hours in zip(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ["9:00", "9", "9.0", "9:00", "4", "0", ""]):
        field = form.find_element(By.ID, f"hours_{day}")
        field.clear()
        if hours:
            field.send_keys(hours)
    submit(form)
    assert "Schedule saved." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    rows = driver.find_elements(By.CSS_SELECTOR, "#versions tbody tr")
    assert len(rows) == len(versions_before) + 1
    assert any(row.text.startswith(str(setup.wednesday)) and "9:00 9:00 9:00 9:00 4:00 0:00 0:00 40:00" in row.text for row in rows)
    # Hand computation, day by day: before Wednesday 9:00 − 8:00; from it Mon–Thu 9:00 − 9:00, Fri 9:00 − 4:00.
    expected = sum(60 if day < setup.wednesday else (0 if day.weekday() < 4 else 300) for day in setup.weekdays)
    assert dashboard_balance(driver, stack) == expected
    days = {d["date"]: d for d in requests.get(f"{stack.url}/api/days?from={setup.start}&to={setup.today}", timeout=10).json()}
    assert days[str(setup.tuesday)]["expected"] == 480
    assert days[str(setup.start + timedelta(days=4))]["expected"] == 240  # last week's Friday

    # A wrong entry is refused beside its field, as typed, and stores nothing.
    open_page(driver, stack, "/settings")
    form = driver.find_element(By.ID, "schedule-change-form")
    form.find_element(By.ID, "valid_from").send_keys(typed_date(setup.today))
    field = form.find_element(By.ID, "hours_mon")
    field.clear()
    field.send_keys("nine")
    submit(form)
    assert "Monday" in driver.find_element(By.ID, "schedule-hours-error").text
    assert driver.find_element(By.ID, "hours_mon").get_attribute("value") == "nine"
    assert len(requests.get(stack.url + "/api/schedules", timeout=10).json()) == len(versions_before) + 1

    open_page(driver, stack, "/settings")
    click_and_wait(driver.find_element(By.CSS_SELECTOR, f"#versions button[aria-label='Remove the change from {setup.wednesday}']"))
    assert "Schedule change removed." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    assert requests.get(stack.url + "/api/schedules", timeout=10).json() == versions_before
    assert dashboard_balance(driver, stack) == setup.base


def test_opening_balance_through_the_settings_page(site):
    stack, setup, driver = site
    open_page(driver, stack, "/settings")
    field = driver.find_element(By.ID, "opening_balance")
    field.clear()
    field.send_keys("-12:30")
    submit(driver.find_element(By.ID, "settings-form"))
    assert "Settings saved." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    assert driver.find_element(By.ID, "opening_balance").get_attribute("value") == "-12:30"
    assert dashboard_balance(driver, stack) == setup.base - 750
    assert "\u221212:30 carried over" in driver.find_element(By.CSS_SELECTOR, "#balance + .note").text
    open_page(driver, stack, "/settings")
    field = driver.find_element(By.ID, "opening_balance")
    field.clear()
    field.send_keys("0:00")
    submit(driver.find_element(By.ID, "settings-form"))
    assert dashboard_balance(driver, stack) == setup.base


def test_absences_booked_through_the_absences_page(site):
    """A vacation range and a half day, booked through the form (JavaScript on and off),
    then the dashboard's balance and vacation card against a hand computation."""
    stack, setup, driver = site
    assert requests.post(stack.url + "/api/settings", json={"vacation_days_per_year": 30}, timeout=10).status_code == 200
    open_page(driver, stack, "/absences")
    form = driver.find_element(By.ID, "absence-form")
    form.find_element(By.ID, "absence-from").send_keys(typed_date(setup.tuesday))
    form.find_element(By.ID, "absence-to").send_keys(typed_date(setup.wednesday))
    form.find_element(By.ID, "absence-note").send_keys("<i>Harz</i>")
    submit(form)
    assert "Booked 2 days." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    thursday = setup.start + timedelta(days=3)
    form = driver.find_element(By.ID, "absence-form")
    form.find_element(By.ID, "absence-from").send_keys(typed_date(thursday))
    form.find_element(By.ID, "absence-half").click()
    submit(form)
    assert "Booked 1 day." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    rows = driver.find_elements(By.CSS_SELECTOR, "#absence-list tbody tr")
    assert [row.get_attribute("id") for row in rows] == [f"absence-{d}" for d in (setup.tuesday, setup.wednesday, thursday)]
    assert "<i>Harz</i>" in rows[0].text and "half day" in rows[2].text
    assert driver.find_element(By.ID, "vacation-remaining").text == "27.5"
    # A weekend books nothing: refused beside the field, as typed.
    saturday = setup.start + timedelta(days=5)
    form = driver.find_element(By.ID, "absence-form")
    form.find_element(By.ID, "absence-from").send_keys(typed_date(saturday))
    submit(form)
    assert "nothing to book" in driver.find_element(By.ID, "absence-from-error").text
    assert driver.find_element(By.ID, "absence-from").get_attribute("value") == str(saturday)

    # Hand computation, day by day: Tuesday and Wednesday expect nothing, so their 9:00 is all
    # overtime (+9:00 instead of +1:00 each); Thursday expects half of 8:00 (+5:00 instead of +1:00).
    assert dashboard_balance(driver, stack) == setup.base + 2 * 480 + 240
    assert driver.find_element(By.ID, "vacation-taken").text == "2.5"
    assert driver.find_element(By.ID, "vacation-remaining").text == "27.5"
    open_page(driver, stack, f"/corrections?from={setup.start}&to={setup.today}")
    assert "Vacation (half day)" in driver.find_element(By.ID, f"day-{thursday}").text
    assert driver.find_element(By.CSS_SELECTOR, f"#day-{setup.tuesday} .expected").text == "0:00"

    for day in (setup.tuesday, setup.wednesday, thursday):
        open_page(driver, stack, "/absences")
        click_and_wait(driver.find_element(By.CSS_SELECTOR, f"button[aria-label='Remove the absence on {day}']"))
        assert f"Absence on {day} removed." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    assert dashboard_balance(driver, stack) == setup.base


def test_the_dashboard_settles(site):
    """Chart.js once grew its canvases without end (901 → 2844 → 5251 px in 4 s): the page
    and both charts must keep their size after load, on a laptop and on a phone."""
    stack, _, driver = site
    measure = """
        const charts = ['daily-chart', 'balance-chart'].map(id => document.getElementById(id).getBoundingClientRect());
        return [document.documentElement.scrollHeight].concat(charts.map(r => [Math.round(r.width), Math.round(r.height)]));"""
    for width, height in SIZES.values():
        driver.set_window_size(width, height)
        open_page(driver, stack, "/dashboard")
        first = driver.execute_script(measure)
        time.sleep(3)
        later = driver.execute_script(measure)
        assert later == first, f"the dashboard still changes size at {width} px: {first} → {later}"
        for chart_width, chart_height in first[1:]:
            assert chart_height <= 300 and chart_width <= width, f"chart {chart_width}×{chart_height} at {width} px"
    driver.set_window_size(*SIZES["desktop"])


def test_the_dashboard_finishes_loading_under_virtual_time(site):
    """Headless Chromium with a virtual-time budget finishes only when the page goes idle."""
    stack, _, driver = site
    browser, _ = chromium_paths()
    started = time.time()
    result = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                             "--dump-dom", stack.url + "/dashboard"], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'id="balance-chart"' in result.stdout and "</html>" in result.stdout
    assert time.time() - started < 60


def test_holiday_added_and_removed_through_the_settings_page(site):
    stack, setup, driver = site
    name = "<script>alert(1)</script> Feiertag"
    open_page(driver, stack, "/settings")
    driver.find_element(By.ID, "holiday-date").send_keys(typed_date(setup.wednesday))
    driver.find_element(By.ID, "holiday-name").send_keys(name)
    submit(driver.find_element(By.ID, "holiday-form"))
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    cells = driver.find_elements(By.CSS_SELECTOR, "#holiday-list td.holiday-name")
    assert [cell.text for cell in cells] == [name]
    # Hand computation: Wednesday expects nothing now, so its 9:00 is all overtime: +8:00.
    assert dashboard_balance(driver, stack) == setup.base + 480

    open_page(driver, stack, f"/corrections?from={setup.start}&to={setup.today}")
    row = driver.find_element(By.ID, f"day-{setup.wednesday}")
    assert name in row.text
    assert row.find_element(By.CSS_SELECTOR, ".expected").text == "0:00"
    assert "holiday" in row.get_attribute("class")

    open_page(driver, stack, "/settings")
    click_and_wait(driver.find_element(By.CSS_SELECTOR, "#holiday-list button[type=submit]"))
    assert "Holiday removed." in driver.find_element(By.CSS_SELECTOR, ".flash").text
    assert driver.find_elements(By.ID, "holiday-list") == []
    assert dashboard_balance(driver, stack) == setup.base


def test_correction_added_changed_and_removed_through_the_corrections_page(site):
    stack, setup, driver = site
    open_page(driver, stack, "/corrections")
    start = driver.find_element(By.ID, "from")
    start.send_keys(typed_date(setup.start))
    end = driver.find_element(By.ID, "to")
    end.send_keys(typed_date(setup.today))
    submit(driver.find_element(By.ID, "range-form"))
    assert driver.find_element(By.ID, f"day-{setup.start}")

    day = str(setup.tuesday)
    click_and_wait(driver.find_element(By.CSS_SELECTOR, f"#day-{day} .actions a"))
    assert driver.find_element(By.ID, "correction-date").get_attribute("value") == day
    assert driver.find_element(By.ID, "correction-duration").get_attribute("value") == "9:00"
    duration = driver.find_element(By.ID, "correction-duration")
    duration.clear()
    duration.send_keys("4:00")
    driver.find_element(By.ID, "correction-note").send_keys("dentist <b>bold</b>")
    submit(driver.find_element(By.ID, "correction-form"))
    row = driver.find_element(By.ID, f"day-{day}")
    assert row.find_element(By.CSS_SELECTOR, ".recorded").text == "9:00"
    assert row.find_element(By.CSS_SELECTOR, ".correction").text.splitlines()[0] == "4:00"
    # The note shows in the row, as text, without opening the history.
    assert row.find_element(By.CSS_SELECTOR, ".correction-note").text == "dentist <b>bold</b>"
    assert row.find_element(By.CSS_SELECTOR, ".effective").text == "4:00"
    # The day's start and end: 9:00 recorded from 09:00 local.
    assert row.find_element(By.CSS_SELECTOR, ".start").text == "09:00" and row.find_element(By.CSS_SELECTOR, ".end").text == "18:00"
    assert minutes(row.find_element(By.CSS_SELECTOR, ".difference").text) == -240
    # Hand computation: Tuesday goes from +1:00 to −4:00.
    assert dashboard_balance(driver, stack) == setup.base - 300

    open_page(driver, stack, f"/corrections?from={setup.start}&to={setup.today}&edit={day}")
    duration = driver.find_element(By.ID, "correction-duration")
    duration.clear()
    duration.send_keys("10.5")
    submit(driver.find_element(By.ID, "correction-form"))
    assert driver.find_element(By.CSS_SELECTOR, f"#day-{day} .effective").text == "10:30"
    history = driver.find_element(By.XPATH, f"//tr[@id='day-{day}']/following-sibling::tr[1]").get_attribute("textContent")
    assert "set to 10:30" in history and "set to 4:00" in history and "dentist <b>bold</b>" in history
    assert dashboard_balance(driver, stack) == setup.base + 90

    open_page(driver, stack, f"/corrections?from={setup.start}&to={setup.today}")
    click_and_wait(driver.find_element(By.CSS_SELECTOR, f"#day-{day} .actions button"))
    assert "worked time counts again" in driver.find_element(By.CSS_SELECTOR, ".flash").text
    assert driver.find_element(By.CSS_SELECTOR, f"#day-{day} .effective").text == "9:00"
    assert dashboard_balance(driver, stack) == setup.base

    # Too long for the day: refused, input kept, message next to the field.
    open_page(driver, stack, f"/corrections?from={setup.start}&to={setup.today}&edit={day}")
    duration = driver.find_element(By.ID, "correction-duration")
    duration.clear()
    duration.send_keys("25:00")
    submit(driver.find_element(By.ID, "correction-form"))
    message = driver.find_element(By.ID, "correction-duration-error").text
    assert message.startswith("25:00 is longer than this day (24:00).") and "opening balance" in message
    assert driver.find_element(By.ID, "correction-duration").get_attribute("value") == "25:00"
    assert dashboard_balance(driver, stack) == setup.base


def test_unknown_page_is_a_friendly_404(site):
    stack, _, driver = site
    driver.get(stack.url + "/no-such-page")
    assert driver.find_element(By.TAG_NAME, "h1").text == "404"
    assert driver.find_element(By.LINK_TEXT, "Back to the dashboard")
    if driver.javascript:
        logged = driver.get_log("browser")
        assert [entry["message"].split(" - ")[0] for entry in logged] == [stack.url + "/no-such-page"]


def test_screenshots_of_every_page(site):
    """Every page at laptop and phone width, light and dark: the page itself never
    scrolls sideways (a wide table scrolls in its own box), and a screenshot of each is
    kept in test-output/screenshots/ to be looked at."""
    stack, setup, driver = site
    variant = ("" if driver.javascript else "-no-javascript") + ("" if stack.web_server == "nginx" else "-" + stack.web_server)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {name.strip("/"): name for name in EVERY_PAGE} | {"day": f"/days/{setup.tuesday}"}
    for scheme in ("light", "dark"):
        color_scheme(driver, scheme)
        for name, path in pages.items():
            for size, (width, height) in SIZES.items():
                driver.set_window_size(width, height)
                open_page(driver, stack, path)
                overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow == 0, f"{name} scrolls sideways at {width} px ({scheme})"
                shot = SCREENSHOTS / f"{name}-{size}{'' if scheme == 'light' else '-dark'}{variant}.png"
                driver.save_screenshot(str(shot))
                assert shot.stat().st_size > 10_000
    color_scheme(driver, "light")
    driver.set_window_size(*SIZES["desktop"])


def test_on_a_phone_the_daily_figures_fit_the_first_screen(site):
    """At 390 × 844 the balance, today, this week and this month are all within the first
    screen, and the tables show their key columns."""
    stack, setup, driver = site
    driver.set_window_size(*SIZES["phone"])
    open_page(driver, stack, "/dashboard")
    height = driver.execute_script("return window.innerHeight")
    for figure in ("balance", "today-worked", "week-delta", "month-delta"):
        bottom = driver.execute_script(f"return document.getElementById('{figure}').getBoundingClientRect().bottom")
        assert bottom <= height, f"#{figure} ends at {bottom} px, below the first screen ({height} px)"
    shown = driver.execute_script("""return [...document.querySelectorAll('#months thead th')]
        .filter(th => getComputedStyle(th).display !== 'none').map(th => th.textContent)""")
    assert shown == ["Month", "Counted", "Difference", "Balance"], shown
    open_page(driver, stack, f"/corrections?from={setup.start}&to={setup.today}")
    shown = driver.execute_script("""return [...document.querySelectorAll('#days thead th')]
        .filter(th => getComputedStyle(th).display !== 'none').map(th => th.textContent.trim())""")
    assert shown == ["Date", "Worked", "Difference", "Actions"], shown
    right = driver.execute_script("return document.querySelector('#days').getBoundingClientRect().right")
    assert right <= driver.execute_script("return document.documentElement.clientWidth"), "the days table is cut off"
    # A holiday with a long name (far ahead, so no figure of the other tests moves): its
    # Remove button is on the screen, not scrolled away in the table's box.
    ahead = (setup.today + timedelta(days=90)).isoformat()
    assert requests.post(stack.url + "/api/holidays", json={"date": ahead, "name": "A holiday with a rather long name"},
                         timeout=10).status_code == 201
    try:
        open_page(driver, stack, "/settings")
        # (this year's or the next: open, not folded)
        right = driver.execute_script(
            f"return document.querySelector('#holiday-list button[aria-label$=\"{ahead}\"]').getBoundingClientRect().right")
        assert 0 < right <= driver.execute_script("return document.documentElement.clientWidth"), "Remove is cut off"
    finally:
        requests.delete(stack.url + f"/api/holidays/{ahead}", timeout=10)
    driver.set_window_size(*SIZES["desktop"])


EVERY_PAGE = ("/dashboard", "/corrections", "/absences", "/report", "/settings")


def color_scheme(driver, scheme):
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})


def test_every_page_passes_axe_in_both_colour_schemes_and_widths(site):
    """axe-core (the copy axe-selenium-python ships) in the real browser: no violation of
    impact "serious" or "critical" on any page, light and dark, laptop and phone; colour
    contrast is among its rules."""
    stack, setup, driver = site
    if not driver.javascript:
        pytest.skip("axe runs as a script in the page; the JavaScript-on variants run it")
    pages = EVERY_PAGE + (f"/days/{setup.tuesday}",)
    found = []
    for scheme in ("light", "dark"):
        color_scheme(driver, scheme)
        for size, (width, height) in SIZES.items():
            driver.set_window_size(width, height)
            for page in pages:
                open_page(driver, stack, page)
                axe = Axe(driver)
                axe.inject()
                results = axe.run()
                for violation in results["violations"]:
                    if violation["impact"] in ("serious", "critical"):
                        targets = [node["target"] for node in violation["nodes"]][:3]
                        found.append(f"{page} {scheme} {width}px: {violation['id']} ({violation['impact']}) {targets}")
    color_scheme(driver, "light")
    driver.set_window_size(*SIZES["desktop"])
    assert not found, "\n".join(found)


def test_the_days_view_has_weekly_subtotals_computed_by_hand(site):
    """Last week (the period's first): 9:00 worked on each of its 5 weekdays against 8:00
    expected: 45:00 worked and counted of 40:00, +5:00. This week stops at yesterday, as
    the dashboard does: today is in progress."""
    stack, setup, driver = site
    open_page(driver, stack, f"/corrections?from={setup.start}&to={setup.today}")
    weeks = driver.find_elements(By.CSS_SELECTOR, "#days tr.week-total")
    cells = lambda row: [cell.get_attribute("textContent").strip() for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
    first = cells(weeks[0])
    assert first[0] == f"Week from {setup.start}"
    assert (first[4], first[5], first[7], first[8]) == ("45:00", "40:00", "45:00", "+5:00")
    this_week = cells(weeks[-1])
    monday = setup.today - timedelta(days=setup.today.weekday())
    assert this_week[0].startswith(f"Week from {monday}")
    done = [day for day in setup.weekdays if day >= monday]  # before today: 9:00 each
    if setup.today == monday:
        assert this_week[0] == f"Week from {monday} (in progress)" and this_week[7] == this_week[8] == ""
    else:
        expected_so_far = 480 * len([n for n in range((setup.today - monday).days) if (monday + timedelta(days=n)).weekday() < 5])
        assert minutes(this_week[7]) == WORKED * len(done)
        assert minutes(this_week[5]) == expected_so_far
        assert minutes(this_week[8]) == WORKED * len(done) - expected_so_far
    today_row = driver.find_element(By.ID, f"day-{setup.today}")
    assert "in progress" in today_row.text
    assert len(weeks) == 2


def test_a_new_user_is_offered_the_browsers_time_zone():
    """Until the settings are saved once, the zone list starts at the browser's zone (with
    JavaScript), says so, and saving keeps it; the list is grouped by region."""
    stack = Stack()
    driver = make_driver(True)
    driver.javascript = True
    try:
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
        open_page(driver, stack, "/settings")
        select = driver.find_element(By.ID, "timezone")
        assert select.get_attribute("value") == "Asia/Tokyo"
        note = driver.find_element(By.ID, "timezone-suggested")
        assert note.is_displayed() and "Asia/Tokyo" in note.text
        regions = [group.get_attribute("label") for group in select.find_elements(By.TAG_NAME, "optgroup")]
        assert {"Africa", "America", "Asia", "Europe", "Other"} <= set(regions)
        tokyo = select.find_element(By.CSS_SELECTOR, 'option[value="Asia/Tokyo"]')
        assert tokyo.text == "Tokyo"
        submit(driver.find_element(By.ID, "settings-form"))
        assert requests.get(stack.url + "/api/settings", timeout=10).json()["timezone"] == "Asia/Tokyo"
        open_page(driver, stack, "/settings")  # saved: no more suggestion
        assert not driver.find_element(By.ID, "timezone-suggested").is_displayed()
    finally:
        driver.quit()
        stack.stop()


def test_the_chart_colours_stand_out_in_both_schemes(site):
    """The colours the charts draw with (the stylesheet's variables) have at least 3:1
    contrast with the card behind them, light and dark (WCAG 1.4.11, non-text contrast)."""
    stack, _, driver = site
    ratios = """
        const style = getComputedStyle(document.documentElement);
        const rgb = (name) => { const probe = document.createElement('i'); probe.style.color = style.getPropertyValue(name);
            document.body.append(probe); const value = getComputedStyle(probe).color.match(/\\d+/g).slice(0, 3).map(Number);
            probe.remove(); return value; };
        const lum = ([r, g, b]) => [r, g, b].map(c => c / 255).map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
            .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
        const card = lum(rgb('--card'));
        return Object.fromEntries(['--fg', '--accent', '--absence', '--holiday-bar'].map(name => {
            const [a, b] = [lum(rgb(name)), card].sort((x, y) => y - x);
            return [name, (a + 0.05) / (b + 0.05)];
        }));"""
    for scheme in ("light", "dark"):
        color_scheme(driver, scheme)
        open_page(driver, stack, "/dashboard")
        measured = driver.execute_script(ratios)
        assert all(ratio >= 3 for ratio in measured.values()), (scheme, measured)
    color_scheme(driver, "light")


def test_on_a_phone_and_a_laptop_no_figure_wraps_no_column_is_cut_and_labels_read(site):
    """What a person saw on a phone: dates broken inside ("2026-/11-01"), Remove and Edit
    cut off on Days and Absences, the timeline's hour labels about 6 px, the Today card's
    figure wrapping. At 390 and 1280 px, light and dark: each card's figure is one line
    that fits; every table's last column is inside the screen and no date wraps; the
    timeline's labels are at least 11 px as rendered from the SVG."""
    stack, setup, driver = site
    requests.post(stack.url + "/api/absences", json={"from": setup.tuesday.isoformat(), "to": setup.tuesday.isoformat(),
                                                     "kind": "sick", "note": "a cold"}, timeout=10)
    try:
        for scheme in ("light", "dark"):
            color_scheme(driver, scheme)
            for width, height in SIZES.values():
                driver.set_window_size(width, height)
                open_page(driver, stack, "/dashboard")
                for text, overflow, lines in driver.execute_script("""
                        return [...document.querySelectorAll('.card .big')].map(b => [b.innerText, b.scrollWidth - b.clientWidth,
                            b.getClientRects().length === 1 ? Math.round(b.getBoundingClientRect().height /
                            parseFloat(getComputedStyle(b).lineHeight || getComputedStyle(b).fontSize)) : 9]);"""):
                    assert overflow <= 0, f"{text!r} overflows its card at {width} px"
                    assert "\n" not in text, f"{text!r} wraps at {width} px"
                for path, table in ((f"/corrections?from={setup.start}&to={setup.today}", "days"), ("/absences", "absence-list")):
                    open_page(driver, stack, path)
                    cut = driver.execute_script("""
                        const table = document.getElementById(arguments[0]), screen = document.documentElement.clientWidth;
                        const cells = [...table.querySelectorAll('tbody tr:not(.history):not(.week-total) > :last-child')];
                        const cut = cells.filter(c => c.getBoundingClientRect().right > screen + 0.5).length;
                        // A date's lines: one box per line of its text.
                        const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el.firstChild || el);
                                                return r.getClientRects().length; };
                        const dates = [...table.querySelectorAll('tbody th[scope=row] > a, tbody td:first-child')]
                            .filter(d => /^\\d{4}-\\d{2}-\\d{2}$/.test(d.textContent.trim()) && lines(d) > 1);
                        return [cut, dates.map(d => d.textContent)];""", table)
                    assert cut[0] == 0, f"{table}: {cut[0]} rows' last column beyond the screen at {width} px"
                    assert cut[1] == [], f"{table}: dates that wrap at {width} px: {cut[1]}"
                open_page(driver, stack, f"/days/{setup.tuesday}")
                sizes = driver.execute_script("""
                    const svg = document.getElementById('timeline');
                    return [...svg.querySelectorAll('text')].filter(t => getComputedStyle(t).display !== 'none')
                        .map(t => [t.textContent, parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a]);""")
                assert len(sizes) >= 5, sizes
                small = [(label, round(size, 1)) for label, size in sizes if size < 11]
                assert not small, f"timeline labels under 11 px at {width} px: {small}"
    finally:
        color_scheme(driver, "light")
        driver.set_window_size(*SIZES["desktop"])
        requests.delete(stack.url + f"/api/absences/{setup.tuesday}", timeout=10)


def test_settings_fold_the_holidays_of_other_years(site):
    stack, setup, driver = site
    years = [setup.today.year - 2, setup.today.year, setup.today.year + 3]
    for year in years:
        assert requests.post(stack.url + "/api/holidays", json={"date": f"{year}-08-15", "name": f"Test {year}"},
                             timeout=10).status_code == 201
    try:
        open_page(driver, stack, "/settings")
        folded = {int(d.get_attribute("id").split("-")[1]): d.get_attribute("open") is not None
                  for d in driver.find_elements(By.CSS_SELECTOR, "#holiday-list details")}
        assert folded[setup.today.year] and not folded[years[0]] and not folded[years[2]], folded
        # A holiday added for a folded year opens its year.
        driver.find_element(By.ID, "holiday-date").send_keys(typed_date(date(years[0], 12, 26)))
        driver.find_element(By.ID, "holiday-name").send_keys("Boxing Day")
        submit(driver.find_element(By.ID, "holiday-form"))
        assert driver.find_element(By.ID, f"holidays-{years[0]}").get_attribute("open") is not None
        assert "Boxing Day" in driver.find_element(By.ID, f"holidays-{years[0]}").text
    finally:
        for day in [f"{y}-08-15" for y in years] + [f"{years[0]}-12-26"]:
            requests.delete(stack.url + f"/api/holidays/{day}", timeout=10)
