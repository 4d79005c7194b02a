"""Work away from the computer in a real headless Chromium, JavaScript on and off, behind
nginx and lighttpd: "Count as work" on a gap of the day page, the add-entry form (an error
kept beside its field, an entry across midnight), start and stop from the dashboard's
Today card at phone width; every figure against a hand computation."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By

from conftest import Stack
from test_pages import SCREENSHOTS, SIZES, color_scheme, make_driver, minutes, open_page, submit

ZONE = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module", params=[(True, "nginx"), (False, "nginx"), (True, "lighttpd")],
                ids=["javascript", "no-javascript", "javascript-lighttpd"])
def site(request):
    javascript, web_server = request.param
    stack = Stack(web_server=web_server)
    today = datetime.now(ZONE).date()
    # A weekday of last week: 09:00–12:00 and 13:00–15:00 recorded, 5:00 of 8:00.
    day = today - timedelta(days=today.weekday() + 6)
    assert requests.post(stack.url + "/api/settings", json={"timezone": "Europe/Berlin", "period_start": str(day - timedelta(days=7))},
                         timeout=10).status_code == 200
    def beats(hour, count):
        start = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)
        return [{"timestamp": (start + timedelta(minutes=m)).isoformat()} for m in range(count)]
    assert stack.heartbeat(json={"heartbeats": beats(9, 180) + beats(13, 120)}).status_code == 200
    driver = make_driver(javascript)
    driver.javascript = javascript
    yield stack, day, driver
    driver.quit()
    stack.stop()


def figure(driver, id):
    return minutes(driver.find_element(By.ID, id).text)


def test_count_a_gap_as_work_and_remove_it_again(site):
    stack, day, driver = site
    open_page(driver, stack, f"/days/{day}")
    assert (figure(driver, "day-recorded"), figure(driver, "day-manual"), figure(driver, "day-worked")) == (300, 0, 300)
    gaps = driver.find_elements(By.CSS_SELECTOR, "#gaps li")
    assert len(gaps) == 1 and gaps[0].text.startswith("12:00–13:00")
    note = gaps[0].find_element(By.NAME, "note")
    note.clear()
    note.send_keys("Lunch meeting with the team")
    submit(gaps[0].find_element(By.CSS_SELECTOR, "form"))
    # By hand: the gap 12:00–13:00 is 60 minutes; worked 5:00 + 1:00, one session 09:00–15:00.
    assert "Entry added" in driver.find_element(By.ID, "saved").text
    assert (figure(driver, "day-recorded"), figure(driver, "day-manual"), figure(driver, "day-worked")) == (300, 60, 360)
    assert (driver.find_element(By.ID, "first-start").text, driver.find_element(By.ID, "last-end").text) == ("09:00", "15:00")
    assert figure(driver, "breaks") == 0 and driver.find_elements(By.CSS_SELECTOR, "#gaps li") == []
    manual = driver.find_elements(By.CSS_SELECTOR, "#timeline rect.manual")
    assert [(r.get_attribute("x"), r.get_attribute("width")) for r in manual] == [("720", "60")]  # noon, one hour
    # Drawn apart: the hatch is not the recorded blocks' fill.
    fills = driver.execute_script("""return ['rect.session', 'rect.manual'].map(s =>
        getComputedStyle(document.querySelector('#timeline ' + s)).fill)""")
    assert fills[0] != fills[1] and "url(" in fills[1], fills
    entry = driver.find_element(By.CSS_SELECTOR, "#entry-list li")
    assert "12:00–13:00" in entry.text and "Lunch meeting with the team" in entry.text
    row = requests.get(stack.url + f"/api/days/{day}", timeout=10).json()
    assert (row["manual"], row["worked"], row["entries"][0]["note"]) == (60, 360, "Lunch meeting with the team")
    submit(entry.find_element(By.CSS_SELECTOR, "form"))
    assert "Entry removed" in driver.find_element(By.ID, "saved").text
    assert (figure(driver, "day-manual"), figure(driver, "day-worked")) == (0, 300)


def test_the_add_entry_form_keeps_an_error_beside_its_field_and_crosses_midnight(site):
    stack, day, driver = site
    open_page(driver, stack, f"/days/{day}")
    form = driver.find_element(By.ID, "entry-form")
    form.find_element(By.NAME, "from").send_keys("25:00")
    form.find_element(By.NAME, "to").send_keys("23:00")
    form.find_element(By.NAME, "note").send_keys("Train home")
    submit(form)
    assert "HH:MM" in driver.find_element(By.ID, "entry-from-error").text
    assert driver.find_element(By.ID, "entry-from").get_attribute("value") == "25:00"
    assert driver.find_element(By.ID, "entry-note").get_attribute("value") == "Train home"
    assert driver.find_element(By.ID, "entry-from").get_attribute("aria-invalid") == "true"
    assert requests.get(stack.url + f"/api/entries?from={day}&to={day + timedelta(days=1)}", timeout=10).json() == []
    # 22:00–01:00: 2:00 on this day, 1:00 on the next.
    form = driver.find_element(By.ID, "entry-form")
    for name, value in (("from", "22:00"), ("to", "01:00")):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    submit(form)
    assert figure(driver, "day-manual") == 120 and figure(driver, "day-worked") == 420
    assert driver.find_element(By.ID, "last-end").text == "24:00"
    next_day = requests.get(stack.url + f"/api/days/{day + timedelta(days=1)}", timeout=10).json()
    assert next_day["manual"] == 60
    entry = next_day["entries"][0]
    assert requests.delete(stack.url + f"/api/entries/{entry['id']}", timeout=10).status_code == 204


def test_start_and_stop_work_away_from_the_today_card_on_a_phone(site):
    stack, day, driver = site
    driver.set_window_size(*SIZES["phone"])
    try:
        open_page(driver, stack, "/dashboard")
        start = driver.find_element(By.ID, "away-start")
        assert start.text == "Working away from the computer"
        box = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.height, r.right]", start)
        assert box[0] >= 44, f"the button is {box[0]} px high: too small for a thumb"
        assert box[1] <= driver.execute_script("return document.documentElement.clientWidth")
        worked_before = figure(driver, "today-worked")
        submit(driver.find_element(By.ID, "away-form"))
        assert "Started" in driver.find_element(By.ID, "away-message").text
        running = requests.get(stack.url + "/api/entries?from=2000-01-01&to=2009-12-31", timeout=10)  # none back then
        assert running.json() == []
        # Move the running entry's start 5 minutes back, as if the user left 5 minutes ago:
        # stop it through the API and start one from then (the API takes any start).
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        today = datetime.now(ZONE).date()
        listed = requests.get(stack.url + f"/api/entries?from={today}&to={today}", timeout=10).json()
        ids = [e["id"] for e in listed if e["end"] is None]
        assert len(ids) == 1
        requests.delete(stack.url + f"/api/entries/{ids[0]}", timeout=10)
        since = max(now - timedelta(minutes=5), datetime(today.year, today.month, today.day, tzinfo=ZONE).astimezone(timezone.utc))
        assert requests.post(stack.url + "/api/entries", json={"start": since.isoformat()}, timeout=10).status_code == 201
        open_page(driver, stack, "/dashboard")
        stop = driver.find_element(By.ID, "away-stop")
        so_far = int((now - since).total_seconds() // 60)
        shown = minutes(stop.text.removeprefix("Stop (").removesuffix(")"))
        assert shown in (so_far, so_far + 1), stop.text
        assert figure(driver, "today-worked") - worked_before in (so_far, so_far + 1)
        submit(driver.find_element(By.ID, "away-form"))
        assert "Stopped" in driver.find_element(By.ID, "away-message").text
        assert driver.find_element(By.ID, "away-start")
        listed = requests.get(stack.url + f"/api/entries?from={today}&to={today}", timeout=10).json()
        assert [e["end"] is not None for e in listed] == [True] and listed[0]["minutes"] in (so_far, so_far + 1)
        requests.delete(stack.url + f"/api/entries/{listed[0]['id']}", timeout=10)
    finally:
        driver.set_window_size(*SIZES["desktop"])


def test_the_day_with_entries_in_both_widths_and_schemes(site):
    """Screenshots of a day with an entry and a gap, light and dark, laptop and phone:
    nothing scrolls sideways, Remove and Count as work are on the screen, and (with
    JavaScript) axe finds nothing serious."""
    stack, day, driver = site
    entry = requests.post(stack.url + "/api/entries", json={
        "start": datetime(day.year, day.month, day.day, 15, 30, tzinfo=ZONE).isoformat(),
        "end": datetime(day.year, day.month, day.day, 17, 0, tzinfo=ZONE).isoformat(), "note": "Visit at the customer's"}, timeout=10)
    assert entry.status_code == 201
    variant = ("" if driver.javascript else "-no-javascript") + ("" if stack.web_server == "nginx" else "-" + stack.web_server)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found = []
    try:
        for scheme in ("light", "dark"):
            color_scheme(driver, scheme)
            for size, (width, height) in SIZES.items():
                driver.set_window_size(width, height)
                open_page(driver, stack, f"/days/{day}")
                client = driver.execute_script("return document.documentElement.clientWidth")
                assert driver.execute_script("return document.documentElement.scrollWidth") == client, f"{size} {scheme} scrolls sideways"
                for button in driver.find_elements(By.CSS_SELECTOR, "#entry-list button, #gaps button"):
                    assert driver.execute_script("return arguments[0].getBoundingClientRect().right", button) <= client
                driver.save_screenshot(str(SCREENSHOTS / f"day-entries-{size}{'' if scheme == 'light' else '-dark'}{variant}.png"))
                if driver.javascript:
                    axe = Axe(driver)
                    axe.inject()
                    found += [f"{scheme} {width}px: {v['id']}" for v in axe.run()["violations"] if v["impact"] in ("serious", "critical")]
    finally:
        color_scheme(driver, "light")
        driver.set_window_size(*SIZES["desktop"])
        requests.delete(stack.url + f"/api/entries/{entry.json()['id']}", timeout=10)
    assert not found, found
